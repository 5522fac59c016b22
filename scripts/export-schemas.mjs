#!/usr/bin/env node
/**
 * Writes schemas/expectations.schema.json: the `Expectations` schema of openapi.yaml with every component
 * it references, as a standalone JSON Schema (2020-12) for editors (`# yaml-language-server: $schema=...`).
 * `--check` fails when the file is out of date instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const components = parse(readFileSync(join(root, 'openapi.yaml'), 'utf8')).components.schemas;
const PREFIX = '#/components/schemas/';

/** The schema with its references pointed at $defs, and the names it references. */
function rewrite(value, found) {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, found));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith(PREFIX)) {
      found.add(v.slice(PREFIX.length));
      out[k] = `#/$defs/${v.slice(PREFIX.length)}`;
    } else out[k] = rewrite(v, found);
  }
  return out;
}

function expectationsSchema() {
  const defs = {};
  const todo = ['Expectation', 'Invariant'];
  const top = rewrite(components.Expectations, new Set(todo));
  while (todo.length) {
    const name = todo.pop();
    if (defs[name]) continue;
    const found = new Set();
    defs[name] = rewrite(components[name], found);
    for (const f of found) if (!defs[f]) todo.push(f);
  }
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'iamsim expectations (access.yaml)', ...top, $defs: defs };
}

const file = join(root, 'schemas', 'expectations.schema.json');
const text = JSON.stringify(expectationsSchema(), null, 2) + '\n';
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== text) {
    console.error('schemas/expectations.schema.json is out of date: run npm run gen:schemas');
    process.exit(1);
  }
} else writeFileSync(file, text);
