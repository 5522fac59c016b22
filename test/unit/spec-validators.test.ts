// The build compiles the request validators ahead (scripts/spec-json.mjs -> dist/validators.cjs); they must
// judge every body exactly as the validators compiled from openapi.yaml at run time would.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { bodySchema, operations, projectRoot, specAjv, specSchema, VALIDATED_COMPONENTS } from '../../src/api/spec.js';

const file = join(projectRoot, 'dist', 'validators.cjs');

/** Request bodies of every kind: the scenario requests, and each of them broken in a few ways. */
function bodies(): unknown[] {
  const out: unknown[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.json')) {
        const request = (JSON.parse(readFileSync(p, 'utf8')) as { request?: Record<string, unknown> }).request;
        if (!request) continue;
        out.push(request, { ...request, extra: 1 }, { ...request, principal: 7 }, { ...request, options: { explain: 'loud' } });
      }
    }
  };
  walk(join(projectRoot, 'fixtures'));
  return out;
}

describe('validators compiled ahead', () => {
  it('exist for every request body and every component validated on its own', () => {
    const ahead = createRequire(import.meta.url)(file) as Record<string, ValidateFunction>;
    const withBody = operations().map(({ op }) => String(op.operationId)).filter((id) => bodySchema(id) !== undefined);
    expect(Object.keys(ahead).sort()).toEqual([...withBody, ...VALIDATED_COMPONENTS.map((c) => `#${c}`)].sort());
  });

  it('give the same verdict and the same first error as those compiled from the spec', () => {
    expect(existsSync(file), 'npm run build writes dist/validators.cjs (the test command builds first)').toBe(true);
    const ahead = createRequire(import.meta.url)(file) as Record<string, ValidateFunction>;
    const compiled = specAjv().compile(specSchema(bodySchema('simulate')));
    const all = bodies();
    expect(all.length).toBeGreaterThan(2000);
    let invalid = 0;
    for (const body of all) {
      const a = ahead.simulate!(body);
      const b = compiled(body);
      expect(a).toBe(b);
      if (!a) {
        invalid++;
        expect(ahead.simulate!.errors![0]).toEqual(compiled.errors![0]);
      }
    }
    expect(invalid).toBeGreaterThan(all.length / 2);
  });
});
