// Real-time state shared across cluster nodes (PostgreSQL + Redis; skipped
// on SQLite): two `travloc serve` nodes on one database and a private
// redis-server. Each test would fail if the state stayed on one node:
// presence:update "offline" only when the user's last socket in the
// cluster closes, typing indicators reach (and expire on) other nodes,
// connection-state recovery when a client reconnects to the other node
// (through a small TCP proxy that plays the load balancer), and the
// per-user socket limit counted over both nodes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { freePort, spawnRedis } from './lib/redis.mjs';
import { isPostgres, request, startServer } from './lib/harness.mjs';
import { client, collect, connected, connectError, once, until } from './lib/realtime.mjs';
import { convPath, direct, group, join, send } from './lib/messages.mjs';
import { TRIPS_ENV, users } from './lib/trips.mjs';

const skip = !isPostgres && 'cluster mode needs PostgreSQL';
const MAX_SOCKETS = 3;

let redisPort, redis;
const startRedis = () => spawnRedis(redisPort);
const redisCli = (...args) =>
  execFileSync('redis-cli', ['-p', String(redisPort), ...args], { encoding: 'utf8' }).trim();

// A TCP proxy standing in for the load balancer: forwards to one node,
// can refuse (target null), cut every open connection, and fail over.
function proxy() {
  let target = null;
  const conns = new Set();
  const srv = net.createServer((c) => {
    if (!target) { c.destroy(); return; }
    const up = net.connect(target, '127.0.0.1');
    conns.add(c);
    conns.add(up);
    const end = () => { c.destroy(); up.destroy(); conns.delete(c); conns.delete(up); };
    c.on('error', end); up.on('error', end); c.on('close', end); up.on('close', end);
    c.pipe(up); up.pipe(c);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${srv.address().port}`,
    to(port) { target = port; },
    cut() { for (const c of conns) c.destroy(); conns.clear(); },
    close() { this.cut(); return new Promise((r) => srv.close(r)); },
  })));
}

let A, B;
const socks = [];
const ENV = () => ({ ...TRIPS_ENV, REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  TRAVLOC_RT_MAX_SOCKETS_PER_USER: String(MAX_SOCKETS) });

before(async () => {
  if (skip) return;
  redisPort = await freePort();
  redis = await startRedis();
  A = await startServer({ env: ENV() });
  B = await startServer({ env: ENV(), database: A.database });
});
after(async () => {
  if (skip) return;
  for (const k of socks) k.close();
  await B.stop();
  await A.stop();
  await new Promise((resolve) => { redis.once('exit', resolve); redis.kill('SIGKILL'); });
});

async function device(s, user, opts) {
  const k = client(s, user.token, opts);
  socks.push(k);
  await connected(k);
  return k;
}
const nodeOf = (s) => /"msg":"cluster mode","node":"([0-9a-f]+)"/.exec(s.logs)[1];

test('presence:update offline only when the last socket in the cluster closes', { skip }, async () => {
  const [u, w] = await users(A, 2);
  const conv = await direct(A, w, u);
  const watcher = await device(A, w);
  assert.equal((await join(watcher, conv.id)).ok, true);
  const offline = [];
  const online = [];
  let closedOnB = false;
  watcher.on('presence:update', (p) => {
    if (p.userId === u.id && p.online === false) offline.push({ ...p, closedOnB });
    if (p.userId === u.id && p.online === true) online.push(p);
  });
  const got = collect(watcher, 'message:new');
  const onA = await device(A, u);
  await until(() => online.length === 1);
  const onB = await device(B, u); // online already: no second "online"
  const key = `travloc:presence:${u.id}`;
  await until(() => redisCli('ZCARD', key) === '2');
  onA.close(); // the user is still online on node B
  await until(() => !redisCli('ZRANGE', key, '0', '-1').includes(nodeOf(A)));
  // a marker from node A after its decision: an "offline" would be ahead of it
  const marker = await send(A, u, conv.id, 'still here');
  await until(() => got.some(([m]) => m.id === marker.id));
  const p = await request(A, 'GET', `/v1/presence?userIds=${u.id}`, { headers: w.auth });
  assert.equal(p.json.items[0].online, true, 'online through node B');
  assert.equal(offline.length, 0, 'no offline while a socket is open on node B');
  assert.equal(online.length, 1, 'one online for the whole cluster');
  closedOnB = true;
  onB.close();
  await until(() => offline.length >= 1);
  assert.equal(offline.length, 1);
  assert.equal(offline[0].closedOnB, true);
  assert.match(offline[0].lastSeen, /^\d{4}-\d\d-\d\dT.*Z$/);
});

test('typing indicators reach the room on the other node and expire there', { skip }, async () => {
  const [a, b, c] = await users(A, 3);
  const conv = await group(A, a, [b], 'Typing');
  const other = await group(A, c, [b], 'Elsewhere');
  const ta = await device(A, a);
  const tb = await device(B, b, { transports: ['websocket'] });
  for (const k of [ta, tb]) assert.equal((await join(k, conv.id)).ok, true);
  const room = `conversation:${conv.id}`;
  const starts = collect(tb, 'typing:start');
  const stops = collect(tb, 'typing:stop');
  const echoed = collect(ta, 'typing:start');
  assert.deepEqual(await ta.emitWithAck('typing:start', { room }), { ok: true });
  await until(() => starts.length === 1);
  assert.deepEqual(starts[0][0], { room, userId: a.id });
  assert.deepEqual(await ta.emitWithAck('typing:stop', { room }), { ok: true });
  await until(() => stops.length === 1);
  assert.deepEqual(stops[0][0], { room, userId: a.id });
  // again, and this time it stops by itself (typing TTL 5 s) on node B too
  assert.deepEqual(await ta.emitWithAck('typing:start', { room }), { ok: true });
  await until(() => starts.length === 2);
  await until(() => stops.length === 2, 15000);
  assert.deepEqual(stops[1][0], { room, userId: a.id });
  assert.equal(echoed.length, 0, 'not echoed to the typist');
  // a room the typist is not in: refused
  const bad = await ta.emitWithAck('typing:start', { room: `conversation:${other.id}` });
  assert.equal(bad.error.code, 'forbidden');
  assert.equal(starts.length, 2);
});

// A socket behind the proxy that reconnects by itself (recovery on).
async function roaming(p, user) {
  const k = client({ url: p.url }, user.token, { transports: ['websocket'], reconnection: true,
    reconnectionDelay: 50, reconnectionDelayMax: 200 });
  socks.push(k);
  await connected(k);
  return k;
}

async function dropAndHold(p, k) {
  p.to(null); // the balancer has no node for now
  const dropped = once(k, 'disconnect');
  p.cut();
  await dropped;
}

test('recovery: a client that reconnects to the other node gets every missed event once', { skip }, async () => {
  const [x, u] = await users(A, 2);
  const conv = await group(A, x, [u], 'Roaming');
  const p = await proxy();
  try {
    p.to(A.port);
    const k = await roaming(p, u);
    assert.equal((await join(k, conv.id)).ok, true);
    const got = collect(k, 'message:new');
    await send(A, x, conv.id, 'one');
    await until(() => got.length === 1);
    await dropAndHold(p, k);
    await send(B, x, conv.id, 'two');   // published by node B
    await send(A, x, conv.id, 'three'); // published by node A
    await send(B, x, conv.id, 'four');
    p.to(B.port);
    await once(k, 'connect');
    assert.equal(k.recovered, true, 'recovered on node B');
    await until(() => got.length >= 4);
    const five = await send(A, x, conv.id, 'five'); // live, after recovery
    await until(() => got.some(([m]) => m.id === five.id));
    assert.deepEqual(got.map(([m]) => m.text), ['one', 'two', 'three', 'four', 'five'],
      'in order, no gaps, no duplicates');
    // and back to node A: the offsets of node B mean the same there
    await dropAndHold(p, k);
    await send(B, x, conv.id, 'six');
    p.to(A.port);
    await once(k, 'connect');
    assert.equal(k.recovered, true, 'recovered on node A');
    await until(() => got.length >= 6);
    const seven = await send(B, x, conv.id, 'seven');
    await until(() => got.some(([m]) => m.id === seven.id));
    assert.deepEqual(got.map(([m]) => m.text).slice(5), ['six', 'seven']);
    k.close();
  } finally {
    await p.close();
  }
});

test('recovery on another node re-checks rooms and refuses another user', { skip }, async () => {
  const [x, u, thiefUser] = await users(A, 3);
  const kept = await group(A, x, [u], 'Kept');
  const lost = await group(A, x, [u], 'Lost');
  const p = await proxy();
  try {
    p.to(A.port);
    const k = await roaming(p, u);
    for (const c of [kept, lost]) assert.equal((await join(k, c.id)).ok, true);
    const got = collect(k, 'message:new');
    await send(A, x, lost.id, 'before');
    await until(() => got.length === 1);
    const pid = k._pid;
    await dropAndHold(p, k);
    // removed from one conversation while away (the record in Redis still has it)
    const r = await request(A, 'DELETE', convPath(lost.id, `/members/${u.id}`), { headers: x.auth });
    assert.equal(r.status, 204);
    await send(A, x, lost.id, 'secret');
    await send(B, x, kept.id, 'for you');
    // another user presenting the pid on node B starts fresh, and takes nothing
    const thief = client(B, thiefUser.token, { transports: ['websocket'] });
    thief.auth = { token: thiefUser.token, pid, offset: '0' };
    socks.push(thief);
    const stolen = collect(thief, 'message:new');
    await connected(thief);
    assert.notEqual(thief.recovered, true);
    p.to(B.port);
    await once(k, 'connect');
    assert.equal(k.recovered, true);
    const marker = await send(A, x, kept.id, 'marker');
    await until(() => got.some(([m]) => m.id === marker.id));
    assert.deepEqual(got.map(([m]) => m.text), ['before', 'for you', 'marker']);
    assert.equal(stolen.length, 0);
    k.close();
  } finally {
    await p.close();
  }
});

test('the per-user socket limit counts the sockets of every node', { skip }, async () => {
  const [u] = await users(A, 1);
  const first = await device(A, u);
  await device(A, u);
  await device(B, u); // three: the limit
  const extra = client(B, u.token); // node B alone has one
  socks.push(extra);
  const err = await connectError(extra);
  assert.equal(err.data.code, 'too_many_sockets');
  const extraA = client(A, u.token);
  socks.push(extraA);
  assert.equal((await connectError(extraA)).data.code, 'too_many_sockets');
  first.close(); // a place frees up on node A
  await until(async () => {
    const k = client(B, u.token);
    socks.push(k);
    try { await connected(k); return true; } catch { k.close(); return false; }
  });
});

test('recovery: when the old node is gone, the client starts fresh on the other', { skip }, async () => {
  const C = await startServer({ env: ENV(), database: A.database });
  const [x, u] = await users(A, 2);
  const conv = await group(A, x, [u], 'Gone');
  const p = await proxy();
  try {
    p.to(C.port);
    const k = await roaming(p, u);
    assert.equal((await join(k, conv.id)).ok, true);
    const got = collect(k, 'message:new');
    await send(A, x, conv.id, 'one');
    await until(() => got.length === 1);
    await dropAndHold(p, k);
    C.kill('SIGKILL'); // its record stays in Redis until the window ends
    await C.exited;
    p.to(B.port);
    await once(k, 'connect'); // the claim times out (2 s): a fresh session
    assert.notEqual(k.recovered, true);
    const res = await k.timeout(5000).emitWithAck('room:join', { room: `conversation:${conv.id}` });
    assert.equal(res.ok, true);
    const two = await send(A, x, conv.id, 'two');
    await until(() => got.some(([m]) => m.id === two.id));
    k.close();
  } finally {
    await p.close();
    await C.stop({ expectCode: null });
  }
});

test('typing: a long indicator is kept alive on the other node; a dead node\'s one ends', { skip }, async () => {
  const C = await startServer({ env: ENV(), database: A.database });
  try {
    const [a, b, c] = await users(A, 3);
    const conv = await group(A, a, [b, c], 'Long typing');
    const room = `conversation:${conv.id}`;
    const ta = await device(A, a);
    const tc = await device(C, c);
    const tb = await device(B, b);
    for (const k of [ta, tb, tc]) assert.equal((await join(k, conv.id)).ok, true);
    const starts = collect(tb, 'typing:start');
    const stops = collect(tb, 'typing:stop');
    // a keeps typing for longer than the TTL + margin (5 s + 2 s): no stop on node B
    assert.deepEqual(await ta.emitWithAck('typing:start', { room }), { ok: true });
    await until(() => starts.length === 1);
    for (let i = 0; i < 9; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(await ta.emitWithAck('typing:start', { room }), { ok: true });
    }
    assert.equal(stops.length, 0, 'still typing');
    assert.equal(starts.length, 1, 'refreshes are not shown again');
    assert.deepEqual(await ta.emitWithAck('typing:stop', { room }), { ok: true });
    await until(() => stops.length === 1);
    // c types on node C, which dies: node B ends the indicator by itself
    assert.deepEqual(await tc.emitWithAck('typing:start', { room }), { ok: true });
    await until(() => starts.length === 2);
    assert.deepEqual(starts[1][0], { room, userId: c.id });
    C.kill('SIGKILL');
    await C.exited;
    await until(() => stops.length === 2, 15000);
    assert.deepEqual(stops[1][0], { room, userId: c.id });
  } finally {
    await C.stop({ expectCode: null });
  }
});
