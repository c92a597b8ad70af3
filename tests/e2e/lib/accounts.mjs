// Accounts helpers for black-box tests: sign up, log in, bearer headers,
// an admin made with `travloc user create --admin`, the mail the server
// wrote to its maildir, and TOTP codes. Other features' tests may use
// these, e.g.:
//   const s = await startServer({ env: ACCOUNTS_ENV });
//   const alice = await signup(s);            // { id, email, token, auth, ... }
//   await request(s, 'GET', '/v1/users/me', { headers: alice.auth });
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { request, runCli, sleep } from './harness.mjs';

// Cheapest Argon2id cost: sign-ups and logins stay fast under the sanitizers.
export const ACCOUNTS_ENV = { TRAVLOC_PASSWORD_COST: 'min' };
export const PASSWORD = 'Correct-Horse-Battery-42';

let seq = 0;
export function uniqueEmail(prefix = 'user') {
  return `${prefix}.${randomBytes(4).toString('hex')}.${seq++}@example.com`;
}

export const bearer = (token) => ({ authorization: `Bearer ${token}` });

function session(body, email, password) {
  return {
    id: body.user.id, user: body.user, email, password,
    token: body.token, refreshToken: body.refreshToken, sessionId: body.sessionId,
    auth: bearer(body.token),
  };
}

// Creates an account; throws unless the server answers 201.
export async function signup(server, fields = {}) {
  const email = fields.email || uniqueEmail();
  const password = fields.password || PASSWORD;
  const r = await request(server, 'POST', '/v1/auth/signup', {
    body: { firstName: 'Test', lastName: 'User', ...fields, email, password },
  });
  if (r.status !== 201) throw new Error(`signup ${r.status}: ${r.text}`);
  return session(r.json, email, password);
}

export async function login(server, email, password = PASSWORD, extra = {}) {
  const r = await request(server, 'POST', '/v1/auth/login', { body: { email, password, ...extra } });
  if (r.status !== 200 || !r.json.token) throw new Error(`login ${r.status}: ${r.text}`);
  return session(r.json, email, password);
}

// An admin account created through the CLI against the server's database.
export async function createAdmin(server) {
  const email = uniqueEmail('admin');
  const r = await runCli(['user', 'create', '--admin', '--email', email, '--password', PASSWORD,
    '--data-dir', server.dir], { ...server.env });
  if (r.code !== 0) throw new Error(`user create: ${r.code} ${r.stderr}`);
  return login(server, email);
}

// Messages in the server's maildir (<data dir>/mail/new), oldest first:
// { file, to, subject, text, headers }.
export function mails(server) {
  const dir = path.join(server.dir, 'mail', 'new');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((f) => parseMail(readFileSync(path.join(dir, f), 'utf8'), f));
}

export function parseMail(raw, file = '') {
  const text = raw.replace(/\r\n/g, '\n');
  const cut = text.indexOf('\n\n');
  const headers = {};
  for (const line of text.slice(0, cut).split('\n')) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { file, headers, to: (headers.to || '').replace(/[<>]/g, ''), subject: headers.subject,
    text: text.slice(cut + 2) };
}

// Waits (up to timeoutMs) for a mail to `to` whose subject matches.
export async function waitForMail(server, to, subject = /./, { timeoutMs = 20000, after = 0 } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = mails(server).filter((m) => m.to === to && subject.test(m.subject));
    if (found.length > after) return found[found.length - 1];
    if (Date.now() > end) throw new Error(`no mail to ${to} matching ${subject}`);
    await sleep(100);
  }
}

export const tokenFromMail = (m) => /token=([A-Za-z0-9_-]{43})/.exec(m.text)[1];

// RFC 6238 TOTP (SHA-1, 30 s, 6 digits) for a base32 secret.
export function totp(secretB32, time = Date.now()) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretB32.replace(/=+$/, '').toUpperCase()) bits += alpha.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
