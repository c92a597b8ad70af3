// Notifications (issue 5): devices, preferences, the in-app list, notify()
// through the admin test route, delivery tracking, topics, the trip
// invitation trigger, quiet hours, and who may see what.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { client, connected, once } from './lib/realtime.mjs';
import { mails } from './lib/accounts.mjs';
import { newTrip, share } from './lib/trips.mjs';
import {
  browserSubscription, createAdmin, deliveries, inbox, request, send, settled, signup,
  startNotifyServer, waitFor,
} from './lib/notify.mjs';

let s, admin, alice, bob;
before(async () => {
  s = await startNotifyServer();
  admin = await createAdmin(s);
  alice = await signup(s, { firstName: 'Alice' });
  bob = await signup(s, { firstName: 'Bob' });
});
after(async () => { await s.stop(); });

const FCM = 'fcm-token-' + 'a'.repeat(40);
const dev = (u, body) => request(s, 'POST', '/v1/notifications/devices', { headers: u.auth, body });

test('devices: register, idempotent re-register, move to another user, delete', async () => {
  let r = await dev(alice, { platform: 'android', provider: 'fcm', token: FCM });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  assert.equal(r.json.token, FCM);
  assert.equal(r.json.active, true);
  r = await dev(alice, { platform: 'android', provider: 'fcm', token: FCM });
  assert.equal(r.status, 200);
  assert.equal(r.json.id, id, 'same token, same device');
  r = await request(s, 'GET', '/v1/notifications/devices', { headers: alice.auth });
  assert.equal(r.json.items.filter((d) => d.token === FCM).length, 1);
  // Bob signs in on the same phone: the token moves to him.
  r = await dev(bob, { platform: 'android', provider: 'fcm', token: FCM });
  assert.equal(r.status, 200);
  assert.equal(r.json.id, id);
  r = await request(s, 'GET', '/v1/notifications/devices', { headers: alice.auth });
  assert.equal(r.json.items.length, 0, 'no longer Alice\'s');
  assert.equal((await request(s, 'DELETE', `/v1/notifications/devices/${id}`, { headers: alice.auth })).status, 404, 'not hers');
  r = await request(s, 'GET', '/v1/notifications/devices', { headers: bob.auth });
  assert.equal(r.json.items.length, 1);
  assert.equal((await request(s, 'DELETE', `/v1/notifications/devices/${id}`, { headers: bob.auth })).status, 204);
  assert.equal((await request(s, 'DELETE', `/v1/notifications/devices/${id}`, { headers: bob.auth })).status, 404);
  assert.equal((await request(s, 'DELETE', '/v1/notifications/devices/nope', { headers: bob.auth })).status, 404);
  r = await dev(alice, { platform: 'ios', provider: 'apns', token: 'AB'.repeat(32) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.token, 'ab'.repeat(32), 'APNs tokens are stored lower-case');
  const sub = browserSubscription('https://push.example.com/send/abc');
  r = await dev(alice, { platform: 'web', provider: 'webpush', subscription: sub.json });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.endpoint, sub.json.endpoint);
});

test('devices: strict validation', async () => {
  const sub = browserSubscription('https://push.example.com/send/x').json;
  const bad = [
    [{ platform: 'android', provider: 'fcm' }, 'token'],
    [{ platform: 'symbian', provider: 'fcm', token: FCM }, 'platform'],
    [{ platform: 'android', provider: 'gcm', token: FCM }, 'provider'],
    [{ platform: 'android', provider: 'apns', token: 'ab'.repeat(32) }, 'provider'],
    [{ platform: 'ios', provider: 'apns', token: 'zz'.repeat(32) }, 'token'],
    [{ platform: 'ios', provider: 'apns', token: 'abc' }, 'token'],
    [{ platform: 'android', provider: 'fcm', token: 'short' }, 'token'],
    [{ platform: 'android', provider: 'fcm', token: 'x'.repeat(30) + ' y' }, 'token'],
    [{ platform: 'android', provider: 'fcm', token: 42 }, 'token'],
    [{ platform: 'android', provider: 'fcm', token: FCM, extra: 1 }, 'extra'],
    [{ platform: 'web', provider: 'webpush', token: FCM }, 'token'],
    [{ platform: 'web', provider: 'webpush' }, 'subscription'],
    [{ platform: 'android', provider: 'fcm', token: FCM, subscription: sub }, 'subscription'],
    [{ platform: 'web', provider: 'webpush', subscription: { ...sub, endpoint: 'http://push.example.com/x' } }, 'subscription.endpoint'],
    [{ platform: 'web', provider: 'webpush', subscription: { ...sub, endpoint: 'https://169.254.169.254/latest' } }, 'subscription.endpoint'],
    [{ platform: 'web', provider: 'webpush', subscription: { ...sub, endpoint: 'https://evilpush.example.com/x' } }, 'subscription.endpoint'],
    [{ platform: 'web', provider: 'webpush', subscription: { ...sub, endpoint: 'https://push.example.com@10.0.0.1/x' } }, 'subscription.endpoint'],
    [{ platform: 'web', provider: 'webpush', subscription: { ...sub, keys: { ...sub.keys, p256dh: 'AAAA' } } }, 'subscription.keys.p256dh'],
    [{ platform: 'web', provider: 'webpush', subscription: { ...sub, keys: { ...sub.keys, auth: Buffer.alloc(8).toString('base64url') } } }, 'subscription.keys.auth'],
    [{ platform: 'web', provider: 'webpush', subscription: { ...sub, keys: { p256dh: sub.keys.p256dh } } }, 'subscription.keys.auth'],
  ];
  for (const [body, field] of bad) {
    const r = await dev(bob, body);
    assert.equal(r.status, 422, `${JSON.stringify(body)} -> ${r.text}`);
    assert.equal(r.json.error.details.field, field, r.text);
  }
  assert.equal((await dev(bob, [1, 2])).status, 400);
  assert.equal((await request(s, 'POST', '/v1/notifications/devices', { body: { platform: 'android', provider: 'fcm', token: FCM } })).status, 401);
  const r = await request(s, 'GET', '/v1/notifications/devices', { headers: bob.auth });
  assert.equal(r.json.items.length, 0, 'nothing was stored');
});

test('preferences: defaults, partial updates, quiet hours, validation', async () => {
  const u = await signup(s);
  let r = await request(s, 'GET', '/v1/notifications/preferences', { headers: u.auth });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.categories.chat, { push: true, email: false, sms: false, inApp: true }, 'no e-mail per chat message');
  assert.deepEqual(r.json.categories.safety, { push: true, email: true, sms: true, inApp: true });
  assert.equal(r.json.categories.marketing.push, false);
  assert.equal(r.json.quietHours, null);
  r = await request(s, 'PUT', '/v1/notifications/preferences', { headers: u.auth, body: {
    categories: { chat: { email: true } }, quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Lisbon' } } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.categories.chat, { push: true, email: true, sms: false, inApp: true });
  r = await request(s, 'PUT', '/v1/notifications/preferences', { headers: u.auth, body: { categories: { trip: { push: false } } } });
  assert.equal(r.json.categories.chat.email, true, 'earlier switches stay');
  assert.equal(r.json.categories.trip.push, false);
  assert.equal(r.json.quietHours.timeZone, 'Europe/Lisbon');
  const bad = [
    [{ categories: { spam: { push: true } } }, 'categories.spam'],
    [{ categories: { chat: { pigeon: true } } }, 'categories.chat.pigeon'],
    [{ categories: { chat: { push: 'yes' } } }, 'categories.chat.push'],
    [{ categories: [] }, 'categories'],
    [{ quietHours: { start: '25:00', end: '07:00', timeZone: 'UTC' } }, 'quietHours.start'],
    [{ quietHours: { start: '22:00', end: '7:00', timeZone: 'UTC' } }, 'quietHours.end'],
    [{ quietHours: { start: '22:00', end: '22:00', timeZone: 'UTC' } }, 'quietHours.end'],
    [{ quietHours: { start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' } }, 'quietHours.timeZone'],
    [{ quietHours: { start: '22:00', end: '07:00', timeZone: '../../etc/passwd' } }, 'quietHours.timeZone'],
    [{ quietHours: { start: '22:00', end: '07:00' } }, 'quietHours.timeZone'],
    [{ quietHours: 'night' }, 'quietHours'],
    [{ theme: 'dark' }, 'theme'],
  ];
  for (const [body, field] of bad) {
    r = await request(s, 'PUT', '/v1/notifications/preferences', { headers: u.auth, body });
    assert.equal(r.status, 422, `${JSON.stringify(body)} -> ${r.text}`);
    assert.equal(r.json.error.details.field, field);
  }
  r = await request(s, 'PUT', '/v1/notifications/preferences', { headers: u.auth, body: { categories: { chat: { push: false } }, quietHours: 'x' } });
  assert.equal(r.status, 422);
  r = await request(s, 'GET', '/v1/notifications/preferences', { headers: u.auth });
  assert.equal(r.json.categories.chat.push, true, 'a refused update changes nothing');
  r = await request(s, 'PUT', '/v1/notifications/preferences', { headers: u.auth, body: { quietHours: null } });
  assert.equal(r.json.quietHours, null);
  // Concurrent updates of different switches both survive.
  await Promise.all(['chat', 'booking', 'trip', 'safety', 'marketing'].map((c) =>
    request(s, 'PUT', '/v1/notifications/preferences', { headers: u.auth, body: { categories: { [c]: { sms: true } } } })));
  r = await request(s, 'GET', '/v1/notifications/preferences', { headers: u.auth });
  for (const c of ['chat', 'booking', 'trip', 'safety', 'marketing']) assert.equal(r.json.categories[c].sms, true, c);
  assert.equal((await request(s, 'GET', '/v1/notifications/preferences')).status, 401);
});

test('send: in-app list, realtime push, read marks, deliveries, and IDOR', async () => {
  const u = await signup(s, { firstName: 'Carol' });
  // Chat e-mail is off by default: Carol turns it on to get this one by mail too.
  assert.equal((await request(s, 'PUT', '/v1/notifications/preferences', { headers: u.auth,
    body: { categories: { chat: { email: true } } } })).status, 200);
  const sock = client(s, u.token);
  await connected(sock);
  const got = once(sock, 'notification:new');
  const sent = await send(s, admin, { userId: u.id, template: 'test.hello', data: { name: 'Carol', text: 'hi' } });
  assert.ok(sent.notificationId);
  assert.equal(sent.scheduled, false);
  const [evt] = await got;
  assert.equal(evt.id, sent.notificationId);
  assert.equal(evt.title, 'Hello Carol');
  assert.equal(evt.body, 'This is a test notification: hi');
  sock.close();
  let l = await inbox(s, u);
  assert.equal(l.unreadCount, 1);
  assert.equal(l.items[0].id, sent.notificationId);
  assert.equal(l.items[0].read, false);
  assert.equal(l.items[0].category, 'chat');
  const items = await settled(s, u, sent.notificationId);
  const byChannel = Object.fromEntries(items.map((d) => [d.channel, d]));
  assert.equal(byChannel.inApp.state, 'delivered');
  assert.equal(byChannel.email.state, 'sent');
  assert.equal(byChannel.inApp.attempts.length, 1);
  assert.equal(byChannel.sms, undefined, 'no phone, no SMS; chat SMS is off by default');
  await waitFor('the e-mail', () => mails(s).find((m) => m.to === u.email && m.subject === 'Hello Carol'));
  // Someone else's notification does not exist for them.
  assert.equal((await request(s, 'POST', `/v1/notifications/${sent.notificationId}/read`, { headers: bob.auth })).status, 404);
  assert.equal((await request(s, 'GET', `/v1/notifications/${sent.notificationId}/deliveries`, { headers: bob.auth })).status, 404);
  assert.equal((await inbox(s, u)).unreadCount, 1, 'Bob changed nothing');
  let r = await request(s, 'POST', `/v1/notifications/${sent.notificationId}/read`, { headers: u.auth });
  assert.equal(r.status, 200);
  assert.equal(r.json.read, true);
  assert.ok(r.json.readAt);
  l = await inbox(s, u);
  assert.equal(l.unreadCount, 0);
  await send(s, admin, { userId: u.id, template: 'test.hello', data: { name: 'C' } });
  await send(s, admin, { userId: u.id, template: 'test.hello', data: { name: 'D' } });
  assert.equal((await inbox(s, u, '?unread=true')).items.length, 2);
  r = await request(s, 'POST', '/v1/notifications/read-all', { headers: u.auth });
  assert.equal(r.json.updated, 2);
  assert.equal(r.json.unreadCount, 0);
  assert.equal((await request(s, 'POST', '/v1/notifications/not-an-id/read', { headers: u.auth })).status, 404);
});

test('the in-app list pages with a cursor, newest first', async () => {
  const u = await signup(s);
  for (let i = 0; i < 5; i++) await send(s, admin, { userId: u.id, template: 'test.hello', data: { name: `n${i}` } });
  const seen = [];
  let cursor = '';
  for (let page = 0; page < 5; page++) {
    const l = await inbox(s, u, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...l.items.map((x) => x.title));
    if (!l.nextCursor) break;
    cursor = l.nextCursor;
  }
  assert.deepEqual(seen, ['Hello n4', 'Hello n3', 'Hello n2', 'Hello n1', 'Hello n0']);
  for (const q of ['?limit=0', '?limit=101', '?limit=x', '?cursor=zzz', '?unread=maybe']) {
    const r = await request(s, 'GET', `/v1/notifications${q}`, { headers: u.auth });
    assert.equal(r.status, 422, q);
  }
});

test('preferences decide the channels; templates follow the language', async () => {
  const u = await signup(s);
  await request(s, 'PUT', '/v1/notifications/preferences', { headers: u.auth,
    body: { categories: { chat: { inApp: false, email: false } } } });
  const sent = await send(s, admin, { userId: u.id, template: 'test.hello', data: { name: 'x' } });
  assert.equal((await inbox(s, u)).items.length, 0, 'in-app is off for chat');
  const d = await deliveries(s, u, sent.notificationId);
  assert.equal(d.length, 0, 'no channel enabled and no device');
  const fr = await send(s, admin, { userId: u.id, template: 'trip.invitation', language: 'fr', data: { inviter: 'Zoé', trip: 'Porto' } });
  const l = await inbox(s, u);
  assert.equal(l.items[0].id, fr.notificationId);
  assert.equal(l.items[0].title, 'Invitation au voyage');
  assert.match(l.items[0].body, /Zoé vous invite au voyage « Porto »/);
  const de = await send(s, admin, { userId: u.id, template: 'trip.invitation', language: 'de', data: { inviter: 'A', trip: 'B' } });
  assert.equal((await inbox(s, u)).items.find((x) => x.id === de.notificationId).title, 'Trip invitation', 'falls back to English');
});

test('admin test route: permissions and validation roll back', async () => {
  let r = await request(s, 'POST', '/v1/admin/notifications/test', { headers: alice.auth, body: { userId: alice.id, template: 'test.hello' } });
  assert.equal(r.status, 403);
  const before = (await request(s, 'GET', '/v1/admin/jobs?queue=notifications&limit=200', { headers: admin.auth })).json.items.length;
  const bad = [
    [{ userId: alice.id, template: 'no.such' }, 'template'],
    [{ userId: alice.id, template: 'test.hello', category: 'safety' }, 'category'],
    [{ userId: alice.id, template: 'test.hello', category: 'junk' }, 'category'],
    [{ template: 'test.hello' }, 'userId'],
    [{ userId: '0190a0a0-0000-7000-8000-000000000000', template: 'test.hello' }, 'userId'],
    [{ topic: 'planet:earth', template: 'test.hello' }, 'topic'],
    [{ userId: alice.id, template: 'test.hello', data: [1] }, 'data'],
    [{ userId: alice.id, template: 'test.hello', sendAt: 'tomorrow' }, 'sendAt'],
  ];
  for (const [body, field] of bad) {
    r = await request(s, 'POST', '/v1/admin/notifications/test', { headers: admin.auth, body });
    assert.equal(r.status, 422, `${JSON.stringify(body)} -> ${r.text}`);
    assert.equal(r.json.error.details.field, field);
  }
  const afterN = (await request(s, 'GET', '/v1/admin/jobs?queue=notifications&limit=200', { headers: admin.auth })).json.items.length;
  assert.equal(afterN, before, 'no job left behind');
});

test('topics expand at send time; sendAt defers; the trip invitation notifies', async () => {
  const [owner, buddy, pending] = [await signup(s), await signup(s), await signup(s)];
  const trip = await newTrip(s, owner, { title: 'Azores' });
  await share(s, owner, trip.id, buddy, 'viewer');
  let r = await request(s, 'POST', `/v1/trips/${trip.id}/buddies`, { headers: owner.auth, body: { userId: pending.id } });
  assert.equal(r.status, 201);
  // The invitation trigger: the invitee hears of it.
  const inv = await waitFor('the invitation', async () => (await inbox(s, pending)).items.find((x) => x.template === 'trip.invitation'));
  assert.match(inv.body, /invited you to join the trip "Azores"/);
  assert.equal(inv.data.tripId, trip.id);
  const sent = await send(s, admin, { topic: `trip:${trip.id}`, template: 'safety.alert', data: { message: 'Storm warning' } });
  assert.equal(sent.scheduled, true);
  for (const u of [owner, buddy]) {
    const n = await waitFor('topic delivery', async () => (await inbox(s, u)).items.find((x) => x.body === 'Storm warning'));
    assert.equal(n.topic, `trip:${trip.id}`);
  }
  assert.equal((await inbox(s, pending)).items.some((x) => x.body === 'Storm warning'), false, 'pending is not a member');
  // sendAt in the future: nothing now, then it arrives.
  const at = new Date(Date.now() + 1500).toISOString();
  const later = await send(s, admin, { userId: buddy.id, template: 'test.hello', data: { name: 'later' }, sendAt: at });
  assert.equal(later.scheduled, true);
  assert.equal((await inbox(s, buddy)).items.some((x) => x.title === 'Hello later'), false);
  const n = await waitFor('the scheduled one', async () => (await inbox(s, buddy)).items.find((x) => x.title === 'Hello later'));
  assert.ok(Date.parse(n.createdAt) >= Date.parse(at), 'not before sendAt');
});

test('quiet hours delay push to the end of the window; safety ignores them', async () => {
  const u = await signup(s);
  const sub = browserSubscription('https://push.invalid/send/q');
  assert.equal((await dev(u, { platform: 'web', provider: 'webpush', subscription: sub.json })).status, 201);
  const now = new Date();
  const hhmm = (d) => d.toISOString().slice(11, 16);
  const start = new Date(now.getTime() - 3600e3), end = new Date(now.getTime() + 7200e3);
  let r = await request(s, 'PUT', '/v1/notifications/preferences', { headers: u.auth,
    body: { quietHours: { start: hhmm(start), end: hhmm(end), timeZone: 'UTC' } } });
  assert.equal(r.status, 200, r.text);
  const quiet = await send(s, admin, { userId: u.id, template: 'test.hello', data: { name: 'q' } });
  const d = (await deliveries(s, u, quiet.notificationId)).find((x) => x.channel === 'push');
  assert.equal(d.state, 'queued');
  const expected = Date.parse(end.toISOString().slice(0, 16) + ':00Z');
  const nb = Date.parse(d.notBefore);
  assert.ok(Math.abs(nb - expected) < 86400e3 && nb % 60000 === 0 && new Date(nb).toISOString().slice(11, 16) === hhmm(end),
    `push waits for ${hhmm(end)}, got ${d.notBefore}`);
  const safety = await send(s, admin, { userId: u.id, template: 'safety.alert', data: { message: 'now' } });
  const sd = (await deliveries(s, u, safety.notificationId)).find((x) => x.channel === 'push');
  assert.ok(Date.parse(sd.notBefore) <= Date.now(), 'safety is not delayed');
  const inApp = (await deliveries(s, u, quiet.notificationId)).find((x) => x.channel === 'inApp');
  assert.ok(Date.parse(inApp.notBefore) <= Date.now(), 'in-app is not delayed');
});

test('opened: the app reports a tapped push; only that device, first time counts, IDOR', async () => {
  const u = await signup(s);
  const ids = [];
  for (const path of ['o1', 'o2']) {
    const r = await dev(u, { platform: 'web', provider: 'webpush', subscription: browserSubscription(`https://push.invalid/send/${path}`).json });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.id);
  }
  const sent = await send(s, admin, { userId: u.id, template: 'safety.alert', data: { message: 'open me' } });
  let d = await deliveries(s, u, sent.notificationId);
  assert.equal(d.filter((x) => x.channel === 'push').length, 2);
  assert.ok(d.every((x) => x.openedAt === null), 'nothing opened yet');
  const path = `/v1/notifications/${sent.notificationId}/opened`;
  // Bad input and someone else's notification change nothing.
  assert.equal((await request(s, 'POST', path, { headers: u.auth, body: { deviceId: 'nope' } })).status, 422);
  assert.equal((await request(s, 'POST', path, { headers: u.auth, body: { deviceId: 7 } })).status, 422);
  assert.equal((await request(s, 'POST', path, { headers: u.auth, body: [1] })).status, 400);
  assert.equal((await request(s, 'POST', path, { headers: bob.auth, body: { deviceId: ids[0] } })).status, 404);
  assert.equal((await request(s, 'POST', '/v1/notifications/not-an-id/opened', { headers: u.auth })).status, 404);
  d = await deliveries(s, u, sent.notificationId);
  assert.ok(d.every((x) => x.openedAt === null), 'rejected requests opened nothing');
  assert.equal((await inbox(s, u)).items.find((n) => n.id === sent.notificationId).read, false);
  let r = await request(s, 'POST', path, { headers: u.auth, body: { deviceId: ids[1] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.read, true, 'opening reads it');
  d = await deliveries(s, u, sent.notificationId);
  const push = Object.fromEntries(d.filter((x) => x.channel === 'push').map((x) => [x.deviceId, x]));
  assert.equal(push[ids[0]].openedAt, null, 'the other device did not open it');
  assert.ok(push[ids[1]].openedAt, 'the tapped device did');
  assert.ok(d.find((x) => x.channel === 'inApp').openedAt);
  const first = push[ids[1]].openedAt;
  r = await request(s, 'POST', path, { headers: u.auth });
  assert.equal(r.status, 200);
  d = await deliveries(s, u, sent.notificationId);
  const again = Object.fromEntries(d.filter((x) => x.channel === 'push').map((x) => [x.deviceId, x]));
  assert.equal(again[ids[1]].openedAt, first, 'the first open counts');
  assert.ok(again[ids[0]].openedAt, 'without deviceId every push delivery is opened');
});

test('deleting the account removes its devices, notifications and preferences', async () => {
  const u = await signup(s);
  const token = 'fcm-gone-' + 'b'.repeat(40);
  assert.equal((await dev(u, { platform: 'android', provider: 'fcm', token })).status, 201);
  await send(s, admin, { userId: u.id, template: 'test.hello', data: { name: 'bye' } });
  const r = await request(s, 'DELETE', '/v1/users/me', { headers: u.auth, body: { password: u.password } });
  assert.equal(r.status, 204, r.text);
  // The token is unknown again: registering it elsewhere creates a new device.
  const again = await dev(bob, { platform: 'android', provider: 'fcm', token });
  assert.equal(again.status, 201, again.text);
  await request(s, 'DELETE', `/v1/notifications/devices/${again.json.id}`, { headers: bob.auth });
});
