// MFA helpers shared by the MFA tests: enrol a user (secret + recovery
// codes) and start a password login that answers {mfaRequired, mfaToken}.
import assert from 'node:assert/strict';
import { request } from './harness.mjs';
import { PASSWORD, totp } from './accounts.mjs';

// Enrols u; the confirmation uses the previous 30 s step, so the current
// step is still free for the caller.
export async function enrol(s, u) {
  const e = await request(s, 'POST', '/v1/auth/mfa/enroll', { headers: u.auth, body: {} });
  assert.equal(e.status, 200, e.text);
  const ok = await request(s, 'POST', '/v1/auth/mfa/confirm',
    { headers: u.auth, body: { code: totp(e.json.secret, Date.now() - 30000) } });
  assert.equal(ok.status, 200, ok.text);
  return { secret: e.json.secret, codes: ok.json.recoveryCodes };
}

export async function startLogin(s, u) {
  const r = await request(s, 'POST', '/v1/auth/login', { body: { email: u.email, password: PASSWORD } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.mfaRequired, true);
  return r.json.mfaToken;
}

// Finishes a login with code; returns the status.
export async function finish(s, mfaToken, code) {
  return (await request(s, 'POST', '/v1/auth/mfa', { body: { mfaToken, code } })).status;
}
