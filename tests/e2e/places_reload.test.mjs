// Places reload (issue 6): a running `travloc serve` picks up a new
// `travloc import-osm` into its database without a restart. Two small
// synthetic OpenStreetMap files are written here: the first has one café
// and no road; the second renames the café, adds a museum node, a zoo
// mapped as a multipolygon relation and a footway. The server polls the
// import generation every 200 ms (TRAVLOC_PLACES_RELOAD_MS) and swaps in
// the rebuilt index and routing graph while it keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { request, runCli } from './lib/harness.mjs';
import { emptyDatabase, haversine, sql, startOn } from './lib/places.mjs';

const C = { lat: 45.0, lng: 5.0 };
const node = (id, lat, lng, tags = {}) => `<node id="${id}" version="1" lat="${lat}" lon="${lng}">` +
  Object.entries(tags).map(([k, v]) => `<tag k="${k}" v="${v}"/>`).join('') + '</node>';
const osm = (body) => `<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n${body.join('\n')}\n</osm>\n`;

const V1 = osm([node(1, 45.0001, 5.0001, { amenity: 'cafe', name: 'Alpha' })]);
const V2 = osm([
  node(1, 45.0001, 5.0001, { amenity: 'cafe', name: 'Alpha Two' }),
  node(2, 45.0003, 5.0002, { tourism: 'museum', name: 'Beta Museum' }),
  // zoo outline: a square of 4 nodes as two open ways joined by the relation
  node(10, 44.9990, 4.9990), node(11, 44.9990, 4.9994), node(12, 44.9994, 4.9994), node(13, 44.9994, 4.9990),
  '<way id="100" version="1"><nd ref="10"/><nd ref="11"/><nd ref="12"/></way>',
  '<way id="101" version="1"><nd ref="10"/><nd ref="13"/><nd ref="12"/></way>',
  '<relation id="500" version="1"><member type="way" ref="100" role="outer"/>' +
    '<member type="way" ref="101" role="outer"/><tag k="type" v="multipolygon"/>' +
    '<tag k="tourism" v="zoo"/><tag k="name" v="Gamma Zoo"/></relation>',
  // a footway along the places
  node(20, 45.0000, 4.9995), node(21, 45.0002, 5.0000), node(22, 45.0004, 5.0005),
  '<way id="200" version="1"><nd ref="20"/><nd ref="21"/><nd ref="22"/><tag k="highway" v="footway"/></way>',
]);

let db, server;

const nearby = () => request(server, 'GET', `/v1/places/nearby?lat=${C.lat}&lng=${C.lng}&radius_m=1000&limit=50`);

async function importFile(name, text) {
  const file = path.join(db.dir, name);
  writeFileSync(file, text);
  const r = await runCli(['import-osm', file, '--data-dir', db.dir], db.database);
  assert.equal(r.code, 0, r.stderr);
  return r;
}

// Polls until pred(response) holds; the bound only ends a hung test.
async function until(pred, what) {
  for (let i = 0; i < 300; i++) {
    const r = await nearby();
    if (pred(r)) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.fail(`server never reloaded: ${what}`);
}

before(async () => {
  db = emptyDatabase();
  await importFile('town.osm', V1);
  server = await startOn(db, { env: { TRAVLOC_PLACES_RELOAD_MS: '200' } });
});

after(async () => { await server?.stop({ keepDir: true }); });

test('reload: a new import shows up through HTTP without a restart', async () => {
  const first = await nearby();
  assert.equal(first.status, 200);
  assert.deepEqual(first.json.items.map((x) => x.name), ['Alpha']);
  const noRoute = await request(server, 'GET', '/v1/map/route?from=45.0000,4.9995&to=45.0004,5.0005&profile=foot');
  assert.equal(noRoute.status, 503);
  const [[gen1]] = sql(db, 'SELECT generation FROM places_generation');

  await importFile('town.osm', V2);
  const [[gen2]] = sql(db, 'SELECT generation FROM places_generation');
  assert.equal(Number(gen2), Number(gen1) + 1);

  const r = await until((x) => x.json.items.length === 3, 'three places expected');
  const names = r.json.items.map((x) => x.name).sort();
  assert.deepEqual(names, ['Alpha Two', 'Beta Museum', 'Gamma Zoo']);
  // nearest first, distances from the new index
  for (const it of r.json.items) assert.ok(Math.abs(haversine(C, it.location) - it.distanceM) < 0.2);
  const zoo = r.json.items.find((x) => x.name === 'Gamma Zoo');
  assert.equal(zoo.category, 'zoo');
  // the centroid of the square the two outer ways make
  assert.ok(Math.abs(zoo.location.lat - 44.9992) < 1e-6 && Math.abs(zoo.location.lng - 4.9992) < 1e-6);
  const one = await request(server, 'GET', `/v1/places/${zoo.id}`);
  assert.equal(one.status, 200);
  assert.equal(one.json.osmType, 'relation');
  assert.equal(one.json.osmId, 500);

  // the routing graph was swapped in too
  const route = await request(server, 'GET', '/v1/map/route?from=45.0000,4.9995&to=45.0004,5.0005&profile=foot');
  assert.equal(route.status, 200);
  assert.ok(route.json.routes[0].distance > 50);

  // and back: re-importing the first file removes what disappeared
  await importFile('town.osm', V1);
  const back = await until((x) => x.json.items.length === 1, 'one place expected');
  assert.equal(back.json.items[0].name, 'Alpha');
  assert.match(server.logs, /places reload/);
});

test('reload: an unchanged generation does not rebuild', async () => {
  const before1 = (server.logs.match(/"msg":"places loaded"/g) || []).length;
  await new Promise((res) => setTimeout(res, 700));
  assert.equal((server.logs.match(/"msg":"places loaded"/g) || []).length, before1);
  const r = await nearby();
  assert.equal(r.status, 200);
});
