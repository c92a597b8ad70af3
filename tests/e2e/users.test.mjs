// /v1/users: profile (and /me), public profiles, preferences, settings,
// emergency contacts, saved locations, travel history, photo upload and
// media serving, consents, GDPR export and deletion; IDOR throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, rawExchange } from './lib/harness.mjs';
import { ACCOUNTS_ENV, PASSWORD, login, signup } from './lib/accounts.mjs';

let s, alice, bob;

before(async () => {
  s = await startServer({ env: ACCOUNTS_ENV });
  alice = await signup(s, { firstName: 'Alice', lastName: 'Liddell' });
  bob = await signup(s, { firstName: 'Bob', lastName: 'Builder' });
});
after(async () => { await s.stop(); });

const get = (u, p) => request(s, 'GET', p, { headers: u.auth });
const put = (u, p, body, headers = {}) => request(s, 'PUT', p, { headers: { ...u.auth, ...headers }, body });

test('profile: read, partial update with If-Match, validation', async () => {
  const r = await get(alice, '/v1/users/profile');
  assert.equal(r.status, 200);
  assert.equal(r.json.firstName, 'Alice');
  assert.equal(r.json.trustScore, 0);
  const etag = r.headers.get('etag');
  assert.equal(etag, `"${r.json.version}"`);
  const u = await put(alice, '/v1/users/me', { bio: 'Likes tea.', languages: ['en', 'pt-BR'] }, { 'if-match': etag });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.json.bio, 'Likes tea.');
  assert.deepEqual(u.json.languages, ['en', 'pt-BR']);
  assert.equal(u.json.firstName, 'Alice');
  assert.equal(u.json.version, r.json.version + 1);
  const stale = await put(alice, '/v1/users/profile', { bio: 'x' }, { 'if-match': etag });
  assert.equal(stale.status, 412);
  for (const [body, field] of [[{ trustScore: 99 }, 'trustScore'], [{ role: 'admin' }, 'role'],
    [{ firstName: '' }, 'firstName'], [{ languages: 'en' }, 'languages'], [{ languages: ['e n'] }, 'languages'],
    [{ phoneNumber: '12' }, 'phoneNumber'], [{ bio: 7 }, 'bio']]) {
    const x = await put(alice, '/v1/users/profile', body);
    assert.equal(x.status, 422, JSON.stringify(body));
    assert.equal(x.json.error.details.field, field);
  }
  const after1 = await get(alice, '/v1/users/me');
  assert.equal(after1.json.bio, 'Likes tea.');
  assert.equal(after1.json.role, 'traveller');
  assert.equal(after1.json.trustScore, 0);
});

test('public profile shows only the public subset', async () => {
  const r = await get(bob, `/v1/users/${alice.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.firstName, 'Alice');
  assert.equal(r.json.email, undefined);
  assert.equal(r.json.phoneNumber, undefined);
  assert.equal((await get(bob, '/v1/users/01900000-0000-7000-8000-000000000000')).status, 404);
  assert.equal((await get(bob, '/v1/users/not-a-uuid')).status, 404);
});

test('preferences: schema-validated, unknown fields named', async () => {
  const prefs = {
    interests: { primary: [{ name: 'museums', strength: 5 }], custom: [{ name: 'street food', strength: 3 }] },
    activityLevel: 'moderate', pace: 'relaxed', groupSize: 'couple', budgetPreference: 'luxury',
    dietaryRestrictions: ['vegetarian'], accessibilityNeeds: [], weatherPreferences: ['mild'],
    timeOfDay: ['morning', 'evening'],
  };
  const r = await put(alice, '/v1/users/preferences', prefs);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, prefs);
  assert.deepEqual((await get(alice, '/v1/users/preferences')).json, prefs);
  assert.deepEqual((await get(bob, '/v1/users/preferences')).json, {});
  const bad = [
    [{ colour: 'blue' }, 'colour'],
    [{ pace: 'warp' }, 'pace'],
    [{ interests: { primary: [{ name: 'x', strength: 6 }] } }, 'interests.primary[0].strength'],
    [{ interests: { primary: [{ name: 'x' }] } }, 'interests.primary[0].strength'],
    [{ interests: { favourite: [] } }, 'interests.favourite'],
    [{ interests: { primary: [{ name: 'x', strength: 1, extra: 1 }] } }, 'interests.primary[0].extra'],
    [{ timeOfDay: ['noon'] }, 'timeOfDay[0]'],
    [{ timeOfDay: ['morning', 'morning'] }, 'timeOfDay[1]'],
    [{ dietaryRestrictions: Array(21).fill('x') }, 'dietaryRestrictions'],
  ];
  for (const [body, field] of bad) {
    const x = await put(alice, '/v1/users/preferences', body);
    assert.equal(x.status, 422, JSON.stringify(body));
    assert.equal(x.json.error.details.field, field);
  }
  assert.deepEqual((await get(alice, '/v1/users/preferences')).json, prefs);
});

test('settings: validated, per user', async () => {
  const st = { language: 'de', units: 'metric', currency: 'EUR', notifications: { email: true, push: false }, privacy: { profileVisibility: 'private', shareLocation: false } };
  const r = await put(bob, '/v1/users/settings', st);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, st);
  for (const [body, field] of [[{ currency: 'EURO' }, 'currency'], [{ units: 'furlongs' }, 'units'],
    [{ notifications: { email: 'yes' } }, 'notifications.email'], [{ theme: 'dark' }, 'theme']]) {
    const x = await put(bob, '/v1/users/settings', body);
    assert.equal(x.status, 422);
    assert.equal(x.json.error.details.field, field);
  }
  assert.deepEqual((await get(alice, '/v1/users/settings')).json, {});
});

test('emergency contacts: at most 10, validated, replaced whole, private', async () => {
  const contacts = [
    { name: 'Mum', relation: 'mother', phone: '+441632960000', alerts: ['sos', 'checkInMissed'] },
    { name: 'Dan', email: 'DAN@example.com' },
  ];
  const r = await put(alice, '/v1/users/emergency-contacts', { contacts });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 2);
  assert.equal(r.json.items[0].name, 'Mum');
  assert.deepEqual(r.json.items[0].alerts, ['sos', 'checkInMissed']);
  assert.equal(r.json.items[1].email, 'dan@example.com');
  const eleven = Array.from({ length: 11 }, (_, i) => ({ name: `c${i}`, phone: '+441632960000' }));
  assert.equal((await put(alice, '/v1/users/emergency-contacts', { contacts: eleven })).status, 422);
  for (const [c, field] of [[{ name: 'x' }, 'contacts[0].phone'], [{ name: 'x', phone: '123' }, 'contacts[0].phone'],
    [{ name: 'x', phone: '+441632960000', alerts: ['party'] }, 'contacts[0].alerts'], [{ phone: '+441632960000' }, 'name'],
    [{ name: 'x', phone: '+441632960000', pin: 1 }, 'contacts[0].pin']]) {
    const x = await put(alice, '/v1/users/emergency-contacts', { contacts: [c] });
    assert.equal(x.status, 422, JSON.stringify(c));
    assert.equal(x.json.error.details.field, field);
  }
  assert.equal((await get(alice, '/v1/users/emergency-contacts')).json.items.length, 2);
  assert.equal((await get(bob, '/v1/users/emergency-contacts')).json.items.length, 0);
});

test('saved locations: CRUD, pagination, ownership', async () => {
  const made = [];
  for (let i = 0; i < 3; i++) {
    const r = await request(s, 'POST', '/v1/users/saved-locations', { headers: alice.auth,
      body: { name: `Place ${i}`, location: { lat: 43.73 + i / 100, lng: 7.42 }, category: 'hotel', notes: 'n' } });
    assert.equal(r.status, 201, r.text);
    made.push(r.json);
  }
  assert.deepEqual(made[0].location, { lat: 43.73, lng: 7.42 });
  const p1 = await get(alice, '/v1/users/saved-locations?limit=2');
  assert.equal(p1.json.items.length, 2);
  assert.ok(p1.json.nextCursor);
  const p2 = await get(alice, `/v1/users/saved-locations?limit=2&cursor=${p1.json.nextCursor}`);
  assert.deepEqual(p2.json.items.map((x) => x.id), [made[2].id]);
  assert.equal(p2.json.nextCursor, null);
  const id = made[0].id;
  const u = await put(alice, `/v1/users/saved-locations/${id}`, { name: 'Renamed' }, { 'if-match': `"${made[0].version}"` });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.json.name, 'Renamed');
  assert.deepEqual(u.json.location, made[0].location);
  assert.equal((await put(alice, `/v1/users/saved-locations/${id}`, { name: 'x' }, { 'if-match': `"${made[0].version}"` })).status, 412);
  for (const [body, field] of [[{ name: 'x', location: { lat: 91, lng: 0 } }, 'location.lat'],
    [{ name: 'x', location: { lat: 0, lng: '1' } }, 'location'], [{ name: 'x' }, 'location'],
    [{ name: 'x', location: { lat: 0, lng: 0 }, category: 'castle' }, 'category']]) {
    const x = await request(s, 'POST', '/v1/users/saved-locations', { headers: alice.auth, body });
    assert.equal(x.status, 422, JSON.stringify(body));
    assert.equal(x.json.error.details.field, field);
  }
  // Bob can neither see, change nor delete Alice's places.
  assert.equal((await get(bob, `/v1/users/saved-locations/${id}`)).status, 404);
  assert.equal((await put(bob, `/v1/users/saved-locations/${id}`, { name: 'mine' })).status, 404);
  assert.equal((await request(s, 'DELETE', `/v1/users/saved-locations/${id}`, { headers: bob.auth })).status, 404);
  assert.equal((await get(bob, '/v1/users/saved-locations')).json.items.length, 0);
  assert.equal((await get(alice, `/v1/users/saved-locations/${id}`)).json.name, 'Renamed');
  assert.equal((await request(s, 'DELETE', `/v1/users/saved-locations/${id}`, { headers: alice.auth })).status, 204);
  assert.equal((await get(alice, `/v1/users/saved-locations/${id}`)).status, 404);
  const h = await get(alice, '/v1/users/travel-history');
  assert.deepEqual(h.json, { items: [], nextCursor: null });
});

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4640000000049454e44ae426082', 'hex');

test('profile photo: content-sniffed, size-limited, content-addressed, cached', async () => {
  const up = (body, type = 'image/png', u = alice) => request(s, 'PUT', '/v1/users/profile/photo',
    { headers: { ...u.auth, 'content-type': type }, body });
  const r = await up(new Uint8Array(PNG));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.contentType, 'image/png');
  assert.match(r.json.photoUrl, /^\/v1\/media\/[0-9a-f]{64}\.png$/);
  assert.equal((await get(alice, '/v1/users/me')).json.photoUrl, r.json.photoUrl);
  const m = await request(s, 'GET', r.json.photoUrl, { raw: true });
  assert.equal(m.status, 200);
  assert.equal(m.headers.get('content-type'), 'image/png');
  assert.match(m.headers.get('cache-control'), /max-age=31536000/);
  const etag = m.headers.get('etag');
  assert.equal((await request(s, 'GET', r.json.photoUrl, { headers: { 'if-none-match': etag } })).status, 304);
  // Lying Content-Type does not help; HTML/GIF are refused.
  assert.equal((await up(new TextEncoder().encode('<html>hi</html>'), 'image/png')).status, 415);
  assert.equal((await up(new TextEncoder().encode('GIF89a\x01\x00\x01\x00\x00\x00\x00;'), 'image/gif')).status, 415);
  const max = new Uint8Array(5 * 1024 * 1024);
  max.set(PNG);
  assert.equal((await up(max)).status, 200, 'exactly 5 MiB is accepted');
  const res = await rawExchange(s.port, `PUT /v1/users/profile/photo HTTP/1.1\r\nHost: x\r\n` +
    `Authorization: Bearer ${alice.token}\r\nContent-Type: image/png\r\nContent-Length: ${5 * 1024 * 1024 + 1}\r\n\r\n`);
  assert.match(res.text, /^HTTP\/1\.1 413 /);
  assert.equal((await get(alice, '/v1/users/me')).json.photoUrl.length, r.json.photoUrl.length);
  assert.equal((await request(s, 'GET', '/v1/media/..%2f..%2fetc%2fpasswd')).status, 404);
  assert.equal((await request(s, 'GET', '/v1/media/' + '0'.repeat(64) + '.png')).status, 404);
});

test('consents are recorded with their time', async () => {
  const r = await put(bob, '/v1/users/me/consents', { consents: [{ document: 'terms', version: '2026-01' }, { document: 'privacy', version: '3' }] });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 2);
  assert.match(r.json.items[0].acceptedAt, /Z$/);
  assert.equal((await put(bob, '/v1/users/me/consents', { consents: [{ document: 'cookies', version: '1' }] })).status, 422);
  assert.equal((await get(alice, '/v1/users/me/consents')).json.items.length, 0);
});

test('GDPR export and account deletion', async () => {
  const c = await signup(s, { firstName: 'Carol', lastName: 'Gone' });
  await put(c, '/v1/users/emergency-contacts', { contacts: [{ name: 'Mum', phone: '+441632960000' }] });
  const own = Buffer.concat([PNG, Buffer.from('carol')]);
  const photo = (await request(s, 'PUT', '/v1/users/profile/photo', { headers: { ...c.auth, 'content-type': 'image/png' }, body: new Uint8Array(own) })).json.photoUrl;
  assert.equal((await request(s, 'GET', photo)).status, 200);
  await request(s, 'POST', '/v1/users/saved-locations', { headers: c.auth, body: { name: 'Home', location: { lat: 1, lng: 2 } } });
  const ex = await get(c, '/v1/users/me/export');
  assert.equal(ex.status, 200);
  assert.equal(ex.json.user.email, c.email);
  assert.equal(ex.json.emergencyContacts.length, 1);
  assert.equal(ex.json.savedLocations.length, 1);
  assert.equal(ex.json.sessions.length, 1);
  assert.equal(JSON.stringify(ex.json).includes('argon2'), false);
  assert.equal((await request(s, 'DELETE', '/v1/users/me', { headers: c.auth, body: { password: 'Wrong-Password-1' } })).status, 401);
  assert.equal((await request(s, 'DELETE', '/v1/users/me', { headers: c.auth })).status, 401);
  assert.equal((await get(c, '/v1/users/me')).status, 200);
  assert.equal((await request(s, 'DELETE', '/v1/users/me', { headers: c.auth, body: { password: PASSWORD } })).status, 204);
  assert.equal((await get(c, '/v1/users/me')).status, 401);
  assert.equal((await request(s, 'POST', '/v1/auth/login', { body: { email: c.email, password: PASSWORD } })).status, 401);
  assert.equal((await get(alice, `/v1/users/${c.id}`)).status, 404);
  assert.equal((await request(s, 'GET', photo)).status, 404, 'the photo file is gone');
  assert.equal((await request(s, 'GET', (await get(alice, '/v1/users/me')).json.photoUrl)).status, 200, 'others keep theirs');
  // The address is free again.
  const again = await signup(s, { email: c.email });
  assert.notEqual(again.id, c.id);
  assert.equal((await get(again, '/v1/users/emergency-contacts')).json.items.length, 0);
});

test('every /v1/users route needs a token', async () => {
  for (const [m, p] of [['GET', '/v1/users/me'], ['PUT', '/v1/users/preferences'], ['GET', '/v1/users/saved-locations'],
    ['GET', '/v1/users/me/export'], ['DELETE', '/v1/users/me'], ['PUT', '/v1/users/profile/photo']]) {
    assert.equal((await request(s, m, p)).status, 401, `${m} ${p}`);
  }
  // Logging in again still works for the survivors.
  await login(s, alice.email);
});
