/**
 * schemas/expectations.schema.json is the `Expectations` schema of openapi.yaml for editors: it must be in
 * step with the contract, and the bundled access.yaml must validate against it on its own.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/api/spec.js';

const schema = JSON.parse(readFileSync(join(projectRoot, 'schemas', 'expectations.schema.json'), 'utf8'));

describe('schemas/expectations.schema.json', () => {
  it('is what scripts/export-schemas.mjs makes of openapi.yaml', () => {
    expect(() => execFileSync(process.execPath, ['scripts/export-schemas.mjs', '--check'], { cwd: projectRoot, stdio: 'pipe' })).not.toThrow();
  });

  it('accepts fixtures/ci/access.yaml and rejects a misspelt field', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schema);
    const doc = parse(readFileSync(join(projectRoot, 'fixtures', 'ci', 'access.yaml'), 'utf8'));
    expect(validate(doc), ajv.errorsText(validate.errors)).toBe(true);
    expect(validate({ must: [{ ...doc.must[0], expct: 'allowed' }] })).toBe(false);
    expect(validate({ invariants: [{ ...doc.invariants[0], allowOnly: ['x'] }] })).toBe(false);
  });
});
