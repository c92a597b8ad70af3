// Graceful shutdown of the real-time engine: every kind of client learns
// that the server went away, including one caught midway through the
// polling->WebSocket upgrade (it has paused polling and listens on neither
// transport until the upgrade completes, so the drain lets it complete and
// then says goodbye on the WebSocket).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { sleep } from './lib/harness.mjs';
import { client, connected, once, rawHttp, startRealtime, token } from './lib/realtime.mjs';

const MIXED = [{}, { transports: ['websocket'] }, { transports: ['polling'], upgrade: false }];
const EIO = '/socket.io/?EIO=4&transport=polling';

test('shutdown with live sockets of every kind is clean', async () => {
  const s2 = await startRealtime();
  const socks = MIXED.map((o) => client(s2, token(randomUUID()), o));
  await Promise.all(socks.map((s) => connected(s)));
  const gone = socks.map((s) => once(s, 'disconnect', 30000)); // generous: the machine may be loaded
  await s2.stop();
  await Promise.all(gone);
});

// A polling session with a connected Socket.IO socket, its WebSocket probe
// answered ("3probe") and its pending poll ended with a noop: the state in
// which the official client pauses polling and waits to send "5".
async function midUpgrade(srv) {
  const open = await rawHttp(srv, 'GET', EIO);
  const { sid } = JSON.parse(open.body.slice(1));
  const url = `${EIO}&sid=${sid}`;
  assert.equal((await rawHttp(srv, 'POST', url, `40{"token":"${token(randomUUID())}"}`)).body, 'ok');
  assert.match((await rawHttp(srv, 'GET', url)).body, /^40\{"sid"/);
  const poll = rawHttp(srv, 'GET', url);
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
  const frames = [];
  ws.on('message', (d) => frames.push(String(d)));
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  await once(ws, 'open');
  ws.send('2probe');
  while (!frames.includes('3probe')) await sleep(5);
  assert.equal((await poll).body, '6', 'the pending poll ends with a noop');
  return { ws, frames, closed };
}

// Resolves once the (single) listener is closed: the drain has run.
async function drained(srv) {
  for (;;) {
    const refused = await new Promise((resolve) => {
      const c = net.connect(srv.port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(false); });
      c.once('error', () => resolve(true));
    });
    if (refused) return;
    await sleep(10);
  }
}

// One loop thread, so the refused connect proves the session's loop drained;
// a long grace period, so only the drain's own logic can end the wait.
const ONE_LOOP = { TRAVLOC_THREADS: '1', TRAVLOC_SHUTDOWN_TIMEOUT_MS: '600000' };

test('a client midway through the upgrade completes it, then is closed on the WebSocket', async () => {
  const srv = await startRealtime([], ONE_LOOP);
  const { ws, frames, closed } = await midUpgrade(srv);
  srv.kill('SIGTERM');
  await drained(srv);
  assert.equal(srv.exitCode, null, 'the server waits for the upgrade');
  ws.send('5');
  assert.equal(await closed, 1000, 'a normal close after the upgrade, not "going away" before it');
  assert.deepEqual(frames, ['3probe']);
  assert.equal(await srv.stop(), 0);
  assert.match(srv.logs, /"msg":"stopped"/);
  assert.doesNotMatch(srv.logs, /abandoned/);
});

test('draining: a mid-upgrade client that drops its probe instead ends the wait', async () => {
  const srv = await startRealtime([], ONE_LOOP);
  const { ws } = await midUpgrade(srv);
  srv.kill('SIGTERM');
  await drained(srv);
  ws.terminate();
  assert.equal(await srv.stop(), 0, 'exits without waiting out the ten-minute grace period');
});
