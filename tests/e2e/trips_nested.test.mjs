// Destinations and activities of a trip (issue 4): CRUD, dates inside the
// trip and the destination's stay, overlaps reported, money rules,
// If-Match, and role permissions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newTrip, request, share, startTripsServer, users } from './lib/trips.mjs';

let s, owner, editor, viewer, outsider, trip;
before(async () => {
  s = await startTripsServer();
  [owner, editor, viewer, outsider] = await users(s, 4);
  trip = await newTrip(s, owner, { startDate: '2027-05-01', endDate: '2027-05-10' });
  await share(s, owner, trip.id, editor, 'editor');
  await share(s, owner, trip.id, viewer, 'viewer');
});
after(async () => { await s.stop(); });

const base = () => `/v1/trips/${trip.id}`;

test('destinations: create, read, patch, delete; embedded in the trip', async () => {
  let r = await request(s, 'POST', `${base()}/destinations`, { headers: editor.auth,
    body: { name: 'Porto', type: 'city', arrival: '2027-05-03', departure: '2027-05-06', coordinates: { lat: 41.15, lng: -8.61 }, address: 'Ribeira' } });
  assert.equal(r.status, 201, r.text);
  const d = r.json;
  assert.equal(d.version, 1);
  assert.deepEqual(d.coordinates, { lat: 41.15, lng: -8.61 });
  r = await request(s, 'GET', `${base()}/destinations/${d.id}`, { headers: viewer.auth });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), '"1"');
  r = await request(s, 'PATCH', `${base()}/destinations/${d.id}`, { headers: { ...editor.auth, 'if-match': '"1"' }, body: { notes: 'port wine', coordinates: null } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.notes, 'port wine');
  assert.equal(r.json.coordinates, null);
  assert.equal(r.json.name, 'Porto');
  r = await request(s, 'PATCH', `${base()}/destinations/${d.id}`, { headers: { ...editor.auth, 'if-match': '"1"' }, body: { notes: 'stale' } });
  assert.equal(r.status, 412);
  assert.equal(r.json.error.details.current.notes, 'port wine');
  const t = await request(s, 'GET', base(), { headers: viewer.auth });
  assert.equal(t.json.destinations.length, 1);
  assert.equal(t.json.destinations[0].id, d.id);
  r = await request(s, 'DELETE', `${base()}/destinations/${d.id}`, { headers: editor.auth });
  assert.equal(r.status, 204);
  assert.equal((await request(s, 'GET', `${base()}/destinations/${d.id}`, { headers: owner.auth })).status, 404);
});

test('destination validation: 422 naming the field', async () => {
  const cases = [
    [{}, 'name'], [{ name: '' }, 'name'], [{ name: 'x', arrival: '2027-04-30' }, 'arrival'],
    [{ name: 'x', departure: '2027-05-11' }, 'departure'],
    [{ name: 'x', arrival: '2027-05-05', departure: '2027-05-04' }, 'departure'],
    [{ name: 'x', arrival: '2027-5-5' }, 'arrival'], [{ name: 'x', coordinates: { lat: 91, lng: 0 } }, 'coordinates'],
    [{ name: 'x', coordinates: { lat: '1', lng: 0 } }, 'coordinates'], [{ name: 'x', type: 7 }, 'type'],
  ];
  for (const [body, field] of cases) {
    const r = await request(s, 'POST', `${base()}/destinations`, { headers: owner.auth, body });
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.json.error.details.field, field, JSON.stringify(body));
  }
});

test('activities: inside the trip and the stay, overlaps reported, money needs a currency', async () => {
  const d = (await request(s, 'POST', `${base()}/destinations`, { headers: owner.auth,
    body: { name: 'Lisbon', arrival: '2027-05-01', departure: '2027-05-03' } })).json;
  const post = (body) => request(s, 'POST', `${base()}/activities`, { headers: editor.auth, body });
  let r = await post({ name: 'Tram 28', destinationId: d.id, startAt: '2027-05-02T09:00:00Z', endAt: '2027-05-02T11:00:00Z', cost: 300, currency: 'EUR' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.overlaps, []);
  const a1 = r.json;
  r = await post({ name: 'Castle', destinationId: d.id, startAt: '2027-05-02T10:30:00Z', endAt: '2027-05-02T12:00:00Z' });
  assert.equal(r.status, 201);
  assert.deepEqual(r.json.overlaps, [a1.id]);
  r = await post({ name: 'Later', startAt: '2027-05-02T11:00:00Z', endAt: '2027-05-02T11:30:00Z', status: 'CANCELLED' });
  assert.deepEqual(r.json.overlaps, [], 'cancelled activities do not overlap');
  const bad = [
    [{ name: 'x', startAt: '2027-04-30T23:00:00Z' }, 'startAt'],
    [{ name: 'x', startAt: '2027-05-10T20:00:00Z', endAt: '2027-05-11T01:00:00Z' }, 'endAt'],
    [{ name: 'x', destinationId: d.id, startAt: '2027-05-04T10:00:00Z' }, 'startAt'],
    [{ name: 'x', startAt: '2027-05-02T10:00:00Z', endAt: '2027-05-02T09:00:00Z' }, 'endAt'],
    [{ name: 'x', cost: 100 }, 'currency'], [{ name: 'x', cost: -1, currency: 'EUR' }, 'cost'],
    [{ name: 'x', cost: 1, currency: 'ABC' }, 'currency'], [{ name: 'x', status: 'DONE' }, 'status'],
    [{ name: 'x', destinationId: '01890a5d-ac96-774b-bcce-b302099a8057' }, 'destinationId'],
    [{ name: 'x', startAt: 'tomorrow' }, 'startAt'], [{ name: '' }, 'name'],
  ];
  for (const [body, field] of bad) {
    r = await post(body);
    assert.equal(r.status, 422, JSON.stringify(body) + r.text);
    assert.equal(r.json.error.details.field, field, JSON.stringify(body));
  }
  r = await request(s, 'PATCH', `${base()}/activities/${a1.id}`, { headers: editor.auth, body: { status: 'CONFIRMED', cost: null } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'CONFIRMED');
  assert.equal(r.json.cost, null);
  assert.equal(r.json.version, 2);
  const list = await request(s, 'GET', `${base()}/activities`, { headers: viewer.auth });
  assert.ok(list.json.items.some((x) => x.id === a1.id));
  r = await request(s, 'DELETE', `${base()}/activities/${a1.id}`, { headers: { ...owner.auth, 'if-match': '"1"' } });
  assert.equal(r.status, 412);
  r = await request(s, 'DELETE', `${base()}/activities/${a1.id}`, { headers: { ...owner.auth, 'if-match': '"2"' } });
  assert.equal(r.status, 204);
});

test('permissions: viewer reads only, outsider sees nothing', async () => {
  const d = (await request(s, 'POST', `${base()}/destinations`, { headers: owner.auth, body: { name: 'Evora' } })).json;
  const a = (await request(s, 'POST', `${base()}/activities`, { headers: owner.auth, body: { name: 'Chapel of Bones' } })).json;
  for (const [m, p, body] of [['POST', '/destinations', { name: 'v' }], ['PATCH', `/destinations/${d.id}`, { name: 'v' }],
    ['DELETE', `/destinations/${d.id}`], ['POST', '/activities', { name: 'v' }], ['PATCH', `/activities/${a.id}`, { name: 'v' }],
    ['DELETE', `/activities/${a.id}`], ['PATCH', '', { title: 'v' }], ['PUT', '', { title: 'v', startDate: '2027-05-01', endDate: '2027-05-02' }],
    ['DELETE', '']]) {
    const r = await request(s, m, base() + p, { headers: viewer.auth, body });
    assert.equal(r.status, 403, `viewer ${m} ${p}`);
    const o = await request(s, m, base() + p, { headers: outsider.auth, body });
    assert.equal(o.status, 404, `outsider ${m} ${p}`);
  }
  for (const p of ['', '/destinations', `/destinations/${d.id}`, '/activities', `/activities/${a.id}`, '/buddies']) {
    assert.equal((await request(s, 'GET', base() + p, { headers: viewer.auth })).status, 200, p);
    assert.equal((await request(s, 'GET', base() + p, { headers: outsider.auth })).status, 404, p);
  }
  assert.equal((await request(s, 'DELETE', base(), { headers: editor.auth })).status, 403, 'only the owner deletes');
  assert.equal((await request(s, 'PATCH', base(), { headers: editor.auth, body: { notes: 'ok' } })).status, 200);
});
