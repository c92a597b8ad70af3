// What the queue's throughput work changed, seen from outside:
// - the worker's own VACUUM of the jobs table (PostgreSQL; a no-op setting
//   on SQLite): with --vacuum-every 1 every claim is followed by a VACUUM
//   on a second connection while the worker goes on claiming; two such
//   workers (their VACUUMs overlap, SKIP_LOCKED) still run every job
//   exactly once, and stop cleanly with a VACUUM possibly in flight;
// - bulk enqueue (one INSERT per batch of 1,000 on PostgreSQL): every job
//   stored with its spec, batches split at 1,000, and a rolled-back batch
//   leaves nothing;
// - lists and purges of end states after jobs_by_state gave way to a
//   partial index (PostgreSQL migration 0015).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isPostgres } from './lib/harness.mjs';
import { queueDb, jobs, listAll, getJob, waitFor, startWorker, testLog } from './lib/queue.mjs';

test('workers vacuuming the jobs table after every claim run each job exactly once', async () => {
  const db = queueDb();
  const log = path.join(mkdtempSync(path.join(tmpdir(), 'travloc-qvac-')), 'jobs.log');
  const env = { TRAVLOC_QUEUE_TEST_LOG: log, TRAVLOC_LOG_LEVEL: 'debug' };
  const w1 = await startWorker(db, ['--concurrency', '4', '--vacuum-every', '1'], env);
  const w2 = await startWorker(db, ['--concurrency', '4', '--vacuum-every', '1'], env);
  try {
    const out = await jobs(db, ['enqueue', '--type', 'noop', '--queue', 'vac', '--count', '300',
      '--payload', '{"ms":2}']);
    const ids = out.jobs.map((j) => j.id);
    await waitFor('300 jobs', async () => (await listAll(db, 'vac', 'completed')).length === 300);
    const starts = new Map();
    for (const l of testLog(log).filter((x) => x.what === 'start')) starts.set(l.id, (starts.get(l.id) || 0) + 1);
    for (const id of ids) assert.equal(starts.get(id), 1, `job ${id} ran once`);
    const done = await listAll(db, 'vac', 'completed');
    assert.ok(done.every((j) => j.attempts === 1 && j.stalls === 0));
  } finally {
    await w1.stop();
    await w2.stop();
  }
  const vacuumed = /"msg":"jobs table vacuumed"/;
  if (isPostgres) assert.ok(vacuumed.test(w1.logs + w2.logs), 'a worker vacuumed the table');
  else assert.ok(!vacuumed.test(w1.logs + w2.logs), 'SQLite has nothing to vacuum');
});

test('an admin list by end state still finds failed and cancelled jobs (partial index)', async () => {
  const db = queueDb();
  const failed = (await jobs(db, ['enqueue', '--type', 'noop', '--queue', 'ends', '--payload', '{"fatal":true}'])).jobs[0].id;
  const cancelled = (await jobs(db, ['enqueue', '--type', 'noop', '--queue', 'ends', '--delay-ms', '600000'])).jobs[0].id;
  await jobs(db, ['cancel', cancelled]);
  const w = await startWorker(db);
  try {
    await waitFor('the failed job', async () => (await listAll(db, 'ends', 'failed')).length === 1);
  } finally {
    await w.stop();
  }
  assert.deepEqual((await listAll(db, 'ends', 'failed')).map((j) => j.id), [failed]);
  assert.deepEqual((await listAll(db, 'ends', 'cancelled')).map((j) => j.id), [cancelled]);
  const purged = await jobs(db, ['purge', '--queue', 'ends', '--state', 'failed']);
  assert.equal(purged.deleted, 1);
  assert.deepEqual(await listAll(db, 'ends', 'failed'), []);
  assert.equal((await listAll(db, 'ends', 'cancelled')).length, 1);
});

test('a bulk enqueue stores every job with its spec, across batches, and rolls back whole', async () => {
  const db = queueDb();
  const rolled = await jobs(db, ['enqueue', '--type', 'noop', '--queue', 'bulk', '--count', '1500',
    '--rollback', '--marker', 'b1']);
  assert.equal(rolled.rolledBack, true);
  assert.deepEqual(await listAll(db, 'bulk'), [], 'a rolled-back batch leaves no job');
  const out = await jobs(db, ['enqueue', '--type', 'noop', '--queue', 'bulk', '--count', '1001',
    '--payload', '{"ms":1,"tag":"x"}', '--priority', '7', '--delay-ms', '600000', '--max-attempts', '5',
    '--backoff', 'fixed', '--backoff-ms', '250', '--timeout-ms', '900']);
  assert.equal(out.count, 1001);
  const all = await listAll(db, 'bulk');
  assert.equal(all.length, 1001);
  assert.equal(new Set(all.map((j) => j.id)).size, 1001, 'distinct ids');
  for (const j of all) {
    assert.equal(j.state, 'delayed');
    assert.equal(j.type, 'noop');
    assert.deepEqual(j.payload, { ms: 1, tag: 'x' });
    assert.equal(j.priority, 7);
    assert.equal(j.maxAttempts, 5);
    assert.deepEqual(j.backoff, { type: 'fixed', delayMs: 250 });
    assert.equal(j.timeoutMs, 900);
    assert.equal(j.dedupeKey, null);
  }
  const small = await jobs(db, ['enqueue', '--type', 'noop', '--queue', 'bulk2', '--count', '3']);
  assert.equal(small.jobs.length, 3);
  for (const { id, deduplicated } of small.jobs) {
    assert.equal(deduplicated, false);
    assert.equal((await getJob(db, id)).state, 'waiting');
  }
});
