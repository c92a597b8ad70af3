// Travel buddies (issue 4): invite by e-mail or id, accept / decline,
// roles, removal and leaving, and who may do what.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup, uniqueEmail } from './lib/accounts.mjs';
import { newTrip, request, share, startTripsServer, users } from './lib/trips.mjs';

let s, owner, b1, b2, b3;
before(async () => {
  s = await startTripsServer();
  [owner, b1, b2, b3] = await users(s, 4);
});
after(async () => { await s.stop(); });

test('invite by e-mail, accept, then the trip is visible with the role', async () => {
  const t = await newTrip(s, owner);
  let r = await request(s, 'POST', `/v1/trips/${t.id}/buddies`, { headers: owner.auth, body: { email: b1.email.toUpperCase(), role: 'editor' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.state, 'pending');
  assert.equal(r.json.userId, b1.id);
  assert.equal((await request(s, 'GET', `/v1/trips/${t.id}`, { headers: b1.auth })).status, 404, 'pending is not a member');
  const inv = await request(s, 'GET', '/v1/trip-invitations', { headers: b1.auth });
  assert.equal(inv.json.items.length, 1);
  assert.equal(inv.json.items[0].tripId, t.id);
  r = await request(s, 'POST', `/v1/trips/${t.id}/buddies`, { headers: owner.auth, body: { email: b1.email, role: 'viewer' } });
  assert.equal(r.status, 409);
  r = await request(s, 'POST', `/v1/trips/${t.id}/buddies/accept`, { headers: b1.auth });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, 'accepted');
  r = await request(s, 'GET', `/v1/trips/${t.id}`, { headers: b1.auth });
  assert.equal(r.status, 200);
  assert.equal(r.json.role, 'editor');
  const l = await request(s, 'GET', '/v1/trips', { headers: b1.auth });
  assert.ok(l.json.items.some((x) => x.id === t.id && x.role === 'editor'));
  assert.equal((await request(s, 'POST', `/v1/trips/${t.id}/buddies/accept`, { headers: b1.auth })).status, 404, 'nothing left to accept');
});

test('an e-mail without an account is matched when that person signs up', async () => {
  const t = await newTrip(s, owner);
  const email = uniqueEmail('later');
  let r = await request(s, 'POST', `/v1/trips/${t.id}/buddies`, { headers: owner.auth, body: { email, role: 'viewer' } });
  assert.equal(r.status, 201);
  assert.equal(r.json.userId, null);
  assert.equal(r.json.email, email);
  const late = await signup(s, { email });
  r = await request(s, 'POST', `/v1/trips/${t.id}/buddies/accept`, { headers: late.auth });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.userId, late.id);
  assert.equal((await request(s, 'GET', `/v1/trips/${t.id}`, { headers: late.auth })).json.role, 'viewer');
});

test('decline, invalid invitations, and only the owner invites', async () => {
  const t = await newTrip(s, owner);
  let r = await request(s, 'POST', `/v1/trips/${t.id}/buddies`, { headers: owner.auth, body: { userId: b2.id } });
  assert.equal(r.status, 201);
  assert.equal(r.json.role, 'viewer', 'viewer by default');
  assert.equal((await request(s, 'POST', `/v1/trips/${t.id}/buddies/accept`, { headers: b3.auth })).status, 404, 'not your invitation');
  r = await request(s, 'POST', `/v1/trips/${t.id}/buddies/decline`, { headers: b2.auth });
  assert.equal(r.status, 200);
  assert.equal(r.json.state, 'declined');
  assert.equal((await request(s, 'GET', `/v1/trips/${t.id}`, { headers: b2.auth })).status, 404);
  for (const [body, field] of [[{ role: 'editor' }, 'email'], [{ userId: b2.id, email: b2.email }, 'userId'],
    [{ userId: b2.id, role: 'owner' }, 'role'], [{ email: 'not-an-email' }, 'email'],
    [{ userId: '01890a5d-ac96-774b-bcce-b302099a8057' }, 'userId'], [{ userId: owner.id }, 'userId']]) {
    r = await request(s, 'POST', `/v1/trips/${t.id}/buddies`, { headers: owner.auth, body });
    assert.equal(r.status, 422, JSON.stringify(body) + r.text);
    assert.equal(r.json.error.details.field, field, JSON.stringify(body));
  }
  r = await request(s, 'POST', `/v1/trips/${t.id}/buddies`, { headers: owner.auth, body: { userId: b2.id, role: 'editor' } });
  assert.equal(r.status, 201, 're-invite after a decline');
  await request(s, 'POST', `/v1/trips/${t.id}/buddies/accept`, { headers: b2.auth });
  r = await request(s, 'POST', `/v1/trips/${t.id}/buddies`, { headers: b2.auth, body: { userId: b3.id } });
  assert.equal(r.status, 403, 'an editor may not invite');
  r = await request(s, 'POST', `/v1/trips/${t.id}/buddies`, { headers: b3.auth, body: { userId: b3.id } });
  assert.equal(r.status, 404, 'an outsider sees no trip');
});

test('roles: the owner changes roles and removes; members leave; the owner cannot', async () => {
  const t = await newTrip(s, owner);
  await share(s, owner, t.id, b1, 'viewer');
  await share(s, owner, t.id, b2, 'editor');
  const patchTrip = (u) => request(s, 'PATCH', `/v1/trips/${t.id}`, { headers: u.auth, body: { notes: 'x' + Math.random() } });
  assert.equal((await patchTrip(b1)).status, 403);
  let r = await request(s, 'PATCH', `/v1/trips/${t.id}/buddies/${b1.id}`, { headers: b2.auth, body: { role: 'editor' } });
  assert.equal(r.status, 403, 'an editor may not change roles');
  r = await request(s, 'PATCH', `/v1/trips/${t.id}/buddies/${b1.id}`, { headers: owner.auth, body: { role: 'editor' } });
  assert.equal(r.status, 200);
  assert.equal((await patchTrip(b1)).status, 200);
  r = await request(s, 'PATCH', `/v1/trips/${t.id}/buddies/${owner.id}`, { headers: owner.auth, body: { role: 'viewer' } });
  assert.equal(r.status, 409);
  r = await request(s, 'PATCH', `/v1/trips/${t.id}/buddies/${b1.id}`, { headers: owner.auth, body: { role: 'boss' } });
  assert.equal(r.status, 422);
  r = await request(s, 'DELETE', `/v1/trips/${t.id}/buddies/${b1.id}`, { headers: b2.auth });
  assert.equal(r.status, 403, 'an editor may not remove others');
  const list = await request(s, 'GET', `/v1/trips/${t.id}/buddies`, { headers: b1.auth });
  assert.deepEqual(list.json.items.map((x) => x.role).sort(), ['editor', 'editor', 'owner']);
  r = await request(s, 'DELETE', `/v1/trips/${t.id}/buddies/${b1.id}`, { headers: owner.auth });
  assert.equal(r.status, 204);
  assert.equal((await request(s, 'GET', `/v1/trips/${t.id}`, { headers: b1.auth })).status, 404);
  r = await request(s, 'DELETE', `/v1/trips/${t.id}/buddies/${b2.id}`, { headers: b2.auth });
  assert.equal(r.status, 204, 'leave');
  assert.equal((await request(s, 'GET', `/v1/trips/${t.id}`, { headers: b2.auth })).status, 404);
  r = await request(s, 'DELETE', `/v1/trips/${t.id}/buddies/${owner.id}`, { headers: owner.auth });
  assert.equal(r.status, 409);
});
