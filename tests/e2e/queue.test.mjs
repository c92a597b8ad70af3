// Job queue: enqueue and its validation, atomic enqueue inside a rolled-back
// transaction, dedupe keys, priority and delay ordering, retries and
// dead-lettering, retry/cancel/purge, timeouts, progress, pause/resume and
// retention, through `travloc jobs` and standalone `travloc worker`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './lib/harness.mjs';
import {
  queueDb, jobs, enqueue, listAll, getJob, waitFor, waitJobs, startWorker,
} from './lib/queue.mjs';

test('enqueue validates its input and changes nothing when it is bad', async () => {
  const db = queueDb();
  const bad = [
    [['--type', 'noop', '--queue', 'Bad Queue'], 1, /invalid_job.*|queue/],
    [['--type', 'no/op'], 1, /type/],
    [['--type', 'noop', '--dedupe-key', ''], 1, /dedupeKey/],
    [['--type', 'noop', '--priority', '5000'], 2, /priority/],
    [['--type', 'noop', '--payload', '"a string"'], 2, /payload/],
    [['--queue', 'q'], 2, /--type/],
  ];
  for (const [args, code, re] of bad) {
    const r = await jobs(db, ['enqueue', ...args], { expectCode: code });
    assert.match(r.stderr, re);
  }
  const notJson = await jobs(db, ['enqueue', '--type', 'noop', '--payload', '{nope'], { expectCode: 2 });
  assert.match(notJson.stderr, /payload is not JSON/);
  assert.deepEqual(await listAll(db), []);
  const id = await enqueue(db, 'noop', { queue: 'mail', payload: { to: 'x' } });
  const job = await getJob(db, id);
  assert.equal(job.state, 'waiting');
  assert.equal(job.queue, 'mail');
  assert.deepEqual(job.payload, { to: 'x' });
  assert.equal(job.maxAttempts, 3);
  assert.match(job.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const missing = await runCli(['jobs', 'get', '01a00000-0000-7000-8000-000000000000', '--data-dir', db.dir], db.env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not_found/);
});

test('a rolled-back transaction leaves no job behind; a committed one keeps both changes', async () => {
  const db = queueDb();
  const rolled = await jobs(db, ['enqueue', '--type', 'noop', '--rollback', '--marker', 'm1']);
  assert.equal(rolled.rolledBack, true);
  const ghost = await runCli(['jobs', 'get', rolled.jobs[0].id, '--data-dir', db.dir], db.env);
  assert.equal(ghost.code, 1, 'the rolled-back job does not exist');
  assert.deepEqual(await listAll(db), []);
  // The marker row was rolled back too, so the same marker commits now...
  const kept = await jobs(db, ['enqueue', '--type', 'noop', '--marker', 'm1']);
  assert.equal((await getJob(db, kept.jobs[0].id)).state, 'waiting');
  // ...and a second transaction whose other change fails leaves no job.
  const clash = await jobs(db, ['enqueue', '--type', 'noop', '--marker', 'm1'], { expectCode: 1 });
  assert.match(clash.stderr, /conflict/);
  assert.equal((await listAll(db)).length, 1);
});

test('a dedupe key makes a second enqueue a no-op while the first is pending', async () => {
  const db = queueDb();
  const a = await jobs(db, ['enqueue', '--type', 'noop', '--dedupe-key', 'sync:1']);
  const b = await jobs(db, ['enqueue', '--type', 'noop', '--dedupe-key', 'sync:1']);
  assert.equal(b.jobs[0].id, a.jobs[0].id);
  assert.equal(b.jobs[0].deduplicated, true);
  const other = await jobs(db, ['enqueue', '--type', 'noop', '--dedupe-key', 'sync:1', '--queue', 'other']);
  assert.notEqual(other.jobs[0].id, a.jobs[0].id, 'keys are per queue');
  const w = await startWorker(db);
  try {
    await waitJobs(db, [a.jobs[0].id]);
    const c = await jobs(db, ['enqueue', '--type', 'noop', '--dedupe-key', 'sync:1']);
    assert.equal(c.jobs[0].deduplicated, false, 'a finished job no longer blocks its key');
    assert.notEqual(c.jobs[0].id, a.jobs[0].id);
  } finally {
    await w.stop();
  }
});

test('jobs run by priority, then in arrival order; delayed jobs wait for their time', async () => {
  const db = queueDb();
  const low = await enqueue(db, 'noop', { queue: 'p' });
  const high = await enqueue(db, 'noop', { queue: 'p', extra: ['--priority', '10'] });
  const mid1 = await enqueue(db, 'noop', { queue: 'p', extra: ['--priority', '5'] });
  const mid2 = await enqueue(db, 'noop', { queue: 'p', extra: ['--priority', '5'] });
  const later = await enqueue(db, 'noop', { queue: 'p', extra: ['--priority', '100', '--delay-ms', '3600000'] });
  const soon = await enqueue(db, 'noop', { queue: 'p', extra: ['--priority', '100', '--delay-ms', '1500'] });
  assert.equal((await getJob(db, later)).state, 'delayed');
  const w = await startWorker(db, ['--concurrency', '1', '--queues', 'p']);
  try {
    const done = await waitJobs(db, [low, high, mid1, mid2, soon]);
    const bySeq = done.filter((j) => j.id !== soon).sort((x, y) => x.result.seq - y.result.seq).map((j) => j.id);
    assert.deepEqual(bySeq, [high, mid1, mid2, low]);
    const s = done.find((j) => j.id === soon);
    assert.ok(Date.parse(s.startedAt) >= Date.parse(s.runAt), 'a delayed job never starts early');
    assert.equal((await getJob(db, later)).state, 'delayed', 'a job due in an hour has not run');
    assert.equal((await listAll(db, 'p', 'delayed')).length, 1);
    assert.equal((await listAll(db, 'p', 'completed')).length, 5);
  } finally {
    await w.stop();
  }
});

test('failing jobs are retried with backoff, then dead-lettered; retry, cancel and purge', async () => {
  const db = queueDb();
  const flaky = await enqueue(db, 'noop', { queue: 'r', payload: { failTimes: 2 }, extra: ['--max-attempts', '3', '--backoff', 'fixed', '--backoff-ms', '100'] });
  const dead = await enqueue(db, 'noop', { queue: 'r', payload: { fail: true }, extra: ['--max-attempts', '2', '--backoff-ms', '50'] });
  const fatal = await enqueue(db, 'noop', { queue: 'r', payload: { fatal: true }, extra: ['--max-attempts', '5'] });
  const failUntil = Date.now() + 4000;
  const later = await enqueue(db, 'noop', { queue: 'r', payload: { failUntil }, extra: ['--max-attempts', '1'] });
  const unknown = await enqueue(db, 'NO_SUCH_TYPE', { queue: 'r', extra: ['--max-attempts', '1'] });
  const waiting = await enqueue(db, 'noop', { queue: 'r', extra: ['--delay-ms', '3600000'] });
  const w = await startWorker(db, ['--queues', 'r']);
  try {
    const [f, d, x, l, u] = await waitJobs(db, [flaky, dead, fatal, later, unknown]);
    assert.equal(f.state, 'completed');
    assert.equal(f.attempts, 3);
    assert.equal(d.state, 'failed');
    assert.equal(d.attempts, 2);
    assert.match(d.error, /asked to fail/);
    assert.equal(x.state, 'failed');
    assert.equal(x.attempts, 1, 'a fatal failure is not retried');
    assert.equal(l.state, 'failed');
    assert.equal(u.state, 'failed');
    assert.match(u.error, /no handler/);
    const deadLetters = (await listAll(db, 'r', 'failed')).map((j) => j.id).sort();
    assert.deepEqual(deadLetters, [dead, fatal, later, unknown].sort());
    // Retry after the cause went away: it runs again from attempt 1.
    await waitFor('failUntil to pass', async () => Date.now() > failUntil);
    await jobs(db, ['retry', later]);
    const [again] = await waitJobs(db, [later]);
    assert.equal(again.state, 'completed');
    assert.equal(again.attempts, 1);
    assert.equal(again.error, null);
    // Only failed or cancelled jobs can be retried.
    const r409 = await jobs(db, ['retry', again.id], { expectCode: 1 });
    assert.match(r409.stderr, /invalid_state/);
    // Cancel a delayed job; a cancelled job cannot be cancelled again.
    await jobs(db, ['cancel', waiting]);
    assert.equal((await getJob(db, waiting)).state, 'cancelled');
    await jobs(db, ['cancel', waiting], { expectCode: 1 });
    // Purge the dead letters of this queue.
    const purged = await jobs(db, ['purge', '--queue', 'r', '--state', 'failed']);
    assert.equal(purged.deleted, 3);
    assert.deepEqual(await listAll(db, 'r', 'failed'), []);
    await jobs(db, ['purge', '--queue', 'r', '--state', 'waiting'], { expectCode: 1 });
  } finally {
    await w.stop();
  }
});

test('timeouts, progress, pause and resume', async () => {
  const db = queueDb();
  const slow = await enqueue(db, 'noop', { queue: 't', payload: { ms: 3000 }, extra: ['--timeout-ms', '200', '--max-attempts', '1'] });
  const prog = await enqueue(db, 'noop', { queue: 't', payload: { ms: 1500, progress: true } });
  await jobs(db, ['pause', 'held']);
  const held = await enqueue(db, 'noop', { queue: 'held' });
  const w = await startWorker(db);
  try {
    const half = await waitFor('progress 50', async () => {
      const j = await getJob(db, prog);
      return j.progress === 50 ? j : null;
    });
    assert.equal(half.state, 'active');
    assert.equal(half.progressMessage, 'half way');
    const [s, p] = await waitJobs(db, [slow, prog]);
    assert.equal(s.state, 'failed');
    assert.match(s.error, /timed out after 200 ms/);
    assert.equal(p.state, 'completed');
    assert.equal(p.progress, 100);
    // The worker has run two jobs since the pause: the paused one waits.
    assert.equal((await getJob(db, held)).state, 'waiting');
    await jobs(db, ['resume', 'held']);
    const [h] = await waitJobs(db, [held]);
    assert.equal(h.state, 'completed');
  } finally {
    await w.stop();
  }
});

test('retention keeps the newest completed jobs of a queue', async () => {
  const db = queueDb();
  await jobs(db, ['configure', 'keep', '--keep-completed-count', '2']);
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await enqueue(db, 'noop', { queue: 'keep' }));
  const failing = await enqueue(db, 'noop', { queue: 'keep', payload: { fatal: true } });
  const w = await startWorker(db, ['--concurrency', '1', '--maint-ms', '100']);
  try {
    const left = await waitFor('retention', async () => {
      const done = await listAll(db, 'keep', 'completed');
      const failed = await listAll(db, 'keep', 'failed');
      return done.length === 2 && failed.length === 1 ? done : null;
    });
    const expected = (await Promise.all(ids.map(async (id) => ({ id, r: await runCli(['jobs', 'get', id, '--data-dir', db.dir], db.env) }))))
      .filter((x) => x.r.code === 0).map((x) => x.id);
    assert.deepEqual(left.map((j) => j.id).sort(), expected.sort());
    const seqs = left.map((j) => j.result.seq).sort();
    assert.deepEqual(seqs, [4, 5], 'the two that finished last are kept');
    assert.equal((await getJob(db, failing)).state, 'failed', 'dead letters are not removed');
  } finally {
    await w.stop();
  }
});
