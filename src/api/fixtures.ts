/** The bundled sample estates (fixtures/<provider>/estate), each file named by its path in the repository. */
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { InputFile } from '../core/snapshot.js';
import { projectRoot } from './spec.js';

const ESTATES = ['aws', 'gcp', 'azure'].map((p) => join('fixtures', p, 'estate'));

async function filesIn(dir: string): Promise<InputFile[]> {
  const names = (await readdir(join(projectRoot, dir))).filter((f) => /\.(json|ndjson|jsonl)$/i.test(f)).sort();
  return Promise.all(names.map(async (f) => ({ name: `${dir}/${f}`, text: await readFile(join(projectRoot, dir, f), 'utf8') })));
}

/** The files of one estate directory, or by default of every bundled estate that exists. */
export async function fixtureFiles(dir?: string): Promise<InputFile[]> {
  const dirs = dir ? [dir] : ESTATES.filter((d) => existsSync(join(projectRoot, d)));
  return (await Promise.all(dirs.map(filesIn))).flat();
}
