// Offline sync (issue 4): pull (order, paging, visibility, tombstones),
// push (client ids, idempotency by clientMutationId, validation and
// permission rejections), the two-device offline scenario under every
// strategy in both orders, status, and cursors that never skip a change
// committed by a concurrent transaction.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { isPostgres, psql, sleep } from './lib/harness.mjs';
import { newTrip, request, share, startTripsServer, users } from './lib/trips.mjs';

let s, alice, bob;
before(async () => {
  s = await startTripsServer();
  [alice, bob] = await users(s, 2);
});
after(async () => { await s.stop(); });

async function pullAll(user, cursor = '0', { limit = 100, device } = {}) {
  const changes = [];
  for (;;) {
    const r = await request(s, 'GET', `/v1/sync/pull?cursor=${cursor}&limit=${limit}`,
      { headers: { ...user.auth, ...(device ? { 'x-device-id': device } : {}) } });
    assert.equal(r.status, 200, r.text);
    changes.push(...r.json.changes);
    cursor = r.json.cursor;
    if (!r.json.hasMore) return { changes, cursor };
  }
}

const push = (user, device, mutations, strategy) => request(s, 'POST', '/v1/sync/push',
  { headers: { ...user.auth, 'x-device-id': device }, body: strategy ? { mutations, strategy } : { mutations } });

test('pull returns every change in order, pages with a cursor, tombstones deletes', async () => {
  const [u] = await users(s, 1);
  const t = await newTrip(s, u);
  const d = (await request(s, 'POST', `/v1/trips/${t.id}/destinations`, { headers: u.auth, body: { name: 'Faro' } })).json;
  await request(s, 'PATCH', `/v1/trips/${t.id}`, { headers: u.auth, body: { title: 'Algarve' } });
  await request(s, 'DELETE', `/v1/trips/${t.id}/destinations/${d.id}`, { headers: u.auth });
  const all = await pullAll(u);
  assert.deepEqual(all.changes.map((c) => `${c.entity}:${c.op}`),
    ['trip:create', 'destination:create', 'trip:update', 'destination:delete']);
  assert.equal(all.changes[2].data.title, 'Algarve');
  assert.equal(all.changes[2].version, 2);
  assert.equal(all.changes[3].data, null);
  const seqs = all.changes.map((c) => c.seq);
  assert.deepEqual([...seqs].sort((a, b) => a - b), seqs);
  const paged = await pullAll(u, '0', { limit: 1 });
  assert.deepEqual(paged.changes.map((c) => c.seq), seqs);
  assert.equal(paged.cursor, all.cursor);
  const again = await pullAll(u, all.cursor);
  assert.deepEqual(again.changes, []);
  assert.equal(again.cursor, all.cursor);
  for (const q of ['cursor=-1', 'cursor=abc', 'limit=0', 'limit=1001']) {
    assert.equal((await request(s, 'GET', `/v1/sync/pull?${q}`, { headers: u.auth })).status, 422, q);
  }
});

test("pull shows only what the user may see; a new member gets the trip's state", async () => {
  const [u, v] = await users(s, 2);
  const t = await newTrip(s, u);
  await request(s, 'POST', `/v1/trips/${t.id}/activities`, { headers: u.auth, body: { name: 'Surf' } });
  const before = await pullAll(v);
  assert.ok(!before.changes.some((c) => c.tripId === t.id || c.id === t.id));
  await share(s, u, t.id, v, 'viewer');
  const after1 = await pullAll(v, before.cursor);
  const trip = after1.changes.find((c) => c.entity === 'trip' && c.id === t.id);
  assert.ok(trip, 'the trip itself');
  assert.ok(after1.changes.some((c) => c.entity === 'activity' && c.data?.name === 'Surf'), 'and its children');
  const mark = after1.cursor;
  await request(s, 'DELETE', `/v1/trips/${t.id}/buddies/${v.id}`, { headers: u.auth });
  const gone = await pullAll(v, mark);
  assert.ok(gone.changes.some((c) => c.entity === 'trip' && c.id === t.id && c.op === 'delete'));
  await request(s, 'PATCH', `/v1/trips/${t.id}`, { headers: u.auth, body: { notes: 'private again' } });
  const later = await pullAll(v, gone.cursor);
  assert.deepEqual(later.changes, []);
});

test('push: client ids, idempotent by clientMutationId, rejections', async () => {
  const [u, viewer] = await users(s, 2);
  const id = randomUUID();
  const m = { clientMutationId: 'c1', entity: 'trip', id, op: 'create', clientTimestamp: new Date().toISOString(),
    data: { title: 'Offline made', startDate: '2027-08-01', endDate: '2027-08-03' } };
  let r = await push(u, 'phone', [m]);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.results[0].status, 'applied');
  assert.equal(r.json.results[0].data.id, id);
  r = await push(u, 'phone', [m]);
  assert.equal(r.json.results[0].status, 'applied');
  assert.equal(r.json.results[0].replayed, true);
  const list = await request(s, 'GET', '/v1/trips', { headers: u.auth });
  assert.equal(list.json.items.filter((x) => x.id === id).length, 1);
  const ts = new Date().toISOString();
  r = await push(u, 'phone', [
    { clientMutationId: 'c2', entity: 'trip', id: randomUUID(), op: 'create', clientTimestamp: ts, data: { title: '' , startDate: '2027-08-01', endDate: '2027-08-03' } },
    { clientMutationId: 'c3', entity: 'trip', id, op: 'update', baseVersion: 1, clientTimestamp: ts, data: { status: 'COMPLETED' } },
    { clientMutationId: 'c4', entity: 'trip', id: randomUUID(), op: 'update', baseVersion: 1, clientTimestamp: ts, data: { title: 'x' } },
    { clientMutationId: 'c5', entity: 'trip', id, op: 'create', clientTimestamp: ts, data: { title: 'dup', startDate: '2027-08-01', endDate: '2027-08-03' } },
    { clientMutationId: 'c6', entity: 'spaceship', id, op: 'create', clientTimestamp: ts, data: {} },
    { clientMutationId: 'c7', entity: 'trip', id, op: 'update', clientTimestamp: ts, data: {} },
    { clientMutationId: 'c8', entity: 'trip', id, op: 'update', baseVersion: 1, data: {} },
  ]);
  const res = r.json.results;
  assert.deepEqual(res.map((x) => x.status), Array(7).fill('rejected'));
  assert.deepEqual(res.map((x) => x.error.status), [422, 409, 404, 409, 422, 422, 422]);
  assert.equal(res[0].error.details.field, 'title');
  assert.equal(res[5].error.details.field, 'baseVersion');
  assert.equal(res[6].error.details.field, 'clientTimestamp');
  await share(s, u, id, viewer, 'viewer');
  r = await push(viewer, 'tab', [{ clientMutationId: 'v1', entity: 'trip', id, op: 'update', baseVersion: 1, clientTimestamp: ts, data: { title: 'hack' } },
    { clientMutationId: 'v2', entity: 'trip', id, op: 'delete', baseVersion: 1, clientTimestamp: ts }]);
  assert.deepEqual(r.json.results.map((x) => x.error?.status), [403, 403]);
  assert.equal((await request(s, 'GET', `/v1/trips/${id}`, { headers: u.auth })).json.title, 'Offline made');
  for (const body of [{ mutations: {} }, { mutations: [], strategy: 'mine-wins' }, { mutations: Array(101).fill({}) }]) {
    assert.equal((await request(s, 'POST', '/v1/sync/push', { headers: u.auth, body })).status, 422, JSON.stringify(body).slice(0, 40));
  }
});

// Two devices start from the same trip, edit offline, push in `order`,
// then pull; returns both devices' final trip and the push results.
async function twoDevices(strategy, editA, editB, order, { tsA, tsB } = {}) {
  const [u] = await users(s, 1);
  const t = await newTrip(s, u, { title: 'Base', notes: 'base notes' });
  const devices = {};
  for (const name of ['A', 'B']) {
    const p = await pullAll(u, '0', { device: name });
    devices[name] = { cursor: p.cursor, state: new Map() };
    for (const c of p.changes) devices[name].state.set(`${c.entity}:${c.id}`, c.data);
  }
  const now = Date.now();
  const muts = {
    A: { clientMutationId: `A-${t.id}`, entity: 'trip', id: t.id, op: 'update', baseVersion: 1, data: editA, clientTimestamp: new Date(tsA ?? now).toISOString() },
    B: { clientMutationId: `B-${t.id}`, entity: 'trip', id: t.id, op: 'update', baseVersion: 1, data: editB, clientTimestamp: new Date(tsB ?? now + 1000).toISOString() },
  };
  const results = {};
  for (const name of order) {
    const r = await push(u, name, [muts[name]], strategy);
    assert.equal(r.status, 200, r.text);
    results[name] = r.json.results[0];
  }
  for (const name of ['A', 'B']) {
    const p = await pullAll(u, devices[name].cursor, { device: name });
    for (const c of p.changes) devices[name].state.set(`${c.entity}:${c.id}`, c.data);
  }
  const server = (await request(s, 'GET', `/v1/trips/${t.id}`, { headers: u.auth })).json;
  const a = devices.A.state.get(`trip:${t.id}`), b = devices.B.state.get(`trip:${t.id}`);
  assert.deepEqual(a, b, 'both devices converge');
  assert.equal(a.version, server.version);
  assert.equal(a.title, server.title);
  assert.equal(a.notes, server.notes);
  const status = (await request(s, 'GET', '/v1/sync/status', { headers: u.auth })).json;
  return { a, results, status };
}

for (const order of [['A', 'B'], ['B', 'A']]) {
  const [first, second] = order;
  test(`two devices, server-wins, ${first} pushes first`, async () => {
    const r = await twoDevices(undefined, { title: 'From A' }, { title: 'From B' }, order);
    assert.equal(r.results[first].status, 'applied');
    assert.equal(r.results[second].status, 'conflict');
    assert.equal(r.results[second].serverVersion, 2);
    assert.equal(r.results[second].serverData.title, `From ${first}`);
    assert.equal(r.a.title, `From ${first}`);
    assert.equal(r.status.pendingConflicts, 1);
    assert.equal(r.status.conflicts[0].deviceId, second);
    assert.deepEqual(r.status.devices.map((d) => d.deviceId), ['A', 'B']);
    assert.ok(r.status.devices.every((d) => d.lastPushAt && d.lastPullAt));
  });
  test(`two devices, client-wins, ${first} pushes first`, async () => {
    const r = await twoDevices('client-wins', { title: 'From A' }, { title: 'From B' }, order);
    assert.equal(r.results[first].status, 'applied');
    assert.equal(r.results[second].status, 'applied');
    assert.equal(r.a.title, `From ${second}`);
    assert.equal(r.a.version, 3);
  });
  test(`two devices, last-write-wins (B later), ${first} pushes first`, async () => {
    const r = await twoDevices('last-write-wins', { title: 'From A' }, { title: 'From B' }, order);
    assert.equal(r.a.title, 'From B', 'the later clientTimestamp wins in either order');
    assert.equal(r.results.B.status, 'applied');
    assert.equal(r.results.A.status, first === 'A' ? 'applied' : 'conflict');
  });
  test(`two devices, last-write-wins tie, ${first} pushes first`, async () => {
    const ts = Date.now();
    const r = await twoDevices('last-write-wins', { title: 'From A' }, { title: 'From B' }, order, { tsA: ts, tsB: ts });
    assert.equal(r.a.title, 'From B', 'a tie goes to the greater clientMutationId ("B-…" > "A-…")');
  });
  test(`two devices, merge of different fields, ${first} pushes first`, async () => {
    const r = await twoDevices('merge', { title: 'From A' }, { notes: 'notes from B' }, order);
    assert.equal(r.results.A.status, 'applied');
    assert.equal(r.results.B.status, 'applied');
    assert.equal(r.a.title, 'From A');
    assert.equal(r.a.notes, 'notes from B');
  });
  test(`two devices, merge of the same field, ${first} pushes first`, async () => {
    const r = await twoDevices('merge', { title: 'From A', budget: 999 }, { title: 'From B' }, order);
    assert.equal(r.results[second].status, 'conflict');
    assert.deepEqual(r.results[second].conflictingFields, ['title']);
    assert.equal(r.a.title, `From ${first}`);
    if (second === 'A') assert.equal(r.a.budget, 999, "A's other field still merges");
  });
}

test('a conflict stops being pending once the device applies a change', async () => {
  const [u] = await users(s, 1);
  const t = await newTrip(s, u);
  await request(s, 'PATCH', `/v1/trips/${t.id}`, { headers: u.auth, body: { title: 'Server' } });
  const ts = new Date().toISOString();
  let r = await push(u, 'D', [{ clientMutationId: 'x1', entity: 'trip', id: t.id, op: 'update', baseVersion: 1, clientTimestamp: ts, data: { title: 'Mine' } }]);
  assert.equal(r.json.results[0].status, 'conflict');
  assert.equal((await request(s, 'GET', '/v1/sync/status', { headers: u.auth })).json.pendingConflicts, 1);
  r = await push(u, 'D', [{ clientMutationId: 'x2', entity: 'trip', id: t.id, op: 'update', baseVersion: 2, clientTimestamp: ts, data: { title: 'Mine' } }]);
  assert.equal(r.json.results[0].status, 'applied');
  const st = (await request(s, 'GET', '/v1/sync/status', { headers: u.auth })).json;
  assert.equal(st.pendingConflicts, 0);
  assert.equal(st.cursor, (await pullAll(u)).cursor);
  r = await push(u, 'D', [{ clientMutationId: 'x3', entity: 'trip', id: t.id, op: 'delete', baseVersion: 3, clientTimestamp: ts }]);
  assert.equal(r.json.results[0].status, 'applied');
  assert.equal((await request(s, 'GET', `/v1/trips/${t.id}`, { headers: u.auth })).status, 404);
});

test('a puller racing concurrent writers never skips a change', async () => {
  const [u] = await users(s, 1);
  const trips = [];
  for (let i = 0; i < 8; i++) trips.push(await newTrip(s, u, { title: `T${i}` }));
  const start = await pullAll(u);
  let cursor = start.cursor;
  const seen = [];
  let writing = true;
  const writers = (async () => {
    const jobs = [];
    for (let i = 0; i < 160; i++) {
      const t = trips[i % trips.length];
      jobs.push(request(s, 'PATCH', `/v1/trips/${t.id}`, { headers: u.auth, body: { notes: `n${i}` } }));
      if (i % 16 === 15) await Promise.all(jobs.splice(0));
    }
    await Promise.all(jobs);
    writing = false;
  })();
  while (writing) {
    const r = await request(s, 'GET', `/v1/sync/pull?cursor=${cursor}&limit=7`, { headers: u.auth });
    seen.push(...r.json.changes.map((c) => c.seq));
    cursor = r.json.cursor;
  }
  await writers;
  const rest = await pullAll(u, cursor);
  seen.push(...rest.changes.map((c) => c.seq));
  const truth = (await pullAll(u, start.cursor)).changes.map((c) => c.seq);
  assert.equal(truth.length, 160);
  assert.deepEqual(seen, truth, 'the incremental pulls saw exactly every change, in order');
});

test('PostgreSQL: a change committed late by a concurrent transaction is not skipped', { skip: !isPostgres }, async () => {
  const [u] = await users(s, 1);
  const t = await newTrip(s, u);
  const start = await pullAll(u);
  const db = s.database.TRAVLOC_TEST_DB;
  // A concurrent writer that follows the change-log protocol: it takes its
  // seq first but commits after the API write below.
  const slow = spawn('psql', ['-qAt', '-h', '127.0.0.1', '-p', process.env.TEST_PG_PORT, '-U', 'postgres', '-d', db], { stdio: ['pipe', 'ignore', 'pipe'] });
  const slowDone = new Promise((r) => slow.on('exit', r));
  slow.stdin.end(`BEGIN; SELECT pg_advisory_xact_lock(7366001);
    INSERT INTO changes (trip_id, user_id, entity, entity_id, op, version, data, created_at)
    VALUES (NULL, '${u.id}', 'probe', 'p1', 'update', 1, NULL, 0);
    SELECT pg_sleep(1.5); COMMIT;`);
  for (let i = 0; i < 200 && psql(db, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1.5)%' AND state = 'active' AND pid <> pg_backend_pid()") !== '1'; i++) await sleep(20);
  let patched = false;
  const patch = request(s, 'PATCH', `/v1/trips/${t.id}`, { headers: u.auth, body: { title: 'During' } }).then((r) => { patched = true; return r; });
  // Wait until the API write is either blocked behind the probe or done.
  for (let i = 0; i < 100 && !patched && psql(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") === '0'; i++) await sleep(20);
  const mid = await pullAll(u, start.cursor);
  assert.equal((await patch).status, 200);
  await slowDone;
  const rest = await pullAll(u, mid.cursor);
  const got = [...mid.changes, ...rest.changes].map((c) => c.entity);
  assert.ok(got.includes('probe'), `the late commit was skipped: ${got}`);
  assert.ok(got.includes('trip'));
});
