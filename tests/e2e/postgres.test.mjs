// PostgreSQL-only: the server survives a database restart. The test runs
// its own PostgreSQL cluster so restarting it disturbs no other test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isPostgres, startServer, request, sleep } from './lib/harness.mjs';

const bin = process.env.TEST_PG_BIN;
const root = process.getuid() === 0;

function asPg(args) {
  const cmd = root ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0], args.slice(1)];
  return execFileSync(cmd[0], cmd[1], { stdio: 'pipe' });
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test('PostgreSQL restart while serving: 503 while down, recovers after', { skip: !isPostgres }, async () => {
  const dir = mkdtempSync('/tmp/travloc-pgrestart-');
  chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  const port = await freePort();
  asPg([`${bin}/initdb`, '-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  const ctl = (what) => asPg([`${bin}/pg_ctl`, '-D', data, '-w', '-l', path.join(dir, 'log'),
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, ...(what === 'stop' ? ['-m', 'fast'] : []), what]);
  ctl('start');
  let s;
  try {
    s = await startServer({ database: { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres` } });
    assert.equal((await request(s, 'GET', '/ready')).status, 200);
    ctl('stop');
    await sleep(300);
    const down = await request(s, 'GET', '/ready');
    assert.equal(down.status, 503);
    assert.equal(down.json.error.code, 'database_unavailable');
    assert.equal((await request(s, 'GET', '/health')).status, 200, 'liveness stays up');
    ctl('start');
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = (await request(s, 'GET', '/ready')).status === 200;
      if (!ok) await sleep(200);
    }
    assert.ok(ok, 'ready again after PostgreSQL came back');
  } finally {
    if (s) await s.stop();
    try { ctl('stop'); } catch { /* already stopped */ }
    rmSync(dir, { recursive: true, force: true });
  }
});
