#!/usr/bin/env node
// Builds docs/openapi.json from the fragments in docs/openapi/*.json (sorted
// by name). Each fragment may hold "paths", "components" (merged one level
// deep: schemas, responses, parameters, securitySchemes) and "tags".
// `--check` exits 1 when docs/openapi.json is not what the fragments make.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'docs/openapi');

export function buildOpenapi() {
  let doc = null;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const frag = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
    if (!doc) { doc = { ...frag, paths: { ...(frag.paths || {}) } }; continue; }
    for (const [p, ops] of Object.entries(frag.paths || {})) {
      doc.paths[p] = { ...(doc.paths[p] || {}), ...ops };
    }
    for (const [k, v] of Object.entries(frag.components || {})) {
      doc.components = doc.components || {};
      doc.components[k] = { ...(doc.components[k] || {}), ...v };
    }
    if (frag.tags) doc.tags = [...(doc.tags || []), ...frag.tags];
  }
  return JSON.stringify(doc, null, 2) + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = path.join(root, 'docs/openapi.json');
  const text = buildOpenapi();
  if (process.argv.includes('--check')) {
    if (readFileSync(out, 'utf8') !== text) {
      console.error('docs/openapi.json is stale: run node scripts/openapi-build.mjs');
      process.exit(1);
    }
  } else {
    writeFileSync(out, text);
  }
}
