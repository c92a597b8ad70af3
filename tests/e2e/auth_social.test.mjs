// POST /v1/auth/oidc: ID tokens signed with locally generated keys, checked
// against the provider's JWKS (a file here); account linking only through a
// verified e-mail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, request } from './lib/harness.mjs';
import { ACCOUNTS_ENV, signup, uniqueEmail } from './lib/accounts.mjs';

const GOOGLE_ID = 'test-client.apps.googleusercontent.com';
const PROJECT = 'travloc-test';
const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let s, dir;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'travloc-oidc-'));
  const jwks = { keys: [
    { ...key.publicKey.export({ format: 'jwk' }), kid: 'r1', alg: 'RS256', use: 'sig' },
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'e1', alg: 'ES256', use: 'sig' },
  ] };
  writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify(jwks));
  writeFileSync(path.join(dir, 'providers.json'), JSON.stringify({
    google: { clientIds: [GOOGLE_ID], jwksFile: path.join(dir, 'jwks.json') },
    firebase: { projectId: PROJECT, jwksFile: path.join(dir, 'jwks.json') },
  }));
  s = await startServer({ env: { ...ACCOUNTS_ENV, TRAVLOC_OIDC_PROVIDERS: path.join(dir, 'providers.json') } });
});
after(async () => { await s.stop(); rmSync(dir, { recursive: true, force: true }); });

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
function idToken(claims, { kid = 'r1', alg = 'RS256', signer = key.privateKey } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg, kid, typ: 'JWT' })}.${b64({
    iss: 'https://accounts.google.com', aud: GOOGLE_ID, iat: now, exp: now + 600,
    sub: randomBytes(8).toString('hex'), ...claims })}`;
  if (alg === 'none') return `${head}.`;
  const sign = createSign('SHA256').update(head);
  const sig = alg === 'ES256' ? sign.sign({ key: signer, dsaEncoding: 'ieee-p1363' }) : sign.sign(signer);
  return `${head}.${sig.toString('base64url')}`;
}
const oidc = (body) => request(s, 'POST', '/v1/auth/oidc', { body: { provider: 'google', ...body } });

test('a new verified Google identity creates an account; the same sub signs it in', async () => {
  const email = uniqueEmail('g');
  const sub = 'google-' + randomBytes(4).toString('hex');
  const r = await oidc({ idToken: idToken({ sub, email, email_verified: true, name: 'Grace Hopper', nonce: 'n1' }), nonce: 'n1' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.user.email, email);
  assert.equal(r.json.user.emailVerified, true);
  assert.equal(r.json.user.firstName, 'Grace');
  assert.equal(r.json.user.lastName, 'Hopper');
  assert.equal((await request(s, 'GET', '/v1/users/me', { headers: { authorization: `Bearer ${r.json.token}` } })).status, 200);
  const again = await oidc({ idToken: idToken({ sub, email: uniqueEmail('changed'), email_verified: true }) });
  assert.equal(again.status, 200);
  assert.equal(again.json.user.id, r.json.user.id);
  // ES256 keys of the set work too.
  const e = await oidc({ idToken: idToken({ sub, email }, { kid: 'e1', alg: 'ES256', signer: ec.privateKey }) });
  assert.equal(e.status, 200, e.text);
});

test('linking to an existing account needs a verified e-mail', async () => {
  const u = await signup(s);
  const unverified = await oidc({ idToken: idToken({ email: u.email, email_verified: false }) });
  assert.equal(unverified.status, 409);
  const verified = await oidc({ idToken: idToken({ email: u.email.toUpperCase(), email_verified: true }) });
  assert.equal(verified.status, 200, verified.text);
  assert.equal(verified.json.user.id, u.id);
});

test('forged, expired, misaddressed or replayed tokens are refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  const email = uniqueEmail();
  const bad = {
    otherKey: idToken({ email }, { signer: other.privateKey }),
    unknownKid: idToken({ email }, { kid: 'zz' }),
    none: idToken({ email }, { alg: 'none' }),
    wrongAud: idToken({ email, aud: 'someone-else' }),
    wrongIss: idToken({ email, iss: 'https://evil.example' }),
    expired: idToken({ email, iat: now - 7200, exp: now - 3600 }),
    nonce: idToken({ email, nonce: 'a' }),
  };
  for (const [name, tok] of Object.entries(bad)) {
    const r = await oidc({ idToken: tok, nonce: name === 'nonce' ? 'b' : undefined });
    assert.equal(r.status, 401, `${name}: ${r.text}`);
    assert.equal(r.json.error.code, 'invalid_id_token');
  }
  assert.equal((await oidc({ provider: 'myspace', idToken: idToken({ email }) })).status, 422);
  assert.equal((await oidc({ idToken: 42 })).status, 422);
  assert.equal((await oidc({ idToken: idToken({ email: '' , email_verified: true }) })).status, 422);
});

test('Firebase Auth tokens (issuer securetoken.google.com/<project>)', async () => {
  const r = await request(s, 'POST', '/v1/auth/oidc', { body: { provider: 'firebase', idToken: idToken({
    iss: `https://securetoken.google.com/${PROJECT}`, aud: PROJECT, email: uniqueEmail('fb'), email_verified: true }) } });
  assert.equal(r.status, 201, r.text);
  const wrong = await request(s, 'POST', '/v1/auth/oidc', { body: { provider: 'firebase', idToken: idToken({
    iss: 'https://securetoken.google.com/other', aud: 'other', email: uniqueEmail('fb'), email_verified: true }) } });
  assert.equal(wrong.status, 401);
});
