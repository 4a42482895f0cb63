#!/usr/bin/env node
// Introspects a GraphQL server the way GraphiQL, GraphQL Codegen and IDE plugins do, and
// compares what a client learns with an SDL file.
//
// Usage: node introspect.mjs --url http://HOST:PORT/graphql --sdl path/to/schema.graphql
//
// Sends graphql-js's getIntrospectionQuery() twice, with its defaults and with every option
// (descriptions, specifiedByUrl, directiveIsRepeatable, schemaDescription,
// inputValueDeprecation, oneOf), builds a client schema from each answer (buildClientSchema)
// and prints both it and the SDL file's schema with printSchema(lexicographicSortSchema(...)).
// Prints ONE JSON object and exits 0:
//   {"runs":[{"options":"default"|"all","status":200,"errors":[...]|null,
//             "built":bool,"buildError":string|null,"same":bool}],
//    "sdl":"<the file's schema, printed>","introspected":"<the last built schema, printed>"}
// Exit code 2 for usage errors.

import { readFileSync } from 'node:fs';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';

const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const url = arg('--url');
const sdlPath = arg('--sdl');
if (!url || !sdlPath) {
  console.error('usage: node introspect.mjs --url URL --sdl FILE');
  process.exit(2);
}

const print = (schema) => printSchema(lexicographicSortSchema(schema));
const sdl = print(buildSchema(readFileSync(sdlPath, 'utf8')));
const all = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};
const runs = [];
let introspected = null;
for (const [name, options] of [['default', undefined], ['all', all]]) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: getIntrospectionQuery(options), operationName: 'IntrospectionQuery' }),
  });
  const body = await response.json();
  const run = { options: name, status: response.status, errors: body.errors ?? null, built: false, buildError: null, same: false };
  if (body.data) {
    try {
      introspected = print(buildClientSchema(body.data));
      run.built = true;
      run.same = introspected === sdl;
    } catch (error) {
      run.buildError = String(error);
    }
  }
  runs.push(run);
}
process.stdout.write(JSON.stringify({ runs, sdl, introspected }));
