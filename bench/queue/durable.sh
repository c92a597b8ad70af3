#!/usr/bin/env bash
# bench/queue/durable.sh: Travloc's queue on PostgreSQL versus BullMQ on
# Redis, both DURABLE, in one run, side by side:
#   - PostgreSQL 15 with fsync=on, synchronous_commit=on, full_page_writes=on
#     (a committed job survives power loss), Travloc workload = run.sh
#   - Redis with appendonly yes + appendfsync always (every write fsync'd
#     before the reply), BullMQ workload = the peer's bullmq-bench.js 1x8
# Both get the same JOBS (default 100,000) no-op jobs after WARMUP, one
# worker process of concurrency 8, REPEATS runs, medians; the last line is
# the ratio Travloc / BullMQ for processing jobs/s. Also printed: the
# commits and WAL syncs (fsyncs) per job on PostgreSQL, the CPU per job of
# PostgreSQL and of the worker (load-independent, unlike jobs/s), and (unless
# BULL_DEFAULT=0) BullMQ on a second Redis with default settings (no AOF;
# RDB snapshots as shipped), the non-durable reference.
#
#   BIN=build/travloc bench/queue/durable.sh
#   JOBS=20000 REPEATS=1 bench/queue/durable.sh        (a quick look)
#   PEER=../shared/bench/queue  PEER_MODULES=/path/with/node_modules
#
# Starts its own PostgreSQL and Redis on free ports in a temporary folder
# and stops them (by pid) on exit. Measure on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-build/travloc}
JOBS=${JOBS:-100000}
WARMUP=${WARMUP:-10000}
CONCURRENCY=${CONCURRENCY:-8}
REPEATS=${REPEATS:-3}
PEER=${PEER:-../shared/bench/queue}
export JOBS WARMUP REPEATS CONCURRENCY BIN

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

work=$(mktemp -d /tmp/travloc-durable.XXXXXX)
chmod 755 "$work"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgport=$(free_port)
rport=$(free_port)
rport2=$(free_port)
cleanup() {
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null || true
  [ -f "$work/redis2.pid" ] && kill "$(cat "$work/redis2.pid")" 2>/dev/null || true
  [ -d "$work/pg/data" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# ---- the BullMQ peer's dependencies (npm ci into the temporary folder) ----
mkdir -p "$work/peer"
cp "$PEER/package.json" "$PEER/package-lock.json" "$PEER/bullmq-bench.js" "$work/peer/"
if [ -n "${PEER_MODULES:-}" ]; then
  ln -s "$PEER_MODULES/node_modules" "$work/peer/node_modules"
else
  (cd "$work/peer" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1)
fi

# ---- durable Redis ----
mkdir -p "$work/redis"
redis-server --bind 127.0.0.1 --port "$rport" --dir "$work/redis" --save '' \
  --appendonly yes --appendfsync always --pidfile "$work/redis.pid" \
  --logfile "$work/redis.log" --daemonize yes
for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
if [ "${BULL_DEFAULT:-1}" != 0 ]; then
  mkdir -p "$work/redis2"
  redis-server --bind 127.0.0.1 --port "$rport2" --dir "$work/redis2" --pidfile "$work/redis2.pid" \
    --logfile "$work/redis2.log" --daemonize yes
  for _ in $(seq 50); do redis-cli -p "$rport2" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# ---- durable PostgreSQL ----
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 >"$work/initdb.log" 2>&1
as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 60 \
  -o "-p $pgport -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=200" \
  start >/dev/null
psql -qAt -h 127.0.0.1 -p "$pgport" -U postgres -d postgres \
  -c "SELECT 'postgres: fsync=' || current_setting('fsync') || ' synchronous_commit=' || current_setting('synchronous_commit')" >&2
echo "redis: appendonly=$(redis-cli -p "$rport" config get appendonly | tail -1) appendfsync=$(redis-cli -p "$rport" config get appendfsync | tail -1)" >&2

# ---- the runs: BullMQ first, then Travloc, same machine, same run ----
echo "bullmq (1 worker x $CONCURRENCY, $JOBS jobs, median of $REPEATS)..." >&2
REDIS_URL="redis://127.0.0.1:$rport" VARIANTS="1x$CONCURRENCY" node "$work/peer/bullmq-bench.js" \
  > "$work/bullmq.txt"
: > "$work/bullmq-default.txt"
if [ "${BULL_DEFAULT:-1}" != 0 ]; then
  echo "bullmq on a default (non-AOF) redis..." >&2
  REDIS_URL="redis://127.0.0.1:$rport2" VARIANTS="1x$CONCURRENCY" node "$work/peer/bullmq-bench.js" \
    > "$work/bullmq-default.txt"
fi
echo "travloc on postgres (1 worker x $CONCURRENCY, $JOBS jobs, $REPEATS runs)..." >&2
DATABASE_URL_BASE="postgres://postgres@127.0.0.1:$pgport" bench/queue/run.sh postgres \
  > "$work/travloc.txt"

python3 - "$work/bullmq.txt" "$work/travloc.txt" "$work/bullmq-default.txt" <<'EOF'
import json, statistics, sys
bull = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')][0]
runs = [json.loads(l) for l in open(sys.argv[2]) if l.startswith('{')]
plain = [json.loads(l) for l in open(sys.argv[3]) if l.startswith('{')]
med = lambda k: statistics.median(r[k] for r in runs)
t = {k: med(k) for k in ('enqueue_jobs_per_s', 'process_jobs_per_s', 'start_latency_p50_ms', 'start_latency_p99_ms')}
print('| durable queue | enqueue jobs/s | processing jobs/s | start p50 / p99 (ms) |')
print('|---|---:|---:|---:|')
print(f"| BullMQ on Redis (AOF, appendfsync always) | {bull['enqueue_jobs_per_s']:,} | {bull['process_jobs_per_s']:,} | {bull['start_latency_p50_ms']} / {bull['start_latency_p99_ms']} |")
print(f"| Travloc on PostgreSQL (fsync, synchronous_commit on) | {round(t['enqueue_jobs_per_s']):,} | {round(t['process_jobs_per_s']):,} | {t['start_latency_p50_ms']} / {t['start_latency_p99_ms']} |")
if plain:
    p = plain[0]
    print(f"| BullMQ on Redis (default: no AOF, not durable) | {p['enqueue_jobs_per_s']:,} | {p['process_jobs_per_s']:,} | {p['start_latency_p50_ms']} / {p['start_latency_p99_ms']} |")
if 'wal_syncs_per_job' in runs[0]:
    print(f"postgres per job (median): {med('commits_per_job')} commits (incl. read-only), "
          f"{med('wal_syncs_per_job')} WAL syncs, {med('wal_kb_per_job')} KiB WAL")
if 'pg_cpu_ms_per_job' in runs[0]:
    print(f"CPU per job (median): postgres {med('pg_cpu_ms_per_job')} ms (all backends, enqueue "
          f"included), travloc worker {med('worker_cpu_ms_per_job')} ms")
ratio = t['process_jobs_per_s'] / max(1, bull['process_jobs_per_s'])
print(f"processing ratio Travloc/BullMQ: {ratio:.2f} (bar: >= 0.50); jobs {runs[0]['jobs']}, runs {len(runs)}")
if plain:
    print(f"processing ratio Travloc (durable) / BullMQ (default Redis): {t['process_jobs_per_s'] / max(1, plain[0]['process_jobs_per_s']):.2f}")
EOF
