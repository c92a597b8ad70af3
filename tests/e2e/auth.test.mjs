// /v1/auth: sign-up, login, token checks in the auth middleware, refresh
// rotation and theft detection, logout, sessions, brute-force limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, request, freshDatabaseEnv, isPostgres, psql } from './lib/harness.mjs';
import {
  ACCOUNTS_ENV, PASSWORD, bearer, createAdmin, login, signup, uniqueEmail, waitForMail,
} from './lib/accounts.mjs';

const SECRET = 'e2e-secret-' + randomBytes(24).toString('hex');
let s;

before(async () => {
  s = await startServer({ env: { ...ACCOUNTS_ENV, TRAVLOC_JWT_SECRET: SECRET, TRAVLOC_JWT_KID: 'k1' } });
});
after(async () => { await s.stop(); });

const b64 = (o) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
function forge(header, claims, secret = SECRET) {
  const head = `${b64(header)}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}
const me = (token) => request(s, 'GET', '/v1/users/me', { headers: bearer(token) });

test('signup returns the user and a working token pair', async () => {
  const email = uniqueEmail('Alice').replace('alice', 'ALICE');
  const r = await request(s, 'POST', '/v1/auth/signup', {
    body: { email: `  ${email} `, password: PASSWORD, firstName: 'Alice', lastName: 'Liddell', phoneNumber: '+4915112345678' },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.user.email, email.toLowerCase());
  assert.equal(r.json.user.role, 'traveller');
  assert.equal(r.json.user.emailVerified, false);
  assert.equal(r.json.user.phoneNumber, '+4915112345678');
  assert.equal(r.json.tokenType, 'Bearer');
  assert.equal(r.json.expiresIn, 900);
  assert.equal(r.json.user.passwordHash, undefined);
  assert.match(r.json.refreshToken, /^[A-Za-z0-9_-]{43}$/);
  const m = await me(r.json.token);
  assert.equal(m.status, 200);
  assert.equal(m.json.id, r.json.user.id);
  // The same address in other case is taken.
  const dup = await request(s, 'POST', '/v1/auth/signup', {
    body: { email: email.toUpperCase(), password: PASSWORD, firstName: 'A', lastName: 'B' } });
  assert.equal(dup.status, 409);
  assert.equal(dup.json.error.code, 'email_taken');
});

test('signup validates every field and changes nothing on bad input', async () => {
  const good = { email: uniqueEmail(), password: PASSWORD, firstName: 'Bob', lastName: 'Builder' };
  const cases = [
    [{ email: 'not-an-email' }, 'email'],
    [{ email: 42 }, 'email'],
    [{ password: 'short1!' }, 'password'],
    [{ password: 'qwertyuiop' }, 'password'],            // common
    [{ password: good.email.split('@')[0] + '-x' }, 'password'], // contains the e-mail name
    [{ firstName: '' }, 'firstName'],
    [{ firstName: 'x'.repeat(101) }, 'firstName'],
    [{ lastName: undefined }, 'lastName'],
    [{ phoneNumber: '0151 1234' }, 'phoneNumber'],
  ];
  for (const [patch, field] of cases) {
    const body = { ...good, ...patch };
    const r = await request(s, 'POST', '/v1/auth/signup', { body });
    assert.equal(r.status, 422, `${JSON.stringify(patch)}: ${r.text}`);
    assert.equal(r.json.error.details.field, field);
  }
  assert.equal((await request(s, 'POST', '/v1/auth/signup', { body: '[1]', headers: { 'content-type': 'application/json' } })).status, 400);
  assert.equal((await request(s, 'POST', '/v1/auth/signup', { body: 'x=1', headers: { 'content-type': 'text/plain' } })).status, 415);
  // None of those created the account.
  const ok = await request(s, 'POST', '/v1/auth/signup', { body: good });
  assert.equal(ok.status, 201, ok.text);
});

test('login: unknown e-mail and wrong password get the same 401', async () => {
  const u = await signup(s);
  const wrong = await request(s, 'POST', '/v1/auth/login', { body: { email: u.email, password: 'Wrong-Password-123' } });
  const unknown = await request(s, 'POST', '/v1/auth/login', { body: { email: uniqueEmail(), password: 'Wrong-Password-123' } });
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.equal(wrong.json.error.code, unknown.json.error.code);
  assert.equal(wrong.json.error.message, unknown.json.error.message);
  const ok = await login(s, u.email.toUpperCase());
  assert.equal(ok.id, u.id);
  assert.equal((await request(s, 'POST', '/v1/auth/login', { body: { email: u.email } })).status, 422);
});

test('routes without ROUTE_PUBLIC need a valid bearer token', async () => {
  const u = await signup(s);
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: u.id, sid: u.sessionId, role: 'traveller', iat: now, exp: now + 600, jti: 'j1' };
  const head = { alg: 'HS256', typ: 'JWT', kid: 'k1' };
  // A token forged with the right key works, so the failures below are about what they change.
  assert.equal((await me(forge(head, claims))).status, 200);
  const bad = {
    none: `${b64({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${b64(claims)}.`,
    tampered: (() => { const [h, , sig] = u.token.split('.'); return `${h}.${b64({ ...claims, role: 'admin' })}.${sig}`; })(),
    wrongSecret: forge(head, claims, 'another-secret-that-is-long-enough-0123456789'),
    wrongKid: forge({ ...head, kid: 'k9' }, claims),
    wrongAlg: forge({ ...head, alg: 'HS512' }, claims),
    expired: forge(head, { ...claims, iat: now - 7200, exp: now - 3600 }),
    notYetValid: forge(head, { ...claims, iat: now + 3600, exp: now + 7200 }),
    unknownSession: forge(head, { ...claims, sid: '01900000-0000-7000-8000-000000000000' }),
    otherUsersSession: forge(head, { ...claims, sub: '01900000-0000-7000-8000-000000000001' }),
    garbage: 'abc.def.ghi',
  };
  for (const [name, tok] of Object.entries(bad)) {
    const r = await me(tok);
    assert.equal(r.status, 401, name);
    assert.equal(r.json.error.code, 'unauthorized', name);
  }
  assert.equal((await request(s, 'GET', '/v1/users/me')).status, 401);
  assert.equal((await request(s, 'GET', '/v1/users/me', { headers: { authorization: `Basic ${u.token}` } })).status, 401);
  // A role claim does not grant a role: the database says traveller.
  assert.equal((await request(s, 'GET', '/v1/admin/users', { headers: bearer(forge(head, { ...claims, role: 'admin' })) })).status, 403);
});

test('refresh rotates; reusing a spent token ends the session', async () => {
  const u = await signup(s);
  const r1 = await request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: u.refreshToken } });
  assert.equal(r1.status, 200, r1.text);
  assert.notEqual(r1.json.refreshToken, u.refreshToken);
  assert.equal(r1.json.user.id, u.id);
  assert.equal((await me(r1.json.token)).status, 200);
  const again = await request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: u.refreshToken } });
  assert.equal(again.status, 401);
  assert.equal(again.json.error.code, 'refresh_token_reused');
  // The whole family is dead: the newest pair and the first access token.
  assert.equal((await me(r1.json.token)).status, 401);
  assert.equal((await me(u.token)).status, 401);
  assert.equal((await request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: r1.json.refreshToken } })).status, 401);
  for (const t of ['', 'x', 'A'.repeat(43), 7]) {
    const r = await request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: t } });
    assert.ok(r.status === 401 || r.status === 422, `${t}: ${r.status}`);
  }
});

test('concurrent refresh with one token: exactly one wins, the family is revoked', async () => {
  const u = await signup(s);
  const rs = await Promise.all(Array.from({ length: 6 }, () =>
    request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: u.refreshToken } })));
  const wins = rs.filter((r) => r.status === 200);
  assert.equal(wins.length, 1, rs.map((r) => r.status).join(','));
  assert.ok(rs.filter((r) => r.status === 401).length === 5);
  assert.equal((await me(wins[0].json.token)).status, 401);
  assert.equal((await request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: wins[0].json.refreshToken } })).status, 401);
});

test('logout, sessions list and delete, logout-all', async () => {
  const u = await signup(s);
  const phone = await login(s, u.email, PASSWORD, { deviceId: 'phone-1' });
  const list = await request(s, 'GET', '/v1/auth/sessions', { headers: phone.auth });
  assert.equal(list.status, 200);
  assert.equal(list.json.items.length, 2);
  const cur = list.json.items.find((x) => x.current);
  assert.equal(cur.id, phone.sessionId);
  assert.equal(cur.deviceId, 'phone-1');
  assert.equal(cur.ip, '127.0.0.1');
  assert.match(cur.createdAt, /^\d{4}-\d\d-\d\dT.*Z$/);
  // Another user cannot end these sessions.
  const eve = await signup(s);
  assert.equal((await request(s, 'DELETE', `/v1/auth/sessions/${u.sessionId}`, { headers: eve.auth })).status, 404);
  assert.equal((await me(u.token)).status, 200);
  assert.equal((await request(s, 'DELETE', `/v1/auth/sessions/${u.sessionId}`, { headers: phone.auth })).status, 204);
  assert.equal((await me(u.token)).status, 401);
  assert.equal((await request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: u.refreshToken } })).status, 401);
  assert.equal((await request(s, 'POST', '/v1/auth/logout', { headers: phone.auth })).status, 204);
  assert.equal((await me(phone.token)).status, 401);
  const a = await login(s, u.email), b = await login(s, u.email);
  assert.equal((await request(s, 'POST', '/v1/auth/logout-all', { headers: a.auth })).status, 204);
  assert.equal((await me(a.token)).status, 401);
  assert.equal((await me(b.token)).status, 401);
  assert.equal((await me(eve.token)).status, 200);
});

test('repeated failures lock the account (429, Retry-After) and tell the owner', async () => {
  const u = await signup(s);
  const statuses = [];
  for (let i = 0; i < 5; i++) {
    statuses.push((await request(s, 'POST', '/v1/auth/login', { body: { email: u.email, password: 'Wrong-Password-' + i } })).status);
  }
  assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
  const locked = await request(s, 'POST', '/v1/auth/login', { body: { email: u.email, password: PASSWORD } });
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers.get('retry-after')) > 0);
  const mail = await waitForMail(s, u.email, /Sign-in attempts/);
  assert.match(mail.text, /wrong password/);
  // Other accounts are not affected.
  const v = await signup(s);
  await login(s, v.email);
});

test('roles: travellers get 403 on admin routes, admins get through', async () => {
  const u = await signup(s);
  const r = await request(s, 'GET', '/v1/admin/users', { headers: u.auth });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'forbidden');
  const admin = await createAdmin(s);
  assert.equal((await request(s, 'GET', '/v1/admin/users', { headers: admin.auth })).status, 200);
});

test('per-IP failures lock the client address', async () => {
  const t = await startServer({ env: ACCOUNTS_ENV });
  try {
    let last;
    for (let i = 0; i < 30; i++) {
      last = await request(t, 'POST', '/v1/auth/login', { body: { email: uniqueEmail(), password: 'Wrong-Password-1' } });
      assert.equal(last.status, 401);
    }
    const r = await request(t, 'POST', '/v1/auth/login', { body: { email: uniqueEmail(), password: 'Wrong-Password-1' } });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  } finally {
    await t.stop();
  }
});

test('a login re-hashes a password stored at another Argon2id cost', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-rehash-'));
  const database = freshDatabaseEnv(dir);
  const hashOf = (email) => {
    const q = `SELECT password_hash FROM users WHERE email = '${email}'`;
    return isPostgres ? psql(database.TRAVLOC_TEST_DB, q)
      : execFileSync('sqlite3', [path.join(dir, 'travloc.db'), q], { encoding: 'utf8' }).trim();
  };
  try {
    const a = await startServer({ dataDir: dir, database, env: ACCOUNTS_ENV });
    const u = await signup(a);
    await a.stop();
    assert.match(hashOf(u.email), /^\$argon2id\$v=19\$m=8,t=1/);
    const b = await startServer({ dataDir: dir, database, env: { TRAVLOC_PASSWORD_COST: 'interactive' } });
    await login(b, u.email);
    await b.stop();
    assert.match(hashOf(u.email), /^\$argon2id\$v=19\$m=65536,t=2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
