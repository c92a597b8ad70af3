#!/usr/bin/env bash
# Message send benchmark (issue 8), every side in one run, each system alone
# on the machine in turn (wrk -t2 -c$CONNS, 3 s warm-up, $DURATION s):
#   1. the Express and Fastify peers of ../shared/bench: POST
#      /v1/conversations/:id/messages (INSERT ... RETURNING + socket.io emit;
#      load/messages.lua), on the bench PostgreSQL (services.sh must be up);
#   2. travloc on SQLite and 3. on PostgreSQL (a scratch database on the
#      bench server): POST /v1/messages/conversations/:id (membership check,
#      seq allocation, INSERT, sender position, commit, ordered publish of
#      message:new), 1,000 group conversations of 5 members seeded through
#      the API (seed.mjs), a random member of a random conversation per send.
# Prints every figure and travloc's ratio to the better peer.
# Usage: bench/messages/run.sh   (env: TRAVLOC_BIN, DURATION=10, CONNS=64,
#        SHARED=../shared/bench, THREADS=2, PG_POOL=4)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TRAVLOC_BIN:-$ROOT/build/travloc}
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared/bench}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PG_POOL=${PG_POOL:-4}
RUN=$(mktemp -d /tmp/travloc-msgbench.XXXXXX)
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

measure() { # LABEL LOAD_DIR SCRIPT PORT
  LOAD_DIR=$2 nice -n 5 wrk -t2 -c"$CONNS" -d3s -s "$3" "http://127.0.0.1:$4" >/dev/null
  local j; j=$(LOAD_DIR=$2 nice -n 5 wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$3" "http://127.0.0.1:$4" | sed -n 's/^WRKJSON //p')
  echo "$1 messages $j" | tee -a "$OUT"
}

pg_up=
if psql -X "$DATABASE_URL" -Atc "SELECT 1 FROM messages LIMIT 1" >/dev/null 2>&1; then pg_up=1; fi
if [ -n "$pg_up" ]; then
  for peer in express fastify; do
    psql -X -q "$DATABASE_URL" -c "TRUNCATE messages" >/dev/null 2>&1 || true
    port=$(free_port)
    NODE_ENV=production PORT=$port WORKERS=1 node "$SHARED/peers/$peer/server.js" >"$RUN/$peer.log" 2>&1 &
    pid=$!
    wait_up "$port" || { echo "$peer did not start" >&2; cat "$RUN/$peer.log" >&2; exit 1; }
    measure "$peer" "$SHARED/load" "$SHARED/load/messages.lua" "$port"
    stop
  done
else
  echo "# bench PostgreSQL not reachable ($DATABASE_URL): run $SHARED/services.sh start; peers skipped" | tee -a "$OUT"
fi

mkdir -p "$RUN/load"
cp "$SHARED/load/common.lua" "$ROOT/bench/messages/send.lua" "$RUN/load/"
travloc() { # label database_url
  local port; port=$(free_port)
  rm -rf "$RUN/data-$1" "$RUN/load/data"
  TRAVLOC_PASSWORD_COST=min TRAVLOC_RATE_LIMIT=0 TRAVLOC_LOG_LEVEL=warn DATABASE_URL=$2 \
    "$BIN" serve --listen "127.0.0.1:$port" --threads "$THREADS" --pg-pool "$PG_POOL" \
    --data-dir "$RUN/data-$1" >"$RUN/$1.log" 2>&1 &
  pid=$!
  wait_up "$port" || { echo "travloc ($1) did not start" >&2; cat "$RUN/$1.log" >&2; exit 1; }
  node "$ROOT/bench/messages/seed.mjs" "http://127.0.0.1:$port" "$RUN/load" >/dev/null
  measure "travloc-$1" "$RUN/load" "$RUN/load/send.lua" "$port"
  stop
}
travloc sqlite ""
if [ -n "$pg_up" ]; then
  db=travloc_msgbench_$$
  admin -d postgres -c "CREATE DATABASE $db OWNER $PG_USER"
  # The places migration needs extensions only a superuser may create.
  admin -d "$db" -c "CREATE EXTENSION IF NOT EXISTS unaccent" -c "CREATE EXTENSION IF NOT EXISTS postgis"
  travloc postgres "postgres://$PG_USER:$PG_PASS@127.0.0.1:$PG_PORT/$db"
fi

echo
node - "$OUT" <<'JS'
const fs = require('fs');
const rows = {};
for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
  const m = line.match(/^(\S+) (\S+) (\{.*\})$/);
  if (m) rows[m[1]] = JSON.parse(m[3]);
}
const f = (x) => (x == null ? '-' : Math.round(x).toLocaleString('en'));
const ms = (x) => (x == null ? '-' : x.toFixed(2));
console.log('| system | sends/s | p50 ms | p99 ms | non-2xx | timeouts |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [k, v] of Object.entries(rows)) {
  console.log(`| ${k} | ${f(v.rps)} | ${ms(v.p50_ms)} | ${ms(v.p99_ms)} | ${v.errors.status} | ${v.errors.timeout} |`);
}
const best = Math.max(rows.express?.rps ?? 0, rows.fastify?.rps ?? 0);
for (const k of ['travloc-sqlite', 'travloc-postgres']) {
  if (rows[k] && best) console.log(`${k} / best peer: ${(rows[k].rps / best).toFixed(2)}x`);
}
JS
