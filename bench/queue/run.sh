#!/usr/bin/env bash
# bench/queue: enqueue and process no-op jobs through the durable queue,
# the same workload as the BullMQ peer (/work/shared/bench, bench/queue):
# WARMUP uncounted jobs, then JOBS jobs enqueued in batches of 1,000 per
# transaction (`travloc jobs enqueue --count`) while WORKERS worker
# processes of CONCURRENCY each consume them. Reports, per backend, the
# enqueue rate, the processing rate (first start to last completion) and
# the enqueue->start latency p50/p99 read back from the jobs table.
#
#   bench/queue/run.sh [sqlite|postgres ...]     (default: both)
#   BIN=build/travloc JOBS=100000 WORKERS=1 CONCURRENCY=8 REPEATS=3
#
# PostgreSQL: DATABASE_URL_BASE (postgres://user@host:port) must point at a
# server where the bench may create databases (scripts/services starts one).
# There each line also gives, for the measured part (enqueue + processing),
# transactions committed per job (pg_stat_database.xact_commit: includes
# read-only statements) and WAL syncs per job (pg_stat_wal.wal_sync,
# server-wide: the fsyncs that synchronous_commit waits for). When the
# server runs on this machine (and we may read its /proc entries) it also
# gives the CPU milliseconds per job spent by PostgreSQL (postmaster and
# all its backends, enqueuer's included) and by the worker processes:
# figures that, unlike jobs/s, hardly depend on what else the machine runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-build/travloc}
JOBS=${JOBS:-100000}
WARMUP=${WARMUP:-10000}
WORKERS=${WORKERS:-1}
CONCURRENCY=${CONCURRENCY:-8}
REPEATS=${REPEATS:-3}
backends=${*:-sqlite postgres}

now_ms() { date +%s%3N; }

# Cheap poll (an index probe, not the stats query): succeeds while jobs of
# queue $1 are still waiting or running. One short-lived travloc process,
# two only near the end, and no interpreter: the poll shares the machine
# with what it measures (a python3 start alone costs ~75 ms of CPU, and
# two every 0.2 s took more than a third of a core from the run).
busy() {
  local st p
  for p in "${pids[@]}"; do
    kill -0 "$p" 2>/dev/null || { echo "run.sh: worker $p died" >&2; exit 1; }
  done
  for st in waiting active; do
    J list --queue "$1" --state "$st" --limit 1 | grep -q '"items":\[\]' || return 0
  done
  return 1
}

# Commits in database $1, WAL syncs and WAL KiB server-wide (a worker's
# counters reach the views when it exits, hence read after the workers).
pgstats() {
  psql -qAt "$DATABASE_URL_BASE/postgres" -F ' ' -c "SELECT (SELECT xact_commit FROM pg_stat_database
    WHERE datname = '$1'), wal_sync, wal_bytes / 1024 FROM pg_stat_wal"
}

# CPU ticks (utime+stime) of processes $@ and, with -c, of their reaped
# children too; missing processes count 0.
ticks() {
  local kids=0
  [ "$1" = -c ] && { kids=1; shift; }
  local t=0 p f
  for p in "$@"; do
    f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    f=${f##*) }
    set -- $f
    t=$((t + ${12} + ${13}))
    [ $kids = 1 ] && t=$((t + ${14} + ${15}))
  done
  echo "$t"
}

# CPU ticks of the whole PostgreSQL server: the postmaster with its reaped
# children, plus every live child (backends, walwriter, checkpointer...).
pg_ticks() {
  [ -n "${PGMASTER:-}" ] || { echo 0; return; }
  local kids
  kids=$(ps -o pid= --ppid "$PGMASTER" 2>/dev/null | tr '\n' ' ')
  echo $(( $(ticks -c "$PGMASTER") + $(ticks $kids) ))
}

run_one() {
  local backend=$1 dir env=()
  dir=$(mktemp -d /tmp/travloc-qbench.XXXXXX)
  if [ "$backend" = postgres ]; then
    local db="qbench_$$_$RANDOM"
    psql -q "$DATABASE_URL_BASE/postgres" -c "CREATE DATABASE $db" >/dev/null
    env=(DATABASE_URL="$DATABASE_URL_BASE/$db")
    local bpid # the checkpointer lives as long as the server; its parent is the postmaster
    bpid=$(psql -qAt "$DATABASE_URL_BASE/postgres" -c "SELECT pid FROM pg_stat_activity
      WHERE backend_type = 'checkpointer'")
    PGMASTER=$(ps -o ppid= -p "$bpid" 2>/dev/null | tr -d ' ' || true)
    [ -r "/proc/${PGMASTER:-none}/stat" ] || PGMASTER=
  else
    env=(DATABASE_URL=)
  fi
  J() { env "${env[@]}" TRAVLOC_LOG_LEVEL=warn "$BIN" jobs "$@" --data-dir "$dir"; }
  J configure bench --keep-completed-count 100000000 >/dev/null
  J configure warm --keep-completed-count 100000000 >/dev/null
  local pids=()
  for _ in $(seq "$WORKERS"); do
    env "${env[@]}" TRAVLOC_LOG_LEVEL=warn "$BIN" worker --data-dir "$dir" \
      --concurrency "$CONCURRENCY" --poll-ms 20 &
    pids+=($!)
  done
  J enqueue --queue warm --type noop --count "$WARMUP" >/dev/null
  sleep 0.5
  while busy warm; do sleep 0.2; done
  local t0 t1 before="" after="" pg0 pg1 w0 w1
  if [ "$backend" = postgres ]; then before=$(pgstats "$db"); fi
  pg0=$(pg_ticks); w0=$(ticks "${pids[@]}")
  t0=$(now_ms)
  J enqueue --queue bench --type noop --count "$JOBS" >/dev/null
  t1=$(now_ms)
  while busy bench; do sleep 0.5; done
  pg1=$(pg_ticks); w1=$(ticks "${pids[@]}")
  for p in "${pids[@]}"; do kill -TERM "$p"; done
  wait "${pids[@]}" || true
  if [ "$backend" = postgres ]; then after=$(pgstats "$db"); fi
  J stats --queue bench | python3 -c "
import json, sys
s = json.load(sys.stdin)['completed']
print(json.dumps({'backend': '$backend', 'jobs': $JOBS, 'workers': $WORKERS, 'concurrency': $CONCURRENCY,
  'enqueue_jobs_per_s': round($JOBS * 1000 / max(1, $t1 - $t0)),
  'process_jobs_per_s': round(s['jobsPerSecond']),
  'start_latency_p50_ms': s['waitMs']['p50'], 'start_latency_p99_ms': s['waitMs']['p99'],
  'worker_cpu_ms_per_job': round(($w1 - $w0) * 1000 / $(getconf CLK_TCK) / $JOBS, 4),
  **({'pg_cpu_ms_per_job': round(($pg1 - $pg0) * 1000 / $(getconf CLK_TCK) / $JOBS, 4)} if $pg1 > 0 else {}),
  **dict((k, round((b - a) / $JOBS, 3)) for k, a, b in zip(('commits_per_job', 'wal_syncs_per_job', 'wal_kb_per_job'),
      [float(x) for x in '$before'.split()], [float(x) for x in '$after'.split()]))}))"
  rm -rf "$dir"
  if [ "$backend" = postgres ]; then psql -q "$DATABASE_URL_BASE/postgres" -c "DROP DATABASE $db" >/dev/null; fi
}

for b in $backends; do
  for _ in $(seq "$REPEATS"); do run_one "$b"; done
done
