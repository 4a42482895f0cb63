#!/usr/bin/env node
// Checks audit.mjs, ws-client.mjs and apollo-apq.mjs against
// reference-server.mjs (all MUST audits pass, countdown subscription works, a
// refused connection_init is reported as a 4403 close; the reference server
// has no APQ, so apollo-apq.mjs must report its refusal of a hash-only request
// as JSON, and a usage error without arguments). Run: npm test --prefix tests/node
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const script = (name) => join(here, name);

async function startServer(args = []) {
  const child = spawn(process.execPath, [script('reference-server.mjs'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = '';
  child.stdout.setEncoding('utf8');
  while (!buf.includes('\n')) {
    const [chunk] = await Promise.race([
      once(child.stdout, 'data'),
      once(child, 'exit').then(() => {
        throw new Error('reference server exited early');
      }),
    ]);
    buf += chunk;
  }
  return { child, ...JSON.parse(buf.split('\n')[0]) };
}

async function stopServer(srv) {
  if (srv.child.exitCode !== null) return;
  const exited = once(srv.child, 'exit');
  srv.child.kill('SIGTERM');
  await exited;
}

function runNode(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 60000 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

const open = await startServer();
const closed = await startServer(['--require-token']);
try {
  const audit = await runNode([script('audit.mjs'), open.url]);
  assert.equal(audit.code, 0, audit.stderr);
  const report = JSON.parse(audit.stdout);
  assert.equal(report.summary.must_failed, 0, JSON.stringify(report, null, 1));
  assert.ok(report.summary.total > 0);
  console.log(`audit: ${report.summary.total} audits, summary ${JSON.stringify(report.summary)}`);

  const sub = await runNode([
    script('ws-client.mjs'), '--url', open.ws_url,
    '--query', 'subscription { countdown(from: 3) }', '--count', '10',
  ]);
  assert.equal(sub.code, 0, sub.stderr);
  assert.deepEqual(JSON.parse(sub.stdout), {
    results: [3, 2, 1, 0].map((n) => ({ data: { countdown: n } })),
    completed: true,
    error: null,
  });
  console.log(`ws countdown: ${sub.stdout.trim()}`);

  const refused = await runNode([
    script('ws-client.mjs'), '--url', closed.ws_url, '--query', '{ hello }',
  ]);
  assert.equal(refused.code, 0, refused.stderr);
  const r = JSON.parse(refused.stdout);
  assert.equal(r.error?.kind, 'close');
  assert.equal(r.error?.code, 4403);
  console.log(`ws refused: ${refused.stdout.trim()}`);

  const allowed = await runNode([
    script('ws-client.mjs'), '--url', closed.ws_url, '--query', '{ hello }',
    '--token', 'secret', '--count', '0',
  ]);
  assert.deepEqual(JSON.parse(allowed.stdout), {
    results: [{ data: { hello: 'world' } }],
    completed: true,
    error: null,
  });
  console.log(`ws with token: ${allowed.stdout.trim()}`);

  const apqUsage = await runNode([script('apollo-apq.mjs')]);
  assert.equal(apqUsage.code, 2, apqUsage.stdout);
  assert.match(apqUsage.stderr, /usage: node apollo-apq\.mjs/);

  const apq = await runNode([script('apollo-apq.mjs'), '--url', open.url, '--query', '{ hello }']);
  assert.equal(apq.code, 0, apq.stderr);
  const a = JSON.parse(apq.stdout);
  assert.equal(a.requests.length, 1, apq.stdout);
  assert.equal(a.requests[0].method, 'POST');
  assert.equal(a.requests[0].hasQuery, false);
  assert.equal(a.requests[0].persistedQuery?.version, 1);
  assert.match(a.requests[0].persistedQuery?.sha256Hash ?? '', /^[0-9a-f]{64}$/);
  assert.equal(a.requests[0].status, 400);
  assert.deepEqual(a.results, []);
  assert.equal(a.error?.networkError?.statusCode, 400, apq.stdout);
  console.log(`apollo apq without server support: ${apq.stdout.trim()}`);
  console.log('self-test OK');
} finally {
  await stopServer(open);
  await stopServer(closed);
}
