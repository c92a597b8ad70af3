#!/usr/bin/env bash
# Trip benchmarks (issue 4), every side in one run, each system alone on the
# machine in turn (wrk -t2 -c$CONNS, 3 s warm-up, $DURATION s measured):
#   1. the Express and Fastify peers of ../shared/bench: GET /v1/trips/:id
#      (their seed: trips of 1-5 destinations; load/trips.lua), started here
#      on free ports against the bench PostgreSQL (services.sh must be up);
#   2. travloc on SQLite: GET /v1/trips/:id (trips of 5 destinations and
#      20 activities, JWT and session checked) and a sync pull of 1,000
#      changes (sync_pull.lua), data seeded through the API (seed.mjs);
#   3. travloc on PostgreSQL (a scratch database on the bench server), the
#      same two, then pgbench running the statements travloc's trip read
#      runs (pgbench_trip.sql, -M prepared, as many connections as
#      travloc's pool) on the same database; a second pgbench line
#      (pgbench_trip_full.sql) runs the uncached read (the per-request
#      statement + the full 26-row read), reported for honesty.
# Travloc rows also carry cpu_us: the server process's CPU time (user +
# system, /proc/PID/stat) per request of the measured run; the load
# average is printed at the end (the machine is shared).
# Prints every figure, then the ratios the issue sets bars for:
#   SQLite >= 10x Express req/s with p99 < 10 ms; PostgreSQL >= 2x Fastify
#   and >= 80 % of pgbench.
# Usage: bench/trips/run.sh   (env: TRAVLOC_BIN, DURATION=10, CONNS=64,
#        SHARED=../shared/bench, THREADS=2 (travloc loops), PG_POOL=4,
#        PG_PIPELINE=8 (statements pipelined per connection, 0: off),
#        SKIP="peers sqlite" to run only what is left)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TRAVLOC_BIN:-$ROOT/build/travloc}
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared/bench}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PG_POOL=${PG_POOL:-4}
PG_PIPELINE=${PG_PIPELINE:-8}
SKIP=${SKIP:-}
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
RUN=$(mktemp -d /tmp/travloc-tripbench.XXXXXX)
OUT=$RUN/results.txt
pid=
db=
# shellcheck disable=SC1091
. "$SHARED/env.sh"
PGSOCK="$RUN_DIR/pgsock"
admin() { psql -X -q -h "$PGSOCK" -p "$PG_PORT" -U postgres "$@"; }
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$db" ] && admin -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; }

# measure LABEL SCENARIO LOAD_DIR SCRIPT PORT: a warm-up, then one measured run.
measure() {
  LOAD_DIR=$3 nice -n 5 wrk -t2 -c"$CONNS" -d3s -s "$4" "http://127.0.0.1:$5" >/dev/null
  local c0; c0=$(cpu_ticks)
  local j; j=$(LOAD_DIR=$3 nice -n 5 wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$4" "http://127.0.0.1:$5" | sed -n 's/^WRKJSON //p')
  local c1; c1=$(cpu_ticks)
  if [ -n "$c0" ] && [ -n "$c1" ]; then # ticks of 1/CLK_TCK s over rps * DURATION requests
    j=$(node -e 'const j=JSON.parse(process.argv[1]);j.cpu_us=Math.round((process.argv[2]-process.argv[3])*1e6/process.argv[4]/(j.rps*process.argv[5]));console.log(JSON.stringify(j))' \
      "$j" "$c1" "$c0" "$(getconf CLK_TCK)" "$DURATION")
  fi
  echo "$1 $2 $j" | tee -a "$OUT"
}
# utime + stime of the server under test (travloc only; the peers are node).
cpu_ticks() { [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] && [ -n "${CPU_OF:-}" ] && awk '{print $14 + $15}' "/proc/$pid/stat" || true; }

pg_up=
if psql -X "$DATABASE_URL" -Atc "SELECT 1 FROM trips LIMIT 1" >/dev/null 2>&1; then pg_up=1; fi

# 1. The Node peers (their own seed and tokens: $SHARED/load/data).
if [ -n "$pg_up" ] && ! skip peers; then
  for peer in express fastify; do
    port=$(free_port)
    NODE_ENV=production PORT=$port WORKERS=1 node "$SHARED/peers/$peer/server.js" >"$RUN/$peer.log" 2>&1 &
    pid=$!
    wait_up "$port" || { echo "$peer did not start" >&2; cat "$RUN/$peer.log" >&2; exit 1; }
    measure "$peer" trips "$SHARED/load" "$SHARED/load/trips.lua" "$port"
    stop
  done
elif [ -z "$pg_up" ]; then
  echo "# bench PostgreSQL not reachable ($DATABASE_URL): run $SHARED/services.sh start; peers skipped" | tee -a "$OUT"
fi

# 2./3. travloc, seeded through its API.
mkdir -p "$RUN/load"
cp "$SHARED/load/common.lua" "$SHARED/load/trips.lua" "$ROOT/bench/trips/sync_pull.lua" "$RUN/load/"
travloc() { # label database_url
  local port; port=$(free_port)
  rm -rf "$RUN/data-$1" "$RUN/load/data"
  TRAVLOC_PASSWORD_COST=min TRAVLOC_RATE_LIMIT=0 TRAVLOC_LOG_LEVEL=warn DATABASE_URL=$2 \
    "$BIN" serve --listen "127.0.0.1:$port" --threads "$THREADS" --pg-pool "$PG_POOL" --pg-pipeline "$PG_PIPELINE" \
    --data-dir "$RUN/data-$1" >"$RUN/$1.log" 2>&1 &
  pid=$!
  wait_up "$port" || { echo "travloc ($1) did not start" >&2; cat "$RUN/$1.log" >&2; exit 1; }
  node "$ROOT/bench/trips/seed.mjs" "http://127.0.0.1:$port" "$RUN/load" >/dev/null
  CPU_OF=1 measure "travloc-$1" trips "$RUN/load" "$RUN/load/trips.lua" "$port"
  CPU_OF=1 measure "travloc-$1" sync_pull "$RUN/load" "$RUN/load/sync_pull.lua" "$port"
  stop
}
skip sqlite || travloc sqlite ""
if [ -n "$pg_up" ]; then
  db=travloc_tripbench_$$
  admin -d postgres -c "CREATE DATABASE $db OWNER $PG_USER"
  # The migrations' extensions need a superuser; create them up front.
  for ext in $(grep -rhoi 'CREATE EXTENSION IF NOT EXISTS [a-z_]*' "$ROOT/src/store/migrations/postgres" | awk '{print $NF}' | sort -u); do
    admin -d "$db" -c "CREATE EXTENSION IF NOT EXISTS $ext"
  done
  url="postgres://$PG_USER:$PG_PASS@127.0.0.1:$PG_PORT/$db"
  travloc postgres "$url"
  psql -X -q "$url" -c "CREATE TABLE bench_trip_ids (n int PRIMARY KEY, trip_id text, user_id text, session_id text)" \
    -c "\\copy bench_trip_ids FROM '$RUN/load/data/pgbench.tsv'" -c "ANALYZE bench_trip_ids"
  clients=$((THREADS * PG_POOL))
  # trips: what travloc runs per request (cached representation);
  # trips_full: the uncached read (a miss), for comparison.
  for f in trips:pgbench_trip.sql trips_full:pgbench_trip_full.sql; do
    nice -n 5 pgbench -n -M prepared -c "$clients" -j 2 -T 3 -f "$ROOT/bench/trips/${f#*:}" "$url" >/dev/null 2>&1
    nice -n 5 pgbench -n -M prepared -c "$clients" -j 2 -T "$DURATION" -f "$ROOT/bench/trips/${f#*:}" "$url" >"$RUN/pgbench.txt" 2>&1
    tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$RUN/pgbench.txt")
    lat=$(sed -n 's/^latency average = \([0-9.]*\).*/\1/p' "$RUN/pgbench.txt")
    echo "pgbench ${f%%:*} {\"rps\":$tps,\"mean_ms\":$lat,\"clients\":$clients}" | tee -a "$OUT"
  done
fi

echo
node - "$OUT" <<'JS'
const fs = require('fs');
const rows = {};
for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
  const m = line.match(/^(\S+) (\S+) (\{.*\})$/);
  if (m) rows[`${m[1]} ${m[2]}`] = JSON.parse(m[3]);
}
const f = (x) => (x == null ? '-' : Math.round(x).toLocaleString('en'));
const ms = (x) => (x == null ? '-' : x.toFixed(2));
console.log('| system | scenario | req/s | p50 ms | p99 ms | timeouts | CPU µs/req |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const [k, v] of Object.entries(rows)) {
  const [sys, sc] = k.split(' ');
  console.log(`| ${sys} | ${sc} | ${f(v.rps)} | ${ms(v.p50_ms ?? v.mean_ms)} | ${ms(v.p99_ms)} | ${v.errors?.timeout ?? '-'} | ${v.cpu_us ?? '-'} |`);
}
const r = (a, b) => (rows[a] && rows[b] ? rows[a].rps / rows[b].rps : null);
const bar = (name, x, need, extra = true) => console.log(
  `${name}: ${x == null ? 'n/a' : x.toFixed(2) + 'x'} (bar ${need}x) ${x == null ? '' : x >= need && extra ? 'PASS' : 'FAIL'}`);
console.log();
const sq = rows['travloc-sqlite trips'];
bar('SQLite trips / Express', r('travloc-sqlite trips', 'express trips'), 10, sq && sq.p99_ms < 10);
if (sq) console.log(`  SQLite trips p99 ${sq.p99_ms} ms (bar < 10 ms)`);
bar('PostgreSQL trips / Fastify', r('travloc-postgres trips', 'fastify trips'), 2);
bar('PostgreSQL trips / pgbench (same statements)', r('travloc-postgres trips', 'pgbench trips'), 0.8);
const full = r('travloc-postgres trips', 'pgbench trips_full');
if (full != null) console.log(`  (for comparison: PostgreSQL trips / pgbench of the uncached read ${full.toFixed(2)}x)`);
JS
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
