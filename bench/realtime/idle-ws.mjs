// Idle WebSocket memory: starts travloc (TRAVLOC_BIN, a build without
// sanitizers), opens N Socket.IO connections with the official client
// (transports: ['websocket'], one user each), holds them through several
// heartbeats, and reports the server's RSS growth per connection.
//
//   node bench/realtime/idle-ws.mjs [N=10000] [HOLD_S=12]
//   DEFLATE=0 node bench/realtime/idle-ws.mjs ...   (clients do not offer
//   permessage-deflate; by default the official client offers it and the
//   server accepts)
//
// The client side needs N file descriptors (ulimit -n) and ~1 GB for 10k
// official clients; the figure is the server's VmRSS from /proc.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { SECRET, token } from '../../tests/e2e/lib/realtime.mjs';

const N = Number(process.argv[2] || 10000);
const HOLD_S = Number(process.argv[3] || 12);
const BIN = process.env.TRAVLOC_BIN || 'build/travloc';
const dir = mkdtempSync(path.join(tmpdir(), 'travloc-rt-bench-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const srv = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir, '--jwt-secret', SECRET,
  '--rt-ping-interval-ms', '5000', '--rt-ping-timeout-ms', '5000', '--max-connections', '50000',
  '--access-log', '0', '--rate-limit', '0'], { stdio: ['ignore', 'ignore', 'pipe'],
  env: { ...process.env, TRAVLOC_LOG_LEVEL: 'info', DATABASE_URL: '' } });
let port;
await new Promise((resolve, reject) => {
  let err = '';
  srv.stderr.on('data', (d) => {
    err += d;
    const m = /"addr":"[^"]*:(\d+)"/.exec(err);
    if (m && !port) { port = Number(m[1]); resolve(); }
  });
  srv.on('exit', (c) => reject(new Error(`server exited ${c}: ${err}`)));
});
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${srv.pid}/status`, 'utf8'))[1]);

// Warm up: a few hundred connections come and go so that one-time
// allocations (thread pools, coroutine stacks, tables) are not counted.
async function open(n) {
  const socks = [];
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const s = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true,
      reconnection: false, auth: { token: token(randomUUID()) },
      ...(process.env.DEFLATE === '0' ? { perMessageDeflate: false } : {}) });
    s.on('connect', () => ok++);
    socks.push(s);
    if (i % 200 === 199) { while (ok < i - 400) await sleep(5); }
  }
  for (let i = 0; i < 600 && ok < n; i++) await sleep(100);
  return { socks, ok: () => ok };
}
const warm = await open(300);
warm.socks.forEach((s) => s.disconnect());
await sleep(1000);
const before = rss();
const t0 = Date.now();
const { socks, ok } = await open(N);
const connectS = (Date.now() - t0) / 1000;
await sleep(HOLD_S * 1000); // at least two heartbeats
const held = socks.filter((s) => s.connected).length;
const after = rss();
console.log(JSON.stringify({ deflateOffered: process.env.DEFLATE !== '0', connections: N, connected: ok(), heldAfterHeartbeats: held,
  connectSeconds: connectS, rssBeforeKiB: before, rssAfterKiB: after,
  perConnectionKiB: Number(((after - before) / held).toFixed(2)) }));
socks.forEach((s) => s.disconnect());
srv.kill('SIGTERM');
await new Promise((r) => srv.on('exit', r));
rmSync(dir, { recursive: true, force: true });
process.exit(0);
