#!/usr/bin/env node
// CLI around the reference graphql-ws client (graphql-transport-ws protocol).
//
// Usage:
//   node ws-client.mjs --url ws://127.0.0.1:PORT/graphql/ws --query '<graphql>'
//        [--variables '<json object>'] [--operation-name NAME]
//        [--token <bearer token>] [--count N] [--timeout-ms 5000]
//
// connectionParams are {authorization: "Bearer <token>"} with --token, else {}.
// Collects `next` results until it has --count of them (default 1; 0 means
// "no limit, wait for complete/error/close") or the operation ends, then
// prints ONE JSON object on stdout and exits 0:
//   {"results":[ExecutionResult...], "completed": bool,
//    "error": null
//           | {"kind":"close","code":4403,"reason":"Forbidden"}
//           | {"kind":"errors","errors":[GraphQLFormattedError...]}
//           | {"kind":"other","message":"..."}
//           | {"kind":"timeout"}}
// "completed" is true only when the server sent `complete` for the operation.
// Stopping early because --count was reached gives completed:false, error:null.
// Exit code 2 for usage errors only. The client never retries/reconnects.

import WebSocket from 'ws';
import { createClient } from 'graphql-ws';

const USAGE =
  "usage: node ws-client.mjs --url ws://HOST:PORT/PATH --query '<graphql>' " +
  "[--variables '<json>'] [--operation-name NAME] [--token TOKEN] [--count N] [--timeout-ms MS]";

function usage(msg) {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    url: null,
    query: null,
    variables: undefined,
    operationName: undefined,
    token: null,
    count: 1,
    timeoutMs: 5000,
  };
  const need = (i, flag) => {
    if (i >= argv.length) usage(`missing value for ${flag}`);
    return argv[i];
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
      case '--variables': {
        const raw = need(++i, a);
        let v;
        try {
          v = JSON.parse(raw);
        } catch (err) {
          usage(`--variables is not valid JSON: ${err.message}`);
        }
        if (v !== null && (typeof v !== 'object' || Array.isArray(v))) {
          usage('--variables must be a JSON object');
        }
        opts.variables = v;
        break;
      }
      case '--operation-name':
        opts.operationName = need(++i, a);
        break;
      case '--token':
        opts.token = need(++i, a);
        break;
      case '--count': {
        const n = Number(need(++i, a));
        if (!Number.isInteger(n) || n < 0) usage('--count must be an integer >= 0');
        opts.count = n;
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
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error();
  } catch {
    usage(`not a ws(s) URL: ${opts.url}`);
  }
  return opts;
}

function isCloseLike(v) {
  return v !== null && typeof v === 'object' && 'code' in v && 'reason' in v;
}

function describeError(err) {
  if (isCloseLike(err)) {
    return { kind: 'close', code: err.code, reason: String(err.reason ?? '') };
  }
  if (Array.isArray(err)) {
    return { kind: 'errors', errors: err };
  }
  // ws ErrorEvent ({type:'error', message, error}) or a plain Error
  let message =
    (err && (err.message || err.error?.message)) || (err ? String(err) : 'unknown error');
  return { kind: 'other', message };
}

const opts = parseArgs(process.argv.slice(2));

const results = [];
let completed = false;
let finished = false;
let unsubscribe = () => {};
let client;
let timer;

function finish(error) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  const out = JSON.stringify({ results, completed, error: error ?? null }) + '\n';
  try {
    unsubscribe();
  } catch {
    // ignore
  }
  // Do not wait for a graceful close: the verdict is already decided.
  try {
    client?.dispose()?.catch?.(() => {});
  } catch {
    // ignore
  }
  try {
    client?.terminate();
  } catch {
    // ignore
  }
  process.stdout.write(out, () => process.exit(0));
}

timer = setTimeout(() => finish({ kind: 'timeout' }), opts.timeoutMs);

try {
  client = createClient({
    url: opts.url,
    webSocketImpl: WebSocket,
    connectionParams: opts.token !== null ? { authorization: `Bearer ${opts.token}` } : {},
    lazy: true, // connect on subscribe; errors then reach the sink directly
    retryAttempts: 0,
    shouldRetry: () => false,
    on: {
      // socket errors (connection refused, failed handshake, protocol
      // violations detected by the client) precede a close; report them as
      // they are more telling than the 1006 close that follows.
      error: (err) => {
        if (!finished) finish(describeError(err));
      },
      // graphql-ws reconnects after a 1000 close while an operation is
      // active, whatever retryAttempts says; catch every close ourselves so
      // that a close before the operation ended is always reported.
      closed: (event) => {
        if (!finished) finish(describeError(isCloseLike(event) ? event : { code: 0, reason: String(event) }));
      },
    },
  });
} catch (err) {
  finish({ kind: 'other', message: String(err?.message || err) });
}

if (client) {
  const payload = { query: opts.query };
  if (opts.variables !== undefined) payload.variables = opts.variables;
  if (opts.operationName !== undefined) payload.operationName = opts.operationName;
  unsubscribe = client.subscribe(payload, {
    next(value) {
      if (finished) return;
      results.push(value);
      if (opts.count > 0 && results.length >= opts.count) finish(null);
    },
    error(err) {
      finish(describeError(err));
    },
    complete() {
      completed = true;
      finish(null);
    },
  });
}
