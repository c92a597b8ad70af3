// Direct database access for accounts tests that must look at or age rows
// (encrypted MFA secrets, cleanup): sqlite3 on the server's file or psql on
// its PostgreSQL database. Returns the output trimmed ('|'-separated
// columns, one row per line).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { isPostgres, psql } from './harness.mjs';

export function dbQuery(server, sql) {
  if (isPostgres) return psql(server.database.TRAVLOC_TEST_DB, sql);
  return execFileSync('sqlite3', ['-cmd', '.timeout 10000', path.join(server.dir, 'travloc.db'), sql],
    { encoding: 'utf8' }).trim();
}
