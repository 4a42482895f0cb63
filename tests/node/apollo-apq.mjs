#!/usr/bin/env node
// Runs Apollo Client's automatic-persisted-query link, unmodified, against a
// GraphQL-over-HTTP server and reports every HTTP exchange it made.
//
// Usage:
//   node apollo-apq.mjs --url http://127.0.0.1:PORT/graphql --query '<query>'
//        [--variables '<json object>'] [--mutation '<mutation>']
//        [--mutation-variables '<json object>'] [--get] [--token JWT]
//        [--api-key SECRET] [--repeat N] [--timeout-ms 10000]
//
// The client is
//   new ApolloClient({
//     link: new PersistedQueryLink({ sha256, useGETForHashedQueries: --get })
//             .concat(new HttpLink({ uri, fetch: recordingFetch, headers })),
//     cache: new InMemoryCache(),
//   })
// with Apollo's defaults everywhere else (errorPolicy "none", so GraphQL
// errors are thrown). Headers: `authorization: Bearer JWT` with --token,
// `x-api-key: SECRET` with --api-key. The query runs --repeat times (default
// 2), each with fetchPolicy "network-only"; then the mutation, if any, once.
// The first error thrown stops the sequence.
//
// Prints ONE JSON object on stdout and exits 0:
//   {"requests":[{"method":"POST|GET","hasQuery":bool,
//                 "persistedQuery":{"version":1,"sha256Hash":"..."}|null,
//                 "status":200,"response":<parsed JSON body, or its text>}...],
//    "results":[{"data":...,"errors"?:[...]}...],   // query runs, then mutation
//    "error": null
//           | {"name","message","graphQLErrors":[...],
//              "networkError":null|{"name","message","statusCode"?,"body"?}}}
// A request that got no response has "status":null,"response":null,"fetchError".
// A timeout gives error {"name":"Timeout",...}. Exit code 2 for usage errors only.

import { createHash } from 'node:crypto';
import { parse } from 'graphql';
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

// Apollo may log through console.log/info/debug: keep stdout for the report.
for (const level of ['log', 'info', 'debug']) {
  console[level] = (...args) => console.error(...args);
}

const USAGE =
  "usage: node apollo-apq.mjs --url http://HOST:PORT/graphql --query '<query>' " +
  "[--variables '<json>'] [--mutation '<mutation>'] [--mutation-variables '<json>'] " +
  '[--get] [--token JWT] [--api-key SECRET] [--repeat N] [--timeout-ms MS]';

function usage(msg) {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    url: null,
    query: null,
    variables: undefined,
    mutation: null,
    mutationVariables: undefined,
    get: false,
    token: null,
    apiKey: null,
    repeat: 2,
    timeoutMs: 10000,
  };
  const need = (i, flag) => {
    if (i >= argv.length) usage(`missing value for ${flag}`);
    return argv[i];
  };
  const jsonObject = (raw, flag) => {
    let v;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      usage(`${flag} is not valid JSON: ${err.message}`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      usage(`${flag} must be a JSON object`);
    }
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--url':
        opts.url = need(++i, a);
        break;
      case '--query':
        opts.query = need(++i, a);
        break;
      case '--variables':
        opts.variables = jsonObject(need(++i, a), a);
        break;
      case '--mutation':
        opts.mutation = need(++i, a);
        break;
      case '--mutation-variables':
        opts.mutationVariables = jsonObject(need(++i, a), a);
        break;
      case '--get':
        opts.get = true;
        break;
      case '--token':
        opts.token = need(++i, a);
        break;
      case '--api-key':
        opts.apiKey = need(++i, a);
        break;
      case '--repeat': {
        const n = Number(need(++i, a));
        if (!Number.isInteger(n) || n < 1) usage('--repeat must be an integer >= 1');
        opts.repeat = n;
        break;
      }
      case '--timeout-ms': {
        const n = Number(need(++i, a));
        if (!Number.isFinite(n) || n <= 0) usage('--timeout-ms must be a positive number');
        opts.timeoutMs = n;
        break;
      }
      case '-h':
      case '--help':
        usage('help');
        break;
      default:
        usage(`unknown argument: ${a}`);
    }
  }
  if (!opts.url) usage('missing --url');
  if (opts.query === null) usage('missing --query');
  try {
    const u = new URL(opts.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    usage(`not an http(s) URL: ${opts.url}`);
  }
  for (const [flag, doc] of [['--query', opts.query], ['--mutation', opts.mutation]]) {
    if (doc === null) continue;
    try {
      parse(doc);
    } catch (err) {
      usage(`${flag} does not parse: ${err.message}`);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

const requests = [];
const results = [];

function tryJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeRequest(input, init = {}) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init.method || (input instanceof Request ? input.method : 'GET')).toUpperCase();
  let query;
  let extensions;
  if (method === 'GET') {
    query = url.searchParams.get('query');
    const raw = url.searchParams.get('extensions');
    extensions = raw === null ? undefined : tryJson(raw);
  } else {
    const body = typeof init.body === 'string' ? tryJson(init.body) : undefined;
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      query = body.query;
      extensions = body.extensions;
    }
  }
  return {
    method,
    hasQuery: typeof query === 'string' && query.length > 0,
    persistedQuery:
      extensions && typeof extensions === 'object' && extensions.persistedQuery !== undefined
        ? extensions.persistedQuery
        : null,
  };
}

// Wraps the global fetch; Apollo reads the original response, we read a clone.
async function recordingFetch(input, init) {
  const entry = describeRequest(input, init);
  requests.push(entry);
  let response;
  try {
    response = await fetch(input, init);
  } catch (err) {
    Object.assign(entry, { status: null, response: null, fetchError: String(err?.cause?.message || err?.message || err) });
    throw err;
  }
  entry.status = response.status;
  entry.response = tryJson(await response.clone().text());
  return response;
}

function describeError(err) {
  const graphQLErrors = CombinedGraphQLErrors.is(err)
    ? err.errors
    : Array.isArray(err?.graphQLErrors)
      ? err.graphQLErrors
      : [];
  let networkError = null;
  if (!CombinedGraphQLErrors.is(err)) {
    const source = err?.networkError ?? err;
    networkError = {
      name: String(source?.name ?? 'Error'),
      message: String(source?.message ?? source),
    };
    if (typeof source?.statusCode === 'number') networkError.statusCode = source.statusCode;
    if (typeof source?.bodyText === 'string') networkError.body = tryJson(source.bodyText);
    if (source?.cause?.message) networkError.cause = String(source.cause.message);
  }
  return {
    name: String(err?.name ?? 'Error'),
    message: String(err?.message ?? err),
    graphQLErrors,
    networkError,
  };
}

function toResult(r) {
  const out = { data: r.data ?? null };
  if (r.error) out.errors = CombinedGraphQLErrors.is(r.error) ? r.error.errors : [describeError(r.error)];
  return out;
}

const headers = {};
if (opts.token !== null) headers.authorization = `Bearer ${opts.token}`;
if (opts.apiKey !== null) headers['x-api-key'] = opts.apiKey;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

async function run() {
  const client = new ApolloClient({
    link: new PersistedQueryLink({ sha256, useGETForHashedQueries: opts.get }).concat(
      new HttpLink({ uri: opts.url, fetch: recordingFetch, headers }),
    ),
    cache: new InMemoryCache(),
  });
  const query = parse(opts.query);
  for (let i = 0; i < opts.repeat; i++) {
    const r = await client.query({ query, variables: opts.variables, fetchPolicy: 'network-only' });
    results.push(toResult(r));
  }
  if (opts.mutation !== null) {
    const r = await client.mutate({ mutation: parse(opts.mutation), variables: opts.mutationVariables });
    results.push(toResult(r));
  }
}

let done = false;
function finish(error) {
  if (done) return;
  done = true;
  process.stdout.write(JSON.stringify({ requests, results, error }) + '\n', () => process.exit(0));
}

const timer = setTimeout(
  () => finish({ name: 'Timeout', message: `no answer within ${opts.timeoutMs} ms`, graphQLErrors: [], networkError: null }),
  opts.timeoutMs,
);
try {
  await run();
  finish(null);
} catch (err) {
  finish(describeError(err));
} finally {
  clearTimeout(timer);
}
