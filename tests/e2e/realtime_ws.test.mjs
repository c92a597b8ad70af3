// WebSocket framing (src/realtime/ws_frame.c + ws.c) through the real
// binary: fragmented messages with a control frame between the fragments,
// ping/pong, the close handshake, messages split over many TCP writes,
// and protocol violations (unmasked client frame, reserved bits, a
// fragmented message over maxPayload), each answered with the right close
// code and never a crash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomUUID, randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { once, startRealtime, token } from './lib/realtime.mjs';

let srv;
before(async () => {
  srv = await startRealtime(['--rt-max-payload', '100000']);
});
after(async () => { await srv.stop(); });

const URL_WS = () => `ws://127.0.0.1:${srv.port}/socket.io/?EIO=4&transport=websocket`;

// An open, Socket.IO-connected raw WebSocket.
async function open(opts = {}) {
  const ws = new WebSocket(URL_WS(), { perMessageDeflate: false, ...opts });
  const first = once(ws, 'message');
  await once(ws, 'open');
  const [m] = await first;
  assert.equal(m.toString()[0], '0');
  const next = once(ws, 'message');
  ws.send('40' + JSON.stringify({ token: token(randomUUID()) }));
  const [c] = await next;
  assert.match(c.toString(), /^40\{"sid":/);
  return ws;
}

test('a message in fragments, with a ping between them, is answered once', async () => {
  const ws = await open();
  const pong = once(ws, 'pong');
  const reply = once(ws, 'message');
  ws.send('421["diag:echo","frag', { fin: false });
  ws.ping('between');
  ws.send('mented"]', { fin: true });
  const [p] = await pong;
  assert.equal(p.toString(), 'between');
  const [m] = await reply;
  assert.equal(m.toString(), '431["fragmented"]');
  ws.close();
});

test('close handshake: the server echoes the code and ends the session', async () => {
  const ws = await open();
  const [code] = await (ws.close(4001), once(ws, 'close'));
  assert.equal(code, 4001);
});

// A raw TCP client: the handshake, then hand-made frames.
async function rawSocket() {
  const sock = net.connect(srv.port, '127.0.0.1');
  await once(sock, 'connect');
  const key = randomBytes(16).toString('base64');
  sock.write(`GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n` +
    `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
    'Sec-WebSocket-Version: 13\r\n\r\n');
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
  const read = async (pred) => {
    for (let i = 0; i < 500 && !pred(buf); i++) await new Promise((r) => setTimeout(r, 10));
    return buf;
  };
  await read((b) => b.includes('\r\n\r\n') && b.length > b.indexOf('\r\n\r\n') + 4);
  assert.match(buf.toString('latin1'), /^HTTP\/1.1 101/);
  buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
  const consume = () => { const b = buf; buf = Buffer.alloc(0); return b; };
  return { sock, read, consume };
}

function frame(b0, payload, masked = true) {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([b0, (masked ? 0x80 : 0) | len])
    : Buffer.from([b0, (masked ? 0x80 : 0) | 126, len >> 8, len & 255]);
  const body = Buffer.from(payload);
  if (masked) for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, masked ? mask : Buffer.alloc(0), body]);
}

// The close frame's code in buf (after any data frames), or null.
function closeCode(buf) {
  for (let i = 0; i + 1 < buf.length;) {
    const op = buf[i] & 0x0f;
    let len = buf[i + 1] & 0x7f;
    let off = 2;
    if (len === 126) { len = buf.readUInt16BE(i + 2); off = 4; }
    if (op === 8) return len >= 2 ? buf.readUInt16BE(i + off) : 1005;
    i += off + len;
  }
  return null;
}

test('a message written one byte at a time arrives whole', async () => {
  const { sock, read, consume } = await rawSocket();
  await read((b) => b.length > 0);
  consume(); // the open packet
  const bytes = frame(0x81, '40' + JSON.stringify({ token: token(randomUUID()) }));
  for (const b of bytes) {
    sock.write(Buffer.from([b]));
    await new Promise((r) => setImmediate(r));
  }
  const got = await read((b) => b.includes('40{"sid"'));
  assert.match(got.toString('latin1'), /40\{"sid":/);
  sock.destroy();
});

for (const [name, bytes, code] of [
  ['an unmasked client frame', () => frame(0x81, '2', false), 1002],
  ['reserved bits without an extension', () => frame(0xC1, '2'), 1002],
  ['a continuation without a message', () => frame(0x80, '2'), 1002],
  ['a message over maxPayload in fragments', () => Buffer.concat([
    frame(0x01, '4' + 'x'.repeat(60000)), frame(0x80, 'y'.repeat(60000))]), 1009],
]) {
  test(`protocol violation: ${name} -> close ${code}`, async () => {
    const { sock, read } = await rawSocket();
    const closed = once(sock, 'close');
    await read((b) => b.length > 0);
    sock.write(bytes());
    const got = await read((b) => closeCode(b) !== null);
    assert.equal(closeCode(got), code);
    await closed; // the server ends the TCP connection too
  });
}

test('the server still serves after every violation', async () => {
  const ws = await open();
  const reply = once(ws, 'message');
  ws.send('425["diag:echo",1]');
  const [m] = await reply;
  assert.equal(m.toString(), '435[1]');
  ws.close();
});
