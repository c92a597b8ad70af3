// Phone verification: a 6-digit code through the SMS outbox (files under
// <data dir>/sms/new), checked once, limited tries and sends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, request, sleep } from './lib/harness.mjs';
import { ACCOUNTS_ENV, signup } from './lib/accounts.mjs';

let s;
before(async () => { s = await startServer({ env: ACCOUNTS_ENV }); });
after(async () => { await s.stop(); });

function texts(to) {
  const dir = path.join(s.dir, 'sms', 'new');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8'))).filter((m) => m.to === to);
}
async function waitCode(to, n = 1) {
  for (let i = 0; i < 200; i++) {
    const t = texts(to);
    if (t.length >= n) return /(\d{6})/.exec(t[n - 1].body)[1];
    await sleep(100);
  }
  throw new Error('no SMS to ' + to);
}
const post = (u, p, body) => request(s, 'POST', p, { headers: u.auth, body });

test('start sends a code; verify marks the number verified', async () => {
  const u = await signup(s);
  const phone = '+4915112340001';
  assert.equal((await post(u, '/v1/auth/phone/start', { phone: '12345' })).status, 422);
  const r = await post(u, '/v1/auth/phone/start', { phone });
  assert.equal(r.status, 202, r.text);
  const code = await waitCode(phone);
  const wrong = code === '000000' ? '000001' : '000000';
  assert.equal((await post(u, '/v1/auth/phone/verify', { code: wrong })).status, 422);
  // Another user cannot use this code.
  const v = await signup(s);
  assert.equal((await post(v, '/v1/auth/phone/verify', { code })).status, 422);
  const ok = await post(u, '/v1/auth/phone/verify', { code });
  assert.equal(ok.status, 200, ok.text);
  const me = await request(s, 'GET', '/v1/users/me', { headers: u.auth });
  assert.equal(me.json.phoneNumber, phone);
  assert.equal(me.json.phoneVerified, true);
  assert.equal((await post(u, '/v1/auth/phone/verify', { code })).status, 422, 'a code works once');
  // Changing the number on the profile drops the verification.
  const ch = await request(s, 'PUT', '/v1/users/me', { headers: u.auth, body: { phoneNumber: '+4915112340002' } });
  assert.equal(ch.json.phoneVerified, false);
});

test('tries and sends are limited', async () => {
  const u = await signup(s);
  const phone = '+4915112340003';
  assert.equal((await post(u, '/v1/auth/phone/start', { phone })).status, 202);
  const code = await waitCode(phone);
  const wrong = code === '000000' ? '000001' : '000000';
  for (let i = 0; i < 5; i++) assert.equal((await post(u, '/v1/auth/phone/verify', { code: wrong })).status, 422);
  assert.equal((await post(u, '/v1/auth/phone/verify', { code })).status, 429, 'even the right code after 5 tries');
  for (let i = 0; i < 4; i++) assert.equal((await post(u, '/v1/auth/phone/start', { phone })).status, 202);
  const r = await post(u, '/v1/auth/phone/start', { phone });
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  assert.equal((await request(s, 'POST', '/v1/auth/phone/start', { body: { phone } })).status, 401);
});
