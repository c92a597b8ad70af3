// docs/openapi.json lists every route of the router table, validates as
// OpenAPI 3.1, and is what the server serves; the explorer page loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { runCli, startServer, request } from './lib/harness.mjs';

const doc = JSON.parse(readFileSync('docs/openapi.json', 'utf8'));

test('every route in the router table is documented, and nothing else', async () => {
  const r = await runCli(['routes']);
  assert.equal(r.code, 0);
  const routes = r.stdout.trim().split('\n').map((l) => {
    const [method, p] = l.split(' ');
    return `${method.toLowerCase()} ${p.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
  });
  const documented = [];
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const m of Object.keys(ops)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(m)) documented.push(`${m} ${p}`);
    }
  }
  const missing = routes.filter((x) => !documented.includes(x));
  const extra = documented.filter((x) => !routes.includes(x));
  assert.deepEqual(missing, [], 'routes missing from docs/openapi.json');
  assert.deepEqual(extra, [], 'documented routes the server does not have');
});

test('the document validates', async () => {
  await SwaggerParser.validate(structuredClone(doc));
});

test('the server serves the document and the explorer', async () => {
  const s = await startServer();
  try {
    const r = await request(s, 'GET', '/v1/openapi.json');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, doc);
    const page = await request(s, 'GET', '/docs');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    assert.match(page.text, /swagger-ui-bundle\.js/);
    const js = await request(s, 'GET', '/docs/assets/swagger-ui-bundle.js');
    assert.equal(js.status, 200);
    assert.ok(js.text.length > 100000);
    const init = await request(s, 'GET', '/docs/assets/init.js');
    assert.match(init.text, /openapi\.json/);
    const bad = await request(s, 'GET', '/docs/assets/..%2f..%2fetc%2fpasswd');
    assert.equal(bad.status, 404);
  } finally {
    await s.stop();
  }
});

test('docs/openapi.json is built from docs/openapi/*.json', async () => {
  const { buildOpenapi } = await import('../../scripts/openapi-build.mjs');
  assert.equal(readFileSync('docs/openapi.json', 'utf8'), buildOpenapi(),
    'run: node scripts/openapi-build.mjs');
});
