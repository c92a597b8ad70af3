// TOTP secrets are encrypted at rest (XChaCha20-Poly1305, "v1:" strings):
// the database never holds the base32 secret, a plaintext row from before
// encryption is sealed at the next start and keeps working, the key comes
// from MFA_KEY or the database, and a wrong key fails closed (nobody gets
// through the TOTP step, the server keeps serving).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer, request, freshDatabaseEnv } from './lib/harness.mjs';
import { ACCOUNTS_ENV, signup, totp } from './lib/accounts.mjs';
import { enrol, startLogin, finish } from './lib/acc_mfa.mjs';
import { dbQuery } from './lib/acc_db.mjs';

const step = 30000;
const secretOf = (s, u) => dbQuery(s, `SELECT secret FROM mfa WHERE user_id = '${u.id}'`);

test('secrets are sealed; old plaintext rows are sealed at start; a wrong key fails closed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-mfakey-'));
  const database = freshDatabaseEnv(dir);
  const key = randomBytes(32).toString('base64');
  const start = (k) => startServer({ dataDir: dir, database, env: { ...ACCOUNTS_ENV, MFA_KEY: k } });
  let s = await start(key);
  try {
    const u = await signup(s);
    const { secret, codes } = await enrol(s, u);
    const stored = secretOf(s, u);
    assert.match(stored, /^v1:[A-Za-z0-9+/]+=*$/);
    assert.ok(!stored.includes(secret), 'the base32 secret is not in the row');
    assert.equal(await finish(s, await startLogin(s, u), totp(secret)), 200);

    // A row written before encryption: the bare secret.
    dbQuery(s, `UPDATE mfa SET secret = '${secret}' WHERE user_id = '${u.id}'`);
    await s.stop();
    s = await start(key);
    const resealed = secretOf(s, u);
    assert.match(resealed, /^v1:/);
    assert.notEqual(resealed, stored, 'a new nonce');
    assert.equal(await finish(s, await startLogin(s, u), totp(secret, Date.now() + step)), 200);
    await s.stop();

    // Another key: the secret does not open, nobody passes, nothing crashes.
    s = await start(randomBytes(32).toString('base64'));
    const t = await startLogin(s, u);
    const r = await request(s, 'POST', '/v1/auth/mfa', { body: { mfaToken: t, code: totp(secret, Date.now() + 2 * step) } });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'mfa_unavailable');
    assert.equal(r.json.token, undefined);
    assert.equal((await request(s, 'GET', '/health')).status, 200);
    assert.equal(secretOf(s, u), resealed, 'the row is left alone');
    await s.stop();

    // The right key again: the user is back (the TOTP steps of this
    // minute are spent, so with a recovery code, which needs the secret
    // to open first).
    s = await start(key);
    assert.equal(await finish(s, await startLogin(s, u), codes[0]), 200);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without MFA_KEY the key is kept in the database and secrets are still sealed', async () => {
  const s = await startServer({ env: ACCOUNTS_ENV });
  try {
    const u = await signup(s);
    const { secret } = await enrol(s, u);
    assert.match(secretOf(s, u), /^v1:/);
    assert.ok(!secretOf(s, u).includes(secret));
    assert.equal(dbQuery(s, "SELECT count(*) FROM server_state WHERE key = 'mfa_key'"), '1');
    assert.equal(await finish(s, await startLogin(s, u), totp(secret)), 200);
    // A sealed secret copied onto another user's row does not open there.
    const v = await signup(s);
    const other = await enrol(s, v);
    dbQuery(s, `UPDATE mfa SET secret = '${secretOf(s, u)}' WHERE user_id = '${v.id}'`);
    assert.equal(await finish(s, await startLogin(s, v), totp(secret, Date.now() + step)), 503);
    assert.equal(await finish(s, await startLogin(s, v), totp(other.secret)), 503);
  } finally {
    await s.stop();
  }
});

test('a malformed MFA_KEY stops the server at start', async () => {
  for (const bad of ['short', randomBytes(16).toString('base64'), '!!!!']) {
    await assert.rejects(startServer({ env: { ...ACCOUNTS_ENV, MFA_KEY: bad } }), /MFA_KEY/);
  }
});
