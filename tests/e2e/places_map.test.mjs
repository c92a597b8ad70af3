// Routing and search on the imported Monaco extract: /v1/map/route (OSRM-like
// shape, a hand-checked walk, consistency with the Dijkstra matrix,
// unreachable and off-graph points), /v1/map/matrix, /v1/places/search
// (prefix, accents, translations, ranking) and, on the PostgreSQL run, the
// same top search results from a SQLite and a PostgreSQL import.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, isPostgres } from './lib/harness.mjs';
import { haversine, importedDatabase, rng, startOn } from './lib/places.mjs';

let db, server;

before(async () => {
  db = await importedDatabase();
  assert.equal(db.cli.code, 0, db.cli.stderr);
  server = await startOn(db);
});

after(async () => { await server?.stop(); });

function decodePolyline(s) {
  const out = [];
  let i = 0, lat = 0, lng = 0;
  const next = () => {
    let shift = 0, v = 0, b;
    do { b = s.charCodeAt(i++) - 63; v |= (b & 31) << shift; shift += 5; } while (b >= 32);
    return v & 1 ? ~(v >> 1) : v >> 1;
  };
  while (i < s.length) { lat += next(); lng += next(); out.push([lng / 1e5, lat / 1e5]); }
  return out;
}

const MUSEUM = { lat: 43.7307, lng: 7.4250 };   // Musée Océanographique, Monaco-Ville
const CASINO = { lat: 43.7396, lng: 7.4270 };   // Allées des Boulingrins, by the Casino

test('route: a hand-checked walk from the Oceanographic Museum to the Casino', async () => {
  const r = await request(server, 'GET', `/v1/map/route?from=${MUSEUM.lat},${MUSEUM.lng}&to=${CASINO.lat},${CASINO.lng}&profile=foot`);
  assert.equal(r.status, 200);
  assert.equal(r.json.code, 'Ok');
  const route = r.json.routes[0];
  const crow = haversine(MUSEUM, CASINO); // about 1 km across the port
  // On the map the walk goes down from the Rock, round the port (La
  // Condamine) and up to Monte-Carlo: 1.6 to 2.6 km, at walking pace.
  assert.ok(crow > 950 && crow < 1050, `${crow}`);
  assert.ok(route.distance > 1600 && route.distance < 2600, `${route.distance}`);
  const speed = route.distance / route.duration;
  assert.ok(speed > 1.0 && speed < 1.7, `walking speed ${speed} m/s`);
  assert.equal(route.weight_name, 'duration');
  // geometry: polyline and GeoJSON describe the same line, from start to end
  const line = route.geojson.coordinates;
  const decoded = decodePolyline(route.geometry);
  assert.equal(decoded.length, line.length);
  decoded.forEach(([x, y], k) => assert.ok(Math.abs(x - line[k][0]) < 1e-5 && Math.abs(y - line[k][1]) < 1e-5));
  assert.ok(haversine(MUSEUM, { lng: line[0][0], lat: line[0][1] }) < 50);
  assert.ok(haversine(CASINO, { lng: line.at(-1)[0], lat: line.at(-1)[1] }) < 50);
  // legs and steps
  assert.equal(route.legs.length, 1);
  const steps = route.legs[0].steps;
  assert.equal(steps[0].maneuver.type, 'depart');
  assert.equal(steps.at(-1).maneuver.type, 'arrive');
  assert.ok(steps.length > 3);
  const stepSum = steps.reduce((a, s) => a + s.distance, 0);
  assert.ok(Math.abs(stepSum - route.distance) < 1 + steps.length * 0.1);
  assert.ok(steps.every((s) => s.mode === 'walking' && Array.isArray(s.maneuver.location)));
  assert.equal(r.json.waypoints.length, 2);
  assert.ok(r.json.waypoints.every((w) => typeof w.name === 'string' && w.distance < 30));
  // no steps on request; a car goes a different, longer way than the walk
  const ns = await request(server, 'GET', `/v1/map/route?from=${MUSEUM.lat},${MUSEUM.lng}&to=${CASINO.lat},${CASINO.lng}&steps=false`);
  assert.deepEqual(ns.json.routes[0].legs[0].steps, []);
  const car = await request(server, 'GET', `/v1/map/route?from=${MUSEUM.lat},${MUSEUM.lng}&to=${CASINO.lat},${CASINO.lng}&profile=car`);
  assert.equal(car.status, 200);
  assert.ok(car.json.routes[0].duration < route.duration);
});

test('route: via points make legs; durations agree with the Dijkstra matrix', async () => {
  const via = { lat: 43.7347, lng: 7.4206 }; // Port Hercule
  const r = await request(server, 'GET', `/v1/map/route?from=${MUSEUM.lat},${MUSEUM.lng}&via=${via.lat},${via.lng}&to=${CASINO.lat},${CASINO.lng}`);
  assert.equal(r.status, 200);
  const legs = r.json.routes[0].legs;
  assert.equal(legs.length, 2);
  assert.ok(Math.abs(legs[0].distance + legs[1].distance - r.json.routes[0].distance) < 0.3);
  assert.equal(r.json.waypoints.length, 3);

  const rand = rng(66);
  const pts = Array.from({ length: 12 }, () => ({ lat: 43.727 + rand() * 0.02, lng: 7.412 + rand() * 0.025 }));
  const list = pts.map((p) => `${p.lat.toFixed(6)},${p.lng.toFixed(6)}`).join(';');
  for (const profile of ['foot', 'car']) {
    const m = await request(server, 'GET', `/v1/map/matrix?sources=${list}&profile=${profile}`);
    assert.equal(m.status, 200);
    assert.equal(m.json.durations.length, 12);
    let compared = 0;
    for (let i = 0; i < 12; i += 3) {
      for (let j = 1; j < 12; j += 4) {
        if (i === j) continue;
        const rt = await request(server, 'GET', `/v1/map/route?from=${list.split(';')[i]}&to=${list.split(';')[j]}&profile=${profile}&steps=false`);
        if (m.json.durations[i][j] === null) { assert.equal(rt.status, 422); continue; }
        assert.equal(rt.status, 200);
        assert.ok(Math.abs(rt.json.routes[0].duration - m.json.durations[i][j]) < 0.2,
          `${profile} ${i}->${j}: route ${rt.json.routes[0].duration} matrix ${m.json.durations[i][j]}`);
        assert.ok(Math.abs(rt.json.routes[0].distance - m.json.distances[i][j]) < 0.5);
        compared++;
      }
    }
    assert.ok(compared >= 8, `${profile}: ${compared} pairs compared`);
  }
});

test('matrix: 50 x 50 works, 51 is refused; destinations differ from sources', async () => {
  const rand = rng(5);
  const mk = (n) => Array.from({ length: n }, () => `${(43.728 + rand() * 0.015).toFixed(5)},${(7.415 + rand() * 0.02).toFixed(5)}`).join(';');
  const big = await request(server, 'GET', `/v1/map/matrix?sources=${mk(50)}&destinations=${mk(50)}&profile=car`);
  assert.equal(big.status, 200);
  assert.equal(big.json.durations.length, 50);
  assert.ok(big.json.durations.every((row) => row.length === 50));
  const tooMany = await request(server, 'GET', `/v1/map/matrix?sources=${mk(51)}`);
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.json.error.details.field, 'sources');
  const one = await request(server, 'GET', `/v1/map/matrix?sources=${mk(2)}&destinations=${mk(3)}`);
  assert.equal(one.json.durations.length, 2);
  assert.equal(one.json.durations[0].length, 3);
  assert.equal(one.json.destinations.length, 3);
});

test('route: off-graph points snap, far ones and unreachable pairs are 422', async () => {
  // 60 m out in the harbour water snaps to the quay
  const r = await request(server, 'GET', `/v1/map/route?from=43.7352,7.4225&to=${CASINO.lat},${CASINO.lng}`);
  assert.equal(r.status, 200);
  assert.ok(r.json.waypoints[0].distance > 5);
  const far = await request(server, 'GET', `/v1/map/route?from=0,0&to=${CASINO.lat},${CASINO.lng}`);
  assert.equal(far.status, 422);
  assert.equal(far.json.error.code, 'no_road_nearby');
  assert.equal(far.json.error.details.field, 'from');
  // find a pair the car matrix says is unreachable although both points snapped
  const rand = rng(7);
  const pts = Array.from({ length: 50 }, () => `${(43.72 + rand() * 0.045).toFixed(5)},${(7.40 + rand() * 0.045).toFixed(5)}`);
  const m = await request(server, 'GET', `/v1/map/matrix?sources=${pts.join(';')}&profile=car`);
  let pair = null;
  m.json.durations.forEach((row, i) => row.forEach((v, j) => {
    if (!pair && v === null && m.json.sources[i].distance !== null && m.json.destinations[j].distance !== null) pair = [i, j];
  }));
  assert.ok(pair, 'the extract has car islands (one-way roads cut at its edge)');
  const u = await request(server, 'GET', `/v1/map/route?from=${pts[pair[0]]}&to=${pts[pair[1]]}&profile=car`);
  assert.equal(u.status, 422);
  assert.equal(u.json.error.code, 'unreachable');
});

test('search: prefix, accents folded, translations, ranking by text then distance', async () => {
  const s = async (q, extra = '') => {
    const r = await request(server, 'GET', `/v1/places/search?q=${encodeURIComponent(q)}${extra}`);
    assert.equal(r.status, 200, q);
    return r.json.items;
  };
  for (const q of ['Musée Océanographique', 'musee oceanographique', 'MUSÉE océano', 'oceanog']) {
    const items = await s(q, '&category=museum');
    assert.equal(items[0]?.name, 'Musée Océanographique', q);
  }
  // translation: the English name finds the French-named casino
  const en = await s('Opera House');
  assert.ok(en.some((x) => x.name === 'Casino de Monte Carlo'));
  const de = await s('botschaft frank');
  assert.equal(de[0].name, 'Ambassade de France');
  // the museum beats the bus stops of the same name only on category, so with
  // `near` next to a bus stop, that stop comes first
  const near = await s('musee oceanographique', '&near=43.7311,7.42567&limit=5');
  assert.equal(near[0].category, 'bus_stop');
  assert.ok(near.every((x, k) => k === 0 || x.score < near[k - 1].score || x.distanceM >= near[k - 1].distanceM));
  // exact name first
  const casino = await s('casino');
  assert.ok(casino[0].name.toLowerCase().startsWith('casino'));
  // hostile input never breaks the query
  for (const q of ['"', '*', 'a OR b', 'NEAR(x y)', "'; DROP TABLE places; --", 'ç:*&|!']) {
    const r = await request(server, 'GET', `/v1/places/search?q=${encodeURIComponent(q)}`);
    assert.ok(r.status === 200 || r.status === 400, `${q}: ${r.status}`);
  }
  assert.equal((await request(server, 'GET', '/v1/places/search?q=%21%21')).status, 400);
  assert.equal((await request(server, 'GET', `/v1/places/search?q=${'a'.repeat(201)}`)).status, 400);
  assert.equal((await request(server, 'GET', '/v1/places/search?q=cafe&limit=51')).status, 400);
  assert.equal((await request(server, 'GET', '/v1/places/search?q=%C3%28')).status, 400);
});

test('search: SQLite and PostgreSQL give the same top results', { skip: !isPostgres }, async () => {
  const lite = await importedDatabase('sqlite');
  assert.equal(lite.cli.code, 0, lite.cli.stderr);
  const other = await startOn(lite);
  try {
    const queries = ['musee', 'casino', 'cafe', 'hotel de paris', 'jardin', 'pharmacie', 'port', 'opera',
      'restaurant', 'botschaft', 'monte carlo', 'eglise', 'plage', 'stade'];
    let nonEmpty = 0;
    for (const q of queries) {
      for (const extra of ['', '&near=43.7384,7.4246']) {
        const url = `/v1/places/search?q=${encodeURIComponent(q)}&limit=5${extra}`;
        const [a, b] = await Promise.all([request(server, 'GET', url), request(other, 'GET', url)]);
        const key = (x) => `${x.name}|${x.category}|${x.location.lat.toFixed(6)},${x.location.lng.toFixed(6)}`;
        assert.deepEqual(a.json.items.map(key), b.json.items.map(key), url);
        if (a.json.items.length) nonEmpty++;
      }
    }
    assert.ok(nonEmpty >= 20);
  } finally {
    await other.stop();
  }
});
