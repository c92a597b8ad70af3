// Offline sync of a user's own entities (issue 4): profile, preferences,
// saved locations and emergency contacts appear in pull (changes made
// through /v1/users and through push), in commit order, only to their
// owner; push applies them per strategy (merge is field-level for trips
// only and answers a conflict here); deleted saved locations become
// tombstones; another user's entities are never reachable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request, startTripsServer, users } from './lib/trips.mjs';

let s;
before(async () => { s = await startTripsServer(); });
after(async () => { await s.stop(); });

async function pullAll(user, cursor = '0', device = 'phone') {
  const changes = [];
  for (;;) {
    const r = await request(s, 'GET', `/v1/sync/pull?cursor=${cursor}&limit=50`,
      { headers: { ...user.auth, 'x-device-id': device } });
    assert.equal(r.status, 200, r.text);
    changes.push(...r.json.changes);
    cursor = r.json.cursor;
    if (!r.json.hasMore) return { changes, cursor };
  }
}

const push = (user, device, mutations, strategy) => request(s, 'POST', '/v1/sync/push',
  { headers: { ...user.auth, 'x-device-id': device }, body: strategy ? { mutations, strategy } : { mutations } });
const mut = (entity, id, op, baseVersion, data, extra = {}) => ({ clientMutationId: randomUUID(), entity, id, op,
  baseVersion, data, clientTimestamp: new Date().toISOString(), ...extra });
const PLACE = { name: 'Hotel Avenida', location: { lat: 38.72, lng: -9.14 }, category: 'hotel' };
const PREFS = { pace: 'relaxed', activityLevel: 'moderate' };

test('changes through /v1/users show up in pull, in order, with tombstones', async () => {
  const [u] = await users(s, 1);
  const start = await pullAll(u);
  let r = await request(s, 'PUT', '/v1/users/profile', { headers: u.auth, body: { bio: 'Surfer' } });
  assert.equal(r.status, 200, r.text);
  r = await request(s, 'PUT', '/v1/users/preferences', { headers: u.auth, body: PREFS });
  assert.equal(r.status, 200, r.text);
  r = await request(s, 'POST', '/v1/users/saved-locations', { headers: u.auth, body: PLACE });
  assert.equal(r.status, 201, r.text);
  const place = r.json;
  r = await request(s, 'PUT', `/v1/users/saved-locations/${place.id}`, { headers: u.auth, body: { name: 'Renamed' } });
  assert.equal(r.status, 200, r.text);
  r = await request(s, 'PUT', '/v1/users/emergency-contacts', { headers: u.auth,
    body: { contacts: [{ name: 'Mum', phone: '+441632960000' }] } });
  assert.equal(r.status, 200, r.text);
  r = await request(s, 'DELETE', `/v1/users/saved-locations/${place.id}`, { headers: u.auth });
  assert.equal(r.status, 204);
  const got = await pullAll(u, start.cursor);
  assert.deepEqual(got.changes.map((c) => `${c.entity}:${c.op}`), ['profile:update', 'preferences:update',
    'savedLocation:create', 'savedLocation:update', 'emergencyContacts:update', 'savedLocation:delete']);
  const [prof, prefs, pc, pu, ec, pd] = got.changes;
  assert.equal(prof.id, u.id);
  assert.equal(prof.data.bio, 'Surfer');
  assert.equal(prof.data.email, u.email);
  assert.deepEqual(prefs.data, PREFS);
  assert.ok(prefs.version > prof.version, 'profile and preferences share the user version');
  assert.equal(pc.id, place.id);
  assert.equal(pc.data.name, 'Hotel Avenida');
  assert.equal(pc.version, 1);
  assert.equal(pu.data.name, 'Renamed');
  assert.equal(pu.version, 2);
  assert.equal(ec.data.items[0].name, 'Mum');
  assert.equal(ec.version, 1);
  assert.equal(pd.id, place.id);
  assert.equal(pd.data, null);
  assert.equal(pd.version, 3);
  for (const c of got.changes) assert.equal(c.tripId, null);
  const seqs = got.changes.map((c) => c.seq);
  assert.deepEqual([...seqs].sort((a, b) => a - b), seqs);
  // A rejected write logs nothing.
  r = await request(s, 'PUT', '/v1/users/profile', { headers: u.auth, body: { firstName: '' } });
  assert.equal(r.status, 422);
  r = await request(s, 'PUT', '/v1/users/emergency-contacts', { headers: u.auth, body: { contacts: [{ name: 'x' }] } });
  assert.equal(r.status, 422);
  r = await request(s, 'PUT', '/v1/users/profile', { headers: { ...u.auth, 'if-match': '"1"' }, body: { bio: 'late' } });
  assert.equal(r.status, 412);
  assert.deepEqual((await pullAll(u, got.cursor)).changes, []);
});

test("pull never shows another user's entities (IDOR)", async () => {
  const [a, b] = await users(s, 2);
  const mark = await pullAll(b);
  await request(s, 'PUT', '/v1/users/profile', { headers: a.auth, body: { bio: 'secret' } });
  const p = await request(s, 'POST', '/v1/users/saved-locations', { headers: a.auth, body: PLACE });
  await request(s, 'PUT', '/v1/users/emergency-contacts', { headers: a.auth,
    body: { contacts: [{ name: 'Mum', phone: '+441632960000' }] } });
  const seen = await pullAll(b, mark.cursor);
  assert.deepEqual(seen.changes, []);
  const all = await pullAll(b, '0');
  assert.ok(!all.changes.some((c) => c.id === a.id || c.id === p.json.id));
  // Push cannot reach them either.
  const r = await push(b, 'x', [
    mut('savedLocation', p.json.id, 'update', 1, { name: 'mine now' }),
    mut('savedLocation', p.json.id, 'delete', 1),
    mut('savedLocation', p.json.id, 'create', 0, PLACE),
    mut('profile', a.id, 'update', 1, { bio: 'hijacked' }),
    mut('preferences', a.id, 'update', 1, PREFS),
    mut('emergencyContacts', a.id, 'update', 0, { contacts: [] }),
  ], 'client-wins');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.results.map((x) => `${x.status}:${x.error?.status}`),
    ['rejected:404', 'rejected:404', 'rejected:409', 'rejected:404', 'rejected:404', 'rejected:404']);
  const still = await request(s, 'GET', `/v1/users/saved-locations/${p.json.id}`, { headers: a.auth });
  assert.equal(still.json.name, 'Hotel Avenida');
  assert.equal((await request(s, 'GET', '/v1/users/profile', { headers: a.auth })).json.bio, 'secret');
  assert.equal((await request(s, 'GET', '/v1/users/emergency-contacts', { headers: a.auth })).json.items.length, 1);
});

test('push: each entity applies, validates and reaches the other device', async () => {
  const [u] = await users(s, 1);
  const start = await pullAll(u, '0', 'tablet');
  const me = (await request(s, 'GET', '/v1/users/profile', { headers: u.auth })).json;
  const pid = randomUUID();
  let r = await push(u, 'phone', [
    mut('profile', u.id, 'update', me.version, { bio: 'From the phone' }),
    mut('savedLocation', pid, 'create', 0, PLACE),
    mut('emergencyContacts', u.id, 'update', 0, { contacts: [{ name: 'Dad', email: 'dad@example.com' }] }),
  ]);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.results.map((x) => x.status), ['applied', 'applied', 'applied'], r.text);
  const [prof, place, ec] = r.json.results;
  assert.equal(prof.data.bio, 'From the phone');
  assert.equal(prof.version, me.version + 1);
  assert.equal(place.data.id, pid);
  assert.equal(place.version, 1);
  assert.equal(ec.version, 1);
  r = await push(u, 'phone', [mut('preferences', u.id, 'update', prof.version, PREFS)]);
  assert.equal(r.json.results[0].status, 'applied', r.text);
  assert.deepEqual(r.json.results[0].data, PREFS);
  // The REST side sees it all.
  assert.equal((await request(s, 'GET', `/v1/users/saved-locations/${pid}`, { headers: u.auth })).json.name, 'Hotel Avenida');
  assert.deepEqual((await request(s, 'GET', '/v1/users/preferences', { headers: u.auth })).json, PREFS);
  assert.equal((await request(s, 'GET', '/v1/users/emergency-contacts', { headers: u.auth })).json.items[0].name, 'Dad');
  // The other device pulls the same state.
  const tab = await pullAll(u, start.cursor, 'tablet');
  assert.deepEqual(tab.changes.map((c) => `${c.entity}:${c.op}`),
    ['profile:update', 'savedLocation:create', 'emergencyContacts:update', 'preferences:update']);
  assert.equal(tab.changes[0].data.bio, 'From the phone');
  // Validation: each rejected with 422 naming the field, nothing written.
  r = await push(u, 'phone', [
    mut('profile', u.id, 'update', 99, { email: 'new@example.com' }),
    mut('savedLocation', randomUUID(), 'create', 0, { name: 'No location' }),
    mut('savedLocation', randomUUID(), 'create', 0, { ...PLACE, location: { lat: 91, lng: 0 } }),
    mut('emergencyContacts', u.id, 'update', 1, { contacts: [{ name: 'x' }] }),
    mut('preferences', u.id, 'update', 99, { pace: 'sprint' }),
    mut('profile', u.id, 'create', 0, { bio: 'x' }),
    mut('preferences', u.id, 'delete', 1),
  ], 'client-wins');
  assert.deepEqual(r.json.results.map((x) => `${x.status}:${x.error?.status}`),
    Array(7).fill('rejected:422'), r.text);
  assert.deepEqual(r.json.results.slice(0, 5).map((x) => x.error.details?.field),
    ['email', 'location', 'location.lat', 'contacts[0].phone', 'pace']);
  assert.deepEqual((await pullAll(u, tab.cursor, 'tablet')).changes, []);
  // Delete through push: a tombstone.
  r = await push(u, 'phone', [mut('savedLocation', pid, 'delete', 1)]);
  assert.equal(r.json.results[0].status, 'applied', r.text);
  assert.equal(r.json.results[0].version, 2);
  assert.equal((await request(s, 'GET', `/v1/users/saved-locations/${pid}`, { headers: u.auth })).status, 404);
  const tomb = (await pullAll(u, tab.cursor, 'tablet')).changes;
  assert.deepEqual(tomb.map((c) => [c.entity, c.id, c.op, c.version, c.data]), [['savedLocation', pid, 'delete', 2, null]]);
  r = await push(u, 'phone', [mut('savedLocation', pid, 'delete', 2)]);
  assert.equal(r.json.results[0].error.status, 404);
});

test('two devices offline: strategies on stale user entities', async () => {
  const [u] = await users(s, 1);
  const p = (await request(s, 'POST', '/v1/users/saved-locations', { headers: u.auth, body: PLACE })).json;
  const v0 = (await request(s, 'GET', '/v1/users/profile', { headers: u.auth })).json.version;
  const early = new Date(Date.now() - 3600e3).toISOString(), late = new Date(Date.now() + 3600e3).toISOString();
  // Device A wins first.
  let r = await push(u, 'A', [mut('savedLocation', p.id, 'update', 1, { name: 'A' }),
    mut('profile', u.id, 'update', v0, { bio: 'A' }),
    mut('emergencyContacts', u.id, 'update', 0, { contacts: [{ name: 'A', phone: '+441632960001' }] })]);
  assert.deepEqual(r.json.results.map((x) => x.status), ['applied', 'applied', 'applied'], r.text);
  // Device B edited the same base offline.
  for (const strategy of [undefined, 'server-wins', 'merge']) {
    r = await push(u, 'B', [mut('savedLocation', p.id, 'update', 1, { name: 'B' }),
      mut('profile', u.id, 'update', v0, { bio: 'B' }),
      mut('emergencyContacts', u.id, 'update', 0, { contacts: [] })], strategy);
    assert.deepEqual(r.json.results.map((x) => x.status), ['conflict', 'conflict', 'conflict'], r.text);
    assert.equal(r.json.results[0].serverVersion, 2);
    assert.equal(r.json.results[0].serverData.name, 'A');
    assert.equal(r.json.results[1].serverData.bio, 'A');
    assert.equal(r.json.results[2].serverVersion, 1);
    assert.equal(r.json.results[2].serverData.items[0].name, 'A');
  }
  const st = await request(s, 'GET', '/v1/sync/status', { headers: u.auth });
  assert.ok(st.json.conflicts.some((c) => c.entity === 'savedLocation' && c.deviceId === 'B'));
  // Last-write-wins: an older clientTimestamp loses, a newer one wins.
  r = await push(u, 'B', [mut('savedLocation', p.id, 'update', 1, { name: 'B-old' }, { clientTimestamp: early })], 'last-write-wins');
  assert.equal(r.json.results[0].status, 'conflict');
  r = await push(u, 'B', [mut('savedLocation', p.id, 'update', 1, { name: 'B-new' }, { clientTimestamp: late }),
    mut('profile', u.id, 'update', v0, { bio: 'B-new' }, { clientTimestamp: late })], 'last-write-wins');
  assert.deepEqual(r.json.results.map((x) => x.status), ['applied', 'applied'], r.text);
  assert.equal(r.json.results[0].data.name, 'B-new');
  // Client-wins: a stale base goes through.
  r = await push(u, 'A', [mut('savedLocation', p.id, 'update', 1, { notes: 'A again' }),
    mut('emergencyContacts', u.id, 'update', 0, { contacts: [] })], 'client-wins');
  assert.deepEqual(r.json.results.map((x) => x.status), ['applied', 'applied'], r.text);
  assert.equal(r.json.results[0].data.name, 'B-new');
  assert.equal(r.json.results[0].data.notes, 'A again');
  assert.equal(r.json.results[1].version, 2);
  // Both devices converge on the same state from the log.
  const state = async (dev) => {
    const m = new Map();
    for (const c of (await pullAll(u, '0', dev)).changes) m.set(`${c.entity}:${c.id}`, [c.version, c.data]);
    return m;
  };
  const [a, b] = [await state('A'), await state('B')];
  assert.deepEqual(a, b);
  assert.equal(a.get(`savedLocation:${p.id}`)[1].notes, 'A again');
  assert.deepEqual(a.get(`emergencyContacts:${u.id}`)[1].items, []);
  assert.equal(a.get(`profile:${u.id}`)[1].bio, 'B-new');
  // Replays by clientMutationId do not apply twice.
  const m1 = mut('savedLocation', p.id, 'update', 4, { name: 'once' });
  const first = await push(u, 'A', [m1]);
  const again = await push(u, 'A', [m1]);
  assert.equal(first.json.results[0].status, 'applied', first.text);
  assert.equal(again.json.results[0].replayed, true);
  assert.equal((await request(s, 'GET', `/v1/users/saved-locations/${p.id}`, { headers: u.auth })).json.version, 5);
});

test('a puller racing concurrent writers of personal entities never skips a change', async () => {
  const [u] = await users(s, 1);
  const start = await pullAll(u);
  let cursor = start.cursor;
  const seen = [];
  let writing = true, written = 0;
  const done = (rs) => {
    for (const r of rs) {
      // A profile PUT racing another without If-Match may be told to retry (412).
      assert.ok(r.status < 300 || r.status === 412, r.text);
      if (r.status < 300) written++;
    }
  };
  const writers = (async () => {
    const jobs = [];
    for (let i = 0; i < 60; i++) {
      jobs.push(i % 3 === 0
        ? request(s, 'PUT', '/v1/users/profile', { headers: u.auth, body: { bio: `b${i}` } })
        : i % 3 === 1
          ? request(s, 'POST', '/v1/users/saved-locations', { headers: u.auth, body: { ...PLACE, name: `p${i}` } })
          : request(s, 'PUT', '/v1/users/emergency-contacts', { headers: u.auth,
            body: { contacts: [{ name: `c${i}`, phone: '+441632960000' }] } }));
      if (i % 12 === 11) done(await Promise.all(jobs.splice(0)));
    }
    done(await Promise.all(jobs));
    writing = false;
  })();
  while (writing) {
    const r = await request(s, 'GET', `/v1/sync/pull?cursor=${cursor}&limit=5`, { headers: u.auth });
    seen.push(...r.json.changes.map((c) => c.seq));
    cursor = r.json.cursor;
  }
  await writers;
  seen.push(...(await pullAll(u, cursor)).changes.map((c) => c.seq));
  const truth = (await pullAll(u, start.cursor)).changes;
  assert.equal(truth.length, written);
  assert.ok(written >= 40);
  assert.deepEqual(seen, truth.map((c) => c.seq), 'every change, once, in order');
  const ec = truth.filter((c) => c.entity === 'emergencyContacts').map((c) => c.version);
  assert.deepEqual(ec, [...ec].sort((a, b) => a - b), 'contact-list versions follow commit order');
  assert.equal(new Set(ec).size, ec.length);
  const contacts = (await request(s, 'GET', '/v1/users/emergency-contacts', { headers: u.auth })).json.items;
  assert.equal(contacts.length, 1, 'concurrent replacements leave one list');
  assert.deepEqual(truth.filter((c) => c.entity === 'emergencyContacts').at(-1).data.items, contacts);
});
