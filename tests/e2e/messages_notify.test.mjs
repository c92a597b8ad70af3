// Chat messages notify offline members (issues 5 and 8): an offline member
// gets an in-app notification and a push (local FCM server) with a preview;
// an online member gets message:new and no notification; the sender never;
// a burst is collapsed into one until read (then "N new messages"); muted
// members get none; a refused send notifies nobody; a removed member gets
// none. On PostgreSQL + Redis: a member online on ANOTHER node gets none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { startPushServer } from './servers/push.mjs';
import { isPostgres, startServer } from './lib/harness.mjs';
import { ack, client, collect, connected, once, until } from './lib/realtime.mjs';
import { PNG, convPath, direct, group, join, send } from './lib/messages.mjs';
import { newTrip, share } from './lib/trips.mjs';
import {
  NOTIFY_ENV, inbox, pushFixtures, request, settled, signup, startNotifyServer, waitFor,
} from './lib/notify.mjs';
import { mails } from './lib/accounts.mjs';

let fx, push, s;
const socks = [];
before(async () => {
  fx = pushFixtures();
  push = await startPushServer(fx);
  fx.writeFcmCredentials(`${push.origin}/token`);
  s = await startNotifyServer({ env: {
    TRAVLOC_PUSH_CA_FILE: fx.files.cert,
    TRAVLOC_FCM_CREDENTIALS: fx.files.fcm,
    TRAVLOC_FCM_URL: `${push.origin}/v1/projects/travloc-test/messages:send`,
  } });
});
after(async () => {
  for (const k of socks) k.close();
  await s.stop();
  await push.close();
  rmSync(fx.dir, { recursive: true, force: true });
});

const person = (first, last = 'Martin') => signup(s, { firstName: first, lastName: last });
// The user's chat notifications, newest first.
const chats = async (u, srv = s) => (await inbox(srv, u)).items.filter((n) => n.template === 'chat.message');
async function online(u, srv = s) {
  const k = client(srv, u.token);
  socks.push(k);
  await connected(k);
  return k;
}

test('an offline member gets an in-app notification and a push; the sender gets none', async () => {
  const [alice, bob] = [await person('Alice'), await person('Bob')];
  const key = 'fcm:' + randomBytes(24).toString('base64url');
  const r = await request(s, 'POST', '/v1/notifications/devices', { headers: bob.auth,
    body: { platform: 'android', provider: 'fcm', token: key } });
  assert.equal(r.status, 201, r.text);
  const conv = await direct(s, alice, bob);
  assert.equal((await chats(bob)).length, 0);
  const text = 'é'.repeat(60) + 'x'.repeat(60);
  const m = await send(s, alice, conv.id, text);
  const [n] = await chats(bob);
  assert.ok(n, 'bob was notified at once (same transaction as the send)');
  assert.equal(n.category, 'chat');
  assert.equal(n.title, 'Alice Martin', 'a direct conversation: the sender');
  assert.equal(n.body, 'é'.repeat(60) + 'x'.repeat(40) + '…', 'preview cut at 100 characters');
  assert.equal(n.data.conversationId, conv.id);
  assert.equal(n.data.messageId, m.id);
  assert.equal(n.data.seq, m.seq);
  assert.equal(n.data.senderId, alice.id);
  assert.equal(n.data.count, 1);
  assert.equal((await chats(alice)).length, 0, 'the sender gets nothing');
  const items = await settled(s, bob, n.id);
  assert.deepEqual(items.map((d) => d.channel).sort(), ['inApp', 'push'], 'chat e-mail is off by default');
  const pushed = items.find((d) => d.channel === 'push');
  assert.equal(pushed.state, 'sent', JSON.stringify(pushed));
  const [acc] = push.acceptedFor(key);
  assert.equal(acc.payload.notification.title, 'Alice Martin');
  assert.equal(acc.payload.notification.body, n.body);
  assert.equal(acc.payload.data.conversationId, conv.id);
});

test('an online member gets message:new and no notification; group titles name the group', async () => {
  const [alice, bob, carol] = [await person('Alice'), await person('Bob'), await person('Carol')];
  const conv = await group(s, alice, [bob, carol], 'Hikers');
  const k = await online(bob);
  assert.equal((await join(k, conv.id)).ok, true);
  const got = once(k, 'message:new');
  const m = await send(s, alice, conv.id, 'Summit at noon');
  const [evt] = await got;
  assert.equal(evt.id, m.id);
  assert.equal((await chats(bob)).length, 0, 'online: no notification');
  const [n] = await chats(carol);
  assert.equal(n.title, 'Alice Martin in Hikers');
  assert.equal(n.body, 'Summit at noon');
  // Bob goes offline: the next message notifies him.
  k.close();
  await until(async () => !(await request(s, 'GET', `/v1/presence?userIds=${bob.id}`, { headers: alice.auth })).json.items[0].online);
  await send(s, alice, conv.id, 'Where are you?');
  const [nb] = await chats(bob);
  assert.equal(nb.body, '2 new messages. Latest: Where are you?', 'he never read the first one');
  assert.equal(nb.data.count, 2);
});

test('a burst is collapsed into one notification until read; the next one counts', async () => {
  const [alice, dave] = [await person('Alice'), await person('Dave')];
  const conv = await direct(s, alice, dave);
  const first = await send(s, alice, conv.id, 'm1');
  await send(s, alice, conv.id, 'm2');
  await send(s, alice, conv.id, 'm3');
  let l = await chats(dave);
  assert.equal(l.length, 1, 'one notification per conversation per window');
  assert.equal(l[0].body, 'm1');
  // Reading what was announced re-arms the notification at once.
  const r = await request(s, 'POST', convPath(conv.id, '/read'), { headers: dave.auth, body: { upTo: first.seq } });
  assert.equal(r.status, 200, r.text);
  await send(s, alice, conv.id, 'm4');
  l = await chats(dave);
  assert.equal(l.length, 2);
  assert.equal(l[0].body, '3 new messages. Latest: m4');
  assert.equal(l[0].data.count, 3);
  await send(s, alice, conv.id, 'm5');
  assert.equal((await chats(dave)).length, 2, 'collapsed again');
  // Another conversation is not collapsed with this one.
  const erin = await person('Erin');
  await send(s, erin, (await direct(s, erin, dave)).id, 'hello');
  l = await chats(dave);
  assert.equal(l.length, 3);
  assert.equal(l[0].title, 'Erin Martin');
});

test('muted members get none; mute/unmute validation and who may mute', async () => {
  const [alice, bob, carol, mallory] = [await person('Alice'), await person('Bob'), await person('Carol'), await person('Mallory')];
  const conv = await group(s, alice, [bob, carol], 'Quiet');
  const mute = (u, body, id = conv.id) => request(s, 'POST', convPath(id, '/mute'), { headers: u.auth, body });
  let r = await mute(bob);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { conversationId: conv.id, muted: true, mutedUntil: null });
  const until = new Date(Date.now() + 3600e3).toISOString();
  r = await mute(carol, { until });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.mutedUntil, until);
  await send(s, alice, conv.id, 'shh');
  assert.equal((await chats(bob)).length, 0, 'muted until unmuted');
  assert.equal((await chats(carol)).length, 0, 'muted until a time');
  r = await request(s, 'GET', convPath(conv.id, '/mute'), { headers: carol.auth });
  assert.deepEqual(r.json, { conversationId: conv.id, muted: true, mutedUntil: until });
  // Validation changes nothing.
  const bad = [[{ until: 'tomorrow' }, 'until'], [{ until: '2001-01-01T00:00:00Z' }, 'until'],
    [{ until: 5 }, 'until'], [{ forever: true }, 'forever']];
  for (const [body, field] of bad) {
    r = await mute(alice, body);
    assert.equal(r.status, 422, `${JSON.stringify(body)} -> ${r.text}`);
    assert.equal(r.json.error.details.field, field);
  }
  assert.equal((await mute(alice, [1])).status, 400);
  assert.equal((await request(s, 'POST', convPath(conv.id, '/unmute'), { headers: bob.auth, body: { until } })).status, 422);
  r = await request(s, 'GET', convPath(conv.id, '/mute'), { headers: alice.auth });
  assert.equal(r.json.muted, false, 'refused mutes changed nothing');
  // Not a member (or no such conversation): 404, and nothing changes for Bob.
  assert.equal((await mute(mallory)).status, 404);
  assert.equal((await request(s, 'POST', convPath(conv.id, '/unmute'), { headers: mallory.auth })).status, 404);
  assert.equal((await request(s, 'GET', convPath(conv.id, '/mute'), { headers: mallory.auth })).status, 404);
  assert.equal((await mute(bob, {}, 'not-an-id')).status, 404);
  assert.equal((await request(s, 'POST', convPath(conv.id, '/mute'))).status, 401);
  // Unmuted: notified again.
  r = await request(s, 'POST', convPath(conv.id, '/unmute'), { headers: bob.auth });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { conversationId: conv.id, muted: false, mutedUntil: null });
  await send(s, alice, conv.id, 'back');
  assert.equal((await chats(bob))[0].body, '2 new messages. Latest: back', 'what came while muted is unread');
  assert.equal((await chats(carol)).length, 0);
});

test('a refused send notifies nobody; a removed member gets none', async () => {
  const [alice, bob, carol, mallory] = [await person('Alice'), await person('Bob'), await person('Carol'), await person('Mallory')];
  const conv = await group(s, alice, [bob, carol], 'Team');
  for (const body of [{ text: '' }, { text: 'x'.repeat(4001) }, { type: 'location', location: { lat: 91, lng: 0 } }]) {
    const r = await request(s, 'POST', convPath(conv.id), { headers: alice.auth, body });
    assert.equal(r.status, 422, r.text);
  }
  let r = await request(s, 'POST', convPath(conv.id), { headers: mallory.auth, body: { text: 'spam' } });
  assert.equal(r.status, 404);
  const k = await online(alice);
  const [res] = await ack(k, 'message:send', { conversationId: conv.id, text: '' });
  assert.equal(res.ok, false);
  assert.equal((await chats(bob)).length, 0, 'no refused send notified');
  assert.equal((await chats(carol)).length, 0);
  r = await request(s, 'DELETE', convPath(conv.id, `/members/${bob.id}`), { headers: alice.auth });
  assert.equal(r.status, 204, r.text);
  // Over the socket this time: the same path as HTTP.
  const [ok] = await ack(k, 'message:send', { conversationId: conv.id, text: 'after Bob left' });
  assert.equal(ok.ok, true, JSON.stringify(ok));
  assert.equal((await chats(bob)).length, 0, 'removed: nothing');
  assert.equal((await chats(carol))[0].body, 'after Bob left');
});

// Sends whose recipients are all online skip the recipients query, using
// the member list cached for the conversation's membership generation:
// whoever joins afterwards (a group member, a re-added one, a trip buddy)
// must still be notified while offline.
test('members who join after sends to an all-online chat are notified', async () => {
  const [alice, bob, carol, dan] = [await person('Alice'), await person('Bob'), await person('Carol'), await person('Dan')];
  const conv = await group(s, alice, [bob], 'Climbers');
  await online(bob);
  await send(s, alice, conv.id, 'one');
  await send(s, alice, conv.id, 'two');
  assert.equal((await chats(bob)).length, 0, 'bob is online');
  let r = await request(s, 'POST', convPath(conv.id, '/members'), { headers: alice.auth, body: { userIds: [carol.id] } });
  assert.equal(r.status, 200, r.text);
  await send(s, alice, conv.id, 'welcome Carol');
  let [n] = await chats(carol);
  assert.ok(n, 'carol joined offline: notified');
  assert.equal(n.body, 'welcome Carol');
  // Carol leaves and comes back: notified again once her old one is read.
  await request(s, 'POST', convPath(conv.id, '/read'), { headers: carol.auth, body: { upTo: n.data.seq } });
  r = await request(s, 'DELETE', convPath(conv.id, `/members/${carol.id}`), { headers: alice.auth });
  assert.equal(r.status, 204, r.text);
  await send(s, alice, conv.id, 'she left');
  assert.equal((await chats(carol)).length, 1, 'not a member: nothing new');
  r = await request(s, 'POST', convPath(conv.id, '/members'), { headers: alice.auth, body: { userIds: [carol.id] } });
  assert.equal(r.status, 200, r.text);
  await send(s, alice, conv.id, 'back again');
  [n] = await chats(carol);
  assert.equal(n.body, 'back again', 're-added: notified');
  // A trip conversation follows the trip's buddies.
  const trip = await newTrip(s, alice, { title: 'Dolomites' });
  await share(s, alice, trip.id, bob, 'viewer');
  r = await request(s, 'POST', '/v1/messages/conversations', { headers: alice.auth, body: { type: 'trip', tripId: trip.id } });
  assert.ok(r.status === 201 || r.status === 200, r.text);
  const tc = r.json.id;
  await send(s, alice, tc, 'rope check');
  await send(s, alice, tc, 'helmets');
  await share(s, alice, trip.id, dan, 'editor');
  const danIn = await send(s, alice, tc, 'Dan is in');
  [n] = await chats(dan);
  assert.ok(n, 'a buddy accepted after the sends: notified');
  assert.equal(n.data.messageId, danIn.id);
  assert.match(n.body, /Latest: Dan is in$/, 'the two earlier ones are unread for him too');
  assert.equal((await chats(bob)).filter((x) => x.data.conversationId === tc).length, 0, 'bob stays online');
});

test('location, photo, booking and trip messages get a sensible preview', async () => {
  const [alice, henry] = [await person('Alice'), await person('Henry')];
  const conv = await direct(s, alice, henry);
  const latest = async (m) => {
    const [n] = await chats(henry);
    assert.equal(n.data.messageId, m.id);
    // Reading re-arms the next notification (see the burst test).
    await request(s, 'POST', convPath(conv.id, '/read'), { headers: henry.auth, body: { upTo: m.seq } });
    return n;
  };
  let n = await latest(await send(s, alice, conv.id, { location: { lat: 43.7, lng: 7.42, label: 'Old Port' } }));
  assert.equal(n.body, 'Location: Old Port');
  assert.equal(n.data.type, 'location');
  n = await latest(await send(s, alice, conv.id, { location: { lat: 43.7, lng: 7.42 } }));
  assert.equal(n.body, 'Shared a location');
  n = await latest(await send(s, alice, conv.id, { bookingId: '0190a0a0-0000-7000-8000-000000000001' }));
  assert.equal(n.body, 'Shared a booking');
  const up = (q) => request(s, 'POST', convPath(conv.id, `/media${q}`),
    { headers: { ...alice.auth, 'content-type': 'application/octet-stream' }, body: PNG });
  let r = await up('?text=Sunset');
  assert.equal(r.status, 201, r.text);
  n = await latest(r.json);
  assert.equal(n.body, 'Photo: Sunset');
  r = await up('');
  n = await latest(r.json);
  assert.equal(n.body, 'Sent a photo');
  n = await latest(await send(s, alice, conv.id, 'line one\nline two'));
  assert.equal(n.body, 'line one line two', 'control characters become spaces');
  // A trip conversation is titled with the trip.
  const trip = await newTrip(s, alice, { title: 'Azores' });
  await share(s, alice, trip.id, henry, 'viewer');
  r = await request(s, 'POST', '/v1/messages/conversations', { headers: alice.auth, body: { type: 'trip', tripId: trip.id } });
  assert.ok(r.status === 201 || r.status === 200, r.text);
  await send(s, alice, r.json.id, 'Ferry at 8');
  n = (await chats(henry))[0];
  assert.equal(n.title, 'Alice Martin in Azores');
  assert.equal(n.body, 'Ferry at 8');
});

test('the chat e-mail channel is off by default and can be turned on', async () => {
  const [alice, ivy] = [await person('Alice'), await person('Ivy')];
  let r = await request(s, 'GET', '/v1/notifications/preferences', { headers: ivy.auth });
  assert.deepEqual(r.json.categories.chat, { push: true, email: false, sms: false, inApp: true });
  r = await request(s, 'PUT', '/v1/notifications/preferences', { headers: ivy.auth, body: { categories: { chat: { email: true } } } });
  assert.equal(r.status, 200, r.text);
  await send(s, alice, (await direct(s, alice, ivy)).id, 'mail me');
  const [n] = await chats(ivy);
  const items = await settled(s, ivy, n.id);
  assert.deepEqual(items.map((d) => d.channel).sort(), ['email', 'inApp']);
  await waitFor('the e-mail', () => mails(s).find((m) => m.to === ivy.email && m.subject === 'Alice Martin'));
});

// ---- cluster mode: PostgreSQL + the Redis scripts/test started --------------------

const skipCluster = (!isPostgres || !process.env.REDIS_URL) && 'cluster mode needs PostgreSQL and REDIS_URL';

test('cluster: a member online on another node gets no notification', { skip: skipCluster }, async () => {
  const B = await startServer({ env: { ...NOTIFY_ENV }, database: s.database });
  try {
    const [alice, bob, carol] = [await person('Alice'), await person('Bob'), await person('Carol')];
    const conv = await group(s, alice, [bob, carol], 'Nodes');
    const k = await online(bob, B);
    assert.equal((await join(k, conv.id)).ok, true);
    const seen = collect(k, 'message:new');
    const presence = async () => (await request(s, 'GET', `/v1/presence?userIds=${bob.id}`, { headers: alice.auth })).json.items[0].online;
    await until(presence); // node A sees Bob through Redis
    const m = await send(s, alice, conv.id, 'across nodes');
    await until(() => seen.some(([e]) => e.id === m.id));
    assert.equal((await chats(bob)).length, 0, 'online on node B: no notification');
    assert.equal((await chats(carol))[0].body, 'across nodes', 'offline everywhere: notified');
    k.close();
    await until(async () => !(await presence()));
    await send(s, alice, conv.id, 'now offline');
    assert.equal((await chats(bob))[0].body, '2 new messages. Latest: now offline');
  } finally {
    await B.stop();
  }
});
