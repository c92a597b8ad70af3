// Real-time helpers for black-box tests: access tokens signed in the test
// with the server's secret (HS256, kid "k1"), official socket.io-client
// sockets, and small promise helpers for events.
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import { io } from 'socket.io-client';
import { startServer } from './harness.mjs';

export const SECRET = 'realtime-test-secret-0123456789-abcdefghij';

const b64u = (s) => Buffer.from(s).toString('base64url');

// A signed access token for `sub`; exp defaults to ten minutes ahead.
export function token(sub, { exp, secret = SECRET } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64u(JSON.stringify({ typ: 'JWT', alg: 'HS256', kid: 'k1' }));
  const body = b64u(JSON.stringify({ sub, sid: randomUUID(), role: 'traveller', iat: now,
    exp: exp ?? now + 600, jti: randomUUID() }));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export function startRealtime(args = [], env = {}) {
  return startServer({ args: ['--jwt-secret', SECRET, ...args], env });
}

// A socket with its own Engine.IO connection; no automatic reconnection
// unless opts say so.
export function client(server, tok, opts = {}) {
  return io(server.url, { auth: { token: tok }, forceNew: true, reconnection: false, ...opts });
}

// Resolves with the event's arguments; rejects after ms.
export function once(emitter, event, ms = 10000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    emitter.once(event, (...args) => { clearTimeout(t); resolve(args); });
  });
}

// Emits with an ack and resolves with all of the ack's arguments.
export function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(5000).emit(event, ...args, (err, ...res) => (err ? reject(err) : resolve(res)));
  });
}

export function connected(socket, ms = 10000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no connect')), ms);
    socket.once('connect', () => { clearTimeout(t); resolve(socket); });
    socket.once('connect_error', (e) => { clearTimeout(t); reject(e); });
  });
}

export function connectError(socket, ms = 10000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no connect_error')), ms);
    socket.once('connect', () => { clearTimeout(t); reject(new Error('connected')); });
    socket.once('connect_error', (e) => { clearTimeout(t); resolve(e); });
  });
}

// Collects every `event` a socket receives.
export function collect(socket, event) {
  const got = [];
  socket.on(event, (...args) => got.push(args));
  return got;
}

export async function until(pred, ms = 10000, step = 20) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, step));
  }
  throw new Error('condition not met in time');
}

// One HTTP request on a fresh connection (so that requests of one session
// land on different loop threads): { status, headers, body (string) }.
export function rawHttp(server, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, method, path, agent: false,
      headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers } }, (res) => {
      let data = '';
      res.setEncoding('latin1');
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export const RS = '\x1e';
