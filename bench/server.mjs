// PostGraphile v5 in library mode on Node's own HTTP server (grafserv node adapter).
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import preset from "./postgraphile.config.mjs";

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
// Build the schema before listening, so the first request is not a schema build.
await pgl.getSchema();
const { host, port } = preset.grafserv;
server.listen(port, host, () => {
  console.log(`postgraphile ${process.env.NODE_ENV ?? ""} listening on http://${host}:${port}/graphql`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close();
    Promise.resolve(pgl.release()).finally(() => process.exit(0));
  });
}
