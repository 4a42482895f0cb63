#!/usr/bin/env node
// Runs every GraphQL-over-HTTP server audit of graphql-http (serverAudits)
// against a URL, sequentially, and prints ONE JSON object on stdout:
//
//   {"results":[{"id","name","level":"MUST"|"SHOULD"|"MAY",
//                "status":"ok"|"warn"|"error"|"notice","reason":string|null}],
//    "summary":{"must_failed":n,"should_failed":n,"may_failed":n,"total":n}}
//
// status is graphql-http's own: a failed MUST is "error", a failed SHOULD is
// "warn", a failed MAY is "notice". An audit that throws (network failure,
// timeout) is reported with the same status mapping and a reason starting
// with "fatal:".
//
// Usage: node audit.mjs <url> [--timeout-ms N]   (per-request timeout, default 10000)
// Exit code: 0 when the audits ran (whatever they found); 2 on usage error,
// crash, or when every single audit threw (e.g. server unreachable).

import { serverAudits } from 'graphql-http';

const EXCERPT_MAX = 300;

function usage(msg) {
  process.stderr.write(
    `${msg}\nusage: node audit.mjs <url> [--timeout-ms N]\n`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  let url = null;
  let timeoutMs = 10000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--timeout-ms') {
      timeoutMs = Number(argv[++i]);
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) usage('bad --timeout-ms');
    } else if (a.startsWith('--')) {
      usage(`unknown option: ${a}`);
    } else if (url === null) {
      url = a;
    } else {
      usage(`unexpected argument: ${a}`);
    }
  }
  if (url === null) usage('missing <url>');
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    usage(`not an http(s) URL: ${url}`);
  }
  return { url, timeoutMs };
}

function levelOf(name) {
  const m = /^(MUST|SHOULD|MAY)\b/.exec(name);
  return m ? m[1] : 'MAY';
}

function statusForLevel(level) {
  // same mapping graphql-http applies to failed audits
  return level === 'MUST' ? 'error' : level === 'SHOULD' ? 'warn' : 'notice';
}

function errMessage(err) {
  if (!err) return String(err);
  let msg = err.message || String(err);
  // undici's "fetch failed" hides the useful part in `cause`
  if (err.cause) msg += ` (${err.cause.code || err.cause.message || err.cause})`;
  return msg;
}

// Describe the failing response: status, content-type and a body excerpt.
// graphql-http's AuditError sometimes carries a response whose body it has
// already consumed (when the body was not UTF-8 or not JSON); in other
// failures it carries an unread response or a clone. Read only unread bodies.
async function describeResponse(res) {
  if (!res || typeof res !== 'object' || typeof res.status !== 'number') return '';
  const parts = [`HTTP ${res.status}`];
  const ct = res.headers?.get?.('content-type');
  parts.push(`content-type: ${ct ?? '(none)'}`);
  if (res.bodyUsed) {
    parts.push('body: (already consumed by the audit)');
  } else {
    try {
      let text = await res.text();
      text = text.replace(/\s+/g, ' ').trim();
      if (text.length > EXCERPT_MAX) text = text.slice(0, EXCERPT_MAX - 1) + '…';
      parts.push(`body: ${text === '' ? '(empty)' : text}`);
    } catch (err) {
      parts.push(`body: (unreadable: ${errMessage(err)})`);
    }
  }
  return parts.join('; ');
}

async function main() {
  const { url, timeoutMs } = parseArgs(process.argv.slice(2));

  // global fetch, with a per-request timeout so a hanging server cannot hang us
  const fetchFn = (input, init = {}) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });

  const audits = serverAudits({ url, fetchFn });
  const results = [];
  let fatalCount = 0;

  for (const audit of audits) {
    const level = levelOf(audit.name);
    let entry;
    try {
      const r = await audit.fn();
      if (r.status === 'ok') {
        entry = { id: audit.id, name: audit.name, level, status: 'ok', reason: null };
      } else {
        const detail = await describeResponse(r.response);
        entry = {
          id: audit.id,
          name: audit.name,
          level,
          status: r.status,
          reason: detail ? `${r.reason} [${detail}]` : r.reason,
        };
      }
    } catch (err) {
      fatalCount++;
      entry = {
        id: audit.id,
        name: audit.name,
        level,
        status: statusForLevel(level),
        reason: `fatal: ${errMessage(err)}`,
      };
    }
    results.push(entry);
  }

  const failed = (lvl) => results.filter((r) => r.level === lvl && r.status !== 'ok').length;
  const out = {
    results,
    summary: {
      must_failed: failed('MUST'),
      should_failed: failed('SHOULD'),
      may_failed: failed('MAY'),
      total: results.length,
    },
  };
  const code = results.length > 0 && fatalCount === results.length ? 2 : 0;
  if (code === 2) {
    process.stderr.write(`every audit failed fatally; first: ${results[0].reason}\n`);
  }
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(code));
}

main().catch((err) => {
  process.stderr.write(`audit.mjs crashed: ${err?.stack || err}\n`);
  process.exit(2);
});
