#!/usr/bin/env node
// Writes a synthetic OpenStreetMap XML file of N places (default 100,000)
// spread uniformly over a square box around Lisbon (HALF_KM from the centre,
// default 10: the 20 x 20 km box and density of the Node.js peer's seed,
// ../shared/bench/seed/seed.js), so that `travloc import-osm` +
// bench/geo/nearby.lua load the same workload. With PEER_DIR set it also
// writes the same places for the Express peer: PEER_DIR/places.csv (id,
// name, category, lat, lng for PostgreSQL COPY) and PEER_DIR/geo.resp
// (GEOADD places:geo commands in the Redis protocol, for redis-cli --pipe).
// Usage: [HALF_KM=25] [PEER_DIR=dir] node bench/geo/seed-osm.mjs OUT.osm [N]
import { createWriteStream } from 'node:fs';

const [out, nArg] = process.argv.slice(2);
if (!out || !out.endsWith('.osm')) {
  console.error('usage: seed-osm.mjs OUT.osm [N]');
  process.exit(2);
}
const N = Number(nArg || 100000);
const CENTER = { lat: 38.72, lng: -9.14 };
const HALF_KM = Number(process.env.HALF_KM || 10);
const dLat = HALF_KM / 111.32;
const dLng = HALF_KM / (111.32 * Math.cos((CENTER.lat * Math.PI) / 180));
const TAGS = [['amenity', 'restaurant'], ['amenity', 'cafe'], ['amenity', 'bar'], ['tourism', 'museum'],
  ['tourism', 'hotel'], ['tourism', 'viewpoint'], ['amenity', 'pharmacy'], ['shop', 'bakery'],
  ['leisure', 'park'], ['historic', 'monument']];
const WORDS = ['Casa', 'Tasca', 'Café', 'Museu', 'Jardim', 'Miradouro', 'Pastelaria', 'Hotel', 'Praça', 'Largo'];
// mulberry32 (as the peer's seed.js): integer arithmetic only, so a million
// draws never fall into the short cycles a float-multiplied LCG has.
let s = 3003 >>> 0;
const next = () => {
  s = (s + 0x6D2B79F5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const resp = (args) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');

// Writes with back-pressure so that a million lines do not pile up in memory.
async function put(w, text) {
  if (!w.write(text)) await new Promise((r) => w.once('drain', r));
}

const w = createWriteStream(out);
const peer = process.env.PEER_DIR;
const csv = peer ? createWriteStream(`${peer}/places.csv`) : null;
const geo = peer ? createWriteStream(`${peer}/geo.resp`) : null;
await put(w, '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="travloc seed-osm">\n');
let batch = ['GEOADD', 'places:geo'];
for (let i = 1; i <= N; i++) {
  const lat = (CENTER.lat + (next() * 2 - 1) * dLat).toFixed(7);
  const lng = (CENTER.lng + (next() * 2 - 1) * dLng).toFixed(7);
  const [k, v] = TAGS[Math.floor(next() * TAGS.length)];
  const name = `${WORDS[Math.floor(next() * WORDS.length)]} ${i}`;
  await put(w, `<node id="${i}" version="1" lat="${lat}" lon="${lng}"><tag k="${k}" v="${v}"/>` +
    `<tag k="name" v="${esc(name)}"/><tag k="opening_hours" v="Mo-Sa 09:00-19:00"/></node>\n`);
  if (peer) {
    await put(csv, `${i},${name},${v},${lat},${lng}\n`);
    batch.push(lng, lat, String(i));
    if (batch.length >= 2 + 3 * 1000 || i === N) {
      await put(geo, resp(batch));
      batch = ['GEOADD', 'places:geo'];
    }
  }
}
await put(w, '</osm>\n');
const end = (x) => new Promise((r) => x.end(r));
await end(w);
if (peer) await Promise.all([end(csv), end(geo)]);
