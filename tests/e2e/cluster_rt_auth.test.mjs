// Cluster mode with a Redis that requires credentials (PostgreSQL + Redis;
// skipped on SQLite): a private redis-server with an ACL user and a
// password on the default user. One node logs in as the ACL user
// (redis://user:password@host:port, percent-encoded), the other with the
// password alone (redis://:password@host:port/db); events and presence
// cross between them. A node with a wrong password says so and keeps
// serving on its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, spawnRedis } from './lib/redis.mjs';
import { isPostgres, request, startServer } from './lib/harness.mjs';
import { client, collect, connected, until } from './lib/realtime.mjs';
import { TRIPS_ENV, newTrip, users } from './lib/trips.mjs';

const skip = !isPostgres && 'cluster mode needs PostgreSQL';

let redisPort, redis;
const startRedis = () => spawnRedis(redisPort, ['--user', 'default', 'on', '>def-pass', '~*', '&*', '+@all',
  '--user', 'travloc', 'on', '>s3cr:et@x', '~travloc:*', '&travloc:*', '+@all']);

let A, B, C;
const socks = [];
const env = (url) => ({ ...TRIPS_ENV, REDIS_URL: url });

before(async () => {
  if (skip) return;
  redisPort = await freePort();
  redis = await startRedis();
  A = await startServer({ env: env(`redis://travloc:s3cr%3Aet%40x@127.0.0.1:${redisPort}`) });
  B = await startServer({ env: env(`redis://:def-pass@127.0.0.1:${redisPort}/0`),
    database: A.database });
});
after(async () => {
  if (skip) return;
  for (const k of socks) k.close();
  if (C) await C.stop();
  await B.stop();
  await A.stop();
  await new Promise((resolve) => { redis.once('exit', resolve); redis.kill('SIGKILL'); });
});

const redisUp = async (s) => /travloc_cluster_redis_up 1/.test((await request(s, 'GET', '/metrics')).text);

test('nodes log in with an ACL user or a password; events and presence cross', { skip }, async () => {
  await until(async () => (await redisUp(A)) && (await redisUp(B)));
  for (const s of [A, B]) assert.doesNotMatch(s.logs, /refused the credentials|s3cr|def-pass/);
  const [u, v] = await users(A, 2);
  const k = client(B, u.token);
  socks.push(k);
  await connected(k);
  const got = collect(k, 'sync:changed');
  await newTrip(A, u); // a change on node A, a socket on node B
  await until(() => got.length >= 1);
  // presence look-ups on node A use their own (logged-in) connection
  const p = await request(A, 'GET', `/v1/presence?userIds=${u.id}`, { headers: v.auth });
  assert.equal(p.status, 200);
  assert.equal(p.json.items[0].online, true);
});

test('a wrong password is reported and the node keeps working on its own', { skip }, async () => {
  C = await startServer({ env: env(`redis://travloc:wrong@127.0.0.1:${redisPort}`),
    database: A.database });
  await until(() => /redis refused the credentials/.test(C.logs));
  assert.doesNotMatch(C.logs, /wrong/, 'the password is never logged');
  assert.equal(await redisUp(C), false);
  const [u] = await users(C, 1);
  const k = client(C, u.token);
  socks.push(k);
  await connected(k);
  const got = collect(k, 'sync:changed');
  await newTrip(C, u);
  await until(() => got.length >= 1);
});

test('REDIS_URL with rediss:// (TLS) stops the node at start-up', { skip }, async () => {
  await assert.rejects(startServer({ env: env(`rediss://:def-pass@127.0.0.1:${redisPort}`),
    database: A.database }), /exited/);
});
