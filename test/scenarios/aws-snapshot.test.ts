/**
 * Snapshot scenarios: the bundled estate (fixtures/aws/estate) is loaded once, and each request, naming
 * only principal, action and resource, is answered from it.
 */
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { loadSnapshot, simulate, type Snapshot } from '../../src/index.js';
import { checkScenario, readScenario, scenarioFiles } from '../helpers/scenario.js';

const root = join(import.meta.dirname, '..', '..', 'fixtures', 'aws', 'snapshot-scenarios');
const files = scenarioFiles(root);
let snapshot: Snapshot;

beforeAll(async () => {
  snapshot = loadSnapshot(await fixtureFiles('fixtures/aws/estate'), 'fixtures');
});

describe('AWS snapshot scenarios', () => {
  it('has scenarios, none carrying policies', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const f of files) expect((readScenario(f).request as { policies?: { identity?: unknown } }).policies?.identity).toBeUndefined();
  });

  for (const file of files) {
    const s = readScenario(file);
    it(`${relative(root, file)}: ${s.name}`, () => checkScenario(s, simulate(s.request, snapshot)));
  }
});
