// Black-box harness: starts the real travloc binary on a free port with a
// fresh database (a new SQLite data dir, or a new PostgreSQL database on the
// throwaway server scripts/test started) and talks to it over the network.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const BIN = process.env.TRAVLOC_BIN || path.resolve('build/travloc');
export const BACKEND = process.env.TRAVLOC_BACKEND || 'sqlite';
export const isPostgres = BACKEND === 'postgres';

const SANITIZER = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer/;

export function pgUrl(db) {
  return `${process.env.DATABASE_URL_BASE}/${db}`;
}

export function createDatabase() {
  const name = 't_' + randomBytes(6).toString('hex');
  execFileSync('psql', ['-q', '-h', '127.0.0.1', '-p', process.env.TEST_PG_PORT, '-U', 'postgres',
    '-d', 'postgres', '-c', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
  return name;
}

export function psql(db, sql) {
  return execFileSync('psql', ['-qAt', '-h', '127.0.0.1', '-p', process.env.TEST_PG_PORT, '-U',
    'postgres', '-d', db, '-c', sql], { encoding: 'utf8' }).trim();
}

// A fresh database for one server: env overrides selecting it.
export function freshDatabaseEnv(dataDir) {
  if (!isPostgres) return { DATABASE_URL: '' };
  const db = createDatabase();
  return { DATABASE_URL: pgUrl(db), TRAVLOC_TEST_DB: db };
}

// Runs a travloc command to completion: { code, stdout, stderr }.
export function runCli(args, env = {}) {
  return new Promise((resolve) => {
    const p = spawn(BIN, args, { env: { ...process.env, ...env } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr })); // 'close': stdout fully read
  });
}

export async function startServer({ args = [], env = {}, dataDir, database } = {}) {
  const dir = dataDir || mkdtempSync(path.join(tmpdir(), 'travloc-e2e-'));
  const dbEnv = database ? database : freshDatabaseEnv(dir);
  const fullEnv = {
    ...process.env, TRAVLOC_LOG_LEVEL: 'info', TRAVLOC_THREADS: '2', ...dbEnv, ...env,
  };
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir, ...args],
    { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let exitCode = null;
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => {
    exitCode = code ?? sig;
    resolve(exitCode);
  }));
  proc.stdout.on('data', () => {});
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + stderr)), 20000);
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /"msg":"listening","addr":"[^"]*:(\d+)"/.exec(stderr);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${stderr}`)); });
  });
  const server = {
    port, dir, proc, env: fullEnv, database: dbEnv,
    url: `http://127.0.0.1:${port}`,
    get logs() { return stderr; },
    get exitCode() { return exitCode; },
    exited,
    signalled: false,
    kill(sig = 'SIGTERM') { this.signalled = true; proc.kill(sig); },
    // Stops with SIGTERM; throws if a sanitizer reported anything or the
    // exit was not clean.
    async stop({ expectCode = 0, keepDir = false } = {}) {
      if (exitCode === null && !proc.signalCode && !this.signalled) proc.kill('SIGTERM');
      const code = await Promise.race([exited,
        new Promise((r) => setTimeout(() => { proc.kill('SIGKILL'); r('killed'); }, 20000))]);
      if (!keepDir && !dataDir) rmSync(dir, { recursive: true, force: true });
      if (SANITIZER.test(stderr)) throw new Error('sanitizer report:\n' + stderr.slice(-6000));
      if (expectCode !== null && code !== expectCode) {
        throw new Error(`server exit ${code}, expected ${expectCode}:\n${stderr.slice(-3000)}`);
      }
      return code;
    },
  };
  return server;
}

// HTTP with fetch, JSON decoded when possible.
export async function request(server, method, p, { body, headers = {}, raw = false } = {}) {
  const h = { ...headers };
  let b = body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    b = JSON.stringify(body);
    h['content-type'] = h['content-type'] || 'application/json';
  }
  const res = await fetch(server.url + p, { method, headers: h, body: b });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json: raw ? undefined : json };
}

// Writes raw bytes on a new connection; resolves with everything received
// until the server closes or `idleMs` passes without data.
export function rawExchange(port, chunks, { idleMs = 1500, gapMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let closed = false;
    let timer;
    const finish = () => { clearTimeout(timer); sock.destroy(); resolve({ text: data.toString('latin1'), closed }); };
    const arm = () => { clearTimeout(timer); timer = setTimeout(finish, idleMs); };
    sock.on('data', (d) => { data = Buffer.concat([data, d]); arm(); });
    sock.on('end', () => { closed = true; finish(); });
    sock.on('close', () => { closed = true; finish(); });
    sock.on('error', (e) => { if (e.code === 'ECONNRESET') { closed = true; finish(); } else reject(e); });
    sock.on('connect', async () => {
      arm();
      for (const c of [].concat(chunks)) {
        sock.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

// Splits a raw HTTP/1.1 byte stream into responses (Content-Length framed).
export function parseResponses(text) {
  const out = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = rest.slice(0, end);
    const lines = head.split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = status === 100 ? 0 : Number(headers['content-length'] || 0);
    const body = rest.slice(end + 4, end + 4 + len);
    out.push({ status, headers, body });
    rest = rest.slice(end + 4 + len);
  }
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
