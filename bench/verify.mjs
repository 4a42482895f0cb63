// Checks that both servers answer the benchmark query with the same 50 questions, each with
// its topic, author and tags, before any load is sent. Exits non-zero (loudly) otherwise.
//
// usage: node verify.mjs AGORA_URL POSTGRAPHILE_URL QUERIES_DIR
// Prints one line: `sizes agora=<bytes> postgraphile=<bytes>` (the response body sizes, which
// run.sh uses to tell a good response from an error under load).
import { readFile } from "node:fs/promises";
import { join } from "node:path";

const [agoraUrl, pglUrl, queriesDir] = process.argv.slice(2);
if (!agoraUrl || !pglUrl || !queriesDir) {
  console.error("usage: node verify.mjs AGORA_URL POSTGRAPHILE_URL QUERIES_DIR");
  process.exit(2);
}
const PAGE = 50;

function fail(message) {
  console.error(`verify: FAIL: ${message}`);
  process.exit(1);
}

async function post(url, bodyFile) {
  const body = await readFile(bodyFile);
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) fail(`${url} answered HTTP ${response.status}: ${text.slice(0, 500)}`);
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    fail(`${url} answered non-JSON: ${text.slice(0, 500)}`);
  }
  if (json.errors?.length) fail(`${url} answered errors: ${JSON.stringify(json.errors).slice(0, 1000)}`);
  return { json, bytes: Buffer.byteLength(text) };
}

// Both answers normalised to one shape: [{prompt, difficulty, topic, author, tags: [sorted]}].
function agoraRows(json) {
  return json.data.questions.edges.map(({ node }) => ({
    id: node.id,
    prompt: node.prompt,
    difficulty: node.difficulty,
    topic: node.topic?.name,
    topicId: node.topic?.id,
    author: node.author?.displayName,
    authorId: node.author?.id,
    tags: node.tags.map((t) => t.name).sort(),
    tagIds: node.tags.map((t) => t.id),
  }));
}

function pglRows(json) {
  return json.data.allQuestions.edges.map(({ node }) => ({
    id: node.id,
    prompt: node.prompt,
    difficulty: node.difficulty,
    topic: node.topicByTopicId?.name,
    topicId: node.topicByTopicId?.id,
    author: node.userByAuthorId?.displayName,
    authorId: node.userByAuthorId?.id,
    tags: node.questionTagsByQuestionId.nodes.map((n) => n.tagByTagId.name).sort(),
    tagIds: node.questionTagsByQuestionId.nodes.map((n) => n.tagByTagId.id),
  }));
}

function check(name, rows) {
  if (rows.length !== PAGE) fail(`${name}: expected ${PAGE} questions, got ${rows.length}`);
  rows.forEach((r, i) => {
    const where = `${name}: question #${i + 1}`;
    if (!r.id || !r.prompt || !Number.isInteger(r.difficulty)) fail(`${where} lacks id/prompt/difficulty`);
    if (!r.topic || !r.topicId) fail(`${where} has no topic`);
    if (!r.author || !r.authorId) fail(`${where} has no author displayName`);
    if (r.tagIds.some((id) => !id)) fail(`${where} has a tag without id`);
  });
  const tagged = rows.filter((r) => r.tags.length > 0).length;
  if (tagged === 0) fail(`${name}: no question carries a tag`);
  return tagged;
}

const agora = await post(agoraUrl, join(queriesDir, "agora.json"));
const pgl = await post(pglUrl, join(queriesDir, "postgraphile.json"));
const a = agoraRows(agora.json);
const p = pglRows(pgl.json);
const taggedA = check("agora", a);
check("postgraphile", p);

// Same questions, same order, same related data (tags compared as sets: Agora orders them by
// slug, PostGraphile by the join table's primary key).
const strip = ({ prompt, difficulty, topic, author, tags }) =>
  JSON.stringify({ prompt, difficulty, topic, author, tags });
a.forEach((row, i) => {
  if (strip(row) !== strip(p[i])) {
    fail(`question #${i + 1} differs:\n  agora:        ${strip(row)}\n  postgraphile: ${strip(p[i])}`);
  }
});
const tagLinks = a.reduce((n, r) => n + r.tags.length, 0);
console.error(
  `verify: OK: both return the same ${PAGE} questions in the same order ` +
    `(${new Set(a.map((r) => r.topic)).size} topics, ${new Set(a.map((r) => r.author)).size} authors, ` +
    `${taggedA} questions tagged, ${tagLinks} tag links); ` +
    `body bytes agora=${agora.bytes} postgraphile=${pgl.bytes}`,
);
console.log(`sizes agora=${agora.bytes} postgraphile=${pgl.bytes}`);
