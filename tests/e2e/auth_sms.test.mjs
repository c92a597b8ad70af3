// The HTTP SMS provider (SMS_URL): a local HTTP server stands in for the
// provider, records every request and fails the first ones (a dropped
// connection, then a 500) before answering 200. The phone code must reach
// it exactly once with a 2xx, with the bearer token and a stable
// Idempotency-Key, and nothing may go to the file outbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, request, sleep } from './lib/harness.mjs';
import { ACCOUNTS_ENV, signup, waitForMail } from './lib/accounts.mjs';
import { dbQuery } from './lib/acc_db.mjs';

let s, provider;
const seen = []; // { to, body, from, auth, key, answered }
let plan = []; // per request: 'drop' | 'hang' | status code; default 200
const hung = [];

before(async () => {
  provider = http.createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      const msg = JSON.parse(data);
      const step = plan.length ? plan.shift() : 200;
      const entry = { ...msg, auth: req.headers.authorization, key: req.headers['idempotency-key'],
        type: req.headers['content-type'], path: req.url, answered: step };
      seen.push(entry);
      if (step === 'drop') { req.socket.destroy(); return; }
      if (step === 'hang') { // never answered: the client times out and hangs up
        hung.push(res);
        res.on('close', () => { entry.closed = true; });
        return;
      }
      res.writeHead(step, { 'content-type': 'application/json' });
      res.end(step === 200 ? '{"status":"queued"}' : '{"error":"try later"}');
    });
  });
  await new Promise((r) => provider.listen(0, '127.0.0.1', r));
  s = await startServer({ env: { ...ACCOUNTS_ENV,
    SMS_URL: `http://127.0.0.1:${provider.address().port}/v1/messages`,
    SMS_TOKEN: 'sms-test-token', SMS_FROM: 'Travloc' } });
});
after(async () => {
  await s.stop();
  for (const res of hung) res.destroy();
  provider.close();
});

async function waitDelivered(to) {
  for (let i = 0; i < 600; i++) {
    if (seen.some((m) => m.to === to && m.answered === 200)) return;
    await sleep(100);
  }
  throw new Error('no delivery to ' + to + ': ' + JSON.stringify(seen));
}
const post = (u, p, body) => request(s, 'POST', p, { headers: u.auth, body });

test('a failing provider is retried until it answers 2xx, then never again', async () => {
  const u = await signup(s);
  const phone = '+4915112349001';
  plan = ['drop', 500];
  const r = await post(u, '/v1/auth/phone/start', { phone });
  assert.equal(r.status, 202, r.text);
  await waitDelivered(phone);
  const mine = seen.filter((m) => m.to === phone);
  assert.deepEqual(mine.map((m) => m.answered), ['drop', 500, 200]);
  for (const m of mine) {
    assert.equal(m.auth, 'Bearer sms-test-token');
    assert.equal(m.from, 'Travloc');
    assert.equal(m.path, '/v1/messages');
    assert.match(m.type, /^application\/json/);
    assert.equal(m.key, mine[0].key, 'one Idempotency-Key across retries');
  }
  assert.ok(mine[0].key);
  // The row is marked sent after the one 2xx, with the failures counted.
  const row = dbQuery(s, `SELECT attempts, sent_at IS NOT NULL FROM outbox WHERE recipient = '${phone}'`);
  assert.match(row, /^2\|(1|t)$/);
  // A later message goes through; the first one is not sent again.
  const phone2 = '+4915112349002';
  assert.equal((await post(u, '/v1/auth/phone/start', { phone: phone2 })).status, 202);
  await waitDelivered(phone2);
  assert.equal(seen.filter((m) => m.to === phone && m.answered === 200).length, 1);
  assert.equal(seen.filter((m) => m.to === phone).length, 3);
  // The code that arrived verifies the number.
  const code = /(\d{6})/.exec(seen.find((m) => m.to === phone2 && m.answered === 200).body)[1];
  const v = await post(u, '/v1/auth/phone/verify', { code });
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.phoneNumber, phone2);
  // Nothing went to the file outbox.
  const dir = path.join(s.dir, 'sms', 'new');
  assert.equal(existsSync(dir) ? readdirSync(dir).length : 0, 0);
});

test('a provider answering 503 costs the user no error and loses nothing', async () => {
  const u = await signup(s);
  const phone = '+4915112349003';
  plan = [503, 503];
  const r = await post(u, '/v1/auth/phone/start', { phone });
  assert.equal(r.status, 202, r.text);
  await waitDelivered(phone);
  assert.deepEqual(seen.filter((m) => m.to === phone).map((m) => m.answered), [503, 503, 200]);
});

test('a provider that never answers times out and is retried with the same Idempotency-Key', async () => {
  const u = await signup(s);
  const phone = '+4915112349004';
  plan = ['hang'];
  assert.equal((await post(u, '/v1/auth/phone/start', { phone })).status, 202);
  await waitDelivered(phone);
  const mine = seen.filter((m) => m.to === phone);
  assert.deepEqual(mine.map((m) => m.answered), ['hang', 200]);
  assert.equal(mine[1].key, mine[0].key, 'the provider can tell the retry from a new message');
  assert.match(dbQuery(s, `SELECT attempts FROM outbox WHERE recipient = '${phone}'`), /^1$/);
});

test('a provider that never answers does not hold up other mail', async () => {
  const u = await signup(s);
  const phone = '+4915112349005';
  plan = ['hang'];
  assert.equal((await post(u, '/v1/auth/phone/start', { phone })).status, 202);
  for (let i = 0; i < 600 && !seen.some((m) => m.to === phone); i++) await sleep(50);
  assert.equal(seen.filter((m) => m.to === phone).length, 1, 'the SMS request is hanging');
  // Another job of queue "mail" runs while the SMS job waits for its provider.
  const v = await signup(s);
  await waitForMail(s, v.email, /Confirm/);
  const mine = seen.filter((m) => m.to === phone);
  assert.deepEqual(mine.map((m) => m.answered), ['hang']);
  assert.ok(!mine[0].closed, 'the mail went out while the SMS attempt was still waiting');
  await waitDelivered(phone);
});

test('SMS_URL must be an http(s) URL', async () => {
  await assert.rejects(startServer({ env: { ...ACCOUNTS_ENV, SMS_URL: 'ftp://example.com/sms' } }),
    /SMS_URL/);
});
