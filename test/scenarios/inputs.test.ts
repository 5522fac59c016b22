/**
 * Scenarios that carry their own native inputs (fixtures/<provider>/scenarios, see fixtures/gcp/README.md):
 * the inputs are loaded as a snapshot, or the provider's bundled estate is used, and the request is answered
 * against it with the library's simulate(), the code the HTTP API runs.
 */
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { filesFromJson } from '../../src/api/upload.js';
import { loadSnapshot, simulate, type Snapshot } from '../../src/index.js';
import { checkScenario, readScenario, scenarioFiles, type Scenario } from '../helpers/scenario.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures');

const estates = new Map<string, Promise<Snapshot>>();
function estate(provider: string): Promise<Snapshot> {
  let p = estates.get(provider);
  if (!p) estates.set(provider, (p = fixtureFiles(join('fixtures', provider, 'estate')).then((f) => loadSnapshot(f, `${provider}-estate`))));
  return p;
}

async function snapshotFor(s: Scenario): Promise<Snapshot> {
  if (s.inputs === undefined) throw new Error(`${s.name}: a scenario here needs inputs`);
  if (s.inputs === 'estate') return estate((s.request as { provider: string }).provider);
  // The same conversion a JSON upload gets: NDJSON arrays one value per line, other values as indented JSON.
  return loadSnapshot(filesFromJson({ files: Object.entries(s.inputs).map(([name, content]) => ({ name, content })) }), s.name);
}

for (const provider of ['gcp', 'azure']) {
  const root = join(fixtures, provider, 'scenarios');
  const files = scenarioFiles(root);
  describe(`${provider} scenarios`, () => {
    it('every scenario is for this provider, and there are at least 120', () => {
      expect(files.length).toBeGreaterThanOrEqual(120);
      for (const f of files) expect((readScenario(f).request as { provider?: string }).provider, f).toBe(provider);
    });
    for (const file of files) {
      const s = readScenario(file);
      it(`${relative(root, file)}: ${s.name}`, async () => checkScenario(s, simulate(s.request, await snapshotFor(s))));
    }
  });
}
