// POST /v1/auth/mfa/recovery-codes: a current TOTP code replaces all ten
// recovery codes. Old codes stop working, new ones work once, wrong codes
// change nothing and count towards the MFA lock, and one user's session
// can never touch another user's codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request } from './lib/harness.mjs';
import { ACCOUNTS_ENV, signup, totp } from './lib/accounts.mjs';
import { enrol, startLogin, finish } from './lib/acc_mfa.mjs';
import { dbQuery } from './lib/acc_db.mjs';

let s;
before(async () => { s = await startServer({ env: ACCOUNTS_ENV }); });
after(async () => { await s.stop(); });

const regen = (u, body) => request(s, 'POST', '/v1/auth/mfa/recovery-codes', { headers: u.auth, body });
const recoveryRow = (u) => dbQuery(s, `SELECT recovery FROM mfa WHERE user_id = '${u.id}'`);

test('new codes replace the old ones; each new code works once', async () => {
  const u = await signup(s);
  const { secret, codes } = await enrol(s, u);
  const r = await regen(u, { code: totp(secret) });
  assert.equal(r.status, 200, r.text);
  const fresh = r.json.recoveryCodes;
  assert.equal(fresh.length, 10);
  assert.equal(new Set(fresh).size, 10);
  for (const c of fresh) assert.ok(!codes.includes(c));
  // The TOTP code that was just used cannot be used again.
  assert.equal((await regen(u, { code: totp(secret) })).status, 401);
  const t1 = await startLogin(s, u);
  for (const old of [codes[0], codes[9]]) assert.equal(await finish(s, t1, old), 401, 'old code refused');
  assert.equal(await finish(s, t1, fresh[0]), 200);
  const t2 = await startLogin(s, u);
  assert.equal(await finish(s, t2, fresh[0]), 401, 'a new code works once');
  assert.equal(await finish(s, t2, fresh[1]), 200);
});

test('wrong, missing or recovery codes change nothing', async () => {
  const u = await signup(s);
  const { secret, codes } = await enrol(s, u);
  const before = recoveryRow(u);
  const wrong = totp(secret) === '000000' ? '000001' : '000000';
  const w = await regen(u, { code: wrong });
  assert.equal(w.status, 401);
  assert.equal(w.json.error.code, 'invalid_code');
  assert.equal((await regen(u, {})).status, 422);
  assert.equal((await regen(u, { code: 123456 })).status, 422);
  assert.equal((await request(s, 'POST', '/v1/auth/mfa/recovery-codes', { headers: { ...u.auth, 'content-type': 'application/json' }, body: '[' })).status, 400);
  // A recovery code is not enough to mint new ones.
  assert.equal((await regen(u, { code: codes[2] })).status, 401);
  assert.equal(recoveryRow(u), before);
  // The old codes still work.
  assert.equal(await finish(s, await startLogin(s, u), codes[2]), 200);
  assert.equal((await request(s, 'POST', '/v1/auth/mfa/recovery-codes', { body: { code: '123456' } })).status, 401);
});

test('wrong codes lock with 429 like other MFA codes', async () => {
  const u = await signup(s);
  const { secret } = await enrol(s, u);
  const good = totp(secret);
  const statuses = [];
  for (let i = 0; i < 6; i++) {
    const c = String(200000 + i);
    statuses.push((await regen(u, { code: c === good ? '299999' : c })).status);
  }
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  assert.equal(statuses[5], 429);
  assert.equal((await regen(u, { code: good })).status, 429, 'even the right code while locked');
});

test("another user's session cannot replace someone's codes", async () => {
  const a = await signup(s);
  const b = await signup(s);
  const c = await signup(s);
  const { secret, codes } = await enrol(s, a);
  await enrol(s, b);
  const before = recoveryRow(a);
  // b has MFA: a's code is simply wrong for b. c has none: 409.
  assert.equal((await regen(b, { code: totp(secret) })).status, 401);
  assert.equal((await regen(c, { code: totp(secret) })).status, 409);
  assert.equal(recoveryRow(a), before);
  assert.equal(await finish(s, await startLogin(s, a), codes[5]), 200);
});

test('two concurrent requests with one TOTP code: exactly one gets codes', async () => {
  const u = await signup(s);
  const { secret } = await enrol(s, u);
  const code = totp(secret);
  const [a, b] = await Promise.all([regen(u, { code }), regen(u, { code })]);
  assert.deepEqual([a.status, b.status].sort(), [200, 401]);
  const winner = a.status === 200 ? a : b;
  // The codes stored are the ones the winner was shown.
  assert.equal(await finish(s, await startLogin(s, u), winner.json.recoveryCodes[7]), 200);
});

test('without MFA the route answers 409', async () => {
  const u = await signup(s);
  assert.equal((await regen(u, { code: '123456' })).status, 409);
});
