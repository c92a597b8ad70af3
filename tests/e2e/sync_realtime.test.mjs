// "sync:changed" (issue 4): after a committed change, every device of the
// author and of each member of the trip hears {cursor} on its user room,
// through the official socket.io-client; a user's own entities reach only
// that user; the cursor names a change a pull then returns; a rejected
// write signals nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { client, collect, connected, until } from './lib/realtime.mjs';
import { newTrip, request, share, startTripsServer, users } from './lib/trips.mjs';

let s, alice, bob, carol;
const socks = [];
before(async () => {
  s = await startTripsServer();
  [alice, bob, carol] = await users(s, 3);
});
after(async () => {
  for (const k of socks) k.disconnect();
  await s.stop();
});

async function device(user, opts = {}) {
  const k = client(s, user.token, opts);
  socks.push(k);
  await connected(k);
  return k;
}

const lastSeq = async (user, cursor = '0') => {
  const r = await request(s, 'GET', `/v1/sync/pull?cursor=${cursor}&limit=1000`, { headers: user.auth });
  return r.json.changes;
};

test('a trip change reaches the author\'s devices and every buddy, not strangers', async () => {
  const trip = await newTrip(s, alice);
  await share(s, alice, trip.id, bob, 'editor');
  const phone = await device(alice, { transports: ['websocket'] });
  const tablet = await device(alice, { transports: ['polling'], upgrade: false });
  const bobs = await device(bob);
  const carols = await device(carol, { transports: ['websocket'] });
  const got = { phone: collect(phone, 'sync:changed'), tablet: collect(tablet, 'sync:changed'),
    bob: collect(bobs, 'sync:changed'), carol: collect(carols, 'sync:changed') };
  const r = await request(s, 'PATCH', `/v1/trips/${trip.id}`, { headers: alice.auth, body: { title: 'Azores' } });
  assert.equal(r.status, 200, r.text);
  await until(() => got.phone.length && got.tablet.length && got.bob.length);
  const cursor = got.phone[0][0].cursor;
  assert.match(cursor, /^[0-9]+$/);
  assert.deepEqual(got.tablet[0][0], { cursor });
  assert.deepEqual(got.bob[0][0], { cursor });
  // The signal comes after the commit: the change it names is pullable.
  const c = (await lastSeq(bob)).find((x) => String(x.seq) === cursor);
  assert.equal(c.entity, 'trip');
  assert.equal(c.data.title, 'Azores');
  // Carol's own change reaches her, and nothing of Alice's trip did before it.
  const own = await request(s, 'PUT', '/v1/users/profile', { headers: carol.auth, body: { bio: 'hi' } });
  assert.equal(own.status, 200, own.text);
  await until(() => got.carol.length);
  assert.equal(got.carol.length, 1);
  assert.ok(Number(got.carol[0][0].cursor) > Number(cursor));
  // A buddy's write reaches the owner's devices too.
  const before = got.phone.length;
  const d = await request(s, 'POST', `/v1/trips/${trip.id}/destinations`, { headers: bob.auth, body: { name: 'Ponta Delgada' } });
  assert.equal(d.status, 201, d.text);
  await until(() => got.phone.length > before && got.bob.length > 1);
  assert.ok(Number(got.phone.at(-1)[0].cursor) > Number(cursor));
});

test("a user's own entities signal only that user; a rejected write signals nothing", async () => {
  const [u] = await users(s, 1);
  const trip = await newTrip(s, u);
  await share(s, u, trip.id, bob, 'viewer');
  const mine = await device(u);
  const bobs = await device(bob, { transports: ['websocket'] });
  const got = collect(mine, 'sync:changed'), bobGot = collect(bobs, 'sync:changed');
  let r = await request(s, 'PUT', '/v1/users/profile', { headers: u.auth, body: { firstName: '' } });
  assert.equal(r.status, 422);
  r = await request(s, 'POST', '/v1/users/saved-locations', { headers: u.auth,
    body: { name: 'Home', location: { lat: 1, lng: 2 } } });
  assert.equal(r.status, 201, r.text);
  await until(() => got.length >= 1);
  const [first] = got[0];
  const changes = await lastSeq(u);
  assert.equal(changes.at(-1).entity, 'savedLocation');
  assert.equal(String(changes.at(-1).seq), first.cursor, 'the rejected write logged and signalled nothing');
  // Then a trip change: Bob hears that one only.
  r = await request(s, 'PATCH', `/v1/trips/${trip.id}`, { headers: u.auth, body: { notes: 'x' } });
  assert.equal(r.status, 200, r.text);
  await until(() => bobGot.length >= 1 && got.length >= 2);
  assert.equal(bobGot.length, 1);
  assert.equal(bobGot[0][0].cursor, got[1][0].cursor);
  assert.notEqual(bobGot[0][0].cursor, first.cursor);
  // Push signals too.
  const p = await request(s, 'POST', '/v1/sync/push', { headers: u.auth, body: { mutations: [{
    clientMutationId: 'rt-1', entity: 'savedLocation', id: changes.at(-1).id, op: 'update', baseVersion: 1,
    data: { name: 'Home 2' }, clientTimestamp: new Date().toISOString() }] } });
  assert.equal(p.json.results[0].status, 'applied', p.text);
  await until(() => got.length >= 3);
  assert.ok(Number(got[2][0].cursor) > Number(got[1][0].cursor));
  assert.equal(bobGot.length, 1);
});
