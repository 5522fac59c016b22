// Writes dist/openapi.json, the parsed contract, so the server and CLI skip parsing the YAML at start-up
// (src/api/spec.ts uses it only while it is at least as new as openapi.yaml). Run by `npm run build`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

mkdirSync('dist', { recursive: true });
writeFileSync('dist/openapi.json', JSON.stringify(parse(readFileSync('openapi.yaml', 'utf8'))));
