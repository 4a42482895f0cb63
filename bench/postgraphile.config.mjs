// PostGraphile v5 configuration for the benchmark: the stock "amber" preset over the
// `public` schema of the benchmark database, production settings (no GraphiQL, no watch
// mode, no EXPLAIN), and a pg pool of PG_POOL_MAX connections (node-postgres default: 10).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("DATABASE_URL is required");

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.PG_POOL_MAX ?? 10) },
      // No LISTEN/NOTIFY client: the benchmark uses neither subscriptions nor watch mode.
      pubsub: false,
    }),
  ],
  grafserv: {
    host: process.env.HOST ?? "127.0.0.1",
    port: Number(process.env.PORT ?? 5678),
    graphqlPath: "/graphql",
    graphiql: false,
    watch: false,
    websockets: false,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
