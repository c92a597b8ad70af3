// Itinerary generation, end to end (issue 7): imports the Monaco extract
// into a fresh SQLite database, starts travloc, and times N generations of a
// 2-day plan (POST /v1/trips/:id/itinerary/generate with apply=false, then
// polling the job until it completes): wall time from the POST to the
// completed job, and the solver's own time from the result. Then it times
// GET /v1/recommendations/seasonal sequentially (no wrk needed).
//
//   TRAVLOC_BIN=build-rel/travloc node bench/planner/gen.mjs [N]
//
// There is no peer figure: the Node.js stack of ../shared/bench has no
// planner, recommendation or events endpoint (see bench/planner/README.md).
import { performance } from 'node:perf_hooks';
import { request, sleep } from '../../tests/e2e/lib/harness.mjs';
import { importedDatabase, startOn } from '../../tests/e2e/lib/places.mjs';
import { TRIPS_ENV, newTrip, users } from '../../tests/e2e/lib/trips.mjs';

const N = Number(process.argv[2] || 5);
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

const db = await importedDatabase('sqlite');
const s = await startOn(db, { env: TRIPS_ENV });
try {
  const [u] = await users(s, 1);
  const t = await newTrip(s, u, { title: 'Monaco', startDate: '2027-06-10', endDate: '2027-06-11', currency: 'EUR' });
  await request(s, 'POST', `/v1/trips/${t.id}/destinations`, { headers: u.auth,
    body: { name: 'Monaco', coordinates: { lat: 43.7384, lng: 7.4246 } } });
  const wall = [], solver = [], matrix = [], scores = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const r = await request(s, 'POST', `/v1/trips/${t.id}/itinerary/generate`, { headers: u.auth,
      body: { apply: false, timeLimitMs: 30000, preferences: { interests: { primary: [{ name: 'museums', strength: 5 }] } } } });
    let j;
    for (;;) {
      j = await request(s, 'GET', `/v1/trips/${t.id}/itinerary/generate/${r.json.jobId}`, { headers: u.auth });
      if (['completed', 'failed'].includes(j.json.state)) break;
      await sleep(5);
    }
    wall.push(performance.now() - t0);
    solver.push(j.json.result.solver.ms);
    matrix.push(j.json.result.travelPairs.ms);
    scores.push(j.json.result.totalScore);
  }
  console.log(`generate (2 days, ${N} runs): wall median ${median(wall).toFixed(0)} ms, solver median ${median(solver)} ms, travel matrix median ${median(matrix)} ms, ` +
    `scores ${[...new Set(scores)].join('/')} (same seed: one value expected unless a time limit hit)`);
  const M = 2000, t0 = performance.now();
  for (let i = 0; i < M; i++)
    await request(s, 'GET', `/v1/recommendations/seasonal?lat=${43 + (i % 10) / 10}&lng=7.4&month=${1 + (i % 12)}`, { headers: u.auth });
  const ms = performance.now() - t0;
  console.log(`seasonal: ${M} sequential requests, ${(M / (ms / 1000)).toFixed(0)} req/s, mean ${(ms / M).toFixed(2)} ms`);
  console.log('peer: n/a (the Node.js stack in ../shared/bench has no equivalent endpoint)');
} finally {
  await s.stop();
}
