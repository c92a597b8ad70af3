// Job-queue helpers for black-box tests: a fresh database, the `travloc
// jobs ...` CLI, standalone `travloc worker` processes, and waiting for a
// condition (polling; the timeout only stops a hung test).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, freshDatabaseEnv, runCli, sleep } from './harness.mjs';

const SANITIZER = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer/;

// A database (SQLite dir or new PostgreSQL db) shared by CLI and workers.
export function queueDb() {
  const dir = mkdtempSync(path.join(tmpdir(), 'travloc-queue-'));
  return { dir, env: { ...freshDatabaseEnv(dir), TRAVLOC_LOG_LEVEL: 'warn' } };
}

// Runs `travloc jobs <args>`; returns the parsed JSON output (or throws).
export async function jobs(db, args, { expectCode = 0 } = {}) {
  const r = await runCli(['jobs', ...args, '--data-dir', db.dir], db.env);
  if (r.code !== expectCode) {
    throw new Error(`jobs ${args.join(' ')}: exit ${r.code}, expected ${expectCode}\n${r.stderr}`);
  }
  if (SANITIZER.test(r.stderr)) throw new Error('sanitizer report:\n' + r.stderr);
  if (expectCode !== 0) return r;
  const out = r.stdout.trim();
  return out ? JSON.parse(out) : null;
}

export async function enqueue(db, type, { queue = 'default', payload, extra = [] } = {}) {
  const args = ['enqueue', '--type', type, '--queue', queue, ...extra];
  if (payload !== undefined) args.push('--payload', JSON.stringify(payload));
  const out = await jobs(db, args);
  return out.jobs.length === 1 ? out.jobs[0].id : out.jobs.map((j) => j.id);
}

export async function listAll(db, queue, state) {
  const items = [];
  let cursor;
  for (;;) {
    const args = ['list', '--limit', '200'];
    if (queue) args.push('--queue', queue);
    if (state) args.push('--state', state);
    if (cursor) args.push('--cursor', cursor);
    const page = await jobs(db, args);
    items.push(...page.items);
    if (!page.nextCursor) return items;
    cursor = page.nextCursor;
  }
}

export const getJob = (db, id) => jobs(db, ['get', id]);

export async function waitFor(what, fn, { timeoutMs = 60000, intervalMs = 100 } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// Waits until every listed job is in a final state; returns them.
export async function waitJobs(db, ids, states = ['completed', 'failed', 'cancelled']) {
  return waitFor(`jobs to finish`, async () => {
    const all = await Promise.all(ids.map((id) => getJob(db, id)));
    return all.every((j) => states.includes(j.state)) ? all : null;
  });
}

// Starts `travloc worker`; resolves once it logged "worker started".
export async function startWorker(db, args = [], env = {}) {
  const proc = spawn(BIN, ['worker', '--data-dir', db.dir, '--poll-ms', '50', ...args], {
    env: { ...process.env, ...db.env, TRAVLOC_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  let exitCode = null;
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => {
    exitCode = code ?? sig;
    resolve(exitCode);
  }));
  await new Promise((resolve, reject) => {
    proc.stderr.on('data', (d) => {
      logs += d;
      if (/"msg":"worker started"/.test(logs)) resolve();
    });
    exited.then((c) => reject(new Error(`worker exited ${c}:\n${logs}`)));
  });
  return {
    proc, pid: proc.pid, exited,
    get logs() { return logs; },
    get exitCode() { return exitCode; },
    kill9() { proc.kill('SIGKILL'); return exited; },
    async stop() {
      if (exitCode === null) proc.kill('SIGTERM');
      const code = await exited;
      if (SANITIZER.test(logs)) throw new Error('sanitizer report:\n' + logs.slice(-6000));
      if (code !== 0) throw new Error(`worker exit ${code}:\n${logs.slice(-3000)}`);
      return code;
    },
  };
}

// Lines the noop job writes to TRAVLOC_QUEUE_TEST_LOG: {what, id, attempt, pid}.
export function testLog(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => {
    const [what, id, attempt, pid] = l.split(' ');
    return { what, id, attempt: Number(attempt), pid: Number(pid) };
  });
}
