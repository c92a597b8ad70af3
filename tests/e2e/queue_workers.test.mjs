// Job queue workers as separate processes: a worker killed with SIGKILL
// mid-job (its lease lapses and the job completes exactly once more), two
// workers never running the same job, and per-queue rate and concurrency
// limits that hold across processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  queueDb, jobs, enqueue, listAll, waitFor, waitJobs, startWorker, testLog,
} from './lib/queue.mjs';

const logFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'travloc-qlog-')), 'jobs.log');

test('a worker killed mid-job loses its lease; the job completes exactly once more', async () => {
  const db = queueDb();
  const log = logFile();
  const env = { TRAVLOC_QUEUE_TEST_LOG: log };
  const id = await enqueue(db, 'noop', { queue: 'k', payload: { ms: 3000 }, extra: ['--max-attempts', '1'] });
  const a = await startWorker(db, ['--lease-ms', '1000'], env);
  await waitFor('the job to start', async () => testLog(log).some((l) => l.what === 'start'));
  await a.kill9();
  const b = await startWorker(db, ['--lease-ms', '1000'], env);
  try {
    const [job] = await waitJobs(db, [id]);
    assert.equal(job.state, 'completed');
    assert.equal(job.attempts, 1, 'the lost attempt is not counted against maxAttempts');
    assert.equal(job.stalls, 1);
    assert.equal(job.result.pid, b.pid);
    const lines = testLog(log);
    assert.deepEqual(lines.filter((l) => l.what === 'start').map((l) => l.pid), [a.pid, b.pid]);
    assert.deepEqual(lines.filter((l) => l.what === 'end').map((l) => l.pid), [b.pid]);
  } finally {
    await b.stop();
  }
});

test('two workers never run the same job, and share the work', async () => {
  const db = queueDb();
  const log = logFile();
  const env = { TRAVLOC_QUEUE_TEST_LOG: log };
  const w1 = await startWorker(db, ['--concurrency', '4'], env);
  const w2 = await startWorker(db, ['--concurrency', '4'], env);
  try {
    const out = await jobs(db, ['enqueue', '--type', 'noop', '--queue', 'two', '--count', '200', '--payload', '{"ms":10}']);
    const ids = out.jobs.map((j) => j.id);
    await waitFor('200 jobs', async () => (await listAll(db, 'two', 'completed')).length === 200);
    const lines = testLog(log);
    const starts = new Map();
    for (const l of lines.filter((x) => x.what === 'start')) starts.set(l.id, (starts.get(l.id) || 0) + 1);
    assert.equal(starts.size, 200);
    for (const id of ids) assert.equal(starts.get(id), 1, `job ${id} ran once`);
    const done = await listAll(db, 'two', 'completed');
    assert.ok(done.every((j) => j.attempts === 1));
    const pids = new Set(done.map((j) => j.result.pid));
    assert.deepEqual([...pids].sort(), [w1.pid, w2.pid].sort(), 'both workers took jobs');
  } finally {
    await w1.stop();
    await w2.stop();
  }
});

test('a rate limit holds across two worker processes', async () => {
  const db = queueDb();
  await jobs(db, ['configure', 'rl', '--rate-max', '4', '--rate-interval-ms', '500']);
  await jobs(db, ['enqueue', '--type', 'noop', '--queue', 'rl', '--count', '16']);
  const w1 = await startWorker(db, ['--concurrency', '4']);
  const w2 = await startWorker(db, ['--concurrency', '4']);
  try {
    const done = await waitFor('16 jobs', async () => {
      const d = await listAll(db, 'rl', 'completed');
      return d.length === 16 ? d : null;
    });
    const perWindow = new Map();
    for (const j of done) {
      const win = Math.floor(Date.parse(j.startedAt) / 500);
      perWindow.set(win, (perWindow.get(win) || 0) + 1);
    }
    for (const [win, n] of perWindow) assert.ok(n <= 4, `window ${win} started ${n} jobs`);
    assert.ok(perWindow.size >= 4, '16 jobs at 4 per window need at least 4 windows');
  } finally {
    await w1.stop();
    await w2.stop();
  }
});

test('a concurrency limit holds across two worker processes', async () => {
  const db = queueDb();
  await jobs(db, ['configure', 'cc', '--concurrency', '2']);
  await jobs(db, ['enqueue', '--type', 'noop', '--queue', 'cc', '--count', '10', '--payload', '{"ms":150}']);
  const w1 = await startWorker(db, ['--concurrency', '4']);
  const w2 = await startWorker(db, ['--concurrency', '4']);
  try {
    const done = await waitFor('10 jobs', async () => {
      const d = await listAll(db, 'cc', 'completed');
      return d.length === 10 ? d : null;
    });
    // Active from claim (startedAt) to completion (finishedAt), half-open.
    const events = [];
    for (const j of done) {
      events.push([Date.parse(j.startedAt), 1], [Date.parse(j.finishedAt), -1]);
    }
    events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let now = 0, max = 0;
    for (const [, d] of events) { now += d; max = Math.max(max, now); }
    assert.ok(max <= 2, `at most 2 at once, saw ${max}`);
    assert.equal(max, 2, 'the limit is used');
  } finally {
    await w1.stop();
    await w2.stop();
  }
});
