// The HTTP layer through the real binary: routing, middleware, keep-alive,
// pipelining, HEAD, Expect, CORS, gzip, JSON errors, rate limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { startServer, request, rawExchange, parseResponses } from './lib/harness.mjs';

let srv;
before(async () => {
  srv = await startServer({ env: { TRAVLOC_CORS_ORIGINS: 'https://app.example, https://web.example' } });
});
after(async () => { await srv.stop(); });

test('health and ready answer 200 JSON', async () => {
  const h = await request(srv, 'GET', '/health');
  assert.equal(h.status, 200);
  assert.deepEqual(h.json, { status: 'ok' });
  const r = await request(srv, 'GET', '/ready');
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ready');
});

test('unknown route is 404 with the error shape', async () => {
  const r = await request(srv, 'GET', '/v1/nothing-here');
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'not_found');
  assert.equal(typeof r.json.error.message, 'string');
  assert.equal(r.json.error.requestId, r.headers.get('x-request-id'));
});

test('wrong method is 405 with Allow', async () => {
  const r = await request(srv, 'DELETE', '/health');
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET, HEAD');
  assert.equal(r.json.error.code, 'method_not_allowed');
});

test('request id is echoed when valid and generated otherwise', async () => {
  const a = await request(srv, 'GET', '/health', { headers: { 'x-request-id': 'abc-123' } });
  assert.equal(a.headers.get('x-request-id'), 'abc-123');
  const b = await request(srv, 'GET', '/health', { headers: { 'x-request-id': 'bad id with spaces' } });
  assert.match(b.headers.get('x-request-id'), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
});

test('security headers are on every response', async () => {
  for (const p of ['/health', '/nope']) {
    const r = await request(srv, 'GET', p);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  }
});

test('HEAD sends headers with the GET length and no body', async () => {
  const res = await rawExchange(srv.port, 'HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const [r] = parseResponses(res.text);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], '15');
  assert.ok(res.text.endsWith('\r\n\r\n'), 'no body after the headers');
});

test('keep-alive serves several requests on one connection', async () => {
  const req = 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n';
  const res = await rawExchange(srv.port, [req, req, req], { gapMs: 50, idleMs: 400 });
  const rs = parseResponses(res.text);
  assert.equal(rs.length, 3);
  assert.ok(rs.every((r) => r.status === 200));
});

test('pipelined requests are answered in order', async () => {
  const ids = ['p1', 'p2', 'p3', 'p4'];
  // A slow request first: the fast ones behind it must wait their turn.
  const slow = 'POST /v1/echo?delayMs=300 HTTP/1.1\r\nHost: x\r\nX-Request-Id: p1\r\n' +
    'Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
  const fast = ids.slice(1).map((id) => `GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\n\r\n`);
  const res = await rawExchange(srv.port, slow + fast.join(''), { idleMs: 800 });
  const rs = parseResponses(res.text);
  assert.deepEqual(rs.map((r) => r.headers['x-request-id']), ids);
});

test('Expect: 100-continue gets an interim response', async () => {
  const head = 'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
    'Content-Length: 7\r\nExpect: 100-continue\r\n\r\n';
  const res = await rawExchange(srv.port, [head, '{"a":1}'], { gapMs: 200, idleMs: 400 });
  const rs = parseResponses(res.text);
  assert.equal(rs[0].status, 100);
  assert.equal(rs[1].status, 200);
  assert.deepEqual(JSON.parse(rs[1].body).received, { a: 1 });
});

test('chunked request bodies are accepted', async () => {
  const res = await rawExchange(srv.port,
    'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
    'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\n{"k"\r\n4\r\n:[1]\r\n1\r\n}\r\n0\r\n\r\n');
  const [r] = parseResponses(res.text);
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body).received, { k: [1] });
});

test('malformed JSON is 400 naming line and column, unchanged state', async () => {
  const r = await request(srv, 'POST', '/v1/echo', {
    body: '{\n  "a": 1,\n  "b": }', headers: { 'content-type': 'application/json' },
  });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'invalid_json');
  assert.equal(r.json.error.details.line, 3);
  assert.ok(r.json.error.details.column > 0);
  assert.match(r.json.error.message, /line 3, column/);
});

test('a body that is not JSON is 415', async () => {
  const r = await request(srv, 'POST', '/v1/echo', { body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 415);
  assert.equal(r.json.error.code, 'unsupported_media_type');
});

test('duplicate JSON keys are refused', async () => {
  const r = await request(srv, 'POST', '/v1/echo', { body: '{"a":1,"a":2}', headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 400);
});

test('CORS preflight for an allowed origin', async () => {
  const r = await request(srv, 'OPTIONS', '/v1/echo', {
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.match(r.headers.get('access-control-allow-methods'), /POST/);
  assert.match(r.headers.get('access-control-allow-headers'), /Authorization/);
  const other = await request(srv, 'OPTIONS', '/v1/echo', {
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
  const simple = await request(srv, 'GET', '/health', { headers: { origin: 'https://web.example' } });
  assert.equal(simple.headers.get('access-control-allow-origin'), 'https://web.example');
  assert.equal(simple.headers.get('vary'), 'Origin');
  const missing = await request(srv, 'OPTIONS', '/nope', { headers: { origin: 'https://app.example' } });
  assert.equal(missing.status, 404);
});

test('JSON over 1 KiB is gzipped when accepted, plain otherwise', async () => {
  const big = { items: Array.from({ length: 200 }, (_, i) => ({ i, name: 'place number ' + i })) };
  const res = await rawExchange(srv.port,
    'POST /v1/echo HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${JSON.stringify(big).length}\r\nConnection: close\r\n\r\n${JSON.stringify(big)}`);
  const head = res.text.slice(0, res.text.indexOf('\r\n\r\n'));
  assert.match(head, /Content-Encoding: gzip/);
  const body = Buffer.from(res.text.slice(res.text.indexOf('\r\n\r\n') + 4), 'latin1');
  assert.deepEqual(JSON.parse(gunzipSync(body).toString()).received, big);
  const plain = await request(srv, 'GET', '/health', { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(plain.headers.get('content-encoding'), null, 'small bodies are not compressed');
  const refused = await rawExchange(srv.port,
    'GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0\r\nConnection: close\r\n\r\n');
  assert.doesNotMatch(refused.text.slice(0, refused.text.indexOf('\r\n\r\n')), /Content-Encoding/);
});

test('metrics expose request counters, histograms, connections and memory', async () => {
  await request(srv, 'GET', '/health');
  const r = await request(srv, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/plain/);
  assert.match(r.text, /travloc_http_requests_total\{route="\/health",method="GET",status="200"\} \d+/);
  assert.match(r.text, /travloc_http_request_duration_seconds_bucket\{route="\/health",method="GET",le="\+Inf"\}/);
  assert.match(r.text, /travloc_http_requests_in_flight \d+/);
  assert.match(r.text, /travloc_http_connections_open \d+/);
  assert.match(r.text, /travloc_process_resident_memory_bytes \d+/);
  assert.match(r.text, /travloc_db_queries_total\{backend="(sqlite|postgres)"\} \d+/);
  assert.match(r.text, /travloc_db_pool_connections\{state="open"\} \d+/);
});

test('the access log is JSON lines with route, status, latency and request id', async () => {
  await request(srv, 'GET', '/health', { headers: { 'x-request-id': 'log-check-1' } });
  await new Promise((r) => setTimeout(r, 200));
  const line = srv.logs.split('\n').find((l) => l.includes('"requestId":"log-check-1"'));
  assert.ok(line, 'a log line for the request');
  const j = JSON.parse(line);
  assert.equal(j.method, 'GET');
  assert.equal(j.route, '/health');
  assert.equal(j.status, 200);
  assert.equal(typeof j.latencyMs, 'number');
  assert.equal(j.bytes, 15);
});
