#!/usr/bin/env node
// Writes a synthetic OpenStreetMap XML file of N places (default 100,000)
// spread uniformly over a 20 x 20 km box around Lisbon: the density and box
// of the Node.js peer's seed (../shared/bench/seed/seed.js), so that
// `travloc import-osm` + bench/geo/nearby.lua load the same workload.
// Usage: node bench/geo/seed-osm.mjs OUT.osm [N]
import { createWriteStream } from 'node:fs';

const [out, nArg] = process.argv.slice(2);
if (!out || !out.endsWith('.osm')) {
  console.error('usage: seed-osm.mjs OUT.osm [N]');
  process.exit(2);
}
const N = Number(nArg || 100000);
const CENTER = { lat: 38.72, lng: -9.14 };
const HALF_KM = 10;
const dLat = HALF_KM / 111.32;
const dLng = HALF_KM / (111.32 * Math.cos((CENTER.lat * Math.PI) / 180));
const TAGS = [['amenity', 'restaurant'], ['amenity', 'cafe'], ['amenity', 'bar'], ['tourism', 'museum'],
  ['tourism', 'hotel'], ['tourism', 'viewpoint'], ['amenity', 'pharmacy'], ['shop', 'bakery'],
  ['leisure', 'park'], ['historic', 'monument']];
const WORDS = ['Casa', 'Tasca', 'Café', 'Museu', 'Jardim', 'Miradouro', 'Pastelaria', 'Hotel', 'Praça', 'Largo'];
let s = 3003;
const next = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const w = createWriteStream(out);
w.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="travloc seed-osm">\n');
for (let i = 1; i <= N; i++) {
  const lat = (CENTER.lat + (next() * 2 - 1) * dLat).toFixed(7);
  const lng = (CENTER.lng + (next() * 2 - 1) * dLng).toFixed(7);
  const [k, v] = TAGS[Math.floor(next() * TAGS.length)];
  const name = `${WORDS[Math.floor(next() * WORDS.length)]} ${i}`;
  w.write(`<node id="${i}" version="1" lat="${lat}" lon="${lng}"><tag k="${k}" v="${v}"/>` +
    `<tag k="name" v="${esc(name)}"/><tag k="opening_hours" v="Mo-Sa 09:00-19:00"/></node>\n`);
}
w.end('</osm>\n');
