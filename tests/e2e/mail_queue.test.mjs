// Mail delivery as queue jobs (EMAIL_SEND / SMS_SEND on queue "mail"):
// a serve process whose embedded workers do not consume "mail" leaves the
// job waiting, an admin sees it in /v1/admin/jobs?queue=mail (without the
// message text), and a standalone `travloc worker --queues mail` delivers
// it. A second run of an already-sent row sends nothing (at-least-once
// delivery never sends twice), a removed row is skipped, a bad payload is
// dead-lettered at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, request } from './lib/harness.mjs';
import { ACCOUNTS_ENV, createAdmin, mails, signup, waitForMail } from './lib/accounts.mjs';
import { dbQuery } from './lib/acc_db.mjs';
import { jobs, startWorker, waitFor } from './lib/queue.mjs';

let s, admin, db;
before(async () => {
  // serve's embedded pool only consumes "default": mail jobs wait for a worker.
  s = await startServer({ env: { ...ACCOUNTS_ENV, TRAVLOC_QUEUE_QUEUES: 'default' } });
  admin = await createAdmin(s);
  db = { dir: s.dir, env: { ...s.database, TRAVLOC_LOG_LEVEL: 'warn' } };
});
after(async () => { await s.stop(); });

const getJob = async (id) => {
  const r = await request(s, 'GET', `/v1/admin/jobs/${id}`, { headers: admin.auth });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const waitState = (id, state) => waitFor(`job ${id} ${state}`, async () => {
  const j = await getJob(id);
  return j.state === state ? j : null;
});

test('a standalone worker on queue "mail" delivers what serve queued; admins see the job', async () => {
  const u = await signup(s);
  const outboxId = dbQuery(s, `SELECT id FROM outbox WHERE recipient = '${u.email}'`);
  assert.match(outboxId, /^[0-9a-f-]{36}$/);
  const list = await request(s, 'GET', '/v1/admin/jobs?queue=mail&limit=200', { headers: admin.auth });
  assert.equal(list.status, 200, list.text);
  const job = list.json.items.find((j) => j.payload && j.payload.outboxId === outboxId);
  assert.ok(job, 'the EMAIL_SEND job is listed: ' + list.text);
  assert.equal(job.type, 'EMAIL_SEND');
  assert.equal(job.queue, 'mail');
  assert.equal(job.state, 'waiting');
  assert.equal(job.dedupeKey, outboxId);
  assert.equal(job.backoff.type, 'exponential');
  assert.ok(job.maxAttempts >= 20, 'many attempts: mail survives a long SMTP outage');
  assert.deepEqual(Object.keys(job.payload), ['outboxId'], 'no address or token in the job');
  // Users cannot look at the job list.
  const denied = await request(s, 'GET', '/v1/admin/jobs?queue=mail', { headers: u.auth });
  assert.equal(denied.status, 403);
  assert.equal(mails(s).filter((m) => m.to === u.email).length, 0, 'serve does not consume "mail"');
  assert.equal(dbQuery(s, `SELECT sent_at IS NULL FROM outbox WHERE id = '${outboxId}'`).replace('t', '1'), '1');

  const w = await startWorker(db, ['--queues', 'mail']);
  try {
    const m = await waitForMail(s, u.email, /Confirm your e-mail/, { timeoutMs: 60000 });
    assert.match(m.headers['message-id'], new RegExp(`^<${outboxId}@travloc>$`));
    const done = await waitState(job.id, 'completed');
    assert.equal(done.attempts, 1);
    assert.equal(done.result.outboxId, outboxId);
    assert.equal(done.result.marked, true);
    assert.equal(dbQuery(s, `SELECT sent_at IS NOT NULL, attempts FROM outbox WHERE id = '${outboxId}'`).replace('t', '1'), '1|0');

    // At least once: the same row delivered again is a no-op.
    const again = await jobs(db, ['enqueue', '--type', 'EMAIL_SEND', '--queue', 'mail',
      '--payload', JSON.stringify({ outboxId })]);
    const rerun = await waitState(again.jobs[0].id, 'completed');
    assert.equal(rerun.result.skipped, 'already sent');
    assert.equal(mails(s).filter((m) => m.to === u.email).length, 1, 'sent once');

    // A row that no longer exists (cleanup removed it) is skipped.
    const gone = await jobs(db, ['enqueue', '--type', 'SMS_SEND', '--queue', 'mail',
      '--payload', JSON.stringify({ outboxId: '00000000-0000-7000-8000-000000000000' })]);
    assert.equal((await waitState(gone.jobs[0].id, 'completed')).result.skipped, 'gone');

    // A payload without an outbox id fails for good at once.
    const bad = await jobs(db, ['enqueue', '--type', 'EMAIL_SEND', '--queue', 'mail',
      '--max-attempts', '5', '--payload', '{}']);
    const dead = await waitState(bad.jobs[0].id, 'failed');
    assert.equal(dead.attempts, 1);
    assert.match(dead.error, /outboxId/);
  } finally {
    await w.stop();
  }
});

test('SMS go through the same queue as SMS_SEND jobs', async () => {
  const u = await signup(s);
  const phone = '+4915112349777';
  const r = await request(s, 'POST', '/v1/auth/phone/start', { headers: u.auth, body: { phone } });
  assert.equal(r.status, 202, r.text);
  const outboxId = dbQuery(s, `SELECT id FROM outbox WHERE recipient = '${phone}'`);
  const list = await request(s, 'GET', '/v1/admin/jobs?queue=mail&limit=200', { headers: admin.auth });
  const job = list.json.items.find((j) => j.payload && j.payload.outboxId === outboxId);
  assert.ok(job, list.text);
  assert.equal(job.type, 'SMS_SEND');
  const w = await startWorker(db, ['--queues', 'mail']);
  try {
    const done = await waitState(job.id, 'completed');
    assert.equal(done.result.kind, 'sms');
    const dir = path.join(s.dir, 'sms', 'new');
    const sent = readdirSync(dir).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
    assert.equal(sent.filter((m) => m.to === phone).length, 1, 'the worker wrote it to the SMS outbox');
    assert.equal(dbQuery(s, `SELECT sent_at IS NOT NULL FROM outbox WHERE id = '${outboxId}'`).replace('t', '1'), '1');
  } finally {
    await w.stop();
  }
});

test('unsent rows without a job (queued before mail went through the queue) are sent after a restart', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-mailq-'));
  const a = await startServer({ env: ACCOUNTS_ENV, dataDir: dir });
  const id = `0190bbbb-0000-7000-8000-${String(Date.now()).slice(-12).padStart(12, '0')}`;
  dbQuery(a, `INSERT INTO outbox (id, kind, recipient, subject, body, attempts, next_attempt_at, created_at) VALUES ('${id}', 'mail', 'orphan@example.com', 'Old mail', 'queued by the old sender', 3, 1, 1)`);
  await a.stop();
  const b = await startServer({ env: ACCOUNTS_ENV, dataDir: dir, database: a.database });
  try {
    const m = await waitForMail(b, 'orphan@example.com', /Old mail/);
    assert.match(m.headers['message-id'], new RegExp(`^<${id}@travloc>$`));
    await waitFor('the row to be marked sent', async () =>
      dbQuery(b, `SELECT sent_at IS NOT NULL FROM outbox WHERE id = '${id}'`).replace('t', '1') === '1');
  } finally {
    await b.stop();
  }
  // Adoption runs before the server listens: a third start that found the
  // row again would have queued a second job by now.
  const c = await startServer({ env: ACCOUNTS_ENV, dataDir: dir, database: a.database });
  try {
    assert.equal(dbQuery(c, `SELECT count(*) FROM jobs WHERE dedupe_key = '${id}'`), '1');
    assert.equal(mails(c).filter((m) => m.to === 'orphan@example.com').length, 1);
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
