#!/usr/bin/env bash
# Runs one `agora-bench` load generator against a fresh server: starts `agora serve
# --seed-demo` on a new PostgreSQL database and Redis key prefix, runs the generator with the
# server's URL (and PID, for its memory, where the generator reports it), stops the server.
#
#   bench/with-server.sh soak --minutes 30        # bench/README.md#soak
#   bench/with-server.sh overload                 # bench/README.md#overload
#   bench/with-server.sh battle --rooms 500       # bench/README.md#battle-rooms
#
# Settings (environment):
#   AGORA_BIN        agora binary (target/release/agora)
#   AGORA_BENCH_BIN  agora-bench binary (target/release/agora-bench)
#   BENCH_DB         database created (dropped first) and dropped at exit (agora_with_server)
#   BENCH_PORT       the server's port (18090)
#   SERVER_ARGS      more `agora serve` flags (e.g. "--max-in-flight 8 --request-queue 8")
#   PGHOST PGPORT PGUSER  PostgreSQL (127.0.0.1, 5432, postgres; trust auth assumed)
#   REDIS_URL        Redis (redis://127.0.0.1:6379)
#
# The server runs without per-address and per-user limits (one client sends everything from one
# address, and the figures are of the work), and without load shedding except for `overload`,
# which measures it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AGORA_BIN=${AGORA_BIN:-$ROOT/target/release/agora}
AGORA_BENCH_BIN=${AGORA_BENCH_BIN:-$ROOT/target/release/agora-bench}
BENCH_DB=${BENCH_DB:-agora_with_server}
BENCH_PORT=${BENCH_PORT:-18090}
generator=${1:?usage: bench/with-server.sh <agora-bench subcommand> [its arguments]}
shift
shedding="--max-in-flight 0"
pid_arg=()
case "$generator" in
  overload) shedding="" ;;
  soak|battle) pid_arg=(--server-pid) ;;
esac
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}

for bin in "$AGORA_BIN" "$AGORA_BENCH_BIN"; do
  [ -x "$bin" ] || { echo "missing $bin (cargo build --release -p agora-server -p agora-bench)"; exit 1; }
done
ulimit -n 20000 2>/dev/null || true

psql -qd postgres -c "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
log=$(mktemp)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  psql -qd postgres -c "DROP DATABASE IF EXISTS $BENCH_DB" >/dev/null 2>&1 || true
  rm -f "$log"
}
trap cleanup EXIT

media=$(mktemp -d)
DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$BENCH_DB" REDIS_URL="$REDIS_URL" \
  AGORA_REDIS_PREFIX="bench_$$" AGORA_BIND="127.0.0.1:$BENCH_PORT" AGORA_LOG_FORMAT=json \
  AGORA_JWT_SECRET="bench-secret-bench-secret-bench-secret-42" AGORA_LITERACY_MEDIA_DIR="$media" \
  RUST_LOG=warn "$AGORA_BIN" serve --seed-demo --migrate true --rate-limit-ip 0 \
  --rate-limit-user 0 --rate-limit-key 0 --rate-limit-auth 0 \
  --ws-connections-per-ip 0 $shedding ${SERVER_ARGS:-} >"$log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$BENCH_PORT/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "$server" 2>/dev/null || { echo "the server exited:"; cat "$log"; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$BENCH_PORT/readyz" >/dev/null || { echo "the server never got ready:"; tail -50 "$log"; exit 1; }

if [ ${#pid_arg[@]} -gt 0 ]; then pid_arg+=("$server"); fi
"$AGORA_BENCH_BIN" "$generator" --url "http://127.0.0.1:$BENCH_PORT" "${pid_arg[@]}" "$@"
if grep -q '"level":"ERROR"' "$log"; then
  echo "the server logged errors:"; grep '"level":"ERROR"' "$log" | head -20
fi
