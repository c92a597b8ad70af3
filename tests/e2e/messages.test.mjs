// Messaging over HTTP (issue 8): conversations of every type, sending,
// history and cursors, idempotent sends, receipts and unread counts,
// group membership, media, and that nobody reaches another's conversation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange } from './lib/harness.mjs';
import { newTrip, share } from './lib/trips.mjs';
import {
  convPath, direct, group, JPEG, newConv, PNG, request, send, startMessagesServer, users,
} from './lib/messages.mjs';

let s, a, b, c, d;
before(async () => {
  s = await startMessagesServer();
  [a, b, c, d] = await users(s, 4);
});
after(async () => { await s.stop(); });

const post = (u, p, body) => request(s, 'POST', p, { headers: u.auth, body });
const get = (u, p) => request(s, 'GET', p, { headers: u.auth });

test('direct conversations are unique per pair, whoever creates them', async () => {
  let r = await post(a, '/v1/messages/conversations', { type: 'direct', userId: b.id });
  assert.equal(r.status, 201, r.text);
  const conv = r.json;
  assert.equal(conv.type, 'direct');
  assert.deepEqual(conv.members.map((m) => m.userId).sort(), [a.id, b.id].sort());
  assert.equal(conv.unreadCount, 0);
  assert.equal(conv.lastMessage, null);
  r = await post(a, '/v1/messages/conversations', { type: 'direct', userId: b.id });
  assert.equal(r.status, 200);
  assert.equal(r.json.id, conv.id);
  r = await post(b, '/v1/messages/conversations', { type: 'direct', userId: a.id });
  assert.equal(r.status, 200);
  assert.equal(r.json.id, conv.id, 'the same pair from the other side');
  const both = await Promise.all([c, d].map(() => post(c, '/v1/messages/conversations', { type: 'direct', userId: d.id })));
  assert.equal(both[0].json.id, both[1].json.id, 'concurrent creates give one conversation');
});

test('create validates its input and names the field', async () => {
  for (const [body, field] of [[{}, 'type'], [{ type: 'chat' }, 'type'], [{ type: 'direct' }, 'userId'],
    [{ type: 'direct', userId: a.id }, 'userId'], [{ type: 'direct', userId: '01890a5d-ac96-774b-bcce-b302099a8057' }, 'userId'],
    [{ type: 'direct', userId: 42 }, 'userId'], [{ type: 'group', memberIds: [b.id] }, 'name'],
    [{ type: 'group', name: 'x'.repeat(101) }, 'name'], [{ type: 'group', name: 'g', memberIds: 'b' }, 'memberIds'],
    [{ type: 'group', name: 'g', memberIds: ['nope'] }, 'memberIds'], [{ type: 'trip' }, 'tripId'],
    [{ type: 'booking', bookingId: '01890a5d-ac96-774b-bcce-b302099a8057' }, 'memberIds'],
    [{ type: 'booking', memberIds: [b.id] }, 'bookingId']]) {
    const r = await post(a, '/v1/messages/conversations', body);
    assert.equal(r.status, 422, JSON.stringify(body) + r.text);
    assert.equal(r.json.error.details.field, field, JSON.stringify(body));
  }
  const r = await request(s, 'POST', '/v1/messages/conversations', { headers: { ...a.auth, 'content-type': 'application/json' }, body: '[1' });
  assert.equal(r.status, 400);
  assert.equal((await request(s, 'GET', '/v1/messages/conversations')).status, 401);
});

test('send every kind of content; history is newest first with a cursor', async () => {
  const conv = await group(s, a, [b, c], 'Content');
  const m1 = await send(s, a, conv.id, 'hello');
  assert.equal(m1.seq, 1);
  assert.equal(m1.type, 'text');
  assert.equal(m1.status, 'SENT');
  assert.deepEqual(m1.translations, {});
  const m2 = await send(s, b, conv.id, { location: { lat: 43.73, lng: 7.42, label: 'Casino' } });
  assert.equal(m2.type, 'location');
  assert.deepEqual(m2.location, { lat: 43.73, lng: 7.42, label: 'Casino' });
  const m3 = await send(s, c, conv.id, { type: 'booking', bookingId: '01890a5d-ac96-774b-bcce-b302099a8057', text: 'booked' });
  assert.equal(m3.bookingId, '01890a5d-ac96-774b-bcce-b302099a8057');
  assert.equal(m3.seq, 3);
  const long = 'é'.repeat(4000);
  assert.equal((await send(s, a, conv.id, long)).text, long, '4000 characters (not bytes) fit');
  for (const [body, field] of [[{ text: 'é'.repeat(4001) }, 'text'], [{ text: '' }, 'text'], [{}, 'text'],
    [{ type: 'location', location: { lat: 91, lng: 0 } }, 'location'], [{ location: { lat: 'x', lng: 0 } }, 'location'],
    [{ type: 'booking', bookingId: 'x' }, 'bookingId'], [{ type: 'media', text: 'x' }, 'type'],
    [{ text: 'x', clientMessageId: 'x'.repeat(65) }, 'clientMessageId']]) {
    const r = await post(a, convPath(conv.id), body);
    assert.equal(r.status, 422, JSON.stringify(body).slice(0, 80) + r.text);
    assert.equal(r.json.error.details.field, field);
  }
  for (let i = 0; i < 5; i++) await send(s, a, conv.id, `n${i}`);
  let r = await get(b, convPath(conv.id, '?limit=4'));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((m) => m.seq), [9, 8, 7, 6]);
  assert.equal(r.json.conversation.id, conv.id);
  const seen = r.json.items.map((m) => m.seq);
  while (r.json.nextCursor) {
    r = await get(b, convPath(conv.id, `?limit=4&cursor=${r.json.nextCursor}`));
    seen.push(...r.json.items.map((m) => m.seq));
  }
  assert.deepEqual(seen, [9, 8, 7, 6, 5, 4, 3, 2, 1], 'no gaps, no duplicates');
  r = await get(b, convPath(conv.id, '?after=6'));
  assert.deepEqual(r.json.items.map((m) => m.seq), [9, 8, 7]);
  assert.equal((await get(b, convPath(conv.id, '?cursor=abc'))).status, 400);
  assert.equal((await get(b, convPath(conv.id, '?limit=0'))).status, 422);
});

test('clientMessageId makes a send idempotent, also when retried concurrently', async () => {
  const conv = await direct(s, a, c);
  const first = await request(s, 'POST', convPath(conv.id), { headers: a.auth, body: { text: 'once', clientMessageId: 'cm-1' } });
  assert.equal(first.status, 201);
  const again = await request(s, 'POST', convPath(conv.id), { headers: a.auth, body: { text: 'once', clientMessageId: 'cm-1' } });
  assert.equal(again.status, 200);
  assert.equal(again.json.id, first.json.id);
  const racing = await Promise.all(Array.from({ length: 6 }, () =>
    request(s, 'POST', convPath(conv.id), { headers: a.auth, body: { text: 'race', clientMessageId: 'cm-2' } })));
  assert.equal(new Set(racing.map((r) => r.json.id)).size, 1, racing.map((r) => r.text).join('\n'));
  assert.equal(racing.filter((r) => r.status === 201).length, 1);
  const other = await send(s, c, conv.id, { text: 'mine', clientMessageId: 'cm-1' });
  assert.notEqual(other.id, first.json.id, 'ids are per sender');
  const h = await get(a, convPath(conv.id));
  assert.deepEqual(h.json.items.map((m) => m.seq), [3, 2, 1]);
});

test('receipts: fetching delivers, read moves on, unread counts are exact', async () => {
  const conv = await direct(s, b, d);
  const ms = [];
  for (let i = 0; i < 3; i++) ms.push(await send(s, b, conv.id, `m${i}`));
  let l = await get(d, '/v1/messages/conversations');
  let item = l.json.items.find((x) => x.id === conv.id);
  assert.equal(item.unreadCount, 3);
  assert.equal(item.lastMessage.id, ms[2].id);
  assert.equal((await get(b, convPath(conv.id))).json.items[0].status, 'SENT');
  await get(d, convPath(conv.id));
  assert.equal((await get(b, convPath(conv.id))).json.items[0].status, 'DELIVERED');
  let r = await post(d, convPath(conv.id, '/read'), { upTo: ms[1].id });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.readUpTo, 2);
  assert.equal(r.json.unreadCount, 1);
  const h = await get(b, convPath(conv.id));
  assert.deepEqual(h.json.items.map((m) => m.status), ['DELIVERED', 'READ', 'READ']);
  r = await post(d, convPath(conv.id, '/read'), { upTo: 1 });
  assert.equal(r.json.readUpTo, 2, 'read never moves back');
  r = await post(d, convPath(conv.id, '/read'), { upTo: 99 });
  assert.equal(r.json.readUpTo, 3, 'clamped to the last message');
  assert.equal(r.json.unreadCount, 0);
  await send(s, d, conv.id, 'my own');
  l = await get(d, '/v1/messages/conversations');
  assert.equal(l.json.items.find((x) => x.id === conv.id).unreadCount, 0, 'own messages are never unread');
  assert.equal((await post(d, convPath(conv.id, '/read'), {})).status, 422);
  assert.equal((await post(d, convPath(conv.id, '/read'), { upTo: 'nope' })).status, 422);
});

test('the list is ordered by last activity with a working cursor', async () => {
  const [u, v1, v2, v3] = await users(s, 4);
  const convs = [];
  for (const v of [v1, v2, v3]) convs.push(await direct(s, u, v));
  await send(s, v1, convs[0].id, 'bump');
  let r = await get(u, '/v1/messages/conversations?limit=2');
  assert.deepEqual(r.json.items.map((x) => x.id), [convs[0].id, convs[2].id]);
  assert.ok(r.json.nextCursor);
  r = await get(u, `/v1/messages/conversations?limit=2&cursor=${encodeURIComponent(r.json.nextCursor)}`);
  assert.deepEqual(r.json.items.map((x) => x.id), [convs[1].id]);
  assert.equal(r.json.nextCursor, null);
  assert.equal((await get(u, '/v1/messages/conversations?cursor=zz')).status, 400);
});

test('groups: add, leave, admin removes; a removed member loses access', async () => {
  const conv = await group(s, a, [b]);
  let r = await post(b, convPath(conv.id, '/members'), { userIds: [c.id] });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.members.length, 3);
  await send(s, c, conv.id, 'hi from c');
  r = await request(s, 'DELETE', convPath(conv.id, `/members/${c.id}`), { headers: b.auth });
  assert.equal(r.status, 403, 'only the admin removes others');
  r = await request(s, 'DELETE', convPath(conv.id, `/members/${c.id}`), { headers: a.auth });
  assert.equal(r.status, 204);
  assert.equal((await get(c, convPath(conv.id))).status, 404);
  assert.equal((await post(c, convPath(conv.id), { text: 'still here?' })).status, 404);
  assert.ok(!(await get(c, '/v1/messages/conversations')).json.items.some((x) => x.id === conv.id));
  r = await request(s, 'DELETE', convPath(conv.id, '/members/me'), { headers: b.auth });
  assert.equal(r.status, 204, 'leave');
  assert.equal((await get(b, convPath(conv.id))).status, 404);
  r = await post(a, convPath(conv.id, '/members'), { userIds: [c.id] });
  assert.equal(r.status, 200, 'a returning member');
  assert.equal(r.json.members.length, 2);
  const back = await get(c, '/v1/messages/conversations');
  assert.equal(back.json.items.find((x) => x.id === conv.id).unreadCount, 0);
  const dm = await direct(s, a, b);
  assert.equal((await post(a, convPath(dm.id, '/members'), { userIds: [c.id] })).status, 409);
  assert.equal((await post(a, convPath(conv.id, '/members'), { userIds: ['x'] })).status, 422);
});

test('trip conversations follow the trip buddies, live', async () => {
  const [owner, buddy, outsider] = await users(s, 3);
  const trip = await newTrip(s, owner);
  await share(s, owner, trip.id, buddy, 'viewer');
  const conv = await newConv(s, owner, { type: 'trip', tripId: trip.id });
  assert.equal(conv.type, 'trip');
  assert.deepEqual(conv.members.map((m) => m.userId).sort(), [owner.id, buddy.id].sort());
  const again = await post(buddy, '/v1/messages/conversations', { type: 'trip', tripId: trip.id });
  assert.equal(again.status, 200);
  assert.equal(again.json.id, conv.id);
  assert.equal((await post(outsider, '/v1/messages/conversations', { type: 'trip', tripId: trip.id })).status, 404);
  await send(s, buddy, conv.id, 'when do we leave?');
  assert.equal((await get(owner, '/v1/messages/conversations')).json.items.find((x) => x.id === conv.id).unreadCount, 1);
  await send(s, owner, conv.id, 'at nine');
  assert.equal((await post(outsider, convPath(conv.id), { text: 'x' })).status, 404, 'not a buddy');
  const rm = await request(s, 'DELETE', `/v1/trips/${trip.id}/buddies/${buddy.id}`, { headers: owner.auth });
  assert.equal(rm.status, 204);
  assert.equal((await get(buddy, convPath(conv.id))).status, 404, 'a removed buddy loses access at once');
  assert.equal((await post(buddy, convPath(conv.id), { text: 'x' })).status, 404);
});

test('a send with an ended session is 401 whatever the body, and stores nothing', async () => {
  const [x, y] = await users(s, 2);
  const conv = await direct(s, x, y);
  await send(s, x, conv.id, 'before logout');
  assert.equal((await post(x, '/v1/auth/logout')).status, 204);
  const other = await direct(s, y, d);
  for (const [id, body] of [[conv.id, { text: 'after' }], [conv.id, { text: 42 }],
    [conv.id, { text: 'x', clientMessageId: 'dead-1' }], [other.id, { text: 'not mine' }],
    ['not-a-uuid', { text: 'x' }], [conv.id, [1, 2]]]) {
    const r = await post(x, convPath(id), body);
    assert.equal(r.status, 401, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
  }
  const h = await get(y, convPath(conv.id));
  assert.deepEqual(h.json.items.map((m) => m.text), ['before logout'], 'nothing stored');
  // A live session with a bad body is still the body's error.
  assert.equal((await post(y, convPath(conv.id), [1, 2])).status, 400);
  assert.equal((await post(y, convPath(conv.id), { text: 42 })).status, 422);
});

test('--pg-pipeline 0 (no pipeline mode, BEGIN on its own): sends, idempotency and reads work', async () => {
  const s0 = await startMessagesServer({ args: ['--pg-pipeline', '0'] });
  try {
    const [x, y] = await users(s0, 2);
    const conv = await direct(s0, x, y);
    const p = convPath(conv.id);
    const one = await request(s0, 'POST', p, { headers: x.auth, body: { text: 'hi', clientMessageId: 'p0' } });
    assert.equal(one.status, 201, one.text);
    const again = await request(s0, 'POST', p, { headers: x.auth, body: { text: 'hi', clientMessageId: 'p0' } });
    assert.equal(again.status, 200);
    assert.equal(again.json.id, one.json.id);
    const h = await request(s0, 'GET', p, { headers: y.auth });
    assert.deepEqual(h.json.items.map((m) => m.text), ['hi']);
  } finally {
    await s0.stop();
  }
});

test('booking conversations take a bookingId and the other party', async () => {
  const bid = '01890a5d-ac96-774b-bcce-b302099a8057';
  const conv = await newConv(s, a, { type: 'booking', bookingId: bid, memberIds: [d.id] });
  assert.equal(conv.bookingId, bid);
  assert.equal(conv.members.length, 2);
  await send(s, d, conv.id, 'See you at 9');
});

test('media: sniffed by content, at most 10 MiB, listed', async () => {
  const conv = await direct(s, a, d);
  const up = (u, body, q = '') => request(s, 'POST', convPath(conv.id, `/media${q}`),
    { headers: { ...u.auth, 'content-type': 'application/octet-stream' }, body });
  let r = await up(a, PNG, '?text=view&clientMessageId=img-1');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.type, 'media');
  assert.equal(r.json.media.contentType, 'image/png');
  assert.equal(r.json.text, 'view');
  const again = await up(a, PNG, '?clientMessageId=img-1');
  assert.equal(again.status, 200);
  assert.equal(again.json.id, r.json.id);
  const img = await request(s, 'GET', r.json.media.url, { headers: d.auth, raw: true });
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/png');
  r = await up(d, JPEG);
  assert.equal(r.json.media.contentType, 'image/jpeg');
  r = await up(a, Buffer.from('GIF89a-but-not-allowed-here-0123456789'));
  assert.equal(r.status, 415);
  r = await up(a, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), '');
  assert.equal(r.status, 415, 'a declared type means nothing');
  const max = Buffer.alloc(10 * 1024 * 1024);
  PNG.copy(max);
  r = await up(a, max);
  assert.equal(r.status, 201, 'exactly 10 MiB is accepted');
  const res = await rawExchange(s.port, `POST ${convPath(conv.id, '/media')} HTTP/1.1\r\nHost: x\r\n` +
    `Authorization: Bearer ${a.token}\r\nContent-Length: ${10 * 1024 * 1024 + 1}\r\n\r\n`);
  assert.match(res.text, /^HTTP\/1\.1 413 /);
  await send(s, a, conv.id, 'not media');
  r = await get(d, convPath(conv.id, '/media'));
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.items.map((m) => m.media.contentType), ['image/png', 'image/jpeg', 'image/png']);
  r = await up(c, PNG);
  assert.equal(r.status, 404, 'an outsider cannot upload into the conversation');
});

test('IDOR: an outsider gets 404 on every route of a conversation', async () => {
  const conv = await direct(s, a, b);
  const m = await send(s, a, conv.id, 'private');
  const probes = [
    ['GET', convPath(conv.id)], ['POST', convPath(conv.id), { text: 'x' }],
    ['POST', convPath(conv.id, '/read'), { upTo: m.seq }], ['POST', convPath(conv.id, '/members'), { userIds: [c.id] }],
    ['DELETE', convPath(conv.id, `/members/${a.id}`)], ['GET', convPath(conv.id, '/media')],
  ];
  for (const [method, p, body] of probes) {
    const r = await request(s, method, p, { headers: c.auth, body });
    assert.equal(r.status, 404, `${method} ${p}: ${r.text}`);
    assert.ok(!r.text.includes('private'));
  }
  assert.equal((await get(c, convPath('not-an-id'))).status, 404);
  assert.ok(!(await get(c, '/v1/messages/conversations')).json.items.some((x) => x.id === conv.id));
  const h = await get(b, convPath(conv.id));
  assert.equal(h.json.items.length, 1, 'nothing was added by the probes');
});
