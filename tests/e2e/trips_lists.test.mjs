// Whole-list resources of a trip (issue 4): itinerary (day plans),
// packing list, budget, expenses with exact splits, and balances.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newTrip, request, share, startTripsServer, users } from './lib/trips.mjs';

let s, owner, editor, viewer, outsider, trip;
before(async () => {
  s = await startTripsServer();
  [owner, editor, viewer, outsider] = await users(s, 4);
  trip = await newTrip(s, owner, { startDate: '2027-05-01', endDate: '2027-05-05' });
  await share(s, owner, trip.id, editor, 'editor');
  await share(s, owner, trip.id, viewer, 'viewer');
});
after(async () => { await s.stop(); });
const p = (x = '') => `/v1/trips/${trip.id}${x}`;

test('itinerary: days in the trip, activities on their day, overlaps reported, If-Match', async () => {
  const mk = async (name, startAt, endAt) => (await request(s, 'POST', p('/activities'), { headers: owner.auth, body: { name, startAt, endAt } })).json.id;
  const a = await mk('Museum', '2027-05-02T09:00:00Z', '2027-05-02T12:00:00Z');
  const b = await mk('Lunch', '2027-05-02T11:30:00Z', '2027-05-02T13:00:00Z');
  const c = await mk('Free walk', null, null);
  let r = await request(s, 'GET', p('/itinerary'), { headers: viewer.auth });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.days, []);
  assert.equal(r.headers.get('etag'), '"0"');
  r = await request(s, 'PUT', p('/itinerary'), { headers: { ...editor.auth, 'if-match': '"0"' },
    body: { days: [{ date: '2027-05-02', activityIds: [a, b], notes: 'busy' }, { date: '2027-05-01', activityIds: [c] }] } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.days.map((d) => d.date), ['2027-05-01', '2027-05-02']);
  assert.deepEqual(r.json.overlaps, [{ date: '2027-05-02', activityIds: [a, b] }]);
  assert.equal(r.json.version, 1);
  r = await request(s, 'PUT', p('/itinerary'), { headers: { ...editor.auth, 'if-match': '"0"' }, body: { days: [] } });
  assert.equal(r.status, 412);
  assert.equal(r.json.error.details.current.days.length, 2);
  const bad = [
    [{ days: [{ date: '2027-04-30' }] }, 'outside'], [{ days: [{ date: '2027-05-01' }, { date: '2027-05-01' }] }, 'twice'],
    [{ days: [{ date: '2027-05-03', activityIds: [a] }] }, 'another day'],
    [{ days: [{ date: '2027-05-01', activityIds: [c] }, { date: '2027-05-03', activityIds: [c] }] }, 'once'],
    [{ days: [{ date: '2027-05-01', activityIds: ['01890a5d-ac96-774b-bcce-b302099a8057'] }] }, 'not an activity'],
    [{ days: 'x' }, 'array'], [{ days: [{ date: 'May 1' }] }, 'date'],
  ];
  for (const [body, msg] of bad) {
    r = await request(s, 'PUT', p('/itinerary'), { headers: editor.auth, body });
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.json.error.details.field, 'days');
    assert.match(r.json.error.message, new RegExp(msg));
  }
  r = await request(s, 'PUT', p('/itinerary'), { headers: viewer.auth, body: { days: [] } });
  assert.equal(r.status, 403);
  r = await request(s, 'PUT', p('/itinerary'), { headers: outsider.auth, body: { days: [] } });
  assert.equal(r.status, 404);
  r = await request(s, 'PUT', p('/itinerary'), { headers: editor.auth, body: { days: [{ date: '2027-05-02', activityIds: [b] }] } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.days.map((d) => [d.date, d.activityIds]), [['2027-05-02', [b]]]);
  assert.deepEqual(r.json.overlaps, []);
});

test('packing list: replace with ids kept, assignees must be members', async () => {
  let r = await request(s, 'PUT', p('/packing-list'), { headers: editor.auth,
    body: { items: [{ name: 'Passport', category: 'documents', assigneeId: owner.id }, { name: 'Socks', quantity: 5 }] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 2);
  const [pass, socks] = r.json.items;
  assert.equal(socks.quantity, 5);
  assert.equal(pass.packed, false);
  r = await request(s, 'PUT', p('/packing-list'), { headers: { ...editor.auth, 'if-match': `"${r.json.version}"` },
    body: { items: [{ id: socks.id, name: 'Socks', quantity: 6, packed: true }] } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((x) => [x.id, x.quantity, x.packed]), [[socks.id, 6, true]]);
  for (const [body, field] of [[{ items: [{ name: 'x', assigneeId: outsider.id }] }, 'assigneeId'],
    [{ items: [{ name: '' }] }, 'name'], [{ items: [{ name: 'x', quantity: 0 }] }, 'quantity'],
    [{ items: [{ id: pass.id, name: 'gone' }] }, 'items'], [{ items: [{ id: socks.id, name: 'a' }, { id: socks.id, name: 'b' }] }, 'items'],
    [{ items: {} }, 'items'], [{ items: [{ name: 'x', packed: 'yes' }] }, 'packed']]) {
    r = await request(s, 'PUT', p('/packing-list'), { headers: editor.auth, body });
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.json.error.details.field, field, JSON.stringify(body));
  }
  r = await request(s, 'GET', p('/packing-list'), { headers: viewer.auth });
  assert.deepEqual(r.json.items.map((x) => x.name), ['Socks'], 'failed PUTs changed nothing');
  assert.equal((await request(s, 'PUT', p('/packing-list'), { headers: viewer.auth, body: { items: [] } })).status, 403);
  assert.equal((await request(s, 'GET', p('/packing-list'), { headers: outsider.auth })).status, 404);
});

test('budget: lines in one currency, totals and spending', async () => {
  let r = await request(s, 'PUT', p('/budget'), { headers: editor.auth,
    body: { currency: 'EUR', lines: [{ category: 'food', amount: 30000 }, { category: 'lodging', amount: 60000 }] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.total, 90000);
  const t = await request(s, 'GET', p(), { headers: viewer.auth });
  assert.equal(t.json.budget, 90000);
  assert.equal(t.json.currency, 'EUR');
  for (const body of [{ currency: 'EURO', lines: [] }, { currency: 'EUR', lines: [{ category: 'a', amount: -1 }] },
    { currency: 'EUR', lines: [{ category: 'a', amount: 1 }, { category: 'a', amount: 2 }] }, { currency: 'EUR' }]) {
    assert.equal((await request(s, 'PUT', p('/budget'), { headers: editor.auth, body })).status, 422, JSON.stringify(body));
  }
  assert.equal((await request(s, 'PUT', p('/budget'), { headers: viewer.auth, body: { currency: 'EUR', lines: [] } })).status, 403);
  r = await request(s, 'PUT', p('/budget'), { headers: { ...editor.auth, 'if-match': '"0"' }, body: { currency: 'EUR', lines: [] } });
  assert.equal(r.status, 412);
  assert.equal(r.json.error.details.current.total, 90000);
});

test('expenses split exactly; balances say who owes whom', async () => {
  const [t2owner, x, y] = await users(s, 3);
  const t2 = await newTrip(s, t2owner);
  await share(s, t2owner, t2.id, x, 'editor');
  await share(s, t2owner, t2.id, y, 'viewer');
  const ids = [t2owner.id, x.id, y.id].sort();
  const post = (u, body) => request(s, 'POST', `/v1/trips/${t2.id}/expenses`, { headers: u.auth, body });
  let r = await post(t2owner, { category: 'food', amount: 1000, currency: 'EUR' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.splits.map((z) => z.userId), ids);
  assert.deepEqual(r.json.splits.map((z) => z.amount), [334, 333, 333], 'remainder to the first by id');
  assert.equal(r.json.paidBy, t2owner.id);
  const e1 = r.json;
  r = await post(x, { amount: 600, currency: 'EUR', paidBy: x.id, split: [{ userId: y.id, weight: 2 }, { userId: x.id }] });
  assert.equal(r.status, 201, r.text);
  const byUser = Object.fromEntries(r.json.splits.map((z) => [z.userId, z.amount]));
  assert.equal(byUser[y.id], 400);
  assert.equal(byUser[x.id], 200);
  r = await post(y, { amount: 5, currency: 'USD' });
  assert.equal(r.status, 403, 'viewers do not add expenses');
  r = await post(x, { amount: 700, currency: 'JPY', paidBy: y.id, split: [{ userId: x.id }] });
  assert.equal(r.status, 201);
  for (const [body, field] of [[{ amount: 0, currency: 'EUR' }, 'amount'], [{ amount: 1.5, currency: 'EUR' }, 'amount'],
    [{ amount: 5 }, 'currency'], [{ amount: 5, currency: 'EUR', paidBy: outsider.id }, 'paidBy'],
    [{ amount: 5, currency: 'EUR', split: [{ userId: outsider.id }] }, 'split'],
    [{ amount: 5, currency: 'EUR', split: [] }, 'split'], [{ amount: 5, currency: 'EUR', split: [{ userId: x.id }, { userId: x.id }] }, 'split'],
    [{ amount: 5, currency: 'EUR', split: [{ userId: x.id, weight: 0 }] }, 'split']]) {
    r = await post(x, body);
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.json.error.details.field, field, JSON.stringify(body));
  }
  r = await request(s, 'GET', `/v1/trips/${t2.id}/balances`, { headers: y.auth });
  assert.equal(r.status, 200);
  const eur = r.json.currencies.find((c) => c.currency === 'EUR');
  const net = Object.fromEntries(eur.balances.map((b) => [b.userId, b.net]));
  assert.equal(net[t2owner.id], 1000 - byShare(e1, t2owner.id));
  assert.equal(net[x.id], 600 - byShare(e1, x.id) - 200);
  assert.equal(net[y.id], -byShare(e1, y.id) - 400);
  assert.equal(Object.values(net).reduce((a, b) => a + b, 0), 0);
  const settle = Object.fromEntries(Object.keys(net).map((k) => [k, net[k]]));
  for (const t of eur.transfers) { settle[t.from] += t.amount; settle[t.to] -= t.amount; }
  assert.ok(Object.values(settle).every((v) => v === 0), 'the transfers settle every balance');
  const jpy = r.json.currencies.find((c) => c.currency === 'JPY');
  assert.deepEqual(jpy.transfers, [{ from: x.id, to: y.id, amount: 700 }]);
  r = await request(s, 'PATCH', `/v1/trips/${t2.id}/expenses/${e1.id}`, { headers: { ...x.auth, 'if-match': '"1"' }, body: { amount: 1001 } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.splits.map((z) => z.amount), [334, 334, 333]);
  r = await request(s, 'PATCH', `/v1/trips/${t2.id}/expenses/${e1.id}`, { headers: { ...x.auth, 'if-match': '"1"' }, body: { amount: 1 } });
  assert.equal(r.status, 412);
  r = await request(s, 'DELETE', `/v1/trips/${t2.id}/expenses/${e1.id}`, { headers: x.auth });
  assert.equal(r.status, 204);
  r = await request(s, 'GET', `/v1/trips/${t2.id}/expenses`, { headers: y.auth });
  assert.equal(r.json.items.length, 2);
  assert.equal((await request(s, 'GET', `/v1/trips/${t2.id}/expenses`, { headers: outsider.auth })).status, 404);
  assert.equal((await request(s, 'GET', `/v1/trips/${t2.id}/expenses/${e1.id}`, { headers: y.auth })).status, 404);
  const b = await request(s, 'GET', `/v1/trips/${t2.id}/budget`, { headers: y.auth });
  assert.equal(b.status, 200);
});

function byShare(e, uid) { return e.splits.find((z) => z.userId === uid).amount; }
