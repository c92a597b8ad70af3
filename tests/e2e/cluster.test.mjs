// Cluster mode (PostgreSQL + Redis; skipped on SQLite): two `travloc
// serve` nodes and a `travloc worker` on one database and a private
// redis-server this file starts on a free port. Events caused on node A
// reach sockets on node B, presence is seen across nodes, room removals
// propagate, a worker's job events reach sockets, and fan-out resumes
// after Redis restarts under the running nodes (local delivery goes on
// while it is down).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, spawnRedis } from './lib/redis.mjs';
import { isPostgres, request, startServer } from './lib/harness.mjs';
import { createAdmin } from './lib/accounts.mjs';
import { client, collect, connected, once, until } from './lib/realtime.mjs';
import { convPath, group, join, send } from './lib/messages.mjs';
import { TRIPS_ENV, newTrip, users } from './lib/trips.mjs';
import { startWorker } from './lib/queue.mjs';

const skip = !isPostgres && 'cluster mode needs PostgreSQL';

let redisPort, redis;
const startRedis = () => spawnRedis(redisPort);
function stopRedis() {
  return new Promise((resolve) => { redis.once('exit', () => resolve()); redis.kill('SIGKILL'); });
}

let A, B, worker;
const socks = [];
const ENV = () => ({ ...TRIPS_ENV, REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  TRAVLOC_QUEUE_EMBEDDED: '0' });

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
  if (worker) await worker.stop();
  await B.stop();
  await A.stop();
  if (redis.exitCode === null) await stopRedis();
});

async function device(s, user) {
  const k = client(s, user.token);
  socks.push(k);
  await connected(k);
  return k;
}

test('both nodes run in cluster mode on one database', { skip }, () => {
  for (const s of [A, B]) assert.match(s.logs, /"msg":"cluster mode"/);
  const node = (s) => /"msg":"cluster mode","node":"([0-9a-f]+)"/.exec(s.logs)[1];
  assert.notEqual(node(A), node(B));
});

test('an HTTP change on node A reaches a socket on node B (sync:changed)', { skip }, async () => {
  const [alice, bob] = await users(A, 2);
  const onB = await device(B, alice);
  const bobOnB = await device(B, bob);
  const got = collect(onB, 'sync:changed');
  const bobGot = collect(bobOnB, 'sync:changed');
  await newTrip(A, alice);
  await until(() => got.length >= 1);
  assert.match(got[0][0].cursor, /^\d+$/);
  // a marker for bob proves that nothing for alice reached him on the way
  await newTrip(A, bob);
  await until(() => bobGot.length >= 1);
  assert.equal(bobGot.length, 1);
});

test('presence: a user online on node A is online for GET /v1/presence on node B', { skip }, async () => {
  const [u, v] = await users(A, 2);
  const presence = async (s) => {
    const r = await request(s, 'GET', `/v1/presence?userIds=${u.id}`, { headers: v.auth });
    assert.equal(r.status, 200);
    return r.json.items[0];
  };
  assert.equal((await presence(B)).online, false);
  const k = client(A, u.token);
  await connected(k);
  await until(async () => (await presence(B)).online);
  assert.equal((await presence(A)).online, true);
  k.close();
  await until(async () => !(await presence(B)).online);
  const last = await presence(B);
  assert.equal(last.online, false);
  assert.match(last.lastSeen, /^\d{4}-\d\d-\d\dT.*Z$/);
  // bad input is still refused on a cluster node
  const bad = await request(B, 'GET', '/v1/presence?userIds=a%20b', { headers: v.auth });
  assert.equal(bad.status, 422);
});

test('a member removed on node A stops hearing the room on node B', { skip }, async () => {
  const [a, b, c] = await users(A, 3);
  const conv = await group(A, a, [b, c], 'Across nodes');
  const sb = await device(B, b);
  const sc = await device(B, c);
  for (const x of [sb, sc]) assert.equal((await join(x, conv.id)).ok, true);
  const gotB = collect(sb, 'message:new');
  const gotC = collect(sc, 'message:new');
  const first = await send(A, a, conv.id, 'before');
  await until(() => gotB.some(([m]) => m.id === first.id) && gotC.some(([m]) => m.id === first.id));
  const r = await request(A, 'DELETE', convPath(conv.id, `/members/${b.id}`), { headers: a.auth });
  assert.equal(r.status, 204);
  const n = gotB.length;
  const marker = await send(A, a, conv.id, 'after');
  await until(() => gotC.some(([m]) => m.id === marker.id));
  assert.equal(gotB.length, n, 'nothing after removal on the other node');
});

test('a travloc worker job publishes through Redis to a socket on a serve node', { skip }, async () => {
  const db = { dir: A.dir, env: { ...A.database, TRAVLOC_LOG_LEVEL: 'info', ...ENV() } };
  worker = await startWorker(db);
  assert.match(worker.logs, /"msg":"cluster mode".*"role":"publish"/);
  const admin = await createAdmin(A);
  const [u] = await users(A, 1);
  const k = await device(B, u);
  const got = once(k, 'notification:new', 30000);
  const r = await request(A, 'POST', '/v1/admin/notifications/test', { headers: admin.auth,
    body: { userId: u.id, template: 'test.hello', data: { name: 'Ann', text: 'hi' } } });
  assert.equal(r.status, 202);
  const [evt] = await got;
  assert.equal(evt.id, r.json.notificationId);
});

test('Redis stopped: local delivery goes on; restarted: fan-out resumes', { skip }, async () => {
  const [alice] = await users(A, 1);
  const onA = await device(A, alice);
  const onB = await device(B, alice);
  const gotA = collect(onA, 'sync:changed');
  const gotB = collect(onB, 'sync:changed');
  await stopRedis();
  await newTrip(A, alice);
  await until(() => gotA.length >= 1);
  assert.equal(gotB.length, 0, 'no cross-node delivery while Redis is down');
  await until(() => /redis unreachable/.test(A.logs));
  redis = await startRedis();
  // the nodes reconnect with backoff; keep changing until B hears one
  await until(async () => {
    await newTrip(A, alice);
    return gotB.length >= 1;
  }, 30000, 300);
  await until(() => /redis connection restored/.test(A.logs) && /redis connection restored/.test(B.logs));
  const m = await request(A, 'GET', '/metrics');
  assert.match(m.text, /^travloc_cluster_redis_up 1$/m);
  assert.match(m.text, /^travloc_cluster_redis_reconnects_total [1-9]\d*$/m);
  const mb = await request(B, 'GET', '/metrics');
  assert.match(mb.text, /^travloc_cluster_messages_total\{direction="received"\} [1-9]\d*$/m);
});
