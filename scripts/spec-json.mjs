// Writes dist/openapi.json, the parsed contract, and dist/validators.cjs, its request validators compiled
// ahead (ajv standalone code), so the server and CLI skip parsing the YAML and compiling schemas at start-up
// (src/api/spec.ts uses each only while it is at least as new as openapi.yaml). Run by `npm run build`,
// after tsc: it compiles the validators with the built spec module, so they are the ones it would compile.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { parse } from 'yaml';

mkdirSync('dist', { recursive: true });
writeFileSync('dist/openapi.json', JSON.stringify(parse(readFileSync('openapi.yaml', 'utf8'))));

const { bodySchema, operations, specAjv, specSchema, VALIDATED_COMPONENTS } = await import('../dist/src/api/spec.js');
const ajv = specAjv(true);
// Export name -> the id the schema is registered under (standalone code exports registered schemas).
const exportsById = {};
const add = (name, schema) => {
  const id = `iamsim:validator:${name}`;
  ajv.addSchema(specSchema(schema), id);
  exportsById[name] = id;
};
for (const { op } of operations()) {
  const schema = bodySchema(op.operationId);
  if (schema) add(op.operationId, schema);
}
for (const name of VALIDATED_COMPONENTS) add(`#${name}`, { $ref: `#/components/schemas/${name}` });
writeFileSync('dist/validators.cjs', standaloneCode.default(ajv, exportsById));
