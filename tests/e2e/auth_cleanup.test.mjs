// The accounts cleanup: rows are aged directly in the database, then
// POST /v1/admin/maintenance/cleanup (and the scheduled "accounts.cleanup"
// job) must delete exactly the stale ones: expired refresh tokens and
// those of ended sessions, expired or used one-time tokens and phone
// codes, outbox rows delivered more than 7 days ago, idle brute-force
// counters and expired Idempotency-Key rows. Fresh rows, spent-but-live
// refresh tokens and undelivered mail stay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, runCli, sleep } from './lib/harness.mjs';
import { ACCOUNTS_ENV, signup, createAdmin, PASSWORD } from './lib/accounts.mjs';
import { dbQuery } from './lib/acc_db.mjs';

let s, admin;
before(async () => {
  s = await startServer({ env: ACCOUNTS_ENV });
  admin = await createAdmin(s);
});
after(async () => { await s.stop(); });

const q = (sql) => dbQuery(s, sql);
const count = (sql) => Number(q(`SELECT count(*) FROM ${sql}`));
const DAY = 24 * 3600 * 1000;
const TRIP = { title: 'Cleanup trip', startDate: '2027-05-01', endDate: '2027-05-03', budget: 1000, currency: 'EUR' };

async function until(what, fn) {
  for (let i = 0; i < 300; i++) {
    if (fn()) return;
    await sleep(100);
  }
  throw new Error('timed out waiting for ' + what);
}

// A user with one row of every kind the cleanup looks at.
async function populate(phone) {
  const u = await signup(s);
  assert.equal((await request(s, 'POST', '/v1/auth/login', { body: { email: u.email, password: 'Wrong-Password-1' } })).status, 401);
  assert.equal((await request(s, 'POST', '/v1/auth/phone/start', { headers: u.auth, body: { phone } })).status, 202);
  const t = await request(s, 'POST', '/v1/trips', { headers: { ...u.auth, 'idempotency-key': `k-${u.id}` }, body: TRIP });
  assert.equal(t.status, 201, t.text);
  await until('mail to be delivered', () => count(`outbox WHERE recipient = '${u.email}' AND sent_at IS NOT NULL`) >= 1);
  return u;
}

const rows = (u) => ({
  refresh: count(`refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = '${u.id}')`),
  otp: count(`one_time_tokens WHERE user_id = '${u.id}'`),
  phone: count(`phone_codes WHERE user_id = '${u.id}'`),
  outbox: count(`outbox WHERE recipient = '${u.email}'`),
  attempts: count(`login_attempts WHERE key = 'acct:${u.email}'`),
  idem: count(`idempotency_keys WHERE user_id = '${u.id}'`),
});

function age(u) {
  q(`UPDATE refresh_tokens SET expires_at = 1 WHERE session_id IN (SELECT id FROM sessions WHERE user_id = '${u.id}')`);
  q(`UPDATE one_time_tokens SET expires_at = 1 WHERE user_id = '${u.id}'`);
  q(`UPDATE phone_codes SET expires_at = 1 WHERE user_id = '${u.id}'`);
  q(`UPDATE outbox SET sent_at = sent_at - ${8 * DAY}, created_at = created_at - ${8 * DAY} WHERE recipient = '${u.email}'`);
  q(`UPDATE login_attempts SET updated_at = updated_at - ${2 * DAY}, window_start = window_start - ${2 * DAY}, locked_until = 0 WHERE key = 'acct:${u.email}'`);
  q(`UPDATE idempotency_keys SET created_at = created_at - ${2 * DAY} WHERE user_id = '${u.id}'`);
}

test('cleanup deletes aged rows and keeps fresh ones', async () => {
  const old = await populate('+4915112348001');
  const fresh = await populate('+4915112348002');
  // Spent but unexpired: must stay for theft detection.
  const r = await request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: fresh.refreshToken } });
  assert.equal(r.status, 200, r.text);
  // An ended session's tokens are useless.
  const gone = await signup(s);
  assert.equal((await request(s, 'POST', '/v1/auth/logout', { headers: gone.auth, body: {} })).status, 204);
  // Mail still being retried is never deleted, however old.
  q(`INSERT INTO outbox (id, kind, recipient, subject, body, attempts, next_attempt_at, created_at) VALUES ('0190aaaa-0000-7000-8000-${Date.now().toString().padStart(12, '0').slice(-12)}', 'mail', 'stuck.${fresh.id}@example.com', 's', 'b', 9, 9000000000000, 1)`);
  const before = rows(fresh);
  for (const [k, v] of Object.entries(rows(old))) assert.ok(v >= 1, `old user has ${k}`);
  for (const [k, v] of Object.entries(before)) assert.ok(v >= 1, `fresh user has ${k}`);
  assert.equal(before.refresh, 2, 'spent token + its successor');
  assert.ok(count(`refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = '${gone.id}')`) >= 1);
  age(old);

  const u = await signup(s);
  assert.equal((await request(s, 'POST', '/v1/admin/maintenance/cleanup', { headers: u.auth, body: {} })).status, 403);
  assert.equal((await request(s, 'POST', '/v1/admin/maintenance/cleanup', { body: {} })).status, 401);
  const c = await request(s, 'POST', '/v1/admin/maintenance/cleanup', { headers: admin.auth, body: {} });
  assert.equal(c.status, 200, c.text);
  for (const k of ['refreshTokens', 'oneTimeTokens', 'phoneCodes', 'outbox', 'loginAttempts', 'idempotencyKeys']) {
    assert.ok(c.json.deleted[k] >= 1, `${k}: ${c.text}`);
  }
  assert.deepEqual(rows(old), { refresh: 0, otp: 0, phone: 0, outbox: 0, attempts: 0, idem: 0 });
  assert.deepEqual(rows(fresh), before);
  assert.equal(count(`refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = '${gone.id}')`), 0);
  assert.equal(count(`outbox WHERE recipient = 'stuck.${fresh.id}@example.com'`), 1);
  // The fresh user's live token still works; replaying the spent one still ends the session.
  const again = await request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: fresh.refreshToken } });
  assert.equal(again.status, 401);
  assert.equal(again.json.error.code, 'refresh_token_reused');
  // A second pass finds nothing more of these users.
  const c2 = await request(s, 'POST', '/v1/admin/maintenance/cleanup', { headers: admin.auth, body: {} });
  assert.equal(c2.status, 200);
  assert.deepEqual(rows(fresh).phone, before.phone);
  // The old user can still sign in (only stale rows went).
  assert.equal((await request(s, 'POST', '/v1/auth/login', { body: { email: old.email, password: PASSWORD } })).status, 200);
});

test('the accounts.cleanup job is scheduled and does the same work', async () => {
  assert.equal(count("job_schedules WHERE name = 'accounts.cleanup' AND type = 'accounts.cleanup'"), 1);
  const u = await populate('+4915112348003');
  q(`UPDATE one_time_tokens SET expires_at = 1 WHERE user_id = '${u.id}'`);
  q(`UPDATE phone_codes SET expires_at = 1 WHERE user_id = '${u.id}'`);
  const out = await runCli(['jobs', 'enqueue', '--type', 'accounts.cleanup', '--data-dir', s.dir], s.env);
  assert.equal(out.code, 0, out.stderr);
  const id = JSON.parse(out.stdout).jobs[0].id;
  await until('the job to complete', () => q(`SELECT state FROM jobs WHERE id = '${id}'`) === 'completed');
  assert.equal(count(`one_time_tokens WHERE user_id = '${u.id}'`), 0);
  assert.equal(count(`phone_codes WHERE user_id = '${u.id}'`), 0);
  assert.equal(count(`idempotency_keys WHERE user_id = '${u.id}'`), 1, 'fresh key kept');
});
