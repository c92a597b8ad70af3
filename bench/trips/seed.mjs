#!/usr/bin/env node
// Seeds a running travloc for the trip benchmarks through its public API:
// USERS users, each with TRIPS trips of 5 destinations and 20 activities,
// and one user whose change log holds >= 1,000 changes. Writes
// <out>/data/trips.txt ("tripId token" lines, read by
// ../shared/bench/load/trips.lua), <out>/data/sync.txt ("cursor token") and
// <out>/data/pgbench.tsv ("n tripId userId sessionId", for the pgbench run of
// the same statements, bench/trips/pgbench_trip.sql).
// Usage: seed.mjs URL OUT_DIR   (env USERS=20 TRIPS=10)
import { mkdirSync, writeFileSync } from 'node:fs';

const [url, out] = process.argv.slice(2);
const USERS = Number(process.env.USERS || 20), TRIPS = Number(process.env.TRIPS || 10);

async function call(method, path, body, token) {
  const r = await fetch(url + path, { method, body: body && JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path} ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function trip(token, i) {
  const t = await call('POST', '/v1/trips', { title: `Trip ${i}`, description: 'bench', startDate: '2027-05-01',
    endDate: '2027-05-10', budget: 100000, currency: 'EUR' }, token);
  const dests = [];
  for (let d = 0; d < 5; d++) {
    dests.push(await call('POST', `/v1/trips/${t.id}/destinations`, { name: `Stop ${d}`, arrival: `2027-05-0${d + 1}`,
      departure: `2027-05-0${d + 2}`, coordinates: { lat: 38.7 + d / 100, lng: -9.1 } }, token));
  }
  for (let a = 0; a < 20; a++) {
    const d = a % 5, h = 8 + Math.floor(a / 5) * 2;
    await call('POST', `/v1/trips/${t.id}/activities`, { name: `Activity ${a}`, destinationId: dests[d].id,
      startAt: `2027-05-0${d + 1}T${String(h).padStart(2, '0')}:00:00Z`, endAt: `2027-05-0${d + 1}T${String(h + 1).padStart(2, '0')}:00:00Z`,
      cost: 1500, currency: 'EUR' }, token);
  }
  return t.id;
}

const lines = [], ids = [];
let syncToken;
for (let u = 0; u < USERS; u++) {
  const s = await call('POST', '/v1/auth/signup', { email: `bench${u}.${Date.now()}@example.com`,
    password: 'Correct-Horse-Battery-42', firstName: 'B', lastName: 'U' });
  for (let i = 0; i < TRIPS; i++) {
    const id = await trip(s.token, i);
    lines.push(`${id} ${s.token}`);
    ids.push(`${ids.length + 1}\t${id}\t${s.user.id}\t${s.sessionId}`);
  }
  if (u === 0) syncToken = s.token;
}
// The first user's log: TRIPS * 26 changes so far; top it up to >= 1,000.
const first = lines[0].split(' ')[0];
for (let n = TRIPS * 26; n < 1000; n++) await call('PATCH', `/v1/trips/${first}`, { notes: `n${n}` }, syncToken);
mkdirSync(`${out}/data`, { recursive: true });
writeFileSync(`${out}/data/trips.txt`, lines.join('\n') + '\n');
writeFileSync(`${out}/data/sync.txt`, `0 ${syncToken}\n`);
writeFileSync(`${out}/data/pgbench.tsv`, ids.join('\n') + '\n');
console.log(`seeded ${lines.length} trips`);
