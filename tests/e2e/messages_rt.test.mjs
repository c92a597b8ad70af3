// Messaging over the real-time channel (issue 8), with the official
// socket.io-client: who may join a conversation room, no event after
// removal, ordering, socket sends and their idempotency, receipts,
// catching up after a reconnect, presence and typing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ack, collect, once, until } from './lib/realtime.mjs';
import { newTrip, share } from './lib/trips.mjs';
import {
  convPath, direct, group, join, newConv, request, send, sock, startMessagesServer, users,
} from './lib/messages.mjs';

let s, a, b, c;
const open = [];
before(async () => {
  s = await startMessagesServer();
  [a, b, c] = await users(s, 3);
});
after(async () => {
  for (const x of open) x.close();
  await s.stop();
});

async function socketOf(user) {
  const x = await sock(s, user);
  open.push(x);
  return x;
}

// Sends a marker from `from` and waits until `watcher` saw it, so that any
// earlier event meant for `watcher` has arrived too.
async function barrier(watcher, watcherEvents, from, convId) {
  const m = await send(s, from, convId, `marker ${Math.random()}`);
  await until(() => watcherEvents.some(([x]) => x.id === m.id));
  return m;
}

test('only members join a conversation room; outsiders hear nothing', async () => {
  const conv = await direct(s, a, b);
  const [sa, sb, sc] = await Promise.all([a, b, c].map(socketOf));
  assert.equal((await join(sa, conv.id)).ok, true);
  assert.equal((await join(sb, conv.id)).ok, true);
  const refused = await join(sc, conv.id);
  assert.equal(refused.ok, false);
  assert.equal(refused.error.code, 'forbidden');
  assert.equal((await join(sc, '01890a5d-ac96-774b-bcce-b302099a8057')).ok, false);
  const gotB = collect(sb, 'message:new');
  const gotC = collect(sc, 'message:new');
  const [res] = await ack(sc, 'message:send', { conversationId: conv.id, text: 'let me in' });
  assert.equal(res.ok, false);
  assert.equal(res.error.status, 404);
  const m = await send(s, a, conv.id, 'secret');
  await until(() => gotB.some(([x]) => x.id === m.id));
  assert.equal(gotB[0][0].text, 'secret');
  assert.equal(gotC.length, 0, 'no event from a conversation you are not in');
});

test('a member removed from a group gets no further event, and cannot rejoin', async () => {
  const conv = await group(s, a, [b, c], 'Removal');
  const [sa, sb, sc] = await Promise.all([a, b, c].map(socketOf));
  for (const x of [sa, sb, sc]) assert.equal((await join(x, conv.id)).ok, true);
  const gotB = collect(sb, 'message:new');
  const gotC = collect(sc, 'message:new');
  await barrier(sb, gotB, a, conv.id);
  const r = await request(s, 'DELETE', convPath(conv.id, `/members/${b.id}`), { headers: a.auth });
  assert.equal(r.status, 204);
  const before = gotB.length;
  for (let i = 0; i < 5; i++) await send(s, a, conv.id, `after removal ${i}`);
  await barrier(sc, gotC, a, conv.id);
  assert.equal(gotB.length, before, 'nothing after removal');
  assert.equal((await join(sb, conv.id)).ok, false);
  const [res] = await ack(sb, 'message:send', { conversationId: conv.id, text: 'x' });
  assert.equal(res.error.status, 404);
});

test('a buddy removed from a trip stops hearing the trip conversation at once', async () => {
  const [owner, buddy, other] = await users(s, 3);
  const trip = await newTrip(s, owner);
  await share(s, owner, trip.id, buddy, 'editor');
  await share(s, owner, trip.id, other, 'viewer');
  const conv = await newConv(s, owner, { type: 'trip', tripId: trip.id });
  const [sb, so] = await Promise.all([buddy, other].map(socketOf));
  assert.equal((await join(sb, conv.id)).ok, true);
  assert.equal((await join(so, conv.id)).ok, true);
  const [t] = await ack(sb, 'room:join', { room: `trip:${trip.id}` });
  assert.equal(t.ok, true, 'a buddy may join the trip room');
  const gotB = collect(sb, 'message:new');
  const gotO = collect(so, 'message:new');
  await barrier(sb, gotB, owner, conv.id);
  assert.equal((await request(s, 'DELETE', `/v1/trips/${trip.id}/buddies/${buddy.id}`, { headers: owner.auth })).status, 204);
  const n = gotB.length;
  await send(s, owner, conv.id, 'plans changed');
  await barrier(so, gotO, owner, conv.id);
  assert.equal(gotB.length, n);
  assert.equal((await join(sb, conv.id)).ok, false);
  const [t2] = await ack(sb, 'room:join', { room: `trip:${trip.id}` });
  assert.equal(t2.ok, false);
});

test('100 messages from two senders arrive in send order', async () => {
  const conv = await group(s, a, [b, c], 'Order');
  const [sa, sb, sc] = await Promise.all([a, b, c].map(socketOf));
  for (const x of [sa, sb, sc]) await join(x, conv.id);
  const got = collect(sc, 'message:new');
  const run = async (x, tag) => {
    const acked = [];
    for (let i = 0; i < 50; i++) {
      const [res] = await ack(x, 'message:send', { conversationId: conv.id, text: `${tag}${i}` });
      assert.equal(res.ok, true, JSON.stringify(res));
      acked.push(res.message.seq);
    }
    return acked;
  };
  const [seqA, seqB] = await Promise.all([run(sa, 'a'), run(sb, 'b')]);
  await until(() => got.length >= 100, 20000);
  const seqs = got.map(([m]) => m.seq);
  assert.deepEqual(seqs, Array.from({ length: 100 }, (_, i) => i + 1), 'in seq order, no gaps, no duplicates');
  for (const [tag, acked] of [['a', seqA], ['b', seqB]]) {
    const texts = got.map(([m]) => m.text).filter((t) => t.startsWith(tag));
    assert.deepEqual(texts, Array.from({ length: 50 }, (_, i) => `${tag}${i}`), `${tag} in its send order`);
    assert.deepEqual(acked, [...acked].sort((x, y) => x - y));
  }
});

test('socket and HTTP sends give the same message; clientMessageId is idempotent on both', async () => {
  const conv = await direct(s, a, c);
  const [sa, sc] = await Promise.all([a, c].map(socketOf));
  await join(sa, conv.id);
  await join(sc, conv.id);
  const got = collect(sc, 'message:new');
  const [r1] = await ack(sa, 'message:send', { conversationId: conv.id, text: 'via socket', clientMessageId: 'k-1' });
  assert.equal(r1.ok, true);
  assert.equal(r1.created, true);
  const [r2] = await ack(sa, 'message:send', { conversationId: conv.id, text: 'via socket', clientMessageId: 'k-1' });
  assert.equal(r2.created, false);
  assert.equal(r2.message.id, r1.message.id);
  const h = await request(s, 'POST', convPath(conv.id), { headers: a.auth, body: { text: 'via socket', clientMessageId: 'k-1' } });
  assert.equal(h.status, 200, 'HTTP sees the socket send as the same message');
  assert.equal(h.json.id, r1.message.id);
  await barrier(sc, got, a, conv.id);
  assert.equal(got.filter(([m]) => m.id === r1.message.id).length, 1, 'one event for one message');
  const hist = await request(s, 'GET', convPath(conv.id), { headers: c.auth });
  const stored = hist.json.items.find((m) => m.id === r1.message.id);
  for (const k of ['id', 'seq', 'senderId', 'type', 'text', 'clientMessageId', 'createdAt', 'translations']) {
    assert.deepEqual(stored[k], got.find(([m]) => m.id === r1.message.id)[0][k], k);
  }
  const [bad] = await ack(sa, 'message:send', { conversationId: conv.id, text: '' });
  assert.equal(bad.error.status, 422);
  assert.equal(bad.error.details.field, 'text');
  const [noConv] = await ack(sa, 'message:send', 'just text');
  assert.equal(noConv.error.details.field, 'conversationId');
});

test('receipts: delivered and read over the socket reach the sender', async () => {
  const [u, v] = await users(s, 2);
  const conv = await direct(s, u, v);
  const [su, sv] = await Promise.all([u, v].map(socketOf));
  await join(su, conv.id);
  await join(sv, conv.id);
  const status = collect(su, 'message:status');
  const news = collect(sv, 'message:new');
  const m1 = await send(s, u, conv.id, 'one');
  const m2 = await send(s, u, conv.id, 'two');
  await until(() => news.length === 2);
  const [d] = await ack(sv, 'message:delivered', { conversationId: conv.id, upTo: news[1][0].seq });
  assert.equal(d.ok, true);
  assert.equal(d.deliveredUpTo, 2);
  await until(() => status.some(([x]) => x.status === 'DELIVERED' && x.userId === v.id && x.upTo === 2));
  let h = await request(s, 'GET', convPath(conv.id), { headers: u.auth });
  assert.deepEqual(h.json.items.map((x) => x.status), ['DELIVERED', 'DELIVERED']);
  const [rd] = await ack(sv, 'message:read', { conversationId: conv.id, upTo: m1.id });
  assert.equal(rd.readUpTo, 1);
  assert.equal(rd.unreadCount, 1);
  await until(() => status.some(([x]) => x.status === 'READ' && x.upTo === 1));
  h = await request(s, 'GET', convPath(conv.id), { headers: u.auth });
  assert.deepEqual(h.json.items.map((x) => [x.id, x.status]), [[m2.id, 'DELIVERED'], [m1.id, 'READ']]);
  const [again] = await ack(sv, 'message:delivered', { conversationId: conv.id, upTo: 1 });
  assert.equal(again.deliveredUpTo, 2, 'positions never move back');
  const [foreign] = await ack(sv, 'message:read', { conversationId: '01890a5d-ac96-774b-bcce-b302099a8057', upTo: 1 });
  assert.equal(foreign.error.status, 404);
});

test('a client that reconnects catches up by history: no gaps, no duplicates', async () => {
  const [u, v] = await users(s, 2);
  const conv = await direct(s, u, v);
  let sv = await socketOf(v);
  await join(sv, conv.id);
  const seen = new Map();
  const onNew = ([m]) => seen.set(m.seq, m.id);
  let got = collect(sv, 'message:new');
  for (let i = 0; i < 5; i++) await send(s, u, conv.id, `live ${i}`);
  await until(() => got.length === 5);
  got.forEach(onNew);
  sv.disconnect();
  for (let i = 0; i < 7; i++) await send(s, u, conv.id, `missed ${i}`);
  sv = await socketOf(v);
  await join(sv, conv.id);
  got = collect(sv, 'message:new');
  const last = Math.max(...seen.keys());
  let r = await request(s, 'GET', convPath(conv.id, `?after=${last}&limit=3`), { headers: v.auth });
  const fetched = [...r.json.items];
  while (r.json.nextCursor) {
    r = await request(s, 'GET', convPath(conv.id, `?after=${last}&limit=3&cursor=${r.json.nextCursor}`), { headers: v.auth });
    fetched.push(...r.json.items);
  }
  for (const m of fetched) {
    assert.ok(!seen.has(m.seq), `duplicate ${m.seq}`);
    seen.set(m.seq, m.id);
  }
  const m = await send(s, u, conv.id, 'after reconnect');
  await until(() => got.some(([x]) => x.id === m.id));
  got.forEach(onNew);
  assert.deepEqual([...seen.keys()].sort((x, y) => x - y), Array.from({ length: 13 }, (_, i) => i + 1));
});

test('recovery after a dropped connection replays what was missed, once, in order', async () => {
  const [u, v, w] = await users(s, 3);
  const conv = await group(s, u, [v, w], 'Recovery');
  const opts = { reconnection: true, reconnectionDelay: 300, reconnectionDelayMax: 300 };
  const sv = await sock(s, v, { transports: ['websocket'], ...opts });
  const sw = await sock(s, w, { transports: ['websocket'], ...opts });
  open.push(sv, sw);
  await join(sv, conv.id);
  await join(sw, conv.id);
  const gotV = collect(sv, 'message:new');
  const gotW = collect(sw, 'message:new');
  for (let i = 0; i < 3; i++) await send(s, u, conv.id, `before ${i}`);
  await until(() => gotV.length === 3 && gotW.length === 3);
  // v drops and comes back by itself; w drops, is removed meanwhile, and comes back.
  const droppedV = once(sv, 'disconnect');
  const droppedW = once(sw, 'disconnect');
  const backV = once(sv, 'connect');
  const backW = once(sw, 'connect');
  sv.io.engine.close();
  sw.io.engine.close();
  await Promise.all([droppedV, droppedW]);
  assert.equal((await request(s, 'DELETE', convPath(conv.id, `/members/${w.id}`), { headers: u.auth })).status, 204);
  for (let i = 0; i < 4; i++) await send(s, u, conv.id, `while away ${i}`);
  await Promise.all([backV, backW]);
  assert.equal(sv.recovered, true);
  assert.equal(sw.recovered, true);
  const last = await send(s, u, conv.id, 'after');
  await until(() => gotV.some(([m]) => m.id === last.id));
  assert.deepEqual(gotV.map(([m]) => m.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(gotW.map(([m]) => m.seq), [1, 2, 3], 'a member removed while away recovers nothing of it');
});

test('presence:update reaches those who share a conversation, not others', async () => {
  const [u, v, w] = await users(s, 3);
  await direct(s, u, v);
  const [sv, sw] = await Promise.all([v, w].map(socketOf));
  const pv = collect(sv, 'presence:update');
  const pw = collect(sw, 'presence:update');
  const su = await socketOf(u);
  await until(() => pv.some(([x]) => x.userId === u.id && x.online === true));
  su.disconnect();
  await until(() => pv.some(([x]) => x.userId === u.id && x.online === false));
  assert.ok(pv.find(([x]) => x.online === false)[0].lastSeen);
  // w shares nothing with u. Barrier: z, who shares a conversation with
  // w, comes online after u's updates were published.
  const [z] = await users(s, 1);
  await direct(s, z, w);
  const sz = await socketOf(z);
  await until(() => pw.some(([x]) => x.userId === z.id && x.online === true));
  assert.ok(!pw.some(([x]) => x.userId === u.id), 'no presence of a stranger');
  sz.close();
});

test('new conversations and membership changes are announced', async () => {
  const [u, v, w] = await users(s, 3);
  const [su, sv, sw] = await Promise.all([u, v, w].map(socketOf));
  const newV = once(sv, 'conversation:new');
  const conv = await group(s, u, [v], 'Announced');
  const [{ conversation }] = await newV;
  assert.equal(conversation.id, conv.id);
  await join(su, conv.id);
  const members = collect(su, 'conversation:members');
  const newW = once(sw, 'conversation:new');
  assert.equal((await request(s, 'POST', convPath(conv.id, '/members'), { headers: v.auth, body: { userIds: [w.id] } })).status, 200);
  assert.equal((await newW)[0].conversation.id, conv.id);
  assert.equal((await join(sw, conv.id)).ok, true, 'an added member may join at once');
  assert.equal((await request(s, 'DELETE', convPath(conv.id, '/members/me'), { headers: w.auth })).status, 204);
  await until(() => members.length === 2);
  assert.deepEqual(members.map(([x]) => [x.added, x.removed]), [[[w.id], []], [[], [w.id]]]);
});

test('typing indicators are relayed to the conversation room', async () => {
  const conv = await direct(s, a, b);
  const [sa, sb] = await Promise.all([a, b].map(socketOf));
  await join(sa, conv.id);
  await join(sb, conv.id);
  const typing = once(sa, 'typing:start');
  const [res] = await ack(sb, 'typing:start', { room: `conversation:${conv.id}` });
  assert.equal(res.ok, true);
  const [ev] = await typing;
  assert.equal(ev.userId, b.id);
  assert.equal(ev.room, `conversation:${conv.id}`);
});
