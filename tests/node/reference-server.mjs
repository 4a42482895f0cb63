#!/usr/bin/env node
// Reference GraphQL server built from the reference libraries (graphql-http +
// graphql-ws). Handy to check that audit.mjs / ws-client.mjs behave as
// expected, and to compare our Rust server's answers with the reference ones.
//
// Usage: node reference-server.mjs [--port N] [--require-token]
//   --port N          listen on 127.0.0.1:N (default: a random free port)
//   --require-token   refuse graphql-transport-ws connection_init unless
//                     connectionParams.authorization is "Bearer <something>"
//                     (graphql-ws then closes the socket with 4403 Forbidden)
//
// Prints ONE JSON line on stdout once listening:
//   {"port":N,"url":"http://127.0.0.1:N/graphql","ws_url":"ws://127.0.0.1:N/graphql/ws"}
// Stops on SIGINT / SIGTERM.

import http from 'node:http';
import {
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { createHandler } from 'graphql-http/lib/use/http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';

function usage(msg) {
  process.stderr.write(
    `${msg}\nusage: node reference-server.mjs [--port N] [--require-token]\n`,
  );
  process.exit(2);
}

let port = 0;
let requireToken = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--port') {
    port = Number(argv[++i]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) usage('bad --port');
  } else if (a === '--require-token') {
    requireToken = true;
  } else {
    usage(`unknown argument: ${a}`);
  }
}

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: { type: GraphQLString, resolve: () => 'world' },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: {
      echo: {
        type: GraphQLString,
        args: { text: { type: new GraphQLNonNull(GraphQLString) } },
        resolve: (_root, { text }) => text,
      },
    },
  }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      countdown: {
        type: GraphQLInt,
        args: { from: { type: new GraphQLNonNull(GraphQLInt) } },
        subscribe: async function* (_root, { from }) {
          for (let i = from; i >= 0; i--) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            yield { countdown: i };
          }
        },
      },
    },
  }),
});

const graphqlHandler = createHandler({ schema });

const server = http.createServer((req, res) => {
  const path = (req.url || '').split('?')[0];
  if (path === '/graphql') {
    graphqlHandler(req, res).catch((err) => {
      process.stderr.write(`handler error: ${err?.stack || err}\n`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
});

const wsServer = new WebSocketServer({ server, path: '/graphql/ws' });
const wsDisposable = useServer(
  {
    schema,
    onConnect: (ctx) => {
      if (!requireToken) return true;
      const auth = ctx.connectionParams?.authorization;
      // returning false makes graphql-ws close the socket with 4403 Forbidden
      return typeof auth === 'string' && /^Bearer \S+$/.test(auth);
    },
  },
  wsServer,
);

server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  process.stdout.write(
    JSON.stringify({
      port: actual,
      url: `http://127.0.0.1:${actual}/graphql`,
      ws_url: `ws://127.0.0.1:${actual}/graphql/ws`,
    }) + '\n',
  );
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await wsDisposable.dispose();
  } catch {
    // ignore
  }
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
