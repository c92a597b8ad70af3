// Fan-out benchmark (issue 8): 1,000 WebSocket clients in 100 conversation
// rooms, messages POSTed over HTTP at rising fixed rates; delivered
// messages/s and p50/p99 end-to-end latency (POST start -> receipt), for
// Travloc and, in the same run, a socket.io peer from ../shared/bench.
//
//   node bench/realtime/fanout.mjs [--travloc BIN|none] [--peer URL] [--gen node|c]
//        [--rates 1000,3000,...] [--clients 1000] [--rooms 100] [--procs 2]
//        [--warmup 2] [--measure 5] [--drain 2] [--database-url URL [--redis-url URL]]
// (TRAVLOC_THREADS=N sets the server's loop threads; --database-url runs
// Travloc on that PostgreSQL database, which should be empty, with
// --redis-url in cluster mode; the default is SQLite in a fresh data dir.)
//
// --travloc BIN (default build-rel/travloc, a build without sanitizers) is
// started here on SQLite with a fresh data dir; ten accounts sign up, the
// first creates 100 group conversations with the other nine, and client i
// (user i % 10) joins conversation:<i / 10> with `room:join`. Messages go to
// POST /v1/messages/conversations/:id (the messaging half of issue 8; the
// script stops with a clear message while that endpoint does not exist).
// --peer URL is a running peer (../shared/bench: `peers/peer.sh start
// fastify 3001` after ./setup.sh): its contract is the same load shape
// through `join {conversation_id}` and POST /v1/conversations/:id/messages,
// with the tokens of load/data/users.txt, exactly as load/realtime.js does.
//
// The generator is --procs Node processes (fanout-worker.mjs) holding the
// sockets with the raw `ws` package and posting their share of the rate,
// or with --gen c one C process (fanout_gen.c: libuv, the engine's own
// frame parser, compiled here with cc); the CPU each used is printed so
// the report can say which limit a figure shows (server saturated, or
// generator). Run each system alone.
import { fork, spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const o = { travloc: 'build-rel/travloc', peer: '', rates: '1000,3000,6000,9000,12000',
  clients: 1000, rooms: 100, procs: 2, warmup: 2, measure: 5, drain: 2, gen: 'node' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (!argv[i].startsWith('--')) throw new Error(`unexpected argument ${argv[i]}`);
  o[argv[i].slice(2)] = argv[++i];
}
for (const k of ['clients', 'rooms', 'procs', 'warmup', 'measure', 'drain']) o[k] = Number(o[k]);
const rates = String(o.rates).split(',').map(Number);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pct(sorted, p) {
  if (!sorted.length) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 100) / 100;
}

async function jsonReq(base, method, p, body, token) {
  const r = await fetch(base + p, { method, body: body ? JSON.stringify(body) : undefined,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

async function startTravloc(bin) {
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-fanout-'));
  const srv = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir,
    '--max-connections', '50000', '--access-log', '0', '--rate-limit', '0',
    '--rt-max-sockets-per-user', '100000', ...(process.env.TRAVLOC_THREADS ? ['--threads', process.env.TRAVLOC_THREADS] : [])], { stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TRAVLOC_LOG_LEVEL: 'info', DATABASE_URL: o['database-url'] || '',
      REDIS_URL: o['redis-url'] || '', TRAVLOC_PASSWORD_COST: 'min' } });
  let err = '';
  const port = await new Promise((resolve, reject) => {
    srv.stderr.on('data', (d) => {
      err += d;
      const m = /"addr":"[^"]*:(\d+)"/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    srv.on('exit', (c) => reject(new Error(`travloc exited ${c}: ${err}`)));
  });
  return { srv, dir, url: `http://127.0.0.1:${port}` };
}

// Ten accounts, 100 group conversations; returns clients and posters.
async function seedTravloc(url) {
  const users = [];
  for (let i = 0; i < 10; i++) {
    const r = await jsonReq(url, 'POST', '/v1/auth/signup', { firstName: 'Bench', lastName: `U${i}`,
      email: `bench${i}.${Date.now()}@example.com`, password: 'Correct-Horse-Battery-42' });
    if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${r.text}`);
    users.push({ id: r.json.user.id, token: r.json.token });
  }
  const rooms = [];
  for (let k = 0; k < o.rooms; k++) {
    const r = await jsonReq(url, 'POST', '/v1/messages/conversations', { type: 'group',
      name: `bench ${k}`, memberIds: users.slice(1).map((u) => u.id) }, users[0].token);
    if (r.status === 404 && (!r.json || r.json.error?.code === 'not_found')) {
      throw new Error('POST /v1/messages/conversations answers 404: the messaging half of issue 8 ' +
        'is not in this build yet, so the fan-out cannot be measured through the real send endpoint.');
    }
    if (r.status !== 201 && r.status !== 200) throw new Error(`conversation create: ${r.status} ${r.text}`);
    rooms.push(r.json.id);
  }
  const clients = Array.from({ length: o.clients }, (_, i) =>
    ({ token: users[i % users.length].token, room: rooms[Math.floor(i / (o.clients / o.rooms)) % o.rooms] }));
  const posters = [];
  for (let k = 0; k < o.rooms; k++) posters.push({ token: users[k % users.length].token, room: rooms[k] });
  return { clients, posters };
}

function seedPeer() {
  const file = path.join(HERE, '../../../shared/bench/load/data/users.txt');
  const users = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' ')[1]);
  const clients = Array.from({ length: o.clients }, (_, i) =>
    ({ token: users[i % users.length], room: (i % o.rooms) + 1 }));
  const posters = Array.from({ length: o.rooms }, (_, k) => ({ token: users[(k * 7919) % users.length], room: k + 1 }));
  return { clients, posters };
}

// Peak size of the SQLite WAL of the Travloc under test since the last call
// (sampled every 100 ms; null for the peer).
let walFile = '';
let walMax = 0;
setInterval(() => {
  if (!walFile) return;
  try { walMax = Math.max(walMax, statSync(walFile).size); } catch { /* not there yet */ }
}, 100).unref();
function walPeak() {
  if (!walFile) return null;
  const v = Math.round((walMax / 1048576) * 10) / 10;
  walMax = 0;
  return v;
}

function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch { return 0; }
}

async function run(label, url, seed, serverPid) {
  const workers = [];
  for (let w = 0; w < o.procs; w++) workers.push(fork(path.join(HERE, 'fanout-worker.mjs')));
  const wait = (w, key) => new Promise((r) => { const h = (m) => { if (m[key]) { w.off('message', h); r(m); } }; w.on('message', h); });
  const ready = await Promise.all(workers.map((w, i) => {
    const p = wait(w, 'ready');
    w.send({ cmd: 'connect', url, dialect: label === 'travloc' ? 'travloc' : 'peer',
      clients: seed.clients.filter((_, k) => k % o.procs === i) });
    return p;
  }));
  const ok = ready.reduce((a, r) => a + r.ok, 0);
  if (ok !== o.clients) throw new Error(`${label}: only ${ok} of ${o.clients} clients connected and joined`);
  const rows = [];
  let seqBase = 0;
  for (const rate of rates) {
    const per = rate / o.procs;
    const cpu0 = workers.map((w) => cpuTicks(w.pid));
    const s0 = serverPid ? cpuTicks(serverPid) : 0;
    const t0 = Date.now();
    const res = await Promise.all(workers.map((w, i) => {
      const p = wait(w, 'stepDone');
      w.send({ cmd: 'step', rate: per, warmupMs: o.warmup * 1000, measureMs: o.measure * 1000,
        drainMs: o.drain * 1000, seq0: seqBase + i, stride: o.procs,
        seqMin: seqBase + Math.round(rate * o.warmup),
        posters: seed.posters.map((_, k) => seed.posters[(k * 37 + i * 11) % seed.posters.length]) });
      return p;
    }));
    const secs = (Date.now() - t0) / 1000;
    const lat = res.flatMap((r) => r.lat).sort((a, b) => a - b);
    const posted = res.reduce((a, r) => a + r.posted, 0);
    const row = { rate, postErrors: res.reduce((a, r) => a + r.postErrors, 0),
      status: res.map((r) => r.postStatus),
      deliveredPerS: Math.round(res.reduce((a, r) => a + r.inWindow, 0) / o.measure),
      offeredPerS: rate * (o.clients / o.rooms), p50: pct(lat, 50), p99: pct(lat, 99),
      serverCpu: serverPid ? Math.round((cpuTicks(serverPid) - s0) / secs) + '%' : 'n/a',
      cpuUsPerPost: serverPid && posted ? Math.round(((cpuTicks(serverPid) - s0) * 10000) / posted) : null,
      walPeakMiB: walPeak(),
      generatorCpu: workers.map((w, i) => Math.round((cpuTicks(w.pid) - cpu0[i]) / secs) + '%').join('+') };
    seqBase += Math.ceil(posted / o.procs) * o.procs + o.procs;
    rows.push(row);
    console.log(`${label} ${JSON.stringify(row)}`);
    await sleep(500);
  }
  workers.forEach((w) => w.send({ cmd: 'close' }));
  return rows;
}

function buildGen() {
  const out = path.join(tmpdir(), `fanout_gen-${process.pid}`);
  const root = path.join(HERE, '../..');
  execFileSync('cc', ['-std=c17', '-O2', '-D_GNU_SOURCE', `-I${root}/src`,
    `${HERE}/fanout_gen.c`, `${root}/src/realtime/ws_frame.c`, `${root}/src/core/buf.c`, '-luv', '-o', out]);
  return out;
}

async function runC(label, url, seed, serverPid) {
  const dir = mkdtempSync(path.join(tmpdir(), 'fanout-gen-'));
  const line = (v) => v.map((c) => `${c.token} ${c.room}`).join('\n') + '\n';
  writeFileSync(path.join(dir, 'clients'), line(seed.clients));
  writeFileSync(path.join(dir, 'posters'), line(seed.posters));
  const u = new URL(url);
  const gen = spawn(buildGen(), [u.hostname, u.port, label === 'travloc' ? 'travloc' : 'peer',
    path.join(dir, 'clients'), path.join(dir, 'posters'), rates.join(','), String(o.warmup * 1000),
    String(o.measure * 1000), String(o.drain * 1000)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rows = [];
  let buf = '';
  let s0 = 0;
  let g0 = 0;
  let t0 = Date.now();
  await new Promise((resolve, reject) => {
    gen.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const secs = (Date.now() - t0) / 1000;
        if (l.startsWith('READY')) {
          const [, ok] = l.split(' ').map(Number);
          if (ok !== o.clients) reject(new Error(`${label}: only ${ok} of ${o.clients} clients joined`));
        } else if (l.startsWith('STEP ')) {
          const r = JSON.parse(l.slice(5));
          r.offeredPerS = r.rate * (o.clients / o.rooms);
          r.serverCpu = serverPid ? Math.round((cpuTicks(serverPid) - s0) / secs) + '%' : 'n/a';
          r.cpuUsPerPost = serverPid && r.posted ? Math.round(((cpuTicks(serverPid) - s0) * 10000) / r.posted) : null;
          r.walPeakMiB = walPeak();
          r.generatorCpu = Math.round((cpuTicks(gen.pid) - g0) / secs) + '%';
          rows.push(r);
          console.log(`${label} ${JSON.stringify(r)}`);
        } else continue;
        s0 = serverPid ? cpuTicks(serverPid) : 0;
        g0 = cpuTicks(gen.pid);
        t0 = Date.now();
      }
    });
    gen.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`fanout_gen exited ${c}`))));
  });
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

const runGen = o.gen === 'c' ? runC : run;
const results = {};
if (o.travloc && o.travloc !== 'none') {
  const t = await startTravloc(o.travloc);
  console.log(`travloc: load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  walFile = path.join(t.dir, 'travloc.db-wal');
  try {
    const seed = await seedTravloc(t.url);
    results.travloc = await runGen('travloc', t.url, seed, t.srv.pid);
    walFile = '';
  } catch (e) {
    console.error(`travloc: ${e.message}`);
    process.exitCode = 1;
  } finally {
    t.srv.kill('SIGTERM');
    await new Promise((r) => t.srv.on('exit', r));
    rmSync(t.dir, { recursive: true, force: true });
  }
}
if (o.peer) {
  let pid = 0;
  try { pid = Number(execFileSync('sh', ['-c', `ss -ltnpH 'sport = :${new URL(o.peer).port}' | sed -n 's/.*pid=\\([0-9]*\\).*/\\1/p' | head -1`]).toString().trim()) || 0; } catch { /* no ss */ }
  console.log(`peer: load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  results.peer = await runGen('peer', o.peer, seedPeer(), pid);
}

console.log('\n| system | posts/s | offered deliveries/s | delivered/s | p50 ms | p99 ms | post errors | server CPU | server CPU µs/post | WAL peak MiB | generator CPU |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const [name, rows] of Object.entries(results)) {
  for (const r of rows) {
    console.log(`| ${name} | ${r.rate} | ${r.offeredPerS} | ${r.deliveredPerS} | ${r.p50} | ${r.p99} | ${r.postErrors} | ${r.serverCpu} | ${r.cpuUsPerPost ?? 'n/a'} | ${r.walPeakMiB ?? 'n/a'} | ${r.generatorCpu} |`);
  }
}
if (results.travloc && results.peer) {
  const best = (rows) => Math.max(...rows.map((r) => r.deliveredPerS));
  const at1k = (rows) => rows.find((r) => r.rate === 1000)?.p99;
  console.log(`\nsaturation: travloc ${best(results.travloc)} / peer ${best(results.peer)} delivered/s = ` +
    `${(best(results.travloc) / best(results.peer)).toFixed(2)}x; p99 at 1,000 posts/s: travloc ` +
    `${at1k(results.travloc)} ms, peer ${at1k(results.peer)} ms`);
}
process.exit();
