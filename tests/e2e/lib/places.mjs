// Helpers for the places/map black-box tests: a database with the shipped
// Monaco extract imported, direct SQL on it (sqlite3 CLI or psql), and a
// plain haversine for brute-force checks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BACKEND, pgUrl, psql, runCli, startServer } from './harness.mjs';

export const MONACO = 'data/osm/monaco-latest.osm.pbf';

// Imports the extract into a fresh database; returns what startServer needs
// plus the CLI result. backend: 'sqlite' | 'postgres' (default: this run's).
export async function importedDatabase(backend = BACKEND) {
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-places-'));
  const database = backend === 'postgres' ? freshPg() : { DATABASE_URL: '' };
  const cli = await runCli(['import-osm', MONACO, '--data-dir', dir], database);
  return { dir, database, backend, cli };
}

// A fresh, empty database (nothing imported) for this run's backend.
export function emptyDatabase(backend = BACKEND) {
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-places-'));
  const database = backend === 'postgres' ? freshPg() : { DATABASE_URL: '' };
  return { dir, database, backend };
}

function freshPg() {
  const name = 't_' + Math.random().toString(16).slice(2, 14);
  psql('postgres', `CREATE DATABASE ${name}`);
  return { DATABASE_URL: pgUrl(name), TRAVLOC_TEST_DB: name };
}

export function startOn(db, opts = {}) {
  return startServer({ dataDir: db.dir, database: db.database, ...opts });
}

// Rows of a SELECT as arrays of strings ('|' separated columns).
export function sql(db, query) {
  const out = db.backend === 'postgres'
    ? psql(db.database.TRAVLOC_TEST_DB, query)
    : execFileSync('sqlite3', [path.join(db.dir, 'travloc.db'), query], { encoding: 'utf8' }).trim();
  return out ? out.split('\n').map((l) => l.split('|')) : [];
}

export function haversine(a, b) {
  const R = 6371008.8, rad = Math.PI / 180;
  const dlat = (b.lat - a.lat) * rad, dlng = (b.lng - a.lng) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dlng / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

// Deterministic pseudo-random numbers (mulberry32) so failures reproduce.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
