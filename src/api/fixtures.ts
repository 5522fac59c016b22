/** The bundled sample estates (fixtures/<provider>/estate), each file named by its path in the repository. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isInputFileName, type InputFile } from '../core/snapshot.js';
import { projectRoot } from './spec.js';

const ESTATES = ['aws', 'gcp', 'azure'].map((p) => join('fixtures', p, 'estate'));

async function filesIn(dir: string): Promise<InputFile[]> {
  const names = (await readdir(join(projectRoot, dir))).filter(isInputFileName).sort();
  return Promise.all(names.map(async (f) => ({ name: `${dir}/${f}`, text: await readFile(join(projectRoot, dir, f), 'utf8') })));
}

/** The files of one estate directory, or by default of every bundled estate. */
export async function fixtureFiles(dir?: string): Promise<InputFile[]> {
  return (await Promise.all((dir ? [dir] : ESTATES).map(filesIn))).flat();
}
