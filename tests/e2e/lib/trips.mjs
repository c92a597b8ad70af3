// Trip helpers for black-box tests (issue 4): a server with cheap
// passwords and no rate limit, users, and trips.
import { startServer, request } from './harness.mjs';
import { ACCOUNTS_ENV, signup } from './accounts.mjs';

export const TRIPS_ENV = { ...ACCOUNTS_ENV, TRAVLOC_RATE_LIMIT: '1000000' };

export const startTripsServer = (opts = {}) =>
  startServer({ ...opts, env: { ...TRIPS_ENV, ...(opts.env || {}) } });

export async function users(s, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await signup(s));
  return out;
}

export const TRIP = { title: 'Lisbon and Porto', description: 'Pastel de nata tour',
  startDate: '2027-05-01', endDate: '2027-05-10', budget: 150000, currency: 'EUR' };

// Creates a trip and returns its JSON; throws unless 201.
export async function newTrip(s, user, fields = {}) {
  const r = await request(s, 'POST', '/v1/trips', { headers: user.auth, body: { ...TRIP, ...fields } });
  if (r.status !== 201) throw new Error(`create trip ${r.status}: ${r.text}`);
  return r.json;
}

// Invites `buddy` to the trip with `role` and accepts; returns nothing.
export async function share(s, owner, tripId, buddy, role) {
  let r = await request(s, 'POST', `/v1/trips/${tripId}/buddies`, { headers: owner.auth, body: { userId: buddy.id, role } });
  if (r.status !== 201) throw new Error(`invite ${r.status}: ${r.text}`);
  r = await request(s, 'POST', `/v1/trips/${tripId}/buddies/accept`, { headers: buddy.auth });
  if (r.status !== 200) throw new Error(`accept ${r.status}: ${r.text}`);
}

export { request };
