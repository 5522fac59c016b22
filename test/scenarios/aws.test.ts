/**
 * Runs every AWS scenario file under fixtures/aws/scenarios through the library API (the same code as
 * POST /v1/simulate) and checks the decision, the reason and the exact set of decisive causes.
 */
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/index.js';
import { checkScenario, readScenario, scenarioFiles } from '../helpers/scenario.js';

const root = join(import.meta.dirname, '..', '..', 'fixtures', 'aws', 'scenarios');
const files = scenarioFiles(root);

describe('AWS scenarios', () => {
  it('has at least 150 scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(150);
  });

  for (const file of files) {
    const s = readScenario(file);
    it(`${relative(root, file)}: ${s.name}`, () => checkScenario(s, simulate(s.request)));
  }
});
