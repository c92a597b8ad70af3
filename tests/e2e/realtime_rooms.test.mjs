// Rooms, fan-out, presence and limits of the real-time engine with the
// official socket.io-client: automatic user rooms, room:join entitlement,
// publish to every device of a user across loop threads and transports,
// ordering, connection-state recovery, typing indicators, per-socket and
// per-user limits, GET /v1/presence. Shutdown: realtime_shutdown.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request, sleep } from './lib/harness.mjs';
import { ACCOUNTS_ENV, signup } from './lib/accounts.mjs';
import {
  client, collect, connectError, connected, once, startRealtime, token, until,
} from './lib/realtime.mjs';

let srv;
before(async () => {
  srv = await startRealtime(['--rt-max-sockets-per-user', '6', '--rt-events-per-s', '30'],
    ACCOUNTS_ENV);
});
after(async () => { await srv.stop(); });

const MIXED = [{}, { transports: ['websocket'] }, { transports: ['polling'], upgrade: false }];

test('room:join: own user room yes, another user\'s or a malformed name no', async () => {
  const me = randomUUID();
  const s = client(srv, token(me), { transports: ['websocket'] });
  await connected(s);
  assert.deepEqual(await s.emitWithAck('room:join', `user:${me}`), { ok: true, room: `user:${me}` });
  const other = await s.emitWithAck('room:join', `user:${randomUUID()}`);
  assert.equal(other.ok, false);
  assert.equal(other.error.code, 'forbidden');
  const conv = await s.emitWithAck('room:join', { room: 'conversation:123' });
  assert.equal(conv.error.code, 'forbidden');
  for (const bad of ['nocolon', 'user:', 'a b:c', 42, null, 'x:'.padEnd(200, 'y')]) {
    const r = await s.emitWithAck('room:join', bad);
    assert.equal(r.error.code, 'invalid_room', String(bad));
  }
  assert.deepEqual(await s.emitWithAck('room:leave', 'conversation:123'), { ok: true, wasMember: false });
  s.disconnect();
});

test('publish reaches every device of the user (across loops and transports), nobody else', async () => {
  const me = randomUUID();
  const mine = [];
  for (let i = 0; i < 6; i++) mine.push(client(srv, token(me), MIXED[i % 3]));
  const stranger = client(srv, token(randomUUID()), { transports: ['websocket'] });
  await Promise.all([...mine, stranger].map((s) => connected(s)));
  const got = mine.map((s) => collect(s, 'note'));
  const leaked = collect(stranger, 'note');
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(await mine[i % 6].emitWithAck('diag:publish', 'note', { i }), { ok: true });
  }
  await until(() => got.every((g) => g.length === 20));
  for (const g of got) {
    assert.deepEqual(g.map((a) => a[0].i), [...Array(20).keys()], 'in publish order');
    assert.ok(g.every((a) => typeof a[1] === 'string'), 'each carries its offset');
  }
  await sleep(200);
  assert.equal(leaked.length, 0);
  [...mine, stranger].forEach((s) => s.disconnect());
});

test('sockets per user are limited', async () => {
  const me = randomUUID();
  const socks = [];
  for (let i = 0; i < 6; i++) {
    socks.push(client(srv, token(me), { transports: ['websocket'] }));
    await connected(socks[i]);
  }
  const extra = client(srv, token(me), { transports: ['websocket'] });
  const err = await connectError(extra);
  assert.equal(err.data.code, 'too_many_sockets');
  extra.close();
  socks[0].disconnect();
  await sleep(200);
  const again = client(srv, token(me), { transports: ['websocket'] });
  await connected(again);
  [...socks, again].forEach((s) => s.disconnect());
});

test('recovery: missed events are replayed after a dropped connection, once each, in order', async () => {
  for (const opts of [{ transports: ['websocket'] }, { transports: ['polling'], upgrade: false }]) {
    const me = randomUUID();
    const a = client(srv, token(me), { ...opts, reconnection: true, reconnectionDelay: 400,
      reconnectionDelayMax: 400 });
    const b = client(srv, token(me), { transports: ['websocket'] });
    await Promise.all([connected(a), connected(b)]);
    const got = collect(a, 'm');
    await b.emitWithAck('diag:publish', 'm', 1);
    await until(() => got.length === 1);
    const id = a.id;
    const dropped = once(a, 'disconnect');
    a.io.engine.close(); // the transport drops; the client reconnects by itself
    const back = once(a, 'connect');
    await dropped;
    for (const n of [2, 3, 4]) await b.emitWithAck('diag:publish', 'm', n);
    await back;
    assert.equal(a.recovered, true);
    assert.equal(a.id, id, 'the socket keeps its id');
    await b.emitWithAck('diag:publish', 'm', 5);
    await until(() => got.length >= 5);
    await sleep(100);
    assert.deepEqual(got.map((x) => x[0]), [1, 2, 3, 4, 5]);
    a.disconnect();
    b.disconnect();
  }
});

test('recovery: a client that never received an event still gets what it missed', async () => {
  const me = randomUUID();
  const a = client(srv, token(me), { transports: ['websocket'], reconnection: true,
    reconnectionDelay: 300, reconnectionDelayMax: 300 });
  const b = client(srv, token(me), { transports: ['websocket'] });
  await Promise.all([connected(a), connected(b)]);
  const got = collect(a, 'm');
  const dropped = once(a, 'disconnect');
  a.io.engine.close();
  const back = once(a, 'connect');
  await dropped;
  await b.emitWithAck('diag:publish', 'm', 'while-away');
  await back;
  assert.equal(a.recovered, true);
  await until(() => got.length === 1);
  assert.equal(got[0][0], 'while-away');
  a.disconnect();
  b.disconnect();
});

test('recovery is refused for another user\'s pid and for an explicit disconnect', async () => {
  const me = randomUUID();
  const a = client(srv, token(me), { transports: ['websocket'] });
  await connected(a);
  const pid = a._pid;
  assert.match(pid, /^[A-Za-z0-9_-]{20}$/);
  const dropped = once(a, 'disconnect');
  a.io.engine.close();
  await dropped;
  // Someone else presenting the pid gets a fresh session.
  const thief = client(srv, token(randomUUID()), { transports: ['websocket'] });
  thief.auth = { token: token(randomUUID()), pid, offset: '0' };
  await connected(thief);
  assert.notEqual(thief.recovered, true);
  thief.disconnect();
  const b = client(srv, token(me), { transports: ['websocket'] });
  await connected(b);
  b.disconnect(); // explicit: nothing is kept
  const c = client(srv, token(me), { transports: ['websocket'] });
  c.auth = { token: token(me), pid: b._pid, offset: '0' };
  await connected(c);
  assert.notEqual(c.recovered, true);
  c.disconnect();
});

test('typing indicators go to the other sockets of the room and stop by themselves', async () => {
  const me = randomUUID();
  const a = client(srv, token(me), { transports: ['websocket'] });
  const b = client(srv, token(me), { transports: ['polling'], upgrade: false });
  await Promise.all([connected(a), connected(b)]);
  const atA = collect(a, 'typing:start');
  const start = once(b, 'typing:start');
  const room = `user:${me}`;
  assert.deepEqual(await a.emitWithAck('typing:start', { room }), { ok: true });
  assert.deepEqual((await start)[0], { room, userId: me });
  const stop = once(b, 'typing:stop', 15000);
  assert.deepEqual((await stop)[0], { room, userId: me }, 'expired on its own');
  assert.equal(atA.length, 0, 'not echoed to the typist');
  const bad = await a.emitWithAck('typing:start', { room: 'conversation:x' });
  assert.equal(bad.error.code, 'forbidden');
  a.disconnect();
  b.disconnect();
});

test('too many events per second: an error event, then a server disconnect', async () => {
  const s = client(srv, token(randomUUID()), { transports: ['websocket'] });
  await connected(s);
  const err = once(s, 'error');
  const gone = once(s, 'disconnect');
  for (let i = 0; i < 200; i++) s.emit('diag:echo', i);
  assert.equal((await err)[0].code, 'rate_limited');
  assert.equal((await gone)[0], 'io server disconnect');
});

test('GET /v1/presence: online while connected, last seen after', async () => {
  const alice = await signup(srv);
  const bob = await signup(srv);
  const q = `/v1/presence?userIds=${alice.id},${bob.id}`;
  assert.equal((await request(srv, 'GET', q)).status, 401);
  let r = await request(srv, 'GET', q, { headers: alice.auth });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.items.map((i) => [i.userId, i.online, i.lastSeen]),
    [[alice.id, false, null], [bob.id, false, null]]);
  const s = client(srv, bob.token, { transports: ['websocket'] });
  await connected(s);
  r = await request(srv, 'GET', q, { headers: alice.auth });
  assert.equal(r.json.items[1].online, true);
  assert.match(r.json.items[1].lastSeen, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  s.disconnect();
  await until(async () => {
    const x = await request(srv, 'GET', q, { headers: alice.auth });
    return x.json.items[1].online === false && x.json.items[1].lastSeen !== null;
  });
  for (const bad of ['', 'a,,b', 'x'.repeat(65), Array(101).fill('a').join(','), 'a%20b']) {
    const x = await request(srv, 'GET', `/v1/presence?userIds=${bad}`, { headers: alice.auth });
    assert.equal(x.status, 422, bad);
    assert.equal(x.json.error.details.field, 'userIds');
  }
});
