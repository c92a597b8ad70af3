// HTTP rate limits shared by cluster nodes (PostgreSQL + Redis; skipped on
// SQLite): two nodes with a small per-client limit and a private
// redis-server. What one node admitted counts on the other: a client that
// used up its allowance on node A is refused by node B once B heard of it
// from Redis (B's own bucket alone would admit the whole limit again).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { freePort, spawnRedis } from './lib/redis.mjs';
import { isPostgres, request, startServer } from './lib/harness.mjs';
import { until } from './lib/realtime.mjs';
import { ACCOUNTS_ENV } from './lib/accounts.mjs';

const skip = !isPostgres && 'cluster mode needs PostgreSQL';
const LIMIT = 8;
const WINDOW_S = 3600; // one token back every 7.5 minutes: no refill during the test

let redisPort, redis, A, B;
const startRedis = () => spawnRedis(redisPort);
const cli = (...args) =>
  execFileSync('redis-cli', ['-p', String(redisPort), ...args], { encoding: 'utf8' }).trim();
// The cluster's level for this client (keys are namespaced per cluster:
// one key here, both nodes share a database).
function level() {
  const keys = cli('--scan', '--pattern', `travloc:rl:*:${LIMIT}:${WINDOW_S}:ip:127.0.0.1`)
    .split('\n').filter(Boolean);
  assert.ok(keys.length <= 1, `one cluster, one key: ${keys}`);
  return keys.length ? Number(cli('HGET', keys[0], 'l')) : 0;
}

before(async () => {
  if (skip) return;
  redisPort = await freePort();
  redis = await startRedis();
  const env = { ...ACCOUNTS_ENV, REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    TRAVLOC_RATE_LIMIT: String(LIMIT), TRAVLOC_RATE_WINDOW_S: String(WINDOW_S) };
  A = await startServer({ env });
  B = await startServer({ env, database: A.database });
});
after(async () => {
  if (skip) return;
  await B.stop();
  await A.stop();
  await new Promise((resolve) => { redis.once('exit', resolve); redis.kill('SIGKILL'); });
});

// A request that passes the rate limit stage and stops at authentication.
const hit = (s) => request(s, 'GET', '/v1/presence?userIds=x');

test('a client limited on node A is limited on node B too', { skip }, async () => {
  let okA = 0;
  for (let i = 0; i <= LIMIT; i++) if ((await hit(A)).status !== 429) okA++;
  assert.equal(okA, LIMIT, 'node A admits the limit, then refuses');
  await until(() => level() >= LIMIT - 0.01); // node A told Redis
  const first = await hit(B); // node B has not seen this client yet
  await until(() => level() >= LIMIT + 1 - 0.01); // and told Redis at once
  let okB = first.status === 429 ? 0 : 1;
  let refused = first.status === 429 ? first : null;
  while (!refused && okB < LIMIT) {
    const r = await hit(B);
    if (r.status === 429) refused = r; else okB++;
  }
  assert.ok(refused, 'node B refuses');
  assert.ok(okB <= 2, `node B admitted ${okB} more (alone it would admit ${LIMIT})`);
  assert.equal(refused.json.error.code, 'rate_limited');
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  // and node A still refuses: the cluster's level is over the limit
  assert.equal((await hit(A)).status, 429);
});
