// Push providers (issue 5): Web Push (RFC 8291 + VAPID), FCM HTTP v1 (service
// account JWT exchanged for a cached token) and APNs (ES256 provider token
// over HTTP/2), each against a local TLS server that checks every request;
// retries on 5xx and timeouts without duplicates, devices deactivated on
// 404/410, and the dead end after the last attempt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { startPushServer } from './servers/push.mjs';
import { startWorker } from './lib/queue.mjs';
import {
  browserSubscription, createAdmin, deliveries, pushFixtures, request, send, settled, signup,
  startNotifyServer, waitFor,
} from './lib/notify.mjs';

let fx, push, s, admin, pushEnv;
before(async () => {
  fx = pushFixtures();
  push = await startPushServer(fx);
  fx.writeFcmCredentials(`${push.origin}/token`);
  pushEnv = {
    TRAVLOC_PUSH_CA_FILE: fx.files.cert,
    TRAVLOC_WEBPUSH_VAPID_KEY: fx.files.vapid, TRAVLOC_WEBPUSH_SUBJECT: 'mailto:ops@travloc.test',
    TRAVLOC_FCM_CREDENTIALS: fx.files.fcm,
    TRAVLOC_FCM_URL: `${push.origin}/v1/projects/travloc-test/messages:send`,
    TRAVLOC_APNS_URL: push.origin, TRAVLOC_APNS_KEY: fx.files.apns, TRAVLOC_APNS_KEY_ID: 'KEY123',
    TRAVLOC_APNS_TEAM_ID: 'TEAM42', TRAVLOC_APNS_TOPIC: 'app.travloc',
  };
  s = await startNotifyServer({ env: pushEnv });
  admin = await createAdmin(s);
});
after(async () => {
  await s.stop();
  await push.close();
  rmSync(fx.dir, { recursive: true, force: true });
});

// A user with one device of the given provider; returns { user, device, key }.
async function withDevice(provider) {
  const user = await signup(s);
  // Push only: the in-app and e-mail channels are not under test here.
  await request(s, 'PUT', '/v1/notifications/preferences', { headers: user.auth, body: {
    categories: Object.fromEntries(['chat', 'safety'].map((c) => [c, { email: false, inApp: false, sms: false }])) } });
  let body, key;
  if (provider === 'webpush') {
    key = randomBytes(8).toString('hex');
    const sub = browserSubscription(`${push.origin}/webpush/${key}`);
    push.addSubscription(key, sub.ecdh, sub.auth);
    body = { platform: 'web', provider, subscription: sub.json };
  } else if (provider === 'fcm') {
    key = 'fcm:' + randomBytes(24).toString('base64url');
    body = { platform: 'android', provider, token: key };
  } else {
    key = randomBytes(32).toString('hex');
    body = { platform: 'ios', provider, token: key };
  }
  const r = await request(s, 'POST', '/v1/notifications/devices', { headers: user.auth, body });
  assert.equal(r.status, 201, r.text);
  return { user, device: r.json, key };
}

const hello = (u, name = 'there') => send(s, admin, { userId: u.id, template: 'test.hello', data: { name, text: 'push' } });

for (const provider of ['webpush', 'fcm', 'apns']) {
  test(`${provider}: the provider accepts a correctly built, signed message`, async () => {
    const { user, key } = await withDevice(provider);
    const n = await hello(user, provider);
    const [d] = await settled(s, user, n.notificationId, 'push');
    assert.equal(d.state, 'sent', JSON.stringify(d));
    assert.equal(d.attempts.length, 1);
    assert.equal(d.attempts[0].httpStatus, 200);
    const acc = push.acceptedFor(key);
    assert.equal(acc.length, 1);
    const p = acc[0].payload;
    if (provider === 'webpush') {
      assert.equal(p.title, `Hello ${provider}`, 'decrypted with the subscription keys');
      assert.equal(p.id, n.notificationId);
    } else if (provider === 'fcm') {
      assert.equal(p.notification.title, `Hello ${provider}`);
      assert.equal(p.data.notificationId, n.notificationId);
      assert.equal(p.data.name, provider);
    } else {
      assert.equal(p.aps.alert.title, `Hello ${provider}`);
      assert.equal(p.notificationId, n.notificationId);
      assert.equal(acc[0].id, d.id, 'apns-id is the delivery id');
    }
  });
}

test('fcm: the access token is exchanged once and cached', async () => {
  const { user, key } = await withDevice('fcm');
  const before = push.state.exchanges;
  for (let i = 0; i < 3; i++) {
    const n = await hello(user, `c${i}`);
    const [d] = await settled(s, user, n.notificationId, 'push');
    assert.equal(d.state, 'sent');
  }
  assert.equal(push.acceptedFor(key).length, 3);
  assert.ok(push.state.exchanges <= Math.max(before, 1), `exchanges ${push.state.exchanges}`);
});

test('fcm: a revoked access token is dropped, exchanged again, and the message retried', async () => {
  const { user, key } = await withDevice('fcm');
  let n = await hello(user, 'warm');
  assert.equal((await settled(s, user, n.notificationId, 'push'))[0].state, 'sent');
  const before = push.state.exchanges;
  push.state.tokens.clear(); // the provider revokes every token it issued
  n = await hello(user, 'revoked');
  const [d] = await settled(s, user, n.notificationId, 'push');
  assert.equal(d.state, 'sent', JSON.stringify(d));
  assert.deepEqual(d.attempts.map((a) => [a.state, a.httpStatus]), [['failed', 401], ['sent', 200]]);
  assert.equal(push.state.exchanges, before + 1);
  assert.equal(push.acceptedFor(key).length, 2);
});

for (const [provider, failures] of [['webpush', [503, 500]], ['fcm', ['timeout', 502]], ['apns', [429, 'timeout']]]) {
  test(`${provider}: ${failures.join(', ')} are retried with backoff and delivered once`, async () => {
    const { user, key } = await withDevice(provider);
    push.script(key, failures);
    const n = await hello(user, 'retry');
    const [d] = await settled(s, user, n.notificationId, 'push');
    assert.equal(d.state, 'sent', JSON.stringify(d));
    assert.deepEqual(d.attempts.map((a) => a.state), ['failed', 'failed', 'sent']);
    for (const [i, f] of failures.entries()) {
      if (f === 'timeout') assert.match(d.attempts[i].reason, /transport/);
      else assert.equal(d.attempts[i].httpStatus, f);
    }
    const seen = push.requestsFor(key);
    assert.equal(seen.length, 3);
    assert.equal(new Set(seen.map((r) => r.id)).size, 1, 'every try carries the same collapse id');
    assert.equal(push.acceptedFor(key).length, 1, 'accepted exactly once');
  });
}

for (const [provider, status] of [['webpush', 410], ['fcm', 404], ['apns', 410]]) {
  test(`${provider}: ${status} deactivates the device and is not retried`, async () => {
    const { user, key, device } = await withDevice(provider);
    push.script(key, [status]);
    const n = await hello(user, 'gone');
    const [d] = await settled(s, user, n.notificationId, 'push');
    assert.equal(d.state, 'failed');
    assert.match(d.reason, /gone/);
    assert.equal(d.attempts.length, 1);
    const devs = await request(s, 'GET', '/v1/notifications/devices', { headers: user.auth });
    const mine = devs.json.items.find((x) => x.id === device.id);
    assert.equal(mine.active, false);
    assert.match(mine.deactivatedReason, /gone/);
    const again = await hello(user, 'again');
    assert.equal((await deliveries(s, user, again.notificationId)).filter((x) => x.channel === 'push').length, 0,
      'an inactive device gets nothing');
    assert.equal(push.requestsFor(key).length, 1, 'one request in all');
    // Registering the token again reactivates it.
    const body = provider === 'webpush' ? undefined : { platform: provider === 'fcm' ? 'android' : 'ios', provider, token: key };
    if (body) {
      const r = await request(s, 'POST', '/v1/notifications/devices', { headers: user.auth, body });
      assert.equal(r.status, 200);
      assert.equal(r.json.active, true);
    }
  });
}

test('a provider that keeps failing: the delivery fails after the last attempt', async () => {
  const { user, key } = await withDevice('webpush');
  push.script(key, [503, 503, 503, 503, 503, 503]);
  const n = await hello(user, 'down');
  const [d] = await settled(s, user, n.notificationId, 'push');
  assert.equal(d.state, 'failed');
  assert.equal(d.attempts.length, 5);
  assert.ok(d.attempts.every((a) => a.state === 'failed' && a.httpStatus === 503));
  assert.equal(push.acceptedFor(key).length, 0);
  assert.equal(push.requestsFor(key).length, 5);
});

test('a provider refusing the request (bad credentials) fails without retry', async () => {
  const { user, key } = await withDevice('webpush');
  push.script(key, [403]);
  const n = await hello(user, 'refused');
  const [d] = await settled(s, user, n.notificationId, 'push');
  assert.equal(d.state, 'failed');
  assert.match(d.reason, /rejected: HTTP 403/);
  await waitFor('the job to end', async () => push.requestsFor(key).length === 1);
  const devs = await request(s, 'GET', '/v1/notifications/devices', { headers: user.auth });
  assert.equal(devs.json.items[0].active, true, 'a refusal is not a gone token');
});

test('a standalone worker delivers with the provider settings of its own environment', async () => {
  const s2 = await startNotifyServer({ env: { ...pushEnv, TRAVLOC_QUEUE_EMBEDDED: '0' } });
  const w = await startWorker({ dir: s2.dir, env: s2.database }, ['--queues', 'notifications'], {
    ...pushEnv, TRAVLOC_PUSH_RETRY_MS: '100', TRAVLOC_PUSH_TIMEOUT_MS: '1500' });
  try {
    const a2 = await createAdmin(s2);
    const u = await signup(s2);
    const key = randomBytes(32).toString('hex');
    const r = await request(s2, 'POST', '/v1/notifications/devices', { headers: u.auth, body: { platform: 'ios', provider: 'apns', token: key } });
    assert.equal(r.status, 201);
    const n = await send(s2, a2, { userId: u.id, template: 'safety.alert', data: { message: 'from the worker' } });
    const [d] = await settled(s2, u, n.notificationId, 'push');
    assert.equal(d.state, 'sent', JSON.stringify(d));
    assert.equal(push.acceptedFor(key)[0].payload.aps.alert.body, 'from the worker');
  } finally {
    await w.stop();
    await s2.stop();
  }
});
