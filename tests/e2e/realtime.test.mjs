// The real-time engine's protocols through the real binary: Engine.IO v4
// handshake, long-polling (batching, binary as base64, sessions that move
// between loop threads), WebSocket and the polling->WebSocket upgrade,
// heartbeats, and Socket.IO v5 with the official socket.io-client:
// auth, namespaces, acks both ways, binary payloads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  RS, ack, client, collect, connectError, connected, once, rawHttp, startRealtime, token, until,
} from './lib/realtime.mjs';

let srv;
before(async () => {
  srv = await startRealtime(['--rt-ping-interval-ms', '400', '--rt-ping-timeout-ms', '600',
    '--rt-max-payload', '100000', '--cors-origins', 'https://app.example']);
});
after(async () => { await srv.stop(); });

const EIO = '/socket.io/?EIO=4&transport=polling';

async function handshake() {
  const r = await rawHttp(srv, 'GET', EIO);
  assert.equal(r.status, 200);
  assert.equal(r.body[0], '0');
  return JSON.parse(r.body.slice(1));
}

test('polling handshake: open packet fields, CORS for an allowed origin', async () => {
  const r = await rawHttp(srv, 'GET', EIO, undefined, { origin: 'https://app.example' });
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/plain/);
  assert.equal(r.headers['access-control-allow-origin'], 'https://app.example');
  const open = JSON.parse(r.body.slice(1));
  assert.match(open.sid, /^[0-9a-f]{2}[A-Za-z0-9_-]{18}$/);
  assert.deepEqual(open.upgrades, ['websocket']);
  assert.equal(open.pingInterval, 400);
  assert.equal(open.pingTimeout, 600);
  assert.equal(open.maxPayload, 100000);
  const other = await rawHttp(srv, 'GET', EIO, undefined, { origin: 'https://evil.example' });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
});

test('polling: bad version, transport or sid are refused with 400', async () => {
  for (const p of ['/socket.io/?EIO=3&transport=polling', '/socket.io/?transport=polling',
    '/socket.io/?EIO=4&transport=carrier-pigeon', '/socket.io/?EIO=4&transport=websocket',
    `${EIO}&sid=00AAAAAAAAAAAAAAAAAA`, `${EIO}&sid=zz`, `${EIO}&sid=ffAAAAAAAAAAAAAAAAAA`]) {
    const r = await rawHttp(srv, 'GET', p);
    assert.equal(r.status, 400, p);
    assert.equal(typeof JSON.parse(r.body).error.code, 'string');
  }
  const post = await rawHttp(srv, 'POST', EIO, '40');
  assert.equal(post.status, 400);
  const { sid } = await handshake();
  const bad = await rawHttp(srv, 'POST', `${EIO}&sid=${sid}`, '9nonsense');
  assert.equal(bad.status, 400);
  const gone = await rawHttp(srv, 'GET', `${EIO}&sid=${sid}`);
  assert.equal(gone.status, 400, 'a malformed payload closes the session');
});

test('polling by hand: connect, batched packets, acks, sessions across loop threads', async () => {
  const { sid } = await handshake();
  const url = `${EIO}&sid=${sid}`;
  const tok = token(randomUUID());
  let r = await rawHttp(srv, 'POST', url, `40{"token":"${tok}"}`);
  assert.equal(r.status, 200);
  assert.equal(r.body, 'ok');
  r = await rawHttp(srv, 'GET', url);
  assert.match(r.body, /^40\{"sid":"[A-Za-z0-9_-]{20}","pid":"[A-Za-z0-9_-]{20}"\}$/);
  // Two events in one payload; both acks come back in one batch. Every
  // request uses a new TCP connection, so they land on either loop.
  for (let i = 0; i < 10; i++) {
    r = await rawHttp(srv, 'POST', url, `421["diag:echo",${i}]${RS}422["diag:echo","x${i}"]`);
    assert.equal(r.status, 200);
    let body = '';
    while (!body.includes('432')) {
      const g = await rawHttp(srv, 'GET', url);
      assert.equal(g.status, 200);
      body += g.body + RS;
    }
    const packets = body.split(RS).filter((p) => p && p !== '2');
    assert.deepEqual(packets, [`431[${i}]`, `432["x${i}"]`]);
  }
  r = await rawHttp(srv, 'POST', url, '1');
  assert.equal(r.status, 200);
  r = await rawHttp(srv, 'GET', url);
  assert.equal(r.status, 400, 'closed by the client');
});

test('polling by hand: binary attachments travel base64-encoded', async () => {
  const { sid } = await handshake();
  const url = `${EIO}&sid=${sid}`;
  await rawHttp(srv, 'POST', url, `40{"token":"${token(randomUUID())}"}`);
  await rawHttp(srv, 'GET', url);
  const bytes = Buffer.from([0, 1, 2, 250, 255]);
  const r = await rawHttp(srv, 'POST', url,
    `451-7["diag:echo",{"_placeholder":true,"num":0}]${RS}b${bytes.toString('base64')}`);
  assert.equal(r.status, 200);
  let body = '';
  while (!body.includes('b')) body += (await rawHttp(srv, 'GET', url)).body + RS;
  const packets = body.split(RS).filter((p) => p && p !== '2');
  assert.equal(packets[0], '461-7[{"_placeholder":true,"num":0}]');
  assert.deepEqual(Buffer.from(packets[1].slice(1), 'base64'), bytes);
});

test('heartbeat: a client that never answers pings is dropped', async () => {
  const { sid } = await handshake();
  const url = `${EIO}&sid=${sid}`;
  const first = await rawHttp(srv, 'GET', url);
  assert.equal(first.body, '2', 'the server pings');
  // No pong: after pingTimeout the session is gone.
  await until(async () => (await rawHttp(srv, 'GET', url)).status === 400, 8000, 200);
});

test('heartbeat: the official client stays connected across many pings', async () => {
  for (const transports of [['polling'], ['websocket']]) {
    const s = client(srv, token(randomUUID()), { transports });
    await connected(s);
    let pings = 0;
    s.io.engine.on('ping', () => pings++);
    await until(() => pings >= 4, 8000);
    assert.ok(s.connected, `${transports} still connected`);
    s.disconnect();
  }
});

test('default transports: polling first, then the upgrade to WebSocket', async () => {
  // Several times: the WebSocket often lands on another loop thread than
  // the session, which must then move the socket to the session's loop.
  for (let i = 0; i < 6; i++) {
    const s = client(srv, token(randomUUID()));
    let first;
    s.io.once('open', () => { first = s.io.engine.transport.name; });
    await connected(s);
    assert.equal(first, 'polling');
    await until(() => s.io.engine.transport.name === 'websocket');
    const res = await ack(s, 'diag:echo', { a: [1, 'two'], i }, null);
    assert.deepEqual(res, [{ a: [1, 'two'], i }, null]);
    s.disconnect();
  }
});

test('websocket only, and polling without upgrade, both carry events and acks', async () => {
  for (const opts of [{ transports: ['websocket'] }, { transports: ['polling'], upgrade: false }]) {
    const s = client(srv, token(randomUUID()), opts);
    await connected(s);
    const out = await ack(s, 'diag:echo', 'héllo ✓', 42);
    assert.deepEqual(out, ['héllo ✓', 42]);
    s.disconnect();
  }
});

test('binary payloads both ways, nested, on every transport', async () => {
  const blob = Buffer.alloc(3000, 7);
  blob[0] = 0; blob[2999] = 255;
  for (const opts of [{}, { transports: ['websocket'] }, { transports: ['polling'], upgrade: false }]) {
    const s = client(srv, token(randomUUID()), opts);
    await connected(s);
    const [a, b] = await ack(s, 'diag:echo', blob, { inner: [Buffer.from('xyz')] });
    assert.ok(Buffer.from(a).equals(blob));
    assert.equal(Buffer.from(b.inner[0]).toString(), 'xyz');
    s.disconnect();
  }
});

test('server-to-client acks: answered, and timed out', async () => {
  const s = client(srv, token(randomUUID()), { transports: ['websocket'] });
  await connected(s);
  s.on('double', (n, bin, cb) => cb(n * 2, Buffer.concat([Buffer.from(bin), Buffer.from([9])])));
  s.on('ignore', () => {});
  const answer = once(s, 'diag:answer');
  assert.deepEqual(await ack(s, 'diag:ask', 'double', 21, Buffer.from([1])), [{ ok: true }]);
  const [n, bin] = await answer;
  assert.equal(n, 42);
  assert.deepEqual([...Buffer.from(bin)], [1, 9]);
  const timeout = once(s, 'diag:answer', 15000);
  await ack(s, 'diag:ask', 'ignore');
  assert.deepEqual(await timeout, [{ error: 'timeout' }]);
  s.disconnect();
});

test('client ack timeouts: an unknown event is answered with an error ack', async () => {
  const s = client(srv, token(randomUUID()), { transports: ['websocket'] });
  await connected(s);
  const res = await s.timeout(3000).emitWithAck('no:such:event', 1);
  assert.equal(res.ok, false);
  assert.equal(res.error.code, 'unknown_event');
  s.disconnect();
});

test('auth: missing, forged and expired tokens are refused; custom namespaces too', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    client(srv, undefined),
    client(srv, 'not-a-token'),
    client(srv, token(randomUUID(), { secret: 'some-other-secret-that-is-long-enough-1234' })),
    client(srv, token(randomUUID(), { exp: now - 3600 })),
  ];
  const errors = cases.map((s) => connectError(s));
  for (const [i, s] of cases.entries()) {
    const err = await errors[i];
    assert.match(err.message, /authentication failed|expired/);
    assert.equal(err.data.code, 'unauthorized');
    s.close();
  }
  const ns = client(srv, token(randomUUID()), { path: '/socket.io/' });
  const admin = ns.io.socket('/admin', { auth: { token: token(randomUUID()) } });
  admin.connect();
  const err = await connectError(admin);
  assert.equal(err.message, 'Invalid namespace');
  ns.close();
});

test('an expired token disconnects the socket', async () => {
  const exp = Math.floor(Date.now() / 1000) + 2;
  const s = client(srv, token(randomUUID(), { exp }), { transports: ['websocket'] });
  const errors = collect(s, 'error');
  await connected(s);
  const [reason] = await once(s, 'disconnect', 10000);
  assert.equal(reason, 'io server disconnect');
  assert.equal(errors[0][0].code, 'token_expired');
});

test('WebSocket handshake by hand: accept key, open packet, bad upgrades', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/socket.io/?EIO=4&transport=websocket`);
  const [msg] = await once(ws, 'message');
  const open = JSON.parse(msg.toString().slice(1));
  assert.deepEqual(open.upgrades, []);
  assert.equal(open.pingInterval, 400);
  ws.send('40' + JSON.stringify({ token: token(randomUUID()) }));
  const [c] = await once(ws, 'message');
  assert.match(c.toString(), /^40\{"sid"/);
  ws.send('1');
  await once(ws, 'close');
  for (const q of ['EIO=3&transport=websocket', 'EIO=4&transport=websocket&sid=00AAAAAAAAAAAAAAAAAA']) {
    const bad = new WebSocket(`ws://127.0.0.1:${srv.port}/socket.io/?${q}`);
    bad.on('error', () => {});
    const [, res] = await once(bad, 'unexpected-response');
    assert.equal(res.statusCode, 400, q);
    bad.terminate();
  }
});

test('permessage-deflate: negotiated, and large messages round-trip compressed', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/socket.io/?EIO=4&transport=websocket`,
    { perMessageDeflate: { threshold: 0 } });
  await once(ws, 'open');
  assert.match(ws.extensions, /permessage-deflate/);
  await once(ws, 'message');
  ws.send('40' + JSON.stringify({ token: token(randomUUID()) }));
  await once(ws, 'message');
  const big = 'abc'.repeat(20000);
  for (let i = 0; i < 3; i++) {
    ws.send(`42${i}["diag:echo",${JSON.stringify(big)}]`);
    const [m] = await once(ws, 'message');
    assert.equal(m.toString(), `43${i}[${JSON.stringify(big)}]`);
  }
  ws.close();
  const plain = new WebSocket(`ws://127.0.0.1:${srv.port}/socket.io/?EIO=4&transport=websocket`,
    { perMessageDeflate: false });
  await once(plain, 'open');
  assert.equal(plain.extensions, '');
  plain.close();
  // The official client offers it by default.
  const s = client(srv, token(randomUUID()), { transports: ['websocket'] });
  await connected(s);
  assert.deepEqual(await ack(s, 'diag:echo', big, Buffer.alloc(5000, 1)),
    [big, Buffer.alloc(5000, 1)]);
  s.disconnect();
});

test('payloads over maxPayload are refused (WebSocket close, polling 413)', async () => {
  const s = client(srv, token(randomUUID()), { transports: ['websocket'] });
  await connected(s);
  const gone = once(s, 'disconnect');
  s.emit('diag:echo', 'x'.repeat(150000));
  const [reason] = await gone;
  assert.equal(reason, 'transport close');
  const { sid } = await handshake();
  const r = await rawHttp(srv, 'POST', `${EIO}&sid=${sid}`, '4' + 'y'.repeat(120000));
  assert.equal(r.status, 413);
});
