#!/usr/bin/env bash
# HTTP nearby benchmark, Travloc and the Express peer side by side in one run.
#
# Seeds N (default 1,000,000) synthetic places uniformly over a 2*HALF_KM
# square (default 25: 50 x 50 km) around Lisbon with bench/geo/seed-osm.mjs,
# which writes the same places three ways: an .osm file that
# `travloc import-osm` loads (SQLite), a CSV for the peer's PostgreSQL table
# and GEOADD commands for the peer's Redis key places:geo. The peer is the
# Express server of ../shared/bench/peers/express (Redis GEOSEARCH + one
# PostgreSQL query; copied into a temporary folder and `npm ci`-ed there),
# on a throwaway PostgreSQL + Redis from scripts/services.
#
# Each system is loaded alone with the same wrk parameters (the peer
# README's load shape: wrk -t2 -c64, 3 s warm-up, then 10 s measured) and
# the same request stream (bench/geo/nearby.lua: nearest LIMIT=20 within
# RADIUS_M, points uniform in the box). Prints both figures, server CPU
# per request, and the ratio, for each radius in RADII (default "1000").
#
# Usage: bench/geo/http-nearby.sh [path/to/travloc]   (default build/travloc,
# a release build). Environment: N, HALF_KM, RADII, DURATION (10s),
# PEER (path of the peer folder), PORT / PEER_PORT.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
bin=$(realpath "${1:-build/travloc}")
N=${N:-1000000}
HALF_KM=${HALF_KM:-25}
RADII=${RADII:-1000}
DURATION=${DURATION:-10s}
PEER=${PEER:-$repo/../shared/bench/peers/express}
port=${PORT:-18777}
peer_port=${PEER_PORT:-18778}
work=$(mktemp -d /tmp/travloc-nearby.XXXXXX)
svc=$(mktemp -d /tmp/travloc-nearby-svc.XXXXXX) # PostgreSQL runs as its own user: own folder
pid= ppid_=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  [ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null
  wait 2>/dev/null || true
  scripts/services stop "$svc" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== seeding $N places over $((2 * HALF_KM)) x $((2 * HALF_KM)) km"
mkdir -p "$work/peer-data"
HALF_KM=$HALF_KM PEER_DIR="$work/peer-data" node bench/geo/seed-osm.mjs "$work/lisbon.osm" "$N"

echo "== travloc: import-osm"
"$bin" import-osm "$work/lisbon.osm" --data-dir "$work/data" | sed -n '1,3p;$p'

echo "== peer: PostgreSQL + Redis + Express ($PEER)"
scripts/services start "$svc" >/dev/null
# shellcheck disable=SC1091
. "$svc/env"
pgurl="$DATABASE_URL_BASE/nearby"
psql -X -q "$DATABASE_URL_BASE/postgres" -c "CREATE DATABASE nearby"
psql -X -q "$pgurl" -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE places (id bigint PRIMARY KEY, name text NOT NULL, category text NOT NULL,
                     lat double precision NOT NULL, lng double precision NOT NULL);
\copy places FROM '$work/peer-data/places.csv' WITH (FORMAT csv)
VACUUM ANALYZE places;
SQL
redis_port=${REDIS_URL##*:}
redis-cli -p "$redis_port" --pipe <"$work/peer-data/geo.resp" | tail -1
echo "peer: $(psql -X -At "$pgurl" -c 'SELECT count(*) FROM places') rows in PostgreSQL," \
  "$(redis-cli -p "$redis_port" zcard places:geo) in Redis"
mkdir -p "$work/peer"
cp "$PEER/server.js" "$PEER/package.json" "$PEER/package-lock.json" "$work/peer/"
(cd "$work/peer" && npm ci --no-audit --no-fund --prefer-offline >/dev/null)

# Server CPU time (user + system, clock ticks) of a process and its children.
cpu() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
wait_up() {
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.1; done
  echo "server on port $1 did not start" >&2
  return 1
}
# run NAME PORT PID RADIUS: warm-up, then the measured run; prints one line
# and sets $rps.
run() {
  local name=$1 p=$2 spid=$3 r=$4 out c0 c1 n
  RADIUS_M=$r HALF_KM=$HALF_KM wrk -t2 -c64 -d3s -s bench/geo/nearby.lua "http://127.0.0.1:$p" >/dev/null
  c0=$(cpu "$spid")
  out=$(RADIUS_M=$r HALF_KM=$HALF_KM wrk -t2 -c64 -d"$DURATION" -s bench/geo/nearby.lua \
    "http://127.0.0.1:$p" | grep WRKJSON)
  c1=$(cpu "$spid")
  n=$(echo "$out" | sed 's/.*"requests":\([0-9]*\).*/\1/')
  rps=$(echo "$out" | sed 's/.*"rps":\([0-9.]*\).*/\1/')
  awk -v name="$name" -v j="${out#WRKJSON }" -v d=$((c1 - c0)) -v hz="$hz" -v n="$n" \
    'BEGIN { printf "%-8s %s  server CPU %.1f us/request\n", name, j, d / hz / n * 1e6 }'
}

# Travloc alone (the peer is not started yet; PostgreSQL and Redis idle).
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$work/data" --rate-limit 0 --access-log 0 \
  --log-level warn >"$work/server.log" 2>&1 &
pid=$!
wait_up "$port"
echo "travloc RSS after load: $(ps -o rss= -p "$pid") KiB"
declare -A travloc_rps
for r in $RADII; do
  echo "== radius $r m, nearest 20, wrk -t2 -c64 -d$DURATION"
  run travloc "$port" "$pid" "$r"
  travloc_rps[$r]=$rps
done
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=

# The peer alone.
(cd "$work/peer" && NODE_ENV=production PORT=$peer_port JWT_SECRET=bench-only \
  DATABASE_URL=$pgurl REDIS_URL=$REDIS_URL exec node server.js >"$work/peer.log" 2>&1) &
ppid_=$!
wait_up "$peer_port"
for r in $RADII; do
  echo "== radius $r m (peer)"
  run express "$peer_port" "$ppid_" "$r"
  awk -v a="${travloc_rps[$r]}" -v b="$rps" -v r="$r" \
    'BEGIN { printf "ratio at %s m: travloc %.0f req/s / express %.0f req/s = %.1fx\n", r, a, b, a / b }'
done
