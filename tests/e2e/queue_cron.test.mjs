// Repeatable (cron) jobs: one job per tick however many workers look, ticks
// kept across a restart, and the missed-tick policies: run-once collapses
// the ticks missed while nothing ran into one job, skip drops them.
// `travloc jobs tick` plays the restarted node's first look at the
// schedule, so the test can tell exactly when that look happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queueDb, jobs, listAll, waitFor, startWorker } from './lib/queue.mjs';

const tickOf = (j) => Number(j.dedupeKey.split(':').pop());

async function cronJobs(db) {
  const all = await listAll(db, 'cron');
  return all.map((j) => ({ ...j, tick: tickOf(j) })).sort((a, b) => a.tick - b.tick);
}

function assertOnePerTick(list) {
  const seen = new Map();
  for (const j of list) seen.set(j.tick, (seen.get(j.tick) || 0) + 1);
  for (const [t, n] of seen) assert.equal(n, 1, `tick ${t} ran ${n} times`);
  for (const j of list) assert.equal(j.tick % 1000, 0, 'ticks are whole seconds');
}

async function runThenStop(db) {
  const w = await startWorker(db);
  await waitFor('two ticks', async () => (await listAll(db, 'cron', 'completed')).length >= 2);
  await w.stop();
  const before = await cronJobs(db);
  return before[before.length - 1].tick;
}

test('schedules are validated', async () => {
  const db = queueDb();
  const bad = await jobs(db, ['schedule', '--name', 's', '--cron', '61 * * * * *', '--type', 'noop'], { expectCode: 1 });
  assert.match(bad.stderr, /invalid_schedule/);
  const tz = await jobs(db, ['schedule', '--name', 's', '--cron', '* * * * *', '--tz', 'Mars/Olympus', '--type', 'noop'], { expectCode: 1 });
  assert.match(tz.stderr, /tz/);
  await jobs(db, ['schedule', '--name', 's', '--cron', '0 */5 * * * *', '--tz', 'Europe/Lisbon', '--type', 'noop']);
  await jobs(db, ['unschedule', 's']);
  await jobs(db, ['unschedule', 's'], { expectCode: 1 });
});

test('cron ticks across a restart: missed ticks run once, then one job per tick across two workers', async () => {
  const db = queueDb();
  await jobs(db, ['schedule', '--name', 'every-second', '--cron', '* * * * * *', '--type', 'noop',
    '--queue', 'cron', '--missed', 'run-once']);
  const lastW1 = await runThenStop(db);
  await waitFor('ticks to be missed', async () => Date.now() > lastW1 + 3500);
  const before = Date.now();
  const fired = await jobs(db, ['tick']);
  const after = Date.now();
  assert.equal(fired.fired, 1, 'the missed ticks give one job');
  const list = await cronJobs(db);
  const caught = list.filter((j) => j.tick > lastW1);
  assert.equal(caught.length, 1);
  const t = caught[0].tick;
  assert.ok(t >= lastW1 + 3000, 'it stands for the latest missed tick, not the first');
  assert.ok(t > before - 1000 && t <= after, 'the latest tick before the restart');
  // Two workers ("nodes") carry on: every tick runs exactly once.
  const w2 = await startWorker(db);
  const w3 = await startWorker(db);
  try {
    await waitFor('three more ticks', async () => (await cronJobs(db)).filter((j) => j.tick > t).length >= 3);
  } finally {
    await w2.stop();
    await w3.stop();
  }
  assertOnePerTick(await cronJobs(db));
});

test('with the skip policy, ticks missed while nothing ran are dropped', async () => {
  const db = queueDb();
  await jobs(db, ['schedule', '--name', 'every-second', '--cron', '* * * * * *', '--type', 'noop',
    '--queue', 'cron', '--missed', 'skip']);
  const lastW1 = await runThenStop(db);
  await waitFor('ticks to be missed', async () => Date.now() > lastW1 + 3500);
  const fired = await jobs(db, ['tick']);
  const after = Date.now();
  assert.equal(fired.fired, 0);
  const w2 = await startWorker(db);
  try {
    await waitFor('a new tick', async () => (await cronJobs(db)).some((j) => j.tick > after));
  } finally {
    await w2.stop();
  }
  const list = await cronJobs(db);
  assert.deepEqual(list.filter((j) => j.tick > lastW1 && j.tick <= after - 1000), [],
    'nothing ran for the missed ticks');
  assertOnePerTick(list);
});
