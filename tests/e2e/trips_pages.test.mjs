// Cursor pagination of a trip's nested lists (issue 4): destinations,
// activities, expenses and buddies answer {items, nextCursor} pages of
// ?limit= items in a stable order (items without a date first, on both
// backends), every item exactly once across pages, also when items are
// added between pages; bad limits and cursors are 422; another user's
// trip stays 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newTrip, request, share, startTripsServer, users } from './lib/trips.mjs';

let s, owner, other;
before(async () => {
  s = await startTripsServer();
  [owner, other] = await users(s, 2);
});
after(async () => { await s.stop(); });

async function pages(user, path, limit) {
  const seen = [];
  let cursor = null, n = 0;
  do {
    const q = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await request(s, 'GET', `${path}?${q}`, { headers: user.auth });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.items.length <= limit);
    seen.push(...r.json.items);
    cursor = r.json.nextCursor;
    if (cursor) assert.equal(r.json.items.length, limit);
    assert.ok(++n < 100);
  } while (cursor);
  return seen;
}

test('destinations and activities page in (date, id) order; undated first', async () => {
  const t = await newTrip(s, owner);
  const days = ['2027-05-03', null, '2027-05-01', '2027-05-03', null, '2027-05-02', '2027-05-05'];
  for (const [i, d] of days.entries()) {
    const r = await request(s, 'POST', `/v1/trips/${t.id}/destinations`, { headers: owner.auth,
      body: { name: `D${i}`, ...(d ? { arrival: d, departure: '2027-05-06' } : {}) } });
    assert.equal(r.status, 201, r.text);
    const a = await request(s, 'POST', `/v1/trips/${t.id}/activities`, { headers: owner.auth,
      body: { name: `A${i}`, ...(d ? { startAt: `${d}T10:00:00Z` } : {}) } });
    assert.equal(a.status, 201, a.text);
  }
  const all = (await request(s, 'GET', `/v1/trips/${t.id}/destinations`, { headers: owner.auth })).json;
  assert.equal(all.items.length, 7);
  assert.equal(all.nextCursor, null);
  const key = (x) => `${x.arrival ?? ''}\u0000${x.id}`;
  assert.deepEqual(all.items.map(key), [...all.items.map(key)].sort());
  assert.equal(all.items[0].arrival, null);
  for (const limit of [1, 2, 3, 7]) {
    assert.deepEqual((await pages(owner, `/v1/trips/${t.id}/destinations`, limit)).map((x) => x.id),
      all.items.map((x) => x.id), `limit ${limit}`);
  }
  const acts = (await request(s, 'GET', `/v1/trips/${t.id}/activities`, { headers: owner.auth })).json.items;
  assert.equal(acts.length, 7);
  assert.equal(acts[0].startAt, null);
  assert.deepEqual((await pages(owner, `/v1/trips/${t.id}/activities`, 2)).map((x) => x.id), acts.map((x) => x.id));
  // The trip itself still embeds every child, in the same order.
  const full = (await request(s, 'GET', `/v1/trips/${t.id}`, { headers: owner.auth })).json;
  assert.deepEqual(full.destinations.map((x) => x.id), all.items.map((x) => x.id));
  // An item added behind the cursor is not seen twice, one ahead is seen.
  const p1 = (await request(s, 'GET', `/v1/trips/${t.id}/destinations?limit=3`, { headers: owner.auth })).json;
  await request(s, 'POST', `/v1/trips/${t.id}/destinations`, { headers: owner.auth,
    body: { name: 'late', arrival: '2027-05-06', departure: '2027-05-06' } });
  const rest = await pages(owner, `/v1/trips/${t.id}/destinations`, 100).then((x) => x.slice(3));
  const p2 = (await request(s, 'GET', `/v1/trips/${t.id}/destinations?limit=100&cursor=${encodeURIComponent(p1.nextCursor)}`,
    { headers: owner.auth })).json;
  assert.deepEqual(p2.items.map((x) => x.id), rest.map((x) => x.id));
  assert.equal(p2.items.at(-1).name, 'late');
  assert.ok(!p2.items.some((x) => p1.items.some((y) => y.id === x.id)));
});

test('expenses and buddies page too', async () => {
  const t = await newTrip(s, owner);
  const [b1, b2, b3] = await users(s, 3);
  for (const b of [b1, b2, b3]) await share(s, owner, t.id, b, 'editor');
  for (let i = 0; i < 5; i++) {
    const r = await request(s, 'POST', `/v1/trips/${t.id}/expenses`, { headers: owner.auth,
      body: { category: 'food', amount: 100 + i, currency: 'EUR', spentAt: `2027-05-0${5 - i}T12:00:00Z` } });
    assert.equal(r.status, 201, r.text);
  }
  const ex = (await request(s, 'GET', `/v1/trips/${t.id}/expenses`, { headers: owner.auth })).json.items;
  assert.deepEqual(ex.map((x) => x.amount), [104, 103, 102, 101, 100]);
  assert.deepEqual((await pages(owner, `/v1/trips/${t.id}/expenses`, 2)).map((x) => x.id), ex.map((x) => x.id));
  const bs = (await request(s, 'GET', `/v1/trips/${t.id}/buddies`, { headers: b1.auth })).json.items;
  assert.equal(bs.length, 4);
  assert.deepEqual((await pages(b2, `/v1/trips/${t.id}/buddies`, 1)).map((x) => x.id), bs.map((x) => x.id));
});

test('bad limits and cursors are 422; a stranger gets 404 whatever the page', async () => {
  const t = await newTrip(s, owner);
  for (const kind of ['destinations', 'activities', 'expenses', 'buddies']) {
    for (const q of ['limit=0', 'limit=501', 'limit=x', 'cursor=abc', 'cursor=2027-05-01~nope',
      'cursor=x~0190a4a8-0000-7000-8000-000000000000']) {
      const r = await request(s, 'GET', `/v1/trips/${t.id}/${kind}?${q}`, { headers: owner.auth });
      assert.equal(r.status, 422, `${kind} ${q}: ${r.text}`);
      assert.ok(['limit', 'cursor'].includes(r.json.error.details.field));
    }
    const r = await request(s, 'GET', `/v1/trips/${t.id}/${kind}?limit=1`, { headers: other.auth });
    assert.equal(r.status, 404, kind);
  }
  const int = await request(s, 'GET', `/v1/trips/${t.id}/activities?cursor=${encodeURIComponent('~0190a4a8-0000-7000-8000-000000000000')}`,
    { headers: owner.auth });
  assert.equal(int.status, 422);
});
