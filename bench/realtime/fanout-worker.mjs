// One load-generator process of bench/realtime/fanout.mjs (forked by it;
// not run by hand). It holds its share of the WebSocket clients with the
// raw `ws` package, speaking Engine.IO v4 / Socket.IO v5 text frames itself
// (no socket.io-client: the official client costs several times more CPU
// per received message, and the generator must not saturate before the
// server), and posts its share of the messages over HTTP keep-alive.
//
// Messages carry "rt <seq> <send time, ns of CLOCK_MONOTONIC>" in their
// text; every receipt is matched with a regular expression on the raw
// frame (no JSON parse), so latency = receipt - POST start across
// processes (process.hrtime is the same monotonic clock in all of them).
//
// Messages from the parent:
//   {cmd:'connect', url, dialect, clients:[{token, room}]}  -> {ready, ok, failed}
//   {cmd:'step', rate (this process's posts/s), warmupMs, measureMs, drainMs,
//    posters:[{token, room}], seq0, stride, seqMin (first measured seq, all processes)}
//        -> {stepDone, posted, postErrors, postStatus, inWindow, lat:[ms...], received}
//   {cmd:'close'}
import http from 'node:http';
import WebSocket from 'ws';

const now = () => process.hrtime.bigint();
let cfg;
const socks = [];
let receivedTotal = 0;
let window = null; // {start, end, count, lat, seqMin}

function onFrame(data) {
  const s = typeof data === 'string' ? data : data.toString();
  if (s === '2') return 'pong';
  const m = /rt (\d+) (\d+)/.exec(s);
  if (!m) return null;
  receivedTotal++;
  if (!window) return null;
  const t = now();
  const seq = Number(m[1]);
  if (t >= window.start && t < window.end) window.count++;
  if (seq >= window.seqMin) window.lat.push(Number(t - BigInt(m[2])) / 1e6);
  return null;
}

function joinFrame(dialect, room) {
  return dialect === 'peer'
    ? `420["join",{"conversation_id":${Number(room)}}]`
    : `420["room:join","conversation:${room}"]`;
}

function connectOne(url, dialect, c) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const ws = new WebSocket(`ws://${u.host}/socket.io/?EIO=4&transport=websocket`,
      { perMessageDeflate: false });
    let state = 'open';
    const timer = setTimeout(() => { ws.terminate(); resolve(false); }, 30000);
    ws.on('error', () => { clearTimeout(timer); resolve(false); });
    ws.on('message', (data) => {
      if (state === 'ready') {
        if (onFrame(data) === 'pong') ws.send('3');
        return;
      }
      const s = data.toString();
      if (s === '2') { ws.send('3'); return; }
      if (state === 'open' && s[0] === '0') {
        state = 'auth';
        ws.send('40' + JSON.stringify({ token: c.token }));
      } else if (state === 'auth' && s.startsWith('40')) {
        state = 'join';
        ws.send(joinFrame(dialect, c.room));
      } else if (state === 'auth' && s.startsWith('44')) {
        clearTimeout(timer); ws.terminate(); resolve(false);
      } else if (state === 'join' && s.startsWith('430')) {
        clearTimeout(timer);
        if (!/"ok":true/.test(s)) { ws.terminate(); resolve(false); return; }
        state = 'ready';
        socks.push(ws);
        resolve(true);
      }
    });
  });
}

async function connectAll(msg) {
  cfg = msg;
  let next = 0;
  let ok = 0;
  let failed = 0;
  async function lane() {
    while (next < msg.clients.length) {
      const c = msg.clients[next++];
      if (await connectOne(msg.url, msg.dialect, c)) ok++; else failed++;
    }
  }
  await Promise.all(Array.from({ length: 20 }, lane));
  process.send({ ready: true, ok, failed });
}

function postPath(room) {
  return cfg.dialect === 'peer' ? `/v1/conversations/${room}/messages`
    : `/v1/messages/conversations/${room}`;
}

async function step(msg) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const u = new URL(cfg.url);
  const measured = BigInt(msg.warmupMs) * 1000000n;
  const t0 = now();
  const total = Math.round((msg.rate * (msg.warmupMs + msg.measureMs)) / 1000);
  window = { start: t0 + measured, end: t0 + measured + BigInt(msg.measureMs) * 1000000n,
    count: 0, lat: [], seqMin: msg.seqMin };
  let i = 0;
  let done = 0;
  let errors = 0;
  const status = {};
  const post = () => {
    const p = msg.posters[i % msg.posters.length];
    const seq = msg.seq0 + i * msg.stride;
    i++;
    const body = JSON.stringify({ text: `rt ${seq} ${now()}` });
    const req = http.request({ host: u.hostname, port: u.port, method: 'POST', agent,
      path: postPath(p.room), headers: { 'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body), Authorization: `Bearer ${p.token}` } },
    (res) => {
      status[res.statusCode] = (status[res.statusCode] || 0) + 1;
      if (res.statusCode >= 300) errors++;
      res.resume();
      res.on('end', () => { done++; });
    });
    req.on('error', () => { done++; errors++; });
    req.end(body);
  };
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor((Number(now() - t0) / 1e9) * msg.rate));
      while (i < due) post();
      if (i >= total) { clearInterval(timer); resolve(); }
    }, 1);
  });
  const drainEnd = Date.now() + msg.drainMs;
  while (Date.now() < drainEnd && done < i) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, msg.drainMs));
  agent.destroy();
  const w = window;
  window = null;
  process.send({ stepDone: true, posted: i, postErrors: errors, postStatus: status,
    inWindow: w.count, lat: w.lat, received: receivedTotal });
}

process.on('message', (msg) => {
  if (msg.cmd === 'connect') connectAll(msg);
  else if (msg.cmd === 'step') step(msg);
  else if (msg.cmd === 'close') {
    for (const ws of socks) ws.terminate();
    setTimeout(() => process.exit(0), 50);
  }
});
