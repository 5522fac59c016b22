/** The bundled sample estate (fixtures/aws/estate), named by its path in the repository. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputFile } from '../core/snapshot.js';
import { projectRoot } from './spec.js';

export async function fixtureFiles(dir = join('fixtures', 'aws', 'estate')): Promise<InputFile[]> {
  const names = (await readdir(join(projectRoot, dir))).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(names.map(async (f) => ({ name: `${dir}/${f}`, text: await readFile(join(projectRoot, dir, f), 'utf8') })));
}
