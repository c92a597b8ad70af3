// GET /v1/trips/:id and its rendered-representation cache (issue 4 bench
// work, docs/read-path.md): every edit of the trip or anything its answer
// shows is visible on the very next GET (both loop threads warmed first),
// a removed buddy gets 404 and a changed role shows at once, a revoked
// session is 401 at once, If-None-Match / 304 stays right, and on
// PostgreSQL a second node sharing the database never answers stale.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isPostgres, request, startServer } from './lib/harness.mjs';
import { TRIPS_ENV, newTrip, share, users } from './lib/trips.mjs';

let s;
before(async () => { s = await startServer({ env: TRIPS_ENV }); });
after(async () => { await s.stop(); });

// Several reads, so that whichever loop thread serves the next one has
// the trip cached; returns the last answer.
async function warm(srv, user, id, n = 6) {
  let r;
  for (let i = 0; i < n; i++) {
    r = await request(srv, 'GET', `/v1/trips/${id}`, { headers: user.auth });
    assert.equal(r.status, 200, r.text);
  }
  return r;
}
// Every one of n reads must satisfy check (all threads, cached or not).
async function every(srv, user, id, check, n = 6) {
  for (let i = 0; i < n; i++) {
    const r = await request(srv, 'GET', `/v1/trips/${id}`, { headers: user.auth });
    check(r);
  }
}
const body200 = (fn) => (r) => { assert.equal(r.status, 200, r.text); fn(r.json); };

// The answer equals the trip's own list routes (an uncached composition).
async function sameAsLists(srv, user, id) {
  const g = (await request(srv, 'GET', `/v1/trips/${id}`, { headers: user.auth })).json;
  const d = (await request(srv, 'GET', `/v1/trips/${id}/destinations?limit=100`, { headers: user.auth })).json;
  const a = (await request(srv, 'GET', `/v1/trips/${id}/activities?limit=100`, { headers: user.auth })).json;
  assert.deepEqual(g.destinations, d.items);
  assert.deepEqual(g.activities, a.items);
}

test('every child edit shows on the next GET', async () => {
  const [u] = await users(s, 1);
  const t = await newTrip(s, u);
  const p = (x = '') => `/v1/trips/${t.id}${x}`;
  await warm(s, u, t.id);
  let r = await request(s, 'POST', p('/destinations'), { headers: u.auth, body: { name: 'Faro', arrival: '2027-05-02' } });
  assert.equal(r.status, 201, r.text);
  const dest = r.json;
  await every(s, u, t.id, body200((j) => assert.deepEqual(j.destinations.map((x) => x.name), ['Faro'])));
  r = await request(s, 'PATCH', p(`/destinations/${dest.id}`), { headers: u.auth, body: { name: 'Lagos' } });
  assert.equal(r.status, 200, r.text);
  await every(s, u, t.id, body200((j) => assert.equal(j.destinations[0].name, 'Lagos')));
  r = await request(s, 'POST', p('/activities'), { headers: u.auth, body: { name: 'Surf', destinationId: dest.id } });
  assert.equal(r.status, 201, r.text);
  const act = r.json;
  await every(s, u, t.id, body200((j) => assert.deepEqual(j.activities.map((x) => x.name), ['Surf'])));
  r = await request(s, 'PATCH', p(`/activities/${act.id}`), { headers: u.auth, body: { name: 'Kayak', cost: 2500, currency: 'EUR' } });
  assert.equal(r.status, 200, r.text);
  await every(s, u, t.id, body200((j) => { assert.equal(j.activities[0].name, 'Kayak'); assert.equal(j.activities[0].cost, 2500); }));
  await sameAsLists(s, u, t.id);
  // Deleting the destination unlinks its activity, in the same answer.
  r = await request(s, 'DELETE', p(`/destinations/${dest.id}`), { headers: u.auth });
  assert.equal(r.status, 204, r.text);
  await every(s, u, t.id, body200((j) => { assert.deepEqual(j.destinations, []); assert.equal(j.activities[0].destinationId, null); }));
  r = await request(s, 'DELETE', p(`/activities/${act.id}`), { headers: u.auth });
  assert.equal(r.status, 204, r.text);
  await every(s, u, t.id, body200((j) => assert.deepEqual(j.activities, [])));
  await sameAsLists(s, u, t.id);
});

test('trip patch, sync push, itinerary and packing replace, delete: next GET is current', async () => {
  const [u] = await users(s, 1);
  const t = await newTrip(s, u);
  const p = (x = '') => `/v1/trips/${t.id}${x}`;
  const a = (await request(s, 'POST', p('/activities'), { headers: u.auth,
    body: { name: 'Museum', startAt: '2027-05-02T10:00:00Z', endAt: '2027-05-02T11:00:00Z' } })).json;
  let g = await warm(s, u, t.id);
  let r = await request(s, 'PATCH', p(), { headers: u.auth, body: { title: 'Patched', notes: 'n1' } });
  assert.equal(r.status, 200, r.text);
  await every(s, u, t.id, body200((j) => { assert.equal(j.title, 'Patched'); assert.equal(j.version, g.json.version + 1); }));
  g = await warm(s, u, t.id);
  r = await request(s, 'POST', '/v1/sync/push', { headers: { ...u.auth, 'x-device-id': 'd1' }, body: { mutations: [
    { clientMutationId: 'm1', entity: 'trip', id: t.id, op: 'update', baseVersion: g.json.version,
      clientTimestamp: new Date().toISOString(), data: { title: 'Pushed' } }] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.results[0].status, 'applied', r.text);
  await every(s, u, t.id, body200((j) => assert.equal(j.title, 'Pushed')));
  g = await warm(s, u, t.id);
  r = await request(s, 'PUT', p('/itinerary'), { headers: u.auth, body: { days: [{ date: '2027-05-02', activityIds: [a.id] }] } });
  assert.equal(r.status, 200, r.text);
  r = await request(s, 'PUT', p('/packing-list'), { headers: u.auth, body: { items: [{ name: 'Hat' }] } });
  assert.equal(r.status, 200, r.text);
  await sameAsLists(s, u, t.id);
  await every(s, u, t.id, body200((j) => assert.equal(j.activities[0].name, 'Museum')));
  r = await request(s, 'DELETE', p(), { headers: u.auth });
  assert.equal(r.status, 204, r.text);
  await every(s, u, t.id, (x) => assert.equal(x.status, 404, x.text));
});

test('buddies: role change and removal at once; a stranger never sees a cached trip', async () => {
  const [owner, buddy, stranger] = await users(s, 3);
  const t = await newTrip(s, owner);
  await share(s, owner, t.id, buddy, 'viewer');
  await warm(s, owner, t.id);
  await every(s, buddy, t.id, body200((j) => assert.equal(j.role, 'viewer')));
  await every(s, owner, t.id, body200((j) => assert.equal(j.role, 'owner')));
  await every(s, stranger, t.id, (r) => assert.equal(r.status, 404, r.text));
  let r = await request(s, 'PATCH', `/v1/trips/${t.id}/buddies/${buddy.id}`, { headers: owner.auth, body: { role: 'editor' } });
  assert.equal(r.status, 200, r.text);
  await every(s, buddy, t.id, body200((j) => assert.equal(j.role, 'editor')));
  r = await request(s, 'DELETE', `/v1/trips/${t.id}/buddies/${buddy.id}`, { headers: owner.auth });
  assert.equal(r.status, 204, r.text);
  await every(s, buddy, t.id, (x) => assert.equal(x.status, 404, x.text));
  await every(s, owner, t.id, body200((j) => assert.equal(j.role, 'owner')));
});

test('a revoked session is 401 at once, also for a cached trip', async () => {
  const [u] = await users(s, 1);
  const t = await newTrip(s, u);
  await warm(s, u, t.id);
  assert.equal((await request(s, 'POST', '/v1/auth/logout', { headers: u.auth })).status, 204);
  await every(s, u, t.id, (r) => {
    assert.equal(r.status, 401, r.text);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
  });
  // A malformed id with a dead session is still 401 first; a bad token 401.
  assert.equal((await request(s, 'GET', '/v1/trips/not-a-uuid', { headers: u.auth })).status, 401);
  assert.equal((await request(s, 'GET', `/v1/trips/${t.id}`, { headers: { authorization: 'Bearer x.y.z' } })).status, 401);
});

test('ETag and If-None-Match: 304 only while the trip version is current', async () => {
  const [u] = await users(s, 1);
  const t = await newTrip(s, u);
  const g = await warm(s, u, t.id);
  const tag = g.headers.get('etag');
  assert.match(tag, new RegExp(`^"${g.json.version}\\.\\d+"$`));
  const cond = { headers: { ...u.auth, 'if-none-match': tag } };
  assert.equal((await request(s, 'GET', `/v1/trips/${t.id}`, cond)).status, 304);
  assert.equal((await request(s, 'PATCH', `/v1/trips/${t.id}`, { headers: u.auth, body: { notes: 'x' } })).status, 200);
  for (let i = 0; i < 6; i++) {
    const r = await request(s, 'GET', `/v1/trips/${t.id}`, cond);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('etag'), new RegExp(`^"${g.json.version + 1}\\.\\d+"$`));
    assert.equal(r.json.notes, 'x');
  }
  assert.equal((await request(s, 'GET', '/v1/trips/not-a-uuid', { headers: u.auth })).status, 404);
});

test('ETag covers the children: a destination added answers a stale If-None-Match with 200; If-Match takes the tag', async () => {
  const [u] = await users(s, 1);
  const t = await newTrip(s, u);
  const g = await warm(s, u, t.id);
  const tag = g.headers.get('etag');
  const cond = { headers: { ...u.auth, 'if-none-match': tag } };
  assert.equal((await request(s, 'GET', `/v1/trips/${t.id}`, cond)).status, 304);
  const d = await request(s, 'POST', `/v1/trips/${t.id}/destinations`, { headers: u.auth, body: { name: 'Evora' } });
  assert.equal(d.status, 201, d.text);
  for (let i = 0; i < 4; i++) { // both loops, cache warm or not
    const r = await request(s, 'GET', `/v1/trips/${t.id}`, cond);
    assert.equal(r.status, 200, 'a child edit changes the representation');
    assert.notEqual(r.headers.get('etag'), tag);
    assert.deepEqual(r.json.destinations.map((x) => x.name), ['Evora']);
    assert.equal(r.json.version, g.json.version, "the trip's own version is unchanged");
  }
  const fresh = (await request(s, 'GET', `/v1/trips/${t.id}`, { headers: u.auth })).headers.get('etag');
  assert.equal((await request(s, 'GET', `/v1/trips/${t.id}`, { headers: { ...u.auth, 'if-none-match': fresh } })).status, 304);
  // Writes compare the version part: the read's tag works as If-Match, a wrong version does not.
  const bad = await request(s, 'PATCH', `/v1/trips/${t.id}`, { headers: { ...u.auth, 'if-match': `"${g.json.version + 7}.1"` }, body: { notes: 'n' } });
  assert.equal(bad.status, 412);
  const ok = await request(s, 'PATCH', `/v1/trips/${t.id}`, { headers: { ...u.auth, 'if-match': fresh }, body: { notes: 'n' } });
  assert.equal(ok.status, 200, ok.text);
});

test('two nodes on one database: an edit on one is seen on the other at once', { skip: !isPostgres && 'PostgreSQL only' }, async () => {
  const B = await startServer({ env: TRIPS_ENV, database: s.database });
  try {
    const [owner, buddy] = await users(s, 2);
    const t = await newTrip(s, owner);
    await share(s, owner, t.id, buddy, 'viewer');
    await warm(B, owner, t.id);
    await warm(B, buddy, t.id);
    let r = await request(s, 'POST', `/v1/trips/${t.id}/destinations`, { headers: owner.auth, body: { name: 'Sintra' } });
    assert.equal(r.status, 201, r.text);
    await every(B, owner, t.id, body200((j) => assert.deepEqual(j.destinations.map((x) => x.name), ['Sintra'])));
    r = await request(s, 'PATCH', `/v1/trips/${t.id}/destinations/${r.json.id}`, { headers: owner.auth, body: { name: 'Cascais' } });
    assert.equal(r.status, 200, r.text);
    await every(B, buddy, t.id, body200((j) => assert.equal(j.destinations[0].name, 'Cascais')));
    r = await request(s, 'DELETE', `/v1/trips/${t.id}/buddies/${buddy.id}`, { headers: owner.auth });
    assert.equal(r.status, 204, r.text);
    await every(B, buddy, t.id, (x) => assert.equal(x.status, 404, x.text));
    assert.equal((await request(s, 'POST', '/v1/auth/logout', { headers: owner.auth })).status, 204);
    await every(B, owner, t.id, (x) => assert.equal(x.status, 401, x.text));
  } finally {
    await B.stop();
  }
});

// Many reads in flight at once: on PostgreSQL they share pipelined
// connections (src/store/pg_pipe.c), each result must reach the request
// that sent it. Every answer is the asker's own trip; a stranger's read of
// the same trips in the same burst is a 404; a write in the burst lands.
test('a burst of concurrent reads of different trips: each gets its own, strangers get 404', async () => {
  const people = await users(s, 4);
  const trips = [];
  for (const [i, u] of people.entries())
    for (let k = 0; k < 3; k++) trips.push({ u, t: await newTrip(s, u, { title: `Burst ${i}.${k}` }) });
  const stranger = (i) => people[(i + 1) % people.length];
  const jobs = [];
  for (let round = 0; round < 12; round++) {
    for (const [i, { u, t }] of trips.entries()) {
      jobs.push(request(s, 'GET', `/v1/trips/${t.id}`, { headers: u.auth }).then((r) => {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.id, t.id);
        assert.equal(r.json.title, t.title);
      }));
      if (round % 4 === 0)
        jobs.push(request(s, 'GET', `/v1/trips/${t.id}`, { headers: stranger(people.indexOf(u)).auth })
          .then((r) => assert.equal(r.status, 404, r.text)));
    }
    if (round === 6)
      jobs.push(request(s, 'PATCH', `/v1/trips/${trips[0].t.id}`, { headers: trips[0].u.auth, body: { notes: 'mid-burst' } })
        .then((r) => assert.equal(r.status, 200, r.text)));
  }
  await Promise.all(jobs);
  const after = await request(s, 'GET', `/v1/trips/${trips[0].t.id}`, { headers: trips[0].u.auth });
  assert.equal(after.json.notes, 'mid-burst');
});
