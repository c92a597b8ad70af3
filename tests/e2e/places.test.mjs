// Places (issue 6): `travloc import-osm` of the shipped Monaco extract, its
// counts, idempotence and failure modes, then /v1/places/nearby and /:id,
// /v1/map/pois and /v1/map/style on the imported data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request, runCli, isPostgres } from './lib/harness.mjs';
import { MONACO, haversine, importedDatabase, rng, sql, startOn } from './lib/places.mjs';

// Expected counts per category, verified once and fixed here. Two independent
// sources agree on them: `osmium fileinfo`/tag counts recorded in
// data/osm/SOURCE.md (objects of any type), and the deliberately naive raw-tag
// readosm pass of tests/unit/test_osm.c (nodes, ways, and multipolygon /
// boundary / site relations; amenity only when no tourism tag). Museum is 9:
// 8 nodes and ways plus the Nouveau Musée National, a site relation.
const EXPECTED = {
  museum: 9, hotel: 20, viewpoint: 22, artwork: 90, restaurant: 125, cafe: 23, pharmacy: 17,
  atm: 16, toilets: 29,
};
// Relations that become places, checked with `osmium tags-filter` + `osmium
// export` (2026-11-25): 10 multipolygons whose tags have a category (the
// childcare, the two water areas and the Alps boundary have none) and the
// museum site. Centroids: area-weighted, from osmium's assembled polygons.
const RELATIONS = 11;
const PORT_HERCULE = { osmId: 2221179, category: 'marina', lat: 43.7353227, lng: 7.4261527 };

let db, server, places;

before(async () => {
  db = await importedDatabase();
  assert.equal(db.cli.code, 0, db.cli.stderr);
  // The import tests below edit the database by hand under this server;
  // with reload on (places_reload.test.mjs) it could pick up such a
  // half-edited state. This file checks one fixed catalog: reload off.
  server = await startOn(db, { env: { TRAVLOC_PLACES_RELOAD_MS: '0' } });
  places = sql(db, 'SELECT id, lat, lng, category FROM places').map(([id, lat, lng, category]) =>
    ({ id, lat: Number(lat), lng: Number(lng), category }));
});

after(async () => { await server?.stop({ keepDir: true }); });

test('import: counts per category match the file', () => {
  const counts = Object.fromEntries(sql(db, 'SELECT category, count(*) FROM places GROUP BY category')
    .map(([c, n]) => [c, Number(n)]));
  for (const [cat, n] of Object.entries(EXPECTED)) assert.equal(counts[cat], n, cat);
  const rel = sql(db, "SELECT osm_id, category, lat, lng FROM places WHERE osm_type = 'relation'");
  assert.equal(rel.length, RELATIONS);
  const port = rel.find(([id]) => Number(id) === PORT_HERCULE.osmId);
  assert.equal(port[1], PORT_HERCULE.category);
  assert.ok(Math.abs(Number(port[2]) - PORT_HERCULE.lat) < 2e-7 && Math.abs(Number(port[3]) - PORT_HERCULE.lng) < 2e-7);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  assert.match(db.cli.stdout, new RegExp(`places: ${total} \\(inserted ${total}, updated 0, unchanged 0, deleted 0\\)`));
  for (const [cat, n] of Object.entries(EXPECTED)) assert.match(db.cli.stdout, new RegExp(` ${cat}=${n}( |\\n)`));
  assert.match(db.cli.stdout, /elements: 39586 nodes, 5777 ways, 309 relations/);
  const [[nodes, edges]] = sql(db, 'SELECT nodes, edges FROM routing_graph');
  assert.ok(Number(nodes) > 10000 && Number(edges) > Number(nodes));
  // the durable indexes follow the table
  const spatial = isPostgres
    ? sql(db, "SELECT count(*) FROM places WHERE ST_DWithin(geog, ST_MakePoint(7.4255, 43.7307)::geography, 100000)")
    : sql(db, 'SELECT count(*) FROM places_rtree WHERE min_lat > 43 AND max_lat < 44');
  assert.equal(Number(spatial[0][0]), total);
});

test('import: re-import of the same file changes nothing; --if-empty skips', async () => {
  const before1 = sql(db, 'SELECT id, updated_at FROM places ORDER BY id');
  const r = await runCli(['import-osm', MONACO, '--data-dir', db.dir], db.database);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /inserted 0, updated 0, unchanged \d+, deleted 0/);
  assert.deepEqual(sql(db, 'SELECT id, updated_at FROM places ORDER BY id'), before1);
  const skip = await runCli(['import-osm', MONACO, '--if-empty', '--data-dir', db.dir], db.database);
  assert.equal(skip.code, 0);
  assert.match(skip.stdout, /already imported/);
});

test('import: updates changed rows in place, re-adds missing ones, deletes vanished ones', async () => {
  const [[keepId]] = sql(db, "SELECT id FROM places WHERE name = 'Musée Océanographique' AND category = 'museum'");
  sql(db, `UPDATE places SET name = 'stale', content_hash = 'x' WHERE id = '${keepId}'`);
  const [[goneId, goneType, goneOsm]] = sql(db, "SELECT id, osm_type, osm_id FROM places WHERE category = 'atm' ORDER BY osm_id LIMIT 1");
  sql(db, `DELETE FROM places WHERE id = '${goneId}'`);
  sql(db, "INSERT INTO places (id, osm_type, osm_id, category, parent_category, lat, lng, content_hash, updated_at) " +
    "VALUES ('01900000-0000-7000-8000-000000000001', 'node', 1, 'cafe', 'food', 43.73, 7.42, 'y', 0)");
  const r = await runCli(['import-osm', MONACO, '--data-dir', db.dir], db.database);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /inserted 1, updated 1, unchanged \d+, deleted 1\)/);
  assert.deepEqual(sql(db, `SELECT id, name FROM places WHERE id = '${keepId}'`), [[keepId, 'Musée Océanographique']]);
  assert.equal(sql(db, `SELECT count(*) FROM places WHERE osm_type = '${goneType}' AND osm_id = ${goneOsm}`)[0][0], '1');
  assert.equal(sql(db, 'SELECT count(*) FROM places WHERE osm_id = 1')[0][0], '0');
});

test('import: a truncated or wrong file fails clearly and changes nothing', async () => {
  const snapshot = sql(db, 'SELECT id, content_hash FROM places ORDER BY id');
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-bad-osm-'));
  const truncated = path.join(dir, 'cut.osm.pbf');
  writeFileSync(truncated, readFileSync(MONACO).subarray(0, 300000));
  const r = await runCli(['import-osm', truncated, '--data-dir', db.dir], db.database);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /truncated/);
  assert.match(r.stderr, /nothing was changed/);
  const wrong = path.join(dir, 'wrong.osm.pbf');
  copyFileSync('README.md', wrong);
  const w = await runCli(['import-osm', wrong, '--data-dir', db.dir], db.database);
  assert.equal(w.code, 1);
  assert.match(w.stderr, /import-osm: .*wrong\.osm\.pbf: /);
  const missing = await runCli(['import-osm', path.join(dir, 'none.osm.pbf'), '--data-dir', db.dir], db.database);
  assert.equal(missing.code, 1);
  const usage = await runCli(['import-osm', '--data-dir', db.dir], db.database);
  assert.equal(usage.code, 2);
  assert.deepEqual(sql(db, 'SELECT id, content_hash FROM places ORDER BY id'), snapshot);
});

test('nearby: nearest first, equal to a brute-force haversine scan', async () => {
  const rand = rng(6);
  for (let i = 0; i < 25; i++) {
    const c = { lat: 43.725 + rand() * 0.025, lng: 7.405 + rand() * 0.03 };
    const radius = 100 + Math.round(rand() * 900);
    const r = await request(server, 'GET', `/v1/places/nearby?lat=${c.lat}&lng=${c.lng}&radius_m=${radius}&limit=20`);
    assert.equal(r.status, 200);
    const expected = places.map((p) => haversine(c, p)).filter((d) => d <= radius).sort((a, b) => a - b).slice(0, 20);
    const got = r.json.items.map((x) => x.distanceM);
    assert.equal(got.length, expected.length, `centre ${c.lat},${c.lng}`);
    got.forEach((d, k) => assert.ok(Math.abs(d - expected[k]) < 0.2, `${d} vs ${expected[k]}`));
    for (const it of r.json.items) assert.ok(Math.abs(haversine(c, it.location) - it.distanceM) < 0.2);
  }
});

test('nearby: cursor pages join into the single long page; filters apply', async () => {
  const q = '/v1/places/nearby?lat=43.7384&lng=7.4246&radius_m=800';
  const all = await request(server, 'GET', `${q}&limit=60`);
  const ids = [];
  let cursor = null;
  do {
    const r = await request(server, 'GET', `${q}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200);
    ids.push(...r.json.items.map((x) => x.id));
    cursor = r.json.nextCursor;
  } while (cursor && ids.length < 60);
  assert.deepEqual(ids.slice(0, 60), all.json.items.map((x) => x.id));
  const food = await request(server, 'GET', `${q}&category=food&limit=50`);
  assert.ok(food.json.items.length > 5);
  assert.ok(food.json.items.every((x) => x.parentCategory === 'food'));
  const expectFood = places.filter((p) => ['restaurant', 'cafe', 'bar', 'pub', 'fast_food', 'ice_cream', 'food_court']
    .includes(p.category) && haversine({ lat: 43.7384, lng: 7.4246 }, p) <= 800).length;
  assert.equal(food.json.items.length, Math.min(50, expectFood));
  const wc = await request(server, 'GET', `${q}&wheelchair=yes&limit=50`);
  assert.ok(wc.json.items.every((x) => x.wheelchair === 'yes'));
  const bad = await request(server, 'GET', `${q}&cursor=garbage!`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.details.field, 'cursor');
});

test('nearby: open_now is evaluated in the place\'s time zone (Europe/Monaco)', async () => {
  const [[id, lat, lng]] = sql(db, "SELECT id, lat, lng FROM places WHERE opening_hours = 'Mo-Sa 10:00-19:00' ORDER BY id LIMIT 1");
  const near = `/v1/places/nearby?lat=${lat}&lng=${lng}&radius_m=5&limit=100`;
  const state = async (at, extra = '') => {
    const r = await request(server, 'GET', `${near}&at=${at}${extra}`);
    assert.equal(r.status, 200);
    return r.json.items.find((x) => x.id === id);
  };
  // Tuesday 1 July 2025: Monaco is UTC+2 (CEST)
  assert.equal((await state('2025-07-01T07:30:00Z')).openNow, false); // 09:30 local
  assert.equal((await state('2025-07-01T08:30:00Z')).openNow, true);  // 10:30 local (UTC would say closed)
  assert.equal((await state('2025-07-01T16:30:00Z')).openNow, true);  // 18:30 local
  assert.equal((await state('2025-07-01T17:30:00Z')).openNow, false); // 19:30 local
  assert.equal((await state('2025-07-06T12:00:00Z')).openNow, false); // Sunday
  assert.equal((await state('2025-01-07T09:30:00Z')).openNow, true);  // winter, UTC+1: 10:30
  assert.equal(await state('2025-07-01T07:30:00Z', '&open_now=true'), undefined);
  assert.ok(await state('2025-07-01T08:30:00Z', '&open_now=true'));
  assert.ok(await state('2025-07-01T07:30:00Z', '&open_now=false'));
  // public-holiday rules are unknown, not guessed; no tag gives null
  const [[phId, phLat, phLng]] = sql(db, "SELECT id, lat, lng FROM places WHERE opening_hours LIKE 'Mo-Fr 08:00-19:00; Sa 08:00-13:00; PH off%' ORDER BY id LIMIT 1");
  const ph = await request(server, 'GET', `/v1/places/nearby?lat=${phLat}&lng=${phLng}&radius_m=5&limit=100&at=2025-07-01T10:00:00Z`);
  assert.equal(ph.json.items.find((x) => x.id === phId).openNow, null);
  const always = sql(db, "SELECT id, lat, lng FROM places WHERE opening_hours = '24/7' ORDER BY id LIMIT 1")[0];
  const a = await request(server, 'GET', `/v1/places/nearby?lat=${always[1]}&lng=${always[2]}&radius_m=5&limit=100&at=2025-12-25T03:00:00Z`);
  assert.equal(a.json.items.find((x) => x.id === always[0]).openNow, true);
  const badAt = await request(server, 'GET', `${near}&at=yesterday`);
  assert.equal(badAt.status, 400);
});

test('GET /v1/places/:id returns every tag; unknown ids are 404', async () => {
  const [[id]] = sql(db, "SELECT id FROM places WHERE name = 'Casino de Monte Carlo'");
  const r = await request(server, 'GET', `/v1/places/${id}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.name, 'Casino de Monte Carlo');
  assert.equal(r.json.names.en, 'Monte-Carlo Casino and Opera House');
  assert.equal(r.json.tags.name, 'Casino de Monte Carlo');
  assert.ok(Object.keys(r.json.tags).length > 5);
  assert.equal(r.json.timeZone, 'Europe/Monaco');
  assert.match(r.json.attribution, /OpenStreetMap contributors/);
  assert.match(r.json.updatedAt, /^\d{4}-\d\d-\d\dT/);
  assert.equal((await request(server, 'GET', '/v1/places/01900000-0000-7000-8000-00000000abcd')).status, 404);
  assert.equal((await request(server, 'GET', "/v1/places/1'%20OR%20'1'='1")).status, 404);
});

test('bad coordinates and parameters are 400 naming the field', async () => {
  const cases = [
    ['/v1/places/nearby?lat=91&lng=7', 'lat'], ['/v1/places/nearby?lat=NaN&lng=7', 'lat'],
    ['/v1/places/nearby?lat=abc&lng=7', 'lat'], ['/v1/places/nearby?lat=43.7', 'lng'],
    ['/v1/places/nearby?lat=43.7&lng=181', 'lng'], ['/v1/places/nearby?lat=43.7&lng=Infinity', 'lng'],
    ['/v1/places/nearby?lat=43.7&lng=7&radius_m=-5', 'radius_m'], ['/v1/places/nearby?lat=43.7&lng=7&limit=0', 'limit'],
    ['/v1/places/nearby?lat=43.7&lng=7&category=spaceport', 'category'],
    ['/v1/places/nearby?lat=43.7&lng=7&wheelchair=maybe', 'wheelchair'],
    ['/v1/places/nearby?lat=43.7&lng=7&open_now=yes', 'open_now'],
    ['/v1/places/nearby?lat=1e999&lng=7', 'lat'], ['/v1/places/nearby?lat=0x10&lng=7', 'lat'],
    ['/v1/places/search?q=cafe&near=91,7', 'near'], ['/v1/places/search?near=43,7', 'q'],
    ['/v1/map/route?from=91,7&to=43.73,7.42', 'from'], ['/v1/map/route?from=43.73,7.42&to=NaN,7', 'to'],
    ['/v1/map/route?from=43.73,7.42', 'to'], ['/v1/map/route?from=43.73,7.42&to=43.74,7.43&via=1', 'via'],
    ['/v1/map/route?from=43.73,7.42&to=43.74,7.43&profile=plane', 'profile'],
    ['/v1/map/matrix?sources=43.73', 'sources'], ['/v1/map/matrix', 'sources'],
    ['/v1/map/pois?bbox=7.4,43.7,7.5', 'bbox'], ['/v1/map/pois?bbox=7.4,95,7.5,96', 'bbox'],
    ['/v1/map/pois?bbox=7.4,43.8,7.5,43.7', 'bbox'], ['/v1/map/pois?bbox=7.4,43.7,7.5,43.8&zoom=30', 'zoom'],
  ];
  for (const [url, field] of cases) {
    const r = await request(server, 'GET', url);
    assert.equal(r.status, 400, url);
    assert.equal(r.json.error.code, 'invalid_parameter', url);
    assert.equal(r.json.error.details.field, field, url);
  }
});

test('map/pois: never more than 200 features, clusters at low zoom, counts add up', async () => {
  const whole = '/v1/map/pois?bbox=7.38,43.70,7.46,43.78';
  for (const zoom of [0, 5, 10, 12, 14, 16]) {
    const r = await request(server, 'GET', `${whole}&zoom=${zoom}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.type, 'FeatureCollection');
    assert.ok(r.json.features.length <= 200);
    assert.equal(r.json.total, places.filter((p) => p.lat >= 43.70 && p.lat <= 43.78 && p.lng >= 7.38 && p.lng <= 7.46).length);
    const sum = r.json.features.reduce((a, f) => a + (f.properties.cluster ? f.properties.pointCount : 1), 0);
    assert.equal(sum, r.json.total);
    assert.ok(r.json.clustered);
  }
  const small = await request(server, 'GET', '/v1/map/pois?bbox=7.4245,43.7300,7.4265,43.7315&zoom=18&category=museum');
  assert.equal(small.json.clustered, false);
  assert.ok(small.json.features.some((f) => f.properties.name === 'Musée Océanographique'));
  assert.ok(small.json.features.every((f) => f.properties.category === 'museum'));
});

test('map/style is a MapLibre style pointing at this server', async () => {
  const r = await request(server, 'GET', '/v1/map/style');
  assert.equal(r.status, 200);
  assert.equal(r.json.version, 8);
  const src = r.json.sources['travloc-pois'];
  assert.equal(src.type, 'geojson');
  assert.ok(src.data.startsWith(`http://127.0.0.1:${server.port}/v1/map/pois?bbox=`));
  assert.match(src.attribution, /OpenStreetMap contributors/);
  const data = await fetch(src.data).then((x) => x.json());
  assert.equal(data.type, 'FeatureCollection');
  assert.ok(r.json.layers.some((l) => l.source === 'travloc-pois'));
});

test('a server without an import answers empty lists and 503 for routes', async () => {
  const { startServer } = await import('./lib/harness.mjs');
  const s = await startServer();
  try {
    const n = await request(s, 'GET', '/v1/places/nearby?lat=43.73&lng=7.42');
    assert.deepEqual(n.json, { items: [], nextCursor: null });
    const r = await request(s, 'GET', '/v1/map/route?from=43.73,7.42&to=43.74,7.43');
    assert.equal(r.status, 503);
    assert.equal(r.json.error.code, 'routing_unavailable');
  } finally {
    await s.stop();
  }
});
