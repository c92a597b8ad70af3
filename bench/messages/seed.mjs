#!/usr/bin/env node
// Seeds a running travloc for the message benchmark through its public
// API: USERS users and CONVS group conversations of SIZE members each
// (random users). Writes <out>/data/messages.txt, one "conversationId
// token" line per (conversation, member) pair, read by send.lua.
// Usage: seed.mjs URL OUT_DIR   (env USERS=200 CONVS=1000 SIZE=5)
import { mkdirSync, writeFileSync } from 'node:fs';

const [url, out] = process.argv.slice(2);
const USERS = Number(process.env.USERS || 200), CONVS = Number(process.env.CONVS || 1000);
const SIZE = Number(process.env.SIZE || 5);

async function call(method, path, body, token) {
  const r = await fetch(url + path, { method, body: body && JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path} ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const users = [];
for (let u = 0; u < USERS; u++) {
  const s = await call('POST', '/v1/auth/signup', { email: `msgbench${u}.${Date.now()}@example.com`,
    password: 'Correct-Horse-Battery-42', firstName: 'B', lastName: 'U' });
  users.push({ id: s.user.id, token: s.token });
}
let seed = 20260101;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const lines = [];
for (let c = 0; c < CONVS; c++) {
  const members = new Set();
  while (members.size < SIZE) members.add(rnd(USERS));
  const [owner, ...rest] = [...members].map((i) => users[i]);
  const conv = await call('POST', '/v1/messages/conversations',
    { type: 'group', name: `bench ${c}`, memberIds: rest.map((u) => u.id) }, owner.token);
  for (const u of [owner, ...rest]) lines.push(`${conv.id} ${u.token}`);
}
mkdirSync(`${out}/data`, { recursive: true });
writeFileSync(`${out}/data/messages.txt`, lines.join('\n') + '\n');
