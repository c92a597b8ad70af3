#!/usr/bin/env bash
# Accounts benchmark (issue 3):
#   1. authenticated GET /v1/users/profile (JWT check + session lookup +
#      one user row), wrk -t2 -c64, on SQLite and PostgreSQL;
#   2. login throughput at the production Argon2id cost (64 MiB, t=2),
#      wrk -t1 -c8 on POST /v1/auth/login, while a second wrk measures
#      GET /v1/users/profile at -c4: its p99 shows whether logins starve
#      other requests (Argon2 runs on the thread pool, not the loops).
# Output: a table on stdout and bench/results/accounts-DATE.md. The Express
# peer's figures come from ../shared/bench (run it in the same session to
# compare: its closest route is GET /v1/trips/:id, a JWT check and one row).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TRAVLOC_BIN:-$ROOT/build/travloc}
DURATION=${DURATION:-10}
RUN=$(mktemp -d /tmp/travloc-accbench.XXXXXX)
chmod 755 "$RUN"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -d "$RUN/svc" ] && "$ROOT/scripts/services" stop "$RUN/svc" >/dev/null 2>&1 || true
  rm -rf "$RUN"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 200); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }
# wrk output -> "rps p99ms"
summ() {
  awk '/Requests\/sec/ {r=$2} $1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p=v} END {print r, p}'
}
EMAIL=wrk.user@example.com
PASSWORD=Load-Test-Secret-2026

start() { # label, extra env...
  PORT=$(free_port)
  env "${@:2}" TRAVLOC_ACCESS_LOG=0 TRAVLOC_RATE_LIMIT=0 TRAVLOC_ACCESS_TTL_S=3600 "$BIN" serve \
    --listen "127.0.0.1:$PORT" --data-dir "$RUN/data-$1" >"$RUN/$1.log" 2>&1 &
  pids+=($!)
  PID=$!
  wait_http "http://127.0.0.1:$PORT/health"
  TOKEN=$(curl -fsS -H 'content-type: application/json' "http://127.0.0.1:$PORT/v1/auth/signup" \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"firstName\":\"Bench\",\"lastName\":\"User\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
}

declare -A R
measure() { # label backend
  local url="http://127.0.0.1:$PORT"
  wrk -t2 -c64 -d3s -H "Authorization: Bearer $TOKEN" "$url/v1/users/profile" >/dev/null
  R["profile $2"]=$(wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "$url/v1/users/profile" | summ)
  EMAIL=$EMAIL PASSWORD=$PASSWORD wrk -t1 -c8 -d"${DURATION}s" --latency -s "$ROOT/bench/accounts/login.lua" "$url/v1/auth/login" >"$RUN/login.txt" &
  local w=$!
  R["profile during logins $2"]=$(wrk -t1 -c4 -d"$((DURATION - 1))s" --latency -H "Authorization: Bearer $TOKEN" "$url/v1/users/profile" | summ)
  wait "$w"
  R["logins $2"]=$(summ <"$RUN/login.txt")
  kill "$PID"; wait "$PID" 2>/dev/null || true
}

start sqlite
measure sqlite SQLite
"$ROOT/scripts/services" start "$RUN/svc" >/dev/null
# shellcheck disable=SC1091
. "$RUN/svc/env"
psql -q -h 127.0.0.1 -p "$TEST_PG_PORT" -U postgres -c 'CREATE DATABASE bench'
start pg DATABASE_URL="$DATABASE_URL_BASE/bench"
measure pg PostgreSQL

{
  echo "# Accounts benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'). ${DURATION} s runs."
  echo
  echo "| measurement | req/s | p99 ms |"
  echo "|---|---:|---:|"
  for k in "profile SQLite" "profile PostgreSQL" "logins SQLite" "logins PostgreSQL" \
           "profile during logins SQLite" "profile during logins PostgreSQL"; do
    read -r rps p99 <<<"${R[$k]}"
    printf '| %s | %.0f | %.2f |\n' "$k" "$rps" "$p99"
  done
} | tee "$ROOT/bench/results/accounts-$(date -u +%Y%m%d-%H%M).md"
