// Limits, timeouts, connection caps, request smuggling, rate limiting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, request, rawExchange, parseResponses, sleep } from './lib/harness.mjs';

let srv;
before(async () => {
  srv = await startServer({
    args: ['--header-timeout-ms', '400', '--idle-timeout-ms', '600', '--body-timeout-ms', '400',
      '--max-body', '2048'],
  });
});
after(async () => { await srv.stop(); });

const status = (res) => parseResponses(res.text)[0]?.status;

test('headers over 16 KiB get 431 and the connection closes', async () => {
  const res = await rawExchange(srv.port,
    `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
  assert.equal(status(res), 431);
  assert.ok(res.closed);
});

test('a body over the limit (Content-Length) gets 413 before it is read', async () => {
  const res = await rawExchange(srv.port,
    'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n');
  assert.equal(status(res), 413);
  assert.equal(parseResponses(res.text)[0].headers['connection'], 'close');
});

test('a chunked body growing over the route limit (64 KiB) gets 413', async () => {
  const chunk = '400\r\n' + 'x'.repeat(1024) + '\r\n';
  const res = await rawExchange(srv.port,
    'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
    chunk.repeat(70));
  assert.equal(status(res), 413);
});

test('the server default body limit applies to routes without their own', async () => {
  // /v1/echo has its own 64 KiB limit, above the 2 KiB server default set here.
  const body = JSON.stringify({ s: 'y'.repeat(10000) });
  const r = await request(srv, 'POST', '/v1/echo', { body, headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 200, 'the per-route limit overrides the default');
  const big = JSON.stringify({ s: 'y'.repeat(70000) });
  const r2 = await rawExchange(srv.port, 'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${big.length}\r\n\r\n${big}`);
  assert.equal(status(r2), 413);
});

test('request smuggling shapes are refused with 400 and a close', async () => {
  const cases = [
    'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}',
    'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    'POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    'POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}',
    'GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
    'GARBAGE\r\n\r\n',
  ];
  for (const c of cases) {
    const res = await rawExchange(srv.port, c + 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const rs = parseResponses(res.text);
    assert.equal(rs[0]?.status, 400, `refused: ${JSON.stringify(c)} got ${res.text.slice(0, 60)}`);
    assert.equal(rs.length, 1, 'nothing after the bad request is served');
    assert.ok(res.closed, 'connection closed');
  }
});

test('slow headers time out with 408', async () => {
  const res = await rawExchange(srv.port, 'GET /health HTTP/1.1\r\nHost: x\r\n', { idleMs: 3000 });
  assert.equal(status(res), 408);
  assert.ok(res.closed);
});

test('a slow body times out with 408', async () => {
  const res = await rawExchange(srv.port,
    'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a"',
    { idleMs: 3000 });
  assert.equal(status(res), 408);
});

test('idle keep-alive connections are closed after the idle timeout', async () => {
  const t0 = Date.now();
  const res = await rawExchange(srv.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', { idleMs: 5000 });
  assert.equal(status(res), 200);
  assert.ok(res.closed);
  assert.ok(Date.now() - t0 < 4000, 'closed by the server, not by the test');
});

test('connections over the limit are refused cleanly with 503', async () => {
  const s = await startServer({ args: ['--max-connections', '3'] });
  try {
    const held = [];
    for (let i = 0; i < 3; i++) {
      const sock = net.connect(s.port, '127.0.0.1');
      await new Promise((r) => sock.on('connect', r));
      held.push(sock);
    }
    await sleep(100);
    const res = await rawExchange(s.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(status(res), 503);
    assert.equal(JSON.parse(parseResponses(res.text)[0].body).error.code, 'too_many_connections');
    held.forEach((h) => h.destroy());
    await sleep(200);
    const ok = await request(s, 'GET', '/health');
    assert.equal(ok.status, 200, 'served again once connections are released');
  } finally {
    await s.stop();
  }
});

test('rate limit answers 429 with Retry-After and RateLimit headers', async () => {
  const s = await startServer({ args: ['--rate-limit', '3', '--rate-window-s', '60'] });
  try {
    const rs = [];
    for (let i = 0; i < 4; i++) rs.push(await request(s, 'POST', '/v1/echo', { body: {} }));
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 429]);
    assert.equal(rs[0].headers.get('ratelimit-limit'), '3');
    assert.equal(rs[0].headers.get('ratelimit-remaining'), '2');
    assert.equal(rs[3].json.error.code, 'rate_limited');
    assert.ok(Number(rs[3].headers.get('retry-after')) >= 1);
    assert.ok(Number(rs[3].headers.get('ratelimit-reset')) > 0);
    const health = await request(s, 'GET', '/health');
    assert.equal(health.status, 200, 'operations endpoints are not rate limited');
  } finally {
    await s.stop();
  }
});
