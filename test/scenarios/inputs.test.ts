/**
 * Scenarios that carry their own native inputs (fixtures/<provider>/scenarios, see fixtures/gcp/README.md):
 * the inputs are loaded as a snapshot, or the provider's bundled estate is used, and the request is answered
 * against it with the library's simulate(), the code the HTTP API runs.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { isNdjson } from '../../src/core/snapshot.js';
import { loadSnapshot, simulate, type InputFile, type Snapshot } from '../../src/index.js';
import { checkScenario, readScenario, scenarioFiles, type Scenario } from '../helpers/scenario.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures');

/** A scenario's inputs as files: NDJSON arrays one value per line, other values as indented JSON. */
export function inputFiles(inputs: Record<string, unknown>): InputFile[] {
  return Object.entries(inputs).map(([name, v]) => ({
    name,
    text: typeof v === 'string' ? v : isNdjson(name) && Array.isArray(v) ? v.map((x) => JSON.stringify(x)).join('\n') + '\n' : JSON.stringify(v, null, 2),
  }));
}

const estates = new Map<string, Promise<Snapshot>>();
function estate(provider: string): Promise<Snapshot> {
  let p = estates.get(provider);
  if (!p) estates.set(provider, (p = fixtureFiles(join('fixtures', provider, 'estate')).then((f) => loadSnapshot(f, `${provider}-estate`))));
  return p;
}

async function snapshotFor(s: Scenario): Promise<Snapshot | undefined> {
  if (s.inputs === undefined) return undefined;
  if (s.inputs === 'estate') return estate((s.request as { provider: string }).provider);
  return loadSnapshot(inputFiles(s.inputs), s.name);
}

for (const provider of ['gcp', 'azure']) {
  const root = join(fixtures, provider, 'scenarios');
  if (!existsSync(root)) continue;
  const files = scenarioFiles(root);
  describe(`${provider} scenarios`, () => {
    it('every scenario is for this provider', () => {
      for (const f of files) expect((readScenario(f).request as { provider?: string }).provider, f).toBe(provider);
    });
    for (const file of files) {
      const s = readScenario(file);
      it(`${relative(root, file)}: ${s.name}`, async () => checkScenario(s, simulate(s.request, await snapshotFor(s))));
    }
  });
}
