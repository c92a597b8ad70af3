// Itinerary generator (issue 7, in the product): POST
// /v1/trips/:id/itinerary/generate enqueues an AI_TRIP_PLANNING job that plans
// days on the imported Monaco extract; GET .../generate/:jobId shows it.
// Checked here: permissions (editor/owner may generate, viewer 403, others
// 404), validation (422 naming the field, nothing enqueued), preference
// scoring turning into choices (museum lover gets museums, wheelchair needs
// keep wheelchair=no places out, must-sees are in), the server-side checker
// and an independent replay of every plan's times in this file, apply=false
// writing nothing, apply=true writing activities + day plans linked to
// places, and the real-time progress events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { request, sleep } from './lib/harness.mjs';
import { importedDatabase, sql, startOn } from './lib/places.mjs';
import { TRIPS_ENV, newTrip, share, users } from './lib/trips.mjs';
import { client, connected } from './lib/realtime.mjs';

const MONACO = { lat: 43.7384, lng: 7.4246 };
const DATES = { startDate: '2027-06-10', endDate: '2027-06-11', currency: 'EUR', budget: 50000 };

let db, s, owner, editor, viewer, stranger, places, weather, weatherMode = 'off';

// A local Open-Meteo stand-in: 404 ("off": every plan ignores weather) or a
// wet first day and a dry second one ("rain").
function weatherServer() {
  return new Promise((resolve) => {
    const srv = http.createServer((req, res) => {
      if (weatherMode === 'off') { res.writeHead(404); res.end(); return; }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ daily: { time: ['2027-06-10', '2027-06-11'], temperature_2m_max: [19, 25],
        temperature_2m_min: [14, 17], precipitation_sum: [12.5, 0], weather_code: [63, 1] } }));
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

before(async () => {
  db = await importedDatabase();
  assert.equal(db.cli.code, 0, db.cli.stderr);
  weather = await weatherServer();
  s = await startOn(db, { env: { ...TRIPS_ENV, WEATHER_URL: `http://127.0.0.1:${weather.address().port}/v1/forecast` } });
  [owner, editor, viewer, stranger] = await users(s, 4);
  places = new Map(sql(db, 'SELECT id, category, wheelchair, name FROM places')
    .map(([id, category, wheelchair, name]) => [id, { id, category, wheelchair, name }]));
});

after(async () => { await s?.stop({ keepDir: true }); weather?.close(); });

async function monacoTrip(user, fields = {}) {
  const t = await newTrip(s, user, { title: 'Monaco', ...DATES, ...fields });
  const d = await request(s, 'POST', `/v1/trips/${t.id}/destinations`, { headers: user.auth,
    body: { name: 'Monaco', coordinates: MONACO, arrival: DATES.startDate, departure: DATES.endDate } });
  assert.equal(d.status, 201, d.text);
  return t;
}

async function generate(user, tripId, body = {}) {
  const r = await request(s, 'POST', `/v1/trips/${tripId}/itinerary/generate`, { headers: user.auth, body });
  assert.equal(r.status, 202, r.text);
  assert.match(r.json.jobId, /^[0-9a-f-]{36}$/);
  assert.equal(r.headers.get('location'), `/v1/trips/${tripId}/itinerary/generate/${r.json.jobId}`);
  return r.json.jobId;
}

// Polls the job until it reaches a final state (bounded by a count, not a clock).
async function finished(user, tripId, jobId) {
  for (let i = 0; i < 1200; i++) {
    const r = await request(s, 'GET', `/v1/trips/${tripId}/itinerary/generate/${jobId}`, { headers: user.auth });
    assert.equal(r.status, 200, r.text);
    if (['completed', 'failed', 'cancelled'].includes(r.json.state)) return r.json;
    await sleep(50);
  }
  throw new Error('job did not finish');
}

async function plan(user, tripId, body) {
  const job = await finished(user, tripId, await generate(user, tripId, body));
  assert.equal(job.state, 'completed', JSON.stringify(job.error));
  replay(job.result);
  return job.result;
}

const stopsOf = (result) => result.days.flatMap((d) => d.stops);
const ms = (t) => Date.parse(t);

// An independent replay of the proposal: times in order inside the day,
// each place once, lunch inside its slot, the server checker's verdict.
function replay(result) {
  assert.equal(result.check.ok, true, result.check.message);
  assert.equal(result.constraintsMet, true, JSON.stringify(result.warnings));
  const seen = new Set();
  for (const day of result.days) {
    let t = ms(day.leaveAt);
    for (const st of day.stops) {
      assert.ok(!seen.has(st.placeId), `${st.placeId} twice`);
      seen.add(st.placeId);
      assert.ok(places.has(st.placeId), 'a real place');
      assert.ok(ms(st.arrivalAt) >= t, `${st.name}: arrives before leaving the previous stop`);
      assert.ok(ms(st.startAt) >= ms(st.arrivalAt));
      assert.ok(ms(st.endAt) > ms(st.startAt));
      assert.ok(st.startAt.startsWith(day.date), `${st.name} on ${day.date}`);
      assert.ok(Array.isArray(st.reasons) && st.reasons.length > 0, `${st.name} explains itself`);
      if (st.meal) assert.ok(st.localStart >= '12:00' && st.localStart <= '13:00', st.localStart);
      t = ms(st.endAt);
    }
    assert.ok(ms(day.backAt) >= t);
    assert.ok(day.stops.length <= result.day.maxStops + result.day.lunchSlots);
  }
  const score = stopsOf(result).length;
  assert.ok(score > 0, 'plans something');
}

test('permissions: owner and editor generate, viewer 403, stranger and bad ids 404', async () => {
  const t = await monacoTrip(owner);
  await share(s, owner, t.id, editor, 'editor');
  await share(s, owner, t.id, viewer, 'viewer');
  const url = `/v1/trips/${t.id}/itinerary/generate`;
  assert.equal((await request(s, 'POST', url, { body: {} })).status, 401);
  let r = await request(s, 'POST', url, { headers: viewer.auth, body: {} });
  assert.equal(r.status, 403, r.text);
  r = await request(s, 'POST', url, { headers: stranger.auth, body: {} });
  assert.equal(r.status, 404, r.text);
  r = await request(s, 'POST', '/v1/trips/not-a-trip/itinerary/generate', { headers: owner.auth, body: {} });
  assert.equal(r.status, 404);
  const jobId = await generate(editor, t.id, { apply: false, timeLimitMs: 1500 });
  // any member can follow the job; strangers and other trips cannot
  const job = await finished(viewer, t.id, jobId);
  assert.equal(job.tripId, t.id);
  r = await request(s, 'GET', `${url}/${jobId}`, { headers: stranger.auth });
  assert.equal(r.status, 404);
  const other = await monacoTrip(stranger);
  r = await request(s, 'GET', `/v1/trips/${other.id}/itinerary/generate/${jobId}`, { headers: stranger.auth });
  assert.equal(r.status, 404, 'a job of another trip is not visible through yours');
  r = await request(s, 'GET', `${url}/00000000-0000-7000-8000-000000000000`, { headers: owner.auth });
  assert.equal(r.status, 404);
});

test('validation: 422 naming the field, and no job is enqueued', async () => {
  const t = await monacoTrip(owner);
  const museum = [...places.values()].find((p) => p.category === 'museum');
  const cases = [
    [{ preferences: { pace: 'slow' } }, 'preferences.pace'],
    [{ preferences: 5 }, 'preferences'],
    [{ preferences: { interests: { primary: [{ name: 'art', strength: 9 }] } } }, 'preferences.interests.primary[0].strength'],
    [{ days: ['2027-06-09'] }, 'days'], [{ days: ['2027-06-10', '2027-06-10'] }, 'days'],
    [{ days: 0 }, 'days'], [{ days: 3 }, 'days'], [{ days: 'all' }, 'days'],
    [{ lodging: { lat: 91, lng: 7 } }, 'lodging'], [{ lodging: [43, 7] }, 'lodging'],
    [{ mustSee: ['00000000-0000-7000-8000-000000000000'] }, 'mustSee'],
    [{ mustSee: [museum.id, museum.id] }, 'mustSee'], [{ mustSee: 'x' }, 'mustSee'],
    [{ timeLimitMs: 10 }, 'timeLimitMs'], [{ timeLimitMs: 60001 }, 'timeLimitMs'],
    [{ apply: 'yes' }, 'apply'],
  ];
  for (const [body, field] of cases) {
    const r = await request(s, 'POST', `/v1/trips/${t.id}/itinerary/generate`, { headers: owner.auth, body });
    assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.json.error.details.field, field, JSON.stringify(body));
  }
  const r = await request(s, 'POST', `/v1/trips/${t.id}/itinerary/generate`, { headers: owner.auth, body: '[1]' });
  assert.ok([400, 415].includes(r.status));
  // a trip without any located destination needs a lodging
  const bare = await newTrip(s, owner, { ...DATES });
  let br = await request(s, 'POST', `/v1/trips/${bare.id}/itinerary/generate`, { headers: owner.auth, body: {} });
  assert.equal(br.status, 422, br.text);
  assert.equal(br.json.error.details.field, 'lodging');
  br = await request(s, 'POST', `/v1/trips/${bare.id}/itinerary/generate`, { headers: owner.auth,
    body: { lodging: { lat: 43.7384, lng: 7.4246 }, apply: false, timeLimitMs: 500, days: 1 } });
  assert.equal(br.status, 202, br.text);
  const bj = await finished(owner, bare.id, br.json.jobId);
  assert.equal(bj.state, 'completed', JSON.stringify(bj.error));
  assert.deepEqual(bj.result.days.map((d) => d.lodging), [{ lat: 43.7384, lng: 7.4246 }]);
  const long = await newTrip(s, owner, { startDate: '2027-06-01', endDate: '2027-06-30' });
  const lr = await request(s, 'POST', `/v1/trips/${long.id}/itinerary/generate`, { headers: owner.auth, body: { lodging: { lat: 43.7, lng: 7.4 } } });
  assert.equal(lr.status, 422);
  assert.equal(lr.json.error.details.field, 'days');
  const jobs = sql(db, "SELECT count(*) FROM jobs WHERE type = 'AI_TRIP_PLANNING' AND payload LIKE '%" + t.id + "%'");
  assert.equal(Number(jobs[0][0]), 0);
});

test('a museum lover gets museums; apply=false writes nothing', async () => {
  const t = await monacoTrip(owner);
  const love = await plan(owner, t.id, { apply: false, timeLimitMs: 2000,
    preferences: { interests: { primary: [{ name: 'museums', strength: 5 }] }, pace: 'moderate' } });
  const nature = await plan(owner, t.id, { apply: false, timeLimitMs: 2000,
    preferences: { interests: { primary: [{ name: 'nature', strength: 5 }] }, pace: 'moderate' } });
  const museums = (r) => stopsOf(r).filter((st) => ['museum', 'gallery'].includes(st.category));
  assert.ok(museums(love).length >= 4, JSON.stringify(stopsOf(love).map((x) => x.category)));
  assert.ok(museums(love).length > museums(nature).length);
  for (const st of museums(love))
    assert.ok(st.reasons.some((x) => /interest in museums \(5\/5\)/.test(x)), JSON.stringify(st.reasons));
  assert.equal(love.applied, false);
  const acts = await request(s, 'GET', `/v1/trips/${t.id}/activities`, { headers: owner.auth });
  assert.deepEqual(acts.json.items, []);
  const it = await request(s, 'GET', `/v1/trips/${t.id}/itinerary`, { headers: owner.auth });
  assert.deepEqual(it.json.days, []);
});

test('wheelchair needs keep wheelchair=no out; must-see places are in the plan', async () => {
  const t = await monacoTrip(owner);
  const acc = await plan(owner, t.id, { apply: false, timeLimitMs: 2000,
    preferences: { accessibilityNeeds: ['wheelchair'], pace: 'fast' } });
  for (const st of stopsOf(acc)) {
    assert.equal(places.get(st.placeId).wheelchair, 'yes', `${st.name}`);
    assert.ok(st.reasons.includes('wheelchair accessible'));
  }
  const open = [...places.values()].filter((p) => p.name && ['viewpoint', 'artwork', 'fountain'].includes(p.category));
  const must = [open[0].id, open[open.length - 1].id];
  const r = await plan(owner, t.id, { apply: false, timeLimitMs: 2000, mustSee: must,
    preferences: { interests: { primary: [{ name: 'museums', strength: 5 }] } } });
  const ids = stopsOf(r).map((st) => st.placeId);
  for (const id of must) assert.ok(ids.includes(id), `${places.get(id).name} is planned`);
  assert.deepEqual(r.unvisitedMustSee, []);
  for (const st of stopsOf(r).filter((x) => must.includes(x.placeId)))
    assert.ok(st.reasons.includes('you asked to see it'));
});

test('apply: activities linked to places, day plans, sync log, progress events', async () => {
  const t = await monacoTrip(owner);
  await share(s, owner, t.id, editor, 'editor');
  const sock = client(s, editor.auth.authorization.slice(7));
  await connected(sock);
  const progress = [], done = [];
  sock.on('job:progress', (p) => progress.push(p));
  sock.on('itinerary:generated', (p) => done.push(p));
  const jobId = await generate(editor, t.id, { timeLimitMs: 2000, days: ['2027-06-11'],
    preferences: { dietaryRestrictions: ['vegetarian'], pace: 'relaxed' } });
  const job = await finished(editor, t.id, jobId);
  assert.equal(job.state, 'completed', JSON.stringify(job.error));
  const r = job.result;
  replay(r);
  assert.equal(r.applied, true);
  assert.deepEqual(r.days.map((d) => d.date), ['2027-06-11']);
  const stops = stopsOf(r);
  const it = await request(s, 'GET', `/v1/trips/${t.id}/itinerary`, { headers: viewer.auth });
  assert.equal(it.status, 404, 'viewer was never invited to this trip');
  const itin = await request(s, 'GET', `/v1/trips/${t.id}/itinerary`, { headers: owner.auth });
  assert.equal(itin.json.days.length, 1);
  assert.equal(itin.json.days[0].date, '2027-06-11');
  assert.deepEqual(itin.json.days[0].activityIds, stops.map((st) => st.activityId));
  assert.equal(itin.json.version, r.itineraryVersion);
  const acts = (await request(s, 'GET', `/v1/trips/${t.id}/activities`, { headers: owner.auth })).json.items;
  assert.equal(acts.length, stops.length);
  for (const st of stops) {
    const a = acts.find((x) => x.id === st.activityId);
    assert.ok(a, 'activity exists');
    assert.equal(a.name, places.get(st.placeId).name.slice(0, 200));
    assert.equal(a.type, st.category);
    assert.equal(a.startAt, st.startAt);
    assert.match(a.notes, /Why: /);
  }
  const links = sql(db, `SELECT activity_id, place_id FROM planner_stops WHERE job_id = '${jobId}'`);
  assert.deepEqual(links.map(([a, p]) => `${a}:${p}`).sort(), stops.map((st) => `${st.activityId}:${st.placeId}`).sort());
  // restaurants chosen for a vegetarian say so
  for (const st of stops.filter((x) => x.meal)) assert.ok(st.reasons.includes('serves vegetarian food'));
  // every row change is in the sync log
  const logged = sql(db, `SELECT entity, entity_id FROM changes WHERE trip_id = '${t.id}'`).map(([e, id]) => `${e}:${id}`);
  for (const st of stops) assert.ok(logged.includes(`activity:${st.activityId}`), 'activity logged');
  assert.ok(logged.some((x) => x.startsWith('dayPlan:')), 'day plan logged');
  for (let i = 0; i < 200 && done.length === 0; i++) await sleep(25);
  assert.equal(done.length, 1);
  assert.equal(done[0].jobId, jobId);
  assert.equal(done[0].applied, true);
  assert.ok(progress.some((p) => p.jobId === jobId && p.stage === 'solving'));
  sock.disconnect();
});

const OUTDOOR = new Set(['viewpoint', 'artwork', 'zoo', 'theme_park', 'monument', 'memorial', 'ruins',
  'archaeological_site', 'historic', 'fountain', 'park', 'garden', 'beach', 'nature_reserve', 'peak',
  'picnic_site', 'marina', 'water_park']);

test('weather: outdoor places move to the dry day of the forecast', async () => {
  const t = await monacoTrip(owner);
  const prefs = { interests: { primary: [{ name: 'nature', strength: 5 }, { name: 'views', strength: 5 }] } };
  const dry = await plan(owner, t.id, { apply: false, timeLimitMs: 2000, preferences: prefs });
  assert.equal(dry.weather.source, 'none', 'the provider answered 404');
  assert.match(dry.weather.error, /404/);
  assert.ok(dry.days[0].stops.some((st) => OUTDOOR.has(st.category)), 'without a forecast day 1 has outdoor stops');
  weatherMode = 'rain';
  try {
    const wet = await plan(owner, t.id, { apply: false, timeLimitMs: 2000, preferences: prefs });
    assert.equal(wet.weather.source, 'forecast');
    assert.deepEqual(wet.weather.wetDays, ['2027-06-10']);
    assert.deepEqual(wet.days[0].stops.filter((st) => OUTDOOR.has(st.category)).map((st) => st.name), []);
    const out = wet.days[1].stops.filter((st) => OUTDOOR.has(st.category));
    assert.ok(out.length > 0);
    for (const st of out) assert.ok(st.reasons.includes('outdoors: kept to a dry day of the forecast'));
  } finally {
    weatherMode = 'off';
  }
});

test('Idempotency-Key: a retried POST gets the same job, not a second one', async () => {
  const t = await monacoTrip(owner);
  const headers = { ...owner.auth, 'idempotency-key': 'gen-' + t.id };
  const body = { apply: false, timeLimitMs: 500, days: 1 };
  const a = await request(s, 'POST', `/v1/trips/${t.id}/itinerary/generate`, { headers, body });
  const b = await request(s, 'POST', `/v1/trips/${t.id}/itinerary/generate`, { headers, body });
  assert.equal(a.status, 202);
  assert.equal(b.status, 202);
  assert.equal(b.json.jobId, a.json.jobId);
  assert.equal(b.headers.get('idempotent-replayed'), 'true');
  const n = sql(db, `SELECT count(*) FROM jobs WHERE type = 'AI_TRIP_PLANNING' AND payload LIKE '%${t.id}%'`);
  assert.equal(Number(n[0][0]), 1);
  await finished(owner, t.id, a.json.jobId);
});
