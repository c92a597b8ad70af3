#!/usr/bin/env bash
# HTTP nearby benchmark: seeds 100,000 synthetic places around Lisbon (the
# peer's workload, bench/geo/seed-osm.mjs), imports them with
# `travloc import-osm`, serves on SQLite and loads GET /v1/places/nearby with
# wrk -t2 -c64 (3 s warm-up, then 10 s; the peer's load shape), r = 1000 m and
# 250 m. Usage: bench/geo/http-nearby.sh [path/to/travloc] (default build/travloc,
# a release build). Results go to stdout as WRKJSON lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/travloc}
work=$(mktemp -d /tmp/travloc-nearby.XXXXXX)
port=${PORT:-18777}
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
node bench/geo/seed-osm.mjs "$work/lisbon.osm" "${N:-100000}"
"$bin" import-osm "$work/lisbon.osm" --data-dir "$work/data" | sed -n '1,3p'
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$work/data" --rate-limit 0 --access-log 0 \
  --log-level warn >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
echo "server RSS after load: $(ps -o rss= -p "$pid") KiB"
# Server CPU time (user + system, clock ticks) so that the cost per request
# can be read even when other work shares the cores.
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
for r in 1000 250; do
  RADIUS_M=$r wrk -t2 -c64 -d3s -s bench/geo/nearby.lua "http://127.0.0.1:$port" >/dev/null
  echo "radius $r m:"
  c0=$(cpu)
  out=$(RADIUS_M=$r wrk -t2 -c64 -d10s -s bench/geo/nearby.lua "http://127.0.0.1:$port" | grep WRKJSON)
  c1=$(cpu)
  echo "$out"
  n=$(echo "$out" | sed 's/.*"requests":\([0-9]*\).*/\1/')
  awk -v d=$((c1 - c0)) -v hz="$hz" -v n="$n" \
    'BEGIN { printf "server CPU: %.1f s, %.1f us per request\n", d / hz, d / hz / n * 1e6 }'
done
