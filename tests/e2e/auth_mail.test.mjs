// E-mail flows: verification (and resend), password reset, the maildir
// mailer, and SMTP through a real local server (python3-aiosmtpd) that is
// down at first: the mail is retried, not lost, and the user sees no 500.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, request, sleep } from './lib/harness.mjs';
import {
  ACCOUNTS_ENV, PASSWORD, login, mails, parseMail, signup, tokenFromMail, uniqueEmail, waitForMail,
} from './lib/accounts.mjs';

let s;
before(async () => { s = await startServer({ env: ACCOUNTS_ENV }); });
after(async () => { await s.stop(); });

test('sign-up sends a verification mail; its token verifies once', async () => {
  const u = await signup(s);
  const m = await waitForMail(s, u.email, /Confirm your e-mail/);
  assert.match(m.headers['content-type'], /text\/plain; charset=utf-8/);
  assert.match(m.headers['message-id'], /^<.+@travloc>$/);
  assert.ok(m.headers.date);
  const token = tokenFromMail(m);
  const r = await request(s, 'POST', '/v1/auth/verify', { body: { token } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await request(s, 'GET', '/v1/users/me', { headers: u.auth })).json.emailVerified, true);
  const again = await request(s, 'POST', '/v1/auth/verify', { body: { token } });
  assert.equal(again.status, 422);
  assert.equal(again.json.error.code, 'invalid_token');
  for (const bad of ['nope', 'A'.repeat(43), 12]) {
    assert.equal((await request(s, 'POST', '/v1/auth/verify', { body: { token: bad } })).status, 422);
  }
  const resend = await request(s, 'POST', '/v1/auth/verify/resend', { headers: u.auth });
  assert.equal(resend.status, 409);
});

test('resend sends a fresh token', async () => {
  const u = await signup(s);
  await waitForMail(s, u.email, /Confirm/);
  assert.equal((await request(s, 'POST', '/v1/auth/verify/resend')).status, 401);
  assert.equal((await request(s, 'POST', '/v1/auth/verify/resend', { headers: u.auth })).status, 202);
  const second = await waitForMail(s, u.email, /Confirm/, { after: 1 });
  assert.equal((await request(s, 'POST', '/v1/auth/verify', { body: { token: tokenFromMail(second) } })).status, 200);
});

test('password reset: always 202, single-use token, ends every session', async () => {
  const u = await signup(s);
  const other = await login(s, u.email);
  const unknown = uniqueEmail();
  const r0 = await request(s, 'POST', '/v1/auth/reset-password', { body: { email: unknown } });
  assert.equal(r0.status, 202);
  const r1 = await request(s, 'POST', '/v1/auth/reset-password', { body: { email: u.email.toUpperCase() } });
  assert.equal(r1.status, 202);
  assert.deepEqual(r0.json, r1.json);
  const m = await waitForMail(s, u.email, /Reset your/);
  assert.equal(mails(s).filter((x) => x.to === unknown).length, 0);
  const token = tokenFromMail(m);
  // A weak password is refused without spending the token.
  const weak = await request(s, 'POST', '/v1/auth/reset-password/confirm', { body: { token, newPassword: 'short' } });
  assert.equal(weak.status, 422);
  assert.equal(weak.json.error.details.field, 'newPassword');
  const NEW = 'Brand-New-Secret-77';
  const ok = await request(s, 'POST', '/v1/auth/reset-password/confirm', { body: { token, newPassword: NEW } });
  assert.equal(ok.status, 204, ok.text);
  assert.equal((await request(s, 'GET', '/v1/users/me', { headers: u.auth })).status, 401);
  assert.equal((await request(s, 'GET', '/v1/users/me', { headers: other.auth })).status, 401);
  assert.equal((await request(s, 'POST', '/v1/auth/refresh', { body: { refreshToken: u.refreshToken } })).status, 401);
  assert.equal((await request(s, 'POST', '/v1/auth/login', { body: { email: u.email, password: PASSWORD } })).status, 401);
  await login(s, u.email, NEW);
  const reuse = await request(s, 'POST', '/v1/auth/reset-password/confirm', { body: { token, newPassword: 'Another-Secret-88' } });
  assert.equal(reuse.status, 422);
  assert.equal((await request(s, 'POST', '/v1/auth/reset-password', { body: { email: 'nope' } })).status, 422);
});

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const haveAiosmtpd = spawnSync(PY, ['-c', 'import aiosmtpd'], { stdio: 'ignore' }).status === 0;

test('SMTP: a server that is down loses nothing; mail arrives once it is up',
  { skip: haveAiosmtpd ? false : 'python3-aiosmtpd is not installed (scripts/install-deps)' }, async () => {
    const port = await freePort();
    const root = mkdtempSync(path.join(tmpdir(), 'travloc-smtp-'));
    const box = path.join(root, 'maildir'); // the Mailbox handler creates it
    const t = await startServer({ env: { ...ACCOUNTS_ENV, SMTP_URL: `smtp://127.0.0.1:${port}`, TRAVLOC_MAIL_FROM: 'hello@travloc.test' } });
    let smtpd;
    try {
      const email = uniqueEmail('smtp');
      const r = await request(t, 'POST', '/v1/auth/signup', { body: { email, password: PASSWORD, firstName: 'S', lastName: 'M' } });
      assert.equal(r.status, 201, 'the user gets no error while the mail server is down');
      const r2 = await request(t, 'POST', '/v1/auth/reset-password', { body: { email } });
      assert.equal(r2.status, 202);
      for (let i = 0; i < 200 && !/outbox delivery failed/.test(t.logs); i++) await sleep(50);
      assert.match(t.logs, /outbox delivery failed/);
      assert.equal(existsSync(path.join(t.dir, 'mail')), false, 'SMTP mode writes no maildir');
      smtpd = spawn(PY, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', box],
        { stdio: 'ignore' });
      const dir = path.join(box, 'new');
      let got = [];
      for (let i = 0; i < 600 && got.length < 2; i++) {
        await sleep(100);
        got = existsSync(dir) ? readdirSync(dir).map((f) => parseMail(readFileSync(path.join(dir, f), 'utf8'))) : [];
      }
      assert.equal(got.length, 2, 'both queued mails arrive');
      const subjects = got.map((m) => m.subject).sort();
      assert.deepEqual(subjects, ['Confirm your e-mail address', 'Reset your Travloc password']);
      for (const m of got) {
        assert.equal(m.to, email);
        assert.match(m.headers.from, /hello@travloc\.test/);
        assert.match(m.text, /token=[A-Za-z0-9_-]{43}/);
      }
      await sleep(1500);
      assert.equal(readdirSync(dir).length, 2, 'each mail is sent once');
    } finally {
      if (smtpd) smtpd.kill('SIGTERM');
      await t.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
