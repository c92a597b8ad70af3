// Local events (issue 7): `travloc import-events FILE.ics` (libical: time
// zones, all-day events, recurrences, skipped and unplaced events,
// re-import replacing a feed) and GET /v1/events?near=&from=&to= (radius,
// time overlap, order, cursor pagination, parameter errors).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDatabase, isPostgres, pgUrl, request, runCli, startServer } from './lib/harness.mjs';
import { TRIPS_ENV, users } from './lib/trips.mjs';

const MONACO = '43.7384,7.4246';

function event(uid, summary, lines) {
  return ['BEGIN:VEVENT', `UID:${uid}`, summary ? `SUMMARY:${summary}` : null, ...lines, 'END:VEVENT']
    .filter(Boolean).join('\r\n');
}

const FEED = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//travloc tests//EN',
  event('concert@x', 'Harbour concert', ['GEO:43.7350;7.4230', 'CATEGORIES:MUSIC,OUTDOOR',
    'LOCATION:Port Hercule', 'URL:https://example.org/concert',
    'DTSTART;TZID=Europe/Monaco:20270610T200000', 'DTEND;TZID=Europe/Monaco:20270610T220000']),
  event('market@x', 'Weekly market', ['GEO:43.7310;7.4200', 'DTSTART:20270607T070000Z',
    'DTEND:20270607T110000Z', 'RRULE:FREQ=WEEKLY;COUNT=3']),
  event('fete@x', 'Village fete', ['GEO:43.7300;7.4250', 'DTSTART;VALUE=DATE:20270612']),
  event('nice@x', 'Nice carnival', ['GEO:43.7000;7.2700', 'DTSTART:20270611T180000Z', 'DTEND:20270611T200000Z']),
  event('paris@x', 'Paris expo', ['GEO:48.8566;2.3522', 'DTSTART:20270611T090000Z', 'DTEND:20270611T170000Z']),
  event('nowhere@x', 'Online talk', ['DTSTART:20270611T090000Z', 'DTEND:20270611T100000Z']),
  event('nosummary@x', null, ['GEO:43.73;7.42', 'DTSTART:20270611T090000Z']),
  'END:VCALENDAR', '',
].join('\r\n');

let dir, database, s, user;

function db() {
  dir = mkdtempSync(path.join(tmpdir(), 'travloc-events-'));
  if (!isPostgres) return { DATABASE_URL: '' };
  const name = createDatabase();
  return { DATABASE_URL: pgUrl(name), TRAVLOC_TEST_DB: name };
}

function feed(name, text) {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

before(async () => {
  database = db();
  const r = await runCli(['import-events', feed('riviera.ics', FEED), '--data-dir', dir], database);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /events: 8 from 1 calendar\(s\) \(skipped 1, without position 1, removed 0\) source riviera\.ics/);
  s = await startServer({ dataDir: dir, database, env: TRIPS_ENV });
  [user] = await users(s, 1);
});

after(async () => { await s?.stop(); });

const get = (q) => request(s, 'GET', `/v1/events?${q}`, { headers: user.auth });

test('near Monaco in June: radius, overlap, order, zones, all-day, recurrences', async () => {
  let r = await get(`near=${MONACO}&from=2027-06-01&to=2027-07-01&radiusKm=5`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((e) => e.title),
    ['Weekly market', 'Harbour concert', 'Village fete', 'Weekly market', 'Weekly market']);
  const concert = r.json.items[1];
  assert.equal(concert.startsAt, '2027-06-10T18:00:00.000Z', '20:00 in Europe/Monaco (UTC+2)');
  assert.equal(concert.endsAt, '2027-06-10T20:00:00.000Z');
  assert.deepEqual(concert.categories, ['MUSIC', 'OUTDOOR']);
  assert.equal(concert.url, 'https://example.org/concert');
  assert.equal(concert.location, 'Port Hercule');
  assert.ok(concert.distanceKm < 1);
  const fete = r.json.items[2];
  assert.equal(fete.allDay, true);
  assert.equal(fete.startsAt, '2027-06-12T00:00:00.000Z');
  assert.equal(fete.endsAt, '2027-06-13T00:00:00.000Z');
  assert.deepEqual(r.json.items.filter((e) => e.title === 'Weekly market').map((e) => e.startsAt),
    ['2027-06-07T07:00:00.000Z', '2027-06-14T07:00:00.000Z', '2027-06-21T07:00:00.000Z']);
  assert.equal(r.json.nextCursor, null);
  // a bigger radius reaches Nice, never Paris or the event without a position
  r = await get(`near=${MONACO}&from=2027-06-11&to=2027-06-12&radiusKm=25`);
  assert.deepEqual(r.json.items.map((e) => e.title), ['Nice carnival']);
  // overlap: an event running at `from` counts
  r = await get(`near=${MONACO}&from=2027-06-10T19:00:00Z&to=2027-06-10T19:30:00Z&radiusKm=5`);
  assert.deepEqual(r.json.items.map((e) => e.title), ['Harbour concert']);
  r = await get(`near=48.85,2.35&from=2027-06-11&to=2027-06-12`);
  assert.deepEqual(r.json.items.map((e) => e.title), ['Paris expo']);
});

test('cursor pagination walks every event once', async () => {
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 10; i++) {
    const r = await get(`near=${MONACO}&from=2027-06-01&to=2027-07-01&radiusKm=25&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.items.length <= 2);
    seen.push(...r.json.items.map((e) => e.id));
    cursor = r.json.nextCursor;
    if (!cursor) break;
  }
  assert.equal(seen.length, 6);
  assert.equal(new Set(seen).size, 6);
});

test('bad parameters are 400 naming the field; auth required', async () => {
  for (const [q, field] of [['', 'near'], ['near=abc', 'near'], ['near=91,7', 'near'],
    [`near=${MONACO}&from=yesterday`, 'from'], [`near=${MONACO}&from=2027-06-02&to=2027-06-01`, 'to'],
    [`near=${MONACO}&from=2027-01-01&to=2028-06-01`, 'to'], [`near=${MONACO}&radiusKm=500`, 'radiusKm'],
    [`near=${MONACO}&limit=0`, 'limit'], [`near=${MONACO}&cursor=zzz`, 'cursor']]) {
    const r = await get(q);
    assert.equal(r.status, 400, q);
    assert.equal(r.json.error.details.field, field, q);
  }
  assert.equal((await request(s, 'GET', `/v1/events?near=${MONACO}`)).status, 401);
});

test('import: re-import replaces the feed; other feeds stay; bad files change nothing', async () => {
  const other = feed('other.ics', ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN',
    event('o1@x', 'Other feed event', ['GEO:43.7380;7.4240', 'DTSTART:20270615T100000Z', 'DTEND:20270615T110000Z']),
    'END:VCALENDAR', ''].join('\r\n'));
  let r = await runCli(['import-events', other, '--data-dir', dir], database);
  assert.equal(r.code, 0, r.stderr);
  const changed = FEED.replace('SUMMARY:Harbour concert', 'SUMMARY:Harbour concert (moved)')
    .replace(/BEGIN:VEVENT\r\nUID:fete@x[\s\S]*?END:VEVENT\r\n/, '');
  r = await runCli(['import-events', feed('riviera-v2.ics', changed), '--source', 'riviera.ics', '--data-dir', dir], database);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /removed 1\)/);
  const list = await get(`near=${MONACO}&from=2027-06-01&to=2027-07-01&radiusKm=5`);
  const titles = list.json.items.map((e) => e.title);
  assert.ok(titles.includes('Harbour concert (moved)'));
  assert.ok(!titles.includes('Village fete'));
  assert.ok(titles.includes('Other feed event'));
  const bad = await runCli(['import-events', feed('bad.ics', 'this is not a calendar'), '--source', 'other.ics', '--data-dir', dir], database);
  assert.equal(bad.code, 1);
  const missing = await runCli(['import-events', path.join(dir, 'nope.ics'), '--data-dir', dir], database);
  assert.equal(missing.code, 1);
  assert.equal((await runCli(['import-events'], database)).code, 2);
  const still = await get(`near=${MONACO}&from=2027-06-15&to=2027-06-16&radiusKm=5`);
  assert.deepEqual(still.json.items.map((e) => e.title), ['Other feed event']);
});
