// TOTP second factor: enrolment, confirmation, login with {mfaRequired,
// mfaToken} and POST /v1/auth/mfa, recovery codes, replay and brute-force
// refusal, disabling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request } from './lib/harness.mjs';
import { ACCOUNTS_ENV, PASSWORD, signup, totp } from './lib/accounts.mjs';

let s;
before(async () => { s = await startServer({ env: ACCOUNTS_ENV }); });
after(async () => { await s.stop(); });

const post = (p, body, headers = {}) => request(s, 'POST', p, { body, headers });
const startLogin = async (u) => {
  const r = await post('/v1/auth/login', { email: u.email, password: PASSWORD });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.mfaRequired, true);
  assert.equal(r.json.token, undefined);
  return r.json.mfaToken;
};

async function enrol(u) {
  const e = await post('/v1/auth/mfa/enroll', {}, u.auth);
  assert.equal(e.status, 200, e.text);
  assert.match(e.json.secret, /^[A-Z2-7]{32}$/);
  assert.match(e.json.otpauthUri, /^otpauth:\/\/totp\/Travloc:.*secret=[A-Z2-7]{32}/);
  const wrong = await post('/v1/auth/mfa/confirm', { code: '000000' }, u.auth);
  assert.equal(wrong.status, 401);
  const ok = await post('/v1/auth/mfa/confirm', { code: totp(e.json.secret, Date.now() - 30000) }, u.auth);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.recoveryCodes.length, 10);
  return { secret: e.json.secret, codes: ok.json.recoveryCodes };
}

test('enrol, then log in with a TOTP code; a code works once', async () => {
  const u = await signup(s);
  assert.equal((await post('/v1/auth/mfa', { mfaToken: 'x', code: '123456' })).status, 401);
  const { secret } = await enrol(u);
  assert.equal((await post('/v1/auth/mfa/enroll', {}, u.auth)).status, 409);
  assert.equal((await request(s, 'GET', '/v1/users/me', { headers: u.auth })).json.mfaEnabled, true);
  const mfaToken = await startLogin(u);
  const bad = await post('/v1/auth/mfa', { mfaToken, code: '000000' });
  assert.equal(bad.status, 401);
  const code = totp(secret);
  const ok = await post('/v1/auth/mfa', { mfaToken, code });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.user.id, u.id);
  assert.equal((await request(s, 'GET', '/v1/users/me', { headers: { authorization: `Bearer ${ok.json.token}` } })).status, 200);
  // The mfaToken is spent, and the same code is refused on a new login.
  assert.equal((await post('/v1/auth/mfa', { mfaToken, code })).status, 401);
  const t2 = await startLogin(u);
  assert.equal((await post('/v1/auth/mfa', { mfaToken: t2, code })).status, 401);
});

test('recovery codes work once each', async () => {
  const u = await signup(s);
  const { codes } = await enrol(u);
  const t1 = await startLogin(u);
  assert.equal((await post('/v1/auth/mfa', { mfaToken: t1, code: codes[3].toUpperCase() })).status, 200);
  const t2 = await startLogin(u);
  assert.equal((await post('/v1/auth/mfa', { mfaToken: t2, code: codes[3] })).status, 401);
  assert.equal((await post('/v1/auth/mfa', { mfaToken: t2, code: codes[4] })).status, 200);
});

test('wrong codes lock with 429', async () => {
  const u = await signup(s);
  await enrol(u);
  const t = await startLogin(u);
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await post('/v1/auth/mfa', { mfaToken: t, code: String(100000 + i) })).status);
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  assert.equal(statuses[5], 429);
});

test('disable needs a valid code; afterwards login gives tokens directly', async () => {
  const u = await signup(s);
  const { secret } = await enrol(u);
  assert.equal((await post('/v1/auth/mfa/disable', { code: '000000' }, u.auth)).status, 401);
  assert.equal((await post('/v1/auth/mfa/disable', {}, u.auth)).status, 422);
  assert.equal((await post('/v1/auth/mfa/disable', { code: totp(secret) }, u.auth)).status, 204);
  assert.equal((await post('/v1/auth/mfa/disable', { code: totp(secret) }, u.auth)).status, 409);
  const r = await post('/v1/auth/login', { email: u.email, password: PASSWORD });
  assert.equal(r.status, 200);
  assert.ok(r.json.token);
  // Another user's MFA state is untouched by all this.
  const v = await signup(s);
  assert.equal((await post('/v1/auth/mfa/disable', { code: totp(secret) }, v.auth)).status, 409);
});
