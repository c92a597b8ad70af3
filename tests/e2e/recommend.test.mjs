// Recommendations (issue 7): GET /v1/recommendations/seasonal from the
// shipped climate normals and country facts, GET /v1/recommendations/weather
// through the Open-Meteo-compatible provider (a local node server here) or
// climatology, and the packing-list suggestions of a trip with their merge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { request, startServer } from './lib/harness.mjs';
import { TRIPS_ENV, newTrip, share, startTripsServer, users } from './lib/trips.mjs';

let s, owner, viewer, stranger;
before(async () => {
  s = await startTripsServer();
  [owner, viewer, stranger] = await users(s, 3);
});
after(async () => { await s.stop(); });

test('seasonal: nearest city, month mean, far flag, destination facts', async () => {
  let r = await request(s, 'GET', '/v1/recommendations/seasonal?lat=43.7384&lng=7.4246&month=8', { headers: owner.auth });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.nearestCity.name, 'Monaco');
  assert.equal(r.json.nearestCity.far, false);
  assert.ok(r.json.nearestCity.distanceKm < 5);
  assert.equal(r.json.climate.meanTempC, 24.2); // SOURCE.md: Monaco Aug 24.2
  assert.equal(r.json.climate.monthlyMeanTempC[0], 10.2);
  assert.equal(r.json.climate.season, 'warm');
  assert.equal(r.json.monthName, 'August');
  assert.ok(r.json.climate.bestMonths.includes(8));
  assert.ok(r.json.bring.includes('sunscreen'));
  assert.equal(r.json.destination.code, 'MC');
  assert.equal(r.json.destination.currencies, 'EUR');
  assert.equal(r.json.destination.callingCode, '+377');
  r = await request(s, 'GET', '/v1/recommendations/seasonal?lat=59.91&lng=10.75&month=1', { headers: owner.auth });
  assert.equal(r.json.nearestCity.name, 'Oslo');
  assert.equal(r.json.climate.season, 'cold');
  assert.equal(r.json.destination.currencies, 'NOK');
  r = await request(s, 'GET', '/v1/recommendations/seasonal?lat=-60&lng=-120&month=1', { headers: owner.auth });
  assert.equal(r.json.nearestCity.far, true);
  assert.ok(r.json.nearestCity.distanceKm > 300);
  assert.match(r.json.climate.note, /rough guide/);
  // month defaults to the current one
  r = await request(s, 'GET', '/v1/recommendations/seasonal?lat=43.7&lng=7.4', { headers: owner.auth });
  assert.equal(r.json.month, new Date().getUTCMonth() + 1);
});

test('seasonal and weather: bad parameters are 400 naming the field, auth required', async () => {
  for (const [q, field] of [['lng=7', 'lat'], ['lat=43', 'lng'], ['lat=91&lng=7', 'lat'], ['lat=x&lng=7', 'lat'],
    ['lat=43&lng=7&month=13', 'month'], ['lat=43&lng=7&month=0', 'month'], ['lat=43&lng=7&month=June', 'month']]) {
    const r = await request(s, 'GET', `/v1/recommendations/seasonal?${q}`, { headers: owner.auth });
    assert.equal(r.status, 400, q);
    assert.equal(r.json.error.details.field, field, q);
  }
  const w = await request(s, 'GET', '/v1/recommendations/weather?lat=43', { headers: owner.auth });
  assert.equal(w.status, 400);
  assert.equal(w.json.error.details.field, 'lng');
  assert.equal((await request(s, 'GET', '/v1/recommendations/seasonal?lat=43&lng=7')).status, 401);
  assert.equal((await request(s, 'GET', '/v1/recommendations/weather?lat=43&lng=7')).status, 401);
});

test('weather without a provider: climatology of the nearest city', async () => {
  const r = await request(s, 'GET', '/v1/recommendations/weather?lat=43.7384&lng=7.4246', { headers: owner.auth });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.provider, 'climatology');
  assert.equal(r.json.source, 'climatology');
  assert.equal(r.json.climatology.city, 'Monaco');
  assert.equal(r.json.providerError, null);
});

function weatherServer(handler) {
  return new Promise((resolve) => {
    const seen = [];
    const srv = http.createServer((req, res) => { seen.push(req.url); handler(req, res); });
    srv.listen(0, '127.0.0.1', () => resolve({ srv, seen, url: `http://127.0.0.1:${srv.address().port}/v1/forecast` }));
  });
}

test('weather through an Open-Meteo-compatible provider; failures fall back to climatology', async () => {
  let mode = 'ok';
  const ws = await weatherServer((req, res) => {
    if (mode === 'down') { res.writeHead(500); res.end('boom'); return; }
    if (mode === 'junk') { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"hello":1}'); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ latitude: 43.74, longitude: 7.42,
      current: { time: '2027-06-10T12:00', temperature_2m: 23.5, weather_code: 1 },
      daily: { time: ['2027-06-10', '2027-06-11'], temperature_2m_max: [26.1, 24], temperature_2m_min: [18, 17.2],
        precipitation_sum: [0, 4.2], weather_code: [1, 61] } }));
  });
  const w = await startServer({ env: { ...TRIPS_ENV, WEATHER_URL: ws.url } });
  try {
    const [u] = await users(w, 1);
    let r = await request(w, 'GET', '/v1/recommendations/weather?lat=43.7384&lng=7.4246', { headers: u.auth });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.provider, 'open-meteo');
    assert.equal(r.json.source, 'forecast');
    assert.equal(r.json.current.temperatureC, 23.5);
    assert.deepEqual(r.json.daily.map((d) => [d.date, d.minC, d.maxC, d.precipitationMm, d.weatherCode]),
      [['2027-06-10', 18, 26.1, 0, 1], ['2027-06-11', 17.2, 24, 4.2, 61]]);
    assert.equal(ws.seen.length, 1);
    const q = new URL(ws.seen[0], 'http://x').searchParams;
    assert.equal(Number(q.get('latitude')), 43.7384);
    assert.equal(Number(q.get('longitude')), 7.4246);
    assert.match(q.get('daily'), /temperature_2m_max/);
    mode = 'down';
    r = await request(w, 'GET', '/v1/recommendations/weather?lat=43.7384&lng=7.4246', { headers: u.auth });
    assert.equal(r.status, 200);
    assert.equal(r.json.source, 'climatology');
    assert.match(r.json.providerError, /500/);
    mode = 'junk';
    r = await request(w, 'GET', '/v1/recommendations/weather?lat=43.7384&lng=7.4246', { headers: u.auth });
    assert.equal(r.json.source, 'climatology');
    assert.match(r.json.providerError, /not a forecast/);
  } finally {
    await w.stop();
    ws.srv.close();
  }
});

async function setPrefs(user, prefs) {
  const r = await request(s, 'PUT', '/v1/users/preferences', { headers: user.auth, body: prefs });
  assert.equal(r.status, 200, r.text);
}

test('packing suggestions follow climate, activities, length, needs and the currency', async () => {
  await setPrefs(owner, { dietaryRestrictions: ['vegan'], accessibilityNeeds: ['wheelchair'] });
  const t = await newTrip(s, owner, { startDate: '2027-01-10', endDate: '2027-01-20', currency: 'EUR' });
  await request(s, 'POST', `/v1/trips/${t.id}/destinations`, { headers: owner.auth, body: { name: 'Oslo', coordinates: { lat: 59.91, lng: 10.75 } } });
  const a = await request(s, 'POST', `/v1/trips/${t.id}/activities`, { headers: owner.auth, body: { name: 'Fjord hike', type: 'hiking' } });
  assert.equal(a.status, 201, a.text);
  const r = await request(s, 'GET', `/v1/trips/${t.id}/packing-list/suggestions`, { headers: owner.auth });
  assert.equal(r.status, 200, r.text);
  const by = Object.fromEntries(r.json.items.map((i) => [i.name, i]));
  assert.equal(r.json.days, 11);
  assert.equal(r.json.climate.nearestCities[0].city, 'Oslo');
  assert.ok(by['Warm coat'], 'cold January');
  assert.ok(!by['Sunscreen']);
  assert.ok(by['Walking or hiking shoes'].reasons[0].includes('hikes'));
  assert.equal(by['Underwear'].quantity, 8, 'a week of clothes plus one for 11 days');
  assert.ok(by['Laundry bag']);
  assert.ok(by['Snacks that fit your diet (vegan)']);
  assert.ok(by['Wheelchair repair kit and spare inner tube']);
  assert.ok(by['Some cash in NOK']);
  assert.equal(r.json.destination.code, 'NO');
  for (const i of r.json.items) assert.equal(i.inList, false);
  // a short summer trip by the sea
  await setPrefs(owner, {});
  const m = await newTrip(s, owner, { startDate: '2027-08-01', endDate: '2027-08-02' });
  await request(s, 'POST', `/v1/trips/${m.id}/destinations`, { headers: owner.auth, body: { name: 'Monaco', coordinates: { lat: 43.73, lng: 7.42 } } });
  await request(s, 'POST', `/v1/trips/${m.id}/activities`, { headers: owner.auth, body: { name: 'Larvotto', type: 'beach' } });
  const sm = await request(s, 'GET', `/v1/trips/${m.id}/packing-list/suggestions`, { headers: owner.auth });
  const names = sm.json.items.map((i) => i.name);
  assert.ok(names.includes('Sunscreen') && names.includes('Swimwear'));
  assert.ok(!names.includes('Warm coat') && !names.includes('Laundry bag'));
  assert.equal(sm.json.items.find((i) => i.name === 'Underwear').quantity, 3);
  assert.ok(names.includes('Some cash in EUR'));
});

test('packing suggestions: permissions, merge once, If-Match, no duplicates', async () => {
  const t = await newTrip(s, owner, { startDate: '2027-05-01', endDate: '2027-05-03' });
  await share(s, owner, t.id, viewer, 'viewer');
  const url = `/v1/trips/${t.id}/packing-list/suggestions`;
  assert.equal((await request(s, 'GET', url, { headers: viewer.auth })).status, 200);
  assert.equal((await request(s, 'GET', url, { headers: stranger.auth })).status, 404);
  assert.equal((await request(s, 'POST', url, { headers: viewer.auth })).status, 403);
  assert.equal((await request(s, 'POST', url, { headers: stranger.auth })).status, 404);
  assert.equal((await request(s, 'GET', url)).status, 401);
  // an item the list already has (other case) is not added again
  let r = await request(s, 'PUT', `/v1/trips/${t.id}/packing-list`, { headers: owner.auth, body: { items: [{ name: 'phone CHARGER' }] } });
  assert.equal(r.status, 200, r.text);
  const v1 = r.json.version;
  r = await request(s, 'POST', url, { headers: { ...owner.auth, 'if-match': `"${v1 + 5}"` } });
  assert.equal(r.status, 412);
  const sugg = (await request(s, 'GET', url, { headers: owner.auth })).json.items;
  assert.equal(sugg.find((i) => i.name === 'Phone charger').inList, true);
  r = await request(s, 'POST', url, { headers: { ...owner.auth, 'if-match': `"${v1}"` } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.added.length, sugg.length - 1);
  assert.ok(!r.json.added.some((i) => i.name === 'Phone charger'));
  assert.equal(r.headers.get('etag'), `"${v1 + 1}"`);
  const list = (await request(s, 'GET', `/v1/trips/${t.id}/packing-list`, { headers: viewer.auth })).json;
  assert.equal(list.items.length, sugg.length);
  assert.equal(list.items[0].name, 'phone CHARGER', 'merged items go after the existing ones');
  assert.equal(list.version, v1 + 1);
  const again = await request(s, 'POST', url, { headers: owner.auth });
  assert.equal(again.status, 200);
  assert.deepEqual(again.json.added, []);
  assert.equal(again.json.version, v1 + 1);
  const after2 = (await request(s, 'GET', url, { headers: owner.auth })).json.items;
  assert.ok(after2.every((i) => i.inList));
});
