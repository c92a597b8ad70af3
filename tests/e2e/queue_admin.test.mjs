// The job queue inside `travloc serve`: the embedded worker pool runs jobs
// enqueued by anyone on the same database, the admin endpoints (admins
// only) inspect, retry and cancel jobs and pause/resume queues, /metrics
// shows job counts, and a SIGTERM lets a running job finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request } from './lib/harness.mjs';
import { ACCOUNTS_ENV, signup, createAdmin } from './lib/accounts.mjs';
import { jobs, enqueue, getJob, waitFor, waitJobs } from './lib/queue.mjs';

const ENV = { ...ACCOUNTS_ENV, TRAVLOC_QUEUE_POLL_MS: '50' };
const dbOf = (s) => ({ dir: s.dir, env: { ...s.env, TRAVLOC_LOG_LEVEL: 'warn' } });

test('admin job endpoints: admins only, list, get, retry, cancel, pause and resume', async () => {
  const s = await startServer({ env: ENV });
  try {
    const db = dbOf(s);
    const admin = await createAdmin(s);
    const user = await signup(s);
    const ok = await enqueue(db, 'noop', { queue: 'adm', payload: { n: 1 } });
    const bad = await enqueue(db, 'noop', { queue: 'adm', payload: { fatal: true } });
    const [okJob, badJob] = await waitJobs(db, [ok, bad]);
    assert.equal(okJob.state, 'completed', 'the embedded pool ran it');
    assert.equal(badJob.state, 'failed');

    const routes = [['GET', '/v1/admin/jobs'], ['GET', `/v1/admin/jobs/${ok}`],
      ['POST', `/v1/admin/jobs/${bad}/retry`], ['POST', `/v1/admin/jobs/${ok}/cancel`],
      ['POST', '/v1/admin/queues/adm/pause'], ['POST', '/v1/admin/queues/adm/resume']];
    for (const [m, p] of routes) {
      assert.equal((await request(s, m, p)).status, 401, `${m} ${p} without a token`);
      const r = await request(s, m, p, { headers: user.auth });
      assert.equal(r.status, 403, `${m} ${p} as a traveller`);
    }
    assert.equal((await getJob(db, bad)).state, 'failed', 'the refused retry changed nothing');

    const A = { headers: admin.auth };
    const list = await request(s, 'GET', '/v1/admin/jobs?queue=adm', A);
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.items.map((j) => j.id).sort(), [ok, bad].sort());
    const dead = await request(s, 'GET', '/v1/admin/jobs?queue=adm&state=failed', A);
    assert.deepEqual(dead.json.items.map((j) => j.id), [bad]);
    const page = await request(s, 'GET', '/v1/admin/jobs?queue=adm&limit=1', A);
    assert.equal(page.json.items.length, 1);
    const page2 = await request(s, 'GET', `/v1/admin/jobs?queue=adm&limit=1&cursor=${page.json.nextCursor}`, A);
    assert.equal(page2.json.items.length, 1);
    assert.equal(page2.json.nextCursor, null);
    assert.notEqual(page2.json.items[0].id, page.json.items[0].id);
    assert.equal((await request(s, 'GET', '/v1/admin/jobs?state=bogus', A)).status, 422);
    assert.equal((await request(s, 'GET', '/v1/admin/jobs?limit=0', A)).status, 422);

    const one = await request(s, 'GET', `/v1/admin/jobs/${ok}`, A);
    assert.equal(one.status, 200);
    assert.deepEqual(one.json.payload, { n: 1 });
    assert.equal(one.json.result.ok, true);
    assert.equal((await request(s, 'GET', '/v1/admin/jobs/01a00000-0000-7000-8000-000000000000', A)).status, 404);

    // Pause, then retry the dead letter: it waits, because the queue is paused.
    const paused = await request(s, 'POST', '/v1/admin/queues/adm/pause', A);
    assert.deepEqual(paused.json, { queue: 'adm', paused: true });
    const retried = await request(s, 'POST', `/v1/admin/jobs/${bad}/retry`, A);
    assert.equal(retried.status, 200);
    assert.equal(retried.json.state, 'waiting');
    assert.equal(retried.json.attempts, 0);
    assert.equal((await request(s, 'POST', `/v1/admin/jobs/${ok}/retry`, A)).status, 409);
    const other = await enqueue(db, 'noop', { queue: 'other' });
    await waitJobs(db, [other]);
    assert.equal((await getJob(db, bad)).state, 'waiting', 'a paused queue is not claimed');
    const cancelled = await request(s, 'POST', `/v1/admin/jobs/${bad}/cancel`, A);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.json.state, 'cancelled');
    assert.equal((await request(s, 'POST', `/v1/admin/jobs/${bad}/cancel`, A)).status, 409);
    const held = await enqueue(db, 'noop', { queue: 'adm' });
    assert.equal((await request(s, 'POST', '/v1/admin/queues/adm/resume', A)).json.paused, false);
    assert.equal((await waitJobs(db, [held]))[0].state, 'completed');
    assert.equal((await request(s, 'POST', '/v1/admin/queues/Not%20A%20Queue/pause', A)).status, 422);
  } finally {
    await s.stop();
  }
});

test('/metrics shows job counts and worker figures', async () => {
  const s = await startServer({ env: ENV });
  try {
    const db = dbOf(s);
    const id = await enqueue(db, 'noop', { queue: 'metered' });
    await waitJobs(db, [id]);
    const text = await waitFor('job counts in /metrics', async () => {
      const r = await request(s, 'GET', '/metrics');
      return /travloc_jobs\{queue="metered",state="completed"\} 1/.test(r.text) ? r.text : null;
    }, { timeoutMs: 30000 });
    assert.match(text, /travloc_jobs_started_total [1-9]/);
    assert.match(text, /travloc_job_wait_seconds_bucket\{le="\+Inf"\} [1-9]/);
    assert.match(text, /travloc_job_run_seconds_count [1-9]/);
  } finally {
    await s.stop();
  }
});

test('SIGTERM lets a running job finish before the server exits', async () => {
  const s = await startServer({ env: ENV });
  const db = dbOf(s);
  const id = await enqueue(db, 'noop', { queue: 'drain', payload: { ms: 1500 } });
  await waitFor('the job to start', async () => (await getJob(db, id)).state === 'active');
  assert.equal(await s.stop({ keepDir: true }), 0);
  const job = await getJob(db, id);
  assert.equal(job.state, 'completed');
  await jobs(db, ['purge', '--queue', 'drain', '--state', 'completed']);
});
