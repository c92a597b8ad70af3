#!/usr/bin/env bash
# make bench: the foundation's figures, with the peers measured in the same
# run on the same machine.
#
#   GET /health at 64 connections: travloc, nginx's fixed response (the
#     machine's ceiling), the Express and Fastify peers of ../shared/bench
#   a database read (GET /ready: one SELECT through the store) on SQLite and
#     on PostgreSQL
#   idle RSS, and the extra RSS of 10,000 idle keep-alive connections
#
# Each system runs alone on the machine: a WARMUP-second run (discarded),
# then REPEATS runs of DURATION seconds with wrk -t2 -c64; the median is
# reported. Output: a table on stdout and bench/results/foundation-DATE.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS_DIR:-$ROOT/../shared/bench}
REPEATS=${REPEATS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-64}
RUN=$(mktemp -d /tmp/travloc-bench.XXXXXX)
chmod 755 "$RUN" # PostgreSQL runs as the postgres user below it
BIN=${TRAVLOC_BIN:-$ROOT/build/travloc}
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$RUN/nginx/nginx.pid" ] && kill "$(cat "$RUN/nginx/nginx.pid")" 2>/dev/null || true
  [ -d "$RUN/svc" ] && "$ROOT/scripts/services" stop "$RUN/svc" >/dev/null 2>&1 || true
  rm -rf "$RUN"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 200); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "no answer from $1" >&2; return 1; }

# wrk_median URL -> "rps p99ms"
wrk_median() {
  local url=$1 out=()
  wrk -t2 -c"$CONNS" -d"${WARMUP}s" "$url" >/dev/null
  for _ in $(seq "$REPEATS"); do
    local txt rps p99
    txt=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$url")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$txt")
    p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$txt")
    out+=("$rps $p99")
  done
  printf '%s\n' "${out[@]}" | sort -n | awk -v n="$REPEATS" 'NR==int((n+1)/2) {print}'
}

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

start_travloc() { # label, extra env...
  local port; port=$(free_port)
  env "${@:2}" "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$RUN/data-$1" \
    >"$RUN/$1.log" 2>&1 &
  pids+=($!)
  TRAVLOC_PID=$!
  TRAVLOC_PORT=$port
  wait_http "http://127.0.0.1:$port/health"
}

declare -A RPS P99
record() { local r p; read -r r p <<<"$2"; RPS["$1"]=$r; P99["$1"]=$p; printf '%-28s %10.0f req/s   p99 %7.2f ms\n' "$1" "${RPS[$1]}" "${P99[$1]}"; }

ulimit -n 20000 2>/dev/null || true
[ -x "$BIN" ] || { echo "build first (make build)" >&2; exit 1; }

echo "== nginx ceiling"
mkdir -p "$RUN/nginx/logs" "$RUN/nginx/tmp"
NGINX_PORT=$(free_port)
sed "s/__PORT__/$NGINX_PORT/" "$PEERS/ceiling/nginx.conf" >"$RUN/nginx/nginx.conf"
nginx -e stderr -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf"
wait_http "http://127.0.0.1:$NGINX_PORT/health"
record "nginx /health" "$(wrk_median "http://127.0.0.1:$NGINX_PORT/health")"
kill "$(cat "$RUN/nginx/nginx.pid")"; sleep 0.5

echo "== travloc (SQLite)"
start_travloc sqlite
IDLE_RSS=$(rss_kib "$TRAVLOC_PID")
record "travloc /health" "$(wrk_median "http://127.0.0.1:$TRAVLOC_PORT/health")"
record "travloc /ready (SQLite)" "$(wrk_median "http://127.0.0.1:$TRAVLOC_PORT/ready")"
kill "$TRAVLOC_PID"; wait "$TRAVLOC_PID" 2>/dev/null || true

echo "== idle connections"
start_travloc idle
BEFORE=$(rss_kib "$TRAVLOC_PID")
node "$ROOT/bench/idle-conns.mjs" "$TRAVLOC_PORT" 10000 "$TRAVLOC_PID" >"$RUN/idle.txt"
cat "$RUN/idle.txt"
HELD=$(awk '/^held/ {print $2}' "$RUN/idle.txt")
AFTER=$(awk '/^rss_kib/ {print $2}' "$RUN/idle.txt")
kill "$TRAVLOC_PID"; wait "$TRAVLOC_PID" 2>/dev/null || true

echo "== travloc (PostgreSQL)"
"$ROOT/scripts/services" start "$RUN/svc" >/dev/null
# shellcheck disable=SC1091
. "$RUN/svc/env"
psql -q -h 127.0.0.1 -p "$TEST_PG_PORT" -U postgres -c 'CREATE DATABASE bench'
start_travloc pg DATABASE_URL="$DATABASE_URL_BASE/bench"
record "travloc /ready (PostgreSQL)" "$(wrk_median "http://127.0.0.1:$TRAVLOC_PORT/ready")"
kill "$TRAVLOC_PID"; wait "$TRAVLOC_PID" 2>/dev/null || true

for peer in express fastify; do
  echo "== $peer peer"
  cp -r "$PEERS/peers/$peer" "$RUN/$peer"
  chmod -R u+w "$RUN/$peer"
  (cd "$RUN/$peer" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  port=$(free_port)
  (cd "$RUN/$peer" && NODE_ENV=production PORT=$port DATABASE_URL="$DATABASE_URL_BASE/bench" \
    REDIS_URL="$REDIS_URL" JWT_SECRET=x node server.js >"$RUN/$peer.log" 2>&1) &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/health"
  record "$peer /health" "$(wrk_median "http://127.0.0.1:$port/health")"
  pkill -f "$RUN/$peer" 2>/dev/null || kill %% 2>/dev/null || true
  fuser -k "$port/tcp" >/dev/null 2>&1 || true
  sleep 0.5
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
EXTRA_MIB=$(awk -v a="$AFTER" -v b="$BEFORE" 'BEGIN {printf "%.1f", (a - b) / 1024}')
{
  echo "# Foundation benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(free -g | awk '/Mem:/ {print $2}') GiB."
  echo "wrk -t2 -c$CONNS, ${WARMUP} s warm-up, median of $REPEATS runs of ${DURATION} s; each system alone."
  echo
  echo "| system | req/s | p99 ms |"
  echo "|---|---:|---:|"
  for k in "nginx /health" "travloc /health" "express /health" "fastify /health" "travloc /ready (SQLite)" "travloc /ready (PostgreSQL)"; do
    printf '| %s | %.0f | %.2f |\n' "$k" "${RPS[$k]}" "${P99[$k]}"
  done
  echo
  echo "- travloc /health vs nginx: $(ratio "${RPS[travloc /health]}" "${RPS[nginx /health]}")x (bar: >= 0.70, p99 < 5 ms)"
  echo "- travloc /health vs Express: $(ratio "${RPS[travloc /health]}" "${RPS[express /health]}")x; vs Fastify: $(ratio "${RPS[travloc /health]}" "${RPS[fastify /health]}")x"
  echo "- idle RSS: $((IDLE_RSS / 1024)) MiB (bar: < 20 MiB)"
  echo "- $HELD idle keep-alive connections: +$EXTRA_MIB MiB RSS (bar: < 50 MiB)"
} | tee "$RESULTS/foundation-$(date -u +%Y%m%d-%H%M).md"
