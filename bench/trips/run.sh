#!/usr/bin/env bash
# Trip benchmarks (issue 4) for travloc alone: GET /v1/trips/:id (trips of 5
# destinations and 20 activities, JWT checked) with ../shared/bench's
# load/trips.lua, and a sync pull of 1,000 changes, at CONNS connections,
# on SQLite and (when DATABASE_URL_BASE is set, e.g. from scripts/services)
# on PostgreSQL. The Express/Fastify/pgbench peers of the issue's targets
# run from ../shared/bench/run.sh on their own seed; compare there.
# Usage: bench/trips/run.sh   (env: TRAVLOC_BIN, DURATION=10, CONNS=64)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TRAVLOC_BIN:-$ROOT/build/travloc}
LOAD=${LOAD_SRC:-$ROOT/../shared/bench/load}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
RUN=$(mktemp -d /tmp/travloc-tripbench.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$RUN"; }
trap cleanup EXIT
cp "$LOAD/common.lua" "$LOAD/trips.lua" "$ROOT/bench/trips/sync_pull.lua" "$RUN/"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench_backend() { # label database_url
  local port; port=$(free_port)
  rm -rf "$RUN/data"
  TRAVLOC_PASSWORD_COST=min TRAVLOC_RATE_LIMIT=0 TRAVLOC_LOG_LEVEL=warn DATABASE_URL=$2 \
    "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$RUN/db-$1" >"$RUN/$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.05; done
  node "$ROOT/bench/trips/seed.mjs" "http://127.0.0.1:$port" "$RUN" >/dev/null
  for s in trips sync_pull; do
    LOAD_DIR=$RUN wrk -t2 -c"$CONNS" -d3s -s "$RUN/$s.lua" "http://127.0.0.1:$port" >/dev/null
    local j; j=$(LOAD_DIR=$RUN wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$RUN/$s.lua" "http://127.0.0.1:$port" | sed -n 's/^WRKJSON //p')
    echo "$1 $s $j"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

bench_backend sqlite ""
if [ -n "${DATABASE_URL_BASE:-}" ]; then
  db=tb_$$
  psql -q -h 127.0.0.1 -p "${TEST_PG_PORT}" -U postgres -d postgres -c "CREATE DATABASE $db"
  bench_backend postgres "$DATABASE_URL_BASE/$db"
fi
