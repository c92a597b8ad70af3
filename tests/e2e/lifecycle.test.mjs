// Start-up, configuration, migrations and graceful shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  startServer, request, runCli, freshDatabaseEnv, isPostgres, psql, sleep,
} from './lib/harness.mjs';

test('version and help', async () => {
  const v = await runCli(['version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^travloc \d+\.\d+\.\d+/);
  const h = await runCli(['help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /TRAVLOC_LISTEN/);
  assert.match(h.stdout, /DATABASE_URL/);
});

test('bad configuration is a clear message and exit 2', async () => {
  const cases = [
    [['serve', '--threads', '0'], {}, /--threads/],
    [['serve', '--listen', 'nowhere'], {}, /listen address/],
    [['serve'], { TRAVLOC_LISTEN: '1.2.3.4:99999' }, /listen address/],
    [['serve'], { TRAVLOC_LOG_LEVEL: 'chatty' }, /TRAVLOC_LOG_LEVEL/],
    [['serve'], { DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [['serve', '--no-such-flag'], {}, /unknown option/],
    [['frobnicate'], {}, /unknown command/],
  ];
  for (const [args, env, re] of cases) {
    const r = await runCli(args, env);
    assert.equal(r.code, 2, `${args.join(' ')} exits 2`);
    assert.match(r.stderr, re);
  }
});

test('a listen host that is not an IP address fails cleanly', async () => {
  const bad = await runCli(['serve', '--listen', 'no.such.host:8080', '--data-dir', mkdtempSync(path.join(tmpdir(), 'travloc-x-'))], freshDatabaseEnv());
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not an IP address/);
});

test('migrate applies on an empty database and is a no-op when up to date', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-mig-'));
  const env = freshDatabaseEnv(dir);
  const first = await runCli(['migrate', '--data-dir', dir], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /applied 0001_init\.sql/);
  const second = await runCli(['migrate', '--data-dir', dir], env);
  assert.equal(second.code, 0);
  assert.match(second.stdout, /up to date/);
  // The server starts on the migrated database without re-applying.
  const s = await startServer({ dataDir: dir, database: env });
  assert.equal((await request(s, 'GET', '/ready')).status, 200);
  await s.stop();
});

function sql(env, dir, statement) {
  if (isPostgres) return psql(env.TRAVLOC_TEST_DB, statement);
  return execFileSync('sqlite3', [path.join(dir, 'travloc.db'), statement], { encoding: 'utf8' });
}

test('a dirty or tampered migration state fails loudly', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-mig-'));
  const env = freshDatabaseEnv(dir);
  assert.equal((await runCli(['migrate', '--data-dir', dir], env)).code, 0);
  sql(env, dir, "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1");
  const tampered = await runCli(['serve', '--data-dir', dir, '--listen', '127.0.0.1:0'], env);
  assert.equal(tampered.code, 1);
  assert.match(tampered.stderr, /changed after it was applied/);
  sql(env, dir, 'UPDATE schema_migrations SET dirty = 1');
  const dirty = await runCli(['migrate', '--data-dir', dir], env);
  assert.equal(dirty.code, 1);
  assert.match(dirty.stderr, /dirty/);
  sql(env, dir, 'UPDATE schema_migrations SET dirty = 0');
  sql(env, dir, 'UPDATE schema_migrations SET version = 9999 WHERE version = 1');
  const unknown = await runCli(['migrate', '--data-dir', dir], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /does not know/);
});

test('SIGTERM finishes the request in flight, refuses new ones and exits 0', async () => {
  const s = await startServer();
  const inflight = request(s, 'POST', '/v1/echo?delayMs=700', { body: { n: 1 } });
  await sleep(200);
  s.kill('SIGTERM');
  await sleep(100);
  s.kill('SIGTERM'); // a second signal during the drain changes nothing
  const r = await inflight;
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.received, { n: 1 });
  assert.equal(await s.stop(), 0);
  await assert.rejects(request(s, 'GET', '/health'));
  assert.match(s.logs, /"msg":"stopped"/);
});

test('shutdown does not wait forever for a slow request', async () => {
  const s = await startServer({ args: ['--shutdown-timeout-ms', '300'] });
  const slow = request(s, 'POST', '/v1/echo?delayMs=5000', { body: {} }).catch(() => 'cut');
  await sleep(100);
  const t0 = Date.now();
  s.kill('SIGTERM');
  await s.exited;
  assert.ok(Date.now() - t0 < 4500, 'exited within the grace period');
  await slow;
  await s.stop({ expectCode: null });
});
