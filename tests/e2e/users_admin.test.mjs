// Admin routes and `travloc user create --admin`: list and search, role
// changes, suspension that stops tokens at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, runCli } from './lib/harness.mjs';
import { ACCOUNTS_ENV, PASSWORD, createAdmin, login, signup, uniqueEmail } from './lib/accounts.mjs';

let s, admin;
before(async () => {
  s = await startServer({ env: ACCOUNTS_ENV });
  admin = await createAdmin(s);
});
after(async () => { await s.stop(); });

const as = (u, m, p, body) => request(s, m, p, { headers: u.auth, body });

test('the CLI refuses bad input and duplicates', async () => {
  const env = { ...s.env };
  const base = ['user', 'create', '--data-dir', s.dir];
  assert.equal((await runCli([...base, '--email', 'nope', '--password', PASSWORD], env)).code, 2);
  assert.equal((await runCli([...base, '--email', uniqueEmail(), '--password', 'short'], env)).code, 2);
  assert.equal((await runCli([...base, '--password', PASSWORD], env)).code, 2);
  const dup = await runCli([...base, '--email', admin.email, '--password', PASSWORD], env);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /already exists/);
  assert.equal(admin.user.role, 'admin');
  assert.equal(admin.user.emailVerified, true);
});

test('list and search users, with pagination', async () => {
  const tag = 'zq' + Date.now().toString(36);
  for (let i = 0; i < 3; i++) await signup(s, { email: uniqueEmail(`${tag}${i}`), firstName: `Findme${i}` });
  const p1 = await as(admin, 'GET', `/v1/admin/users?q=${tag}&limit=2`);
  assert.equal(p1.status, 200, p1.text);
  assert.equal(p1.json.items.length, 2);
  const p2 = await as(admin, 'GET', `/v1/admin/users?q=${tag}&limit=2&cursor=${p1.json.nextCursor}`);
  assert.equal(p2.json.items.length, 1);
  assert.equal(p2.json.nextCursor, null);
  const byName = await as(admin, 'GET', '/v1/admin/users?q=FINDME1');
  assert.equal(byName.json.items.length, 1);
  assert.equal(byName.json.items[0].firstName, 'Findme1');
  const pct = await as(admin, 'GET', '/v1/admin/users?q=%25');
  assert.equal(pct.json.items.length, 0, 'a % in q is a literal, not a wildcard');
  const admins = await as(admin, 'GET', '/v1/admin/users?role=admin');
  assert.deepEqual(admins.json.items.map((u) => u.id), [admin.id]);
  assert.equal((await as(admin, 'GET', '/v1/admin/users?limit=0')).status, 400);
  assert.equal((await request(s, 'GET', '/v1/admin/users')).status, 401);
});

test('role changes apply to the next request', async () => {
  const u = await signup(s);
  assert.equal((await as(u, 'PUT', `/v1/admin/users/${u.id}/role`, { role: 'admin' })).status, 403);
  const r = await as(admin, 'PUT', `/v1/admin/users/${u.id}/role`, { role: 'guide' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.role, 'guide');
  assert.equal((await as(u, 'GET', '/v1/users/me')).json.role, 'guide');
  assert.equal((await as(u, 'GET', '/v1/admin/users')).status, 403);
  assert.equal((await as(admin, 'PUT', `/v1/admin/users/${u.id}/role`, { role: 'king' })).status, 422);
  assert.equal((await as(admin, 'PUT', '/v1/admin/users/01900000-0000-7000-8000-000000000000/role', { role: 'guide' })).status, 404);
  assert.equal((await as(admin, 'PUT', `/v1/admin/users/${admin.id}/role`, { role: 'traveller' })).status, 409);
  const promoted = await as(admin, 'PUT', `/v1/admin/users/${u.id}/role`, { role: 'admin' });
  assert.equal(promoted.json.role, 'admin');
  assert.equal((await as(u, 'GET', '/v1/admin/users')).status, 200);
});

test('suspension stops tokens at once; unsuspend restores them', async () => {
  const u = await signup(s);
  assert.equal((await as(u, 'GET', '/v1/users/me')).status, 200);
  const r = await as(admin, 'POST', `/v1/admin/users/${u.id}/suspend`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'suspended');
  assert.equal((await as(u, 'GET', '/v1/users/me')).status, 401);
  assert.equal((await request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: u.refreshToken } })).status, 401);
  const l = await request(s, 'POST', '/v1/auth/login', { body: { email: u.email, password: PASSWORD } });
  assert.equal(l.status, 403);
  assert.equal(l.json.error.code, 'account_suspended');
  assert.equal((await as(admin, 'POST', `/v1/admin/users/${admin.id}/suspend`)).status, 409);
  assert.equal((await as(u, 'POST', `/v1/admin/users/${admin.id}/suspend`)).status, 401);
  assert.equal((await as(admin, 'POST', `/v1/admin/users/${u.id}/unsuspend`)).json.status, 'active');
  assert.equal((await as(u, 'GET', '/v1/users/me')).status, 200);
  await login(s, u.email);
});
