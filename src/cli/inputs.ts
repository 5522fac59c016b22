/** Files the CLI reads: estate directories and archives, and the JSON or YAML files a command names. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { InputError } from '../core/problem.js';
import { isInputFileName, type InputFile } from '../core/snapshot.js';
import { filesFromTarGz, isTarGz, MAX_FILES } from '../api/upload.js';
import { parseUserJson } from '../core/json-guard.js';

/** What an archive may unpack to, as the server's default upload limit. */
const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;

/** A path as explanations cite it: relative to the working directory, '/'-separated. */
export const displayName = (path: string): string => {
  const rel = relative(process.cwd(), path);
  return (rel.startsWith('..') ? path : rel).split(sep).join('/');
};

/** What `iamsim collect` writes next to the inputs: a record of the run, not an input. */
const COLLECT_REPORT = 'collect-report.json';

async function walk(dir: string, out: string[]): Promise<void> {
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile() && e.name !== COLLECT_REPORT && (isInputFileName(e.name) || isTarGz(e.name, undefined))) out.push(p);
    if (out.length > MAX_FILES) throw new InputError('too_large', '', `more than ${MAX_FILES} files under ${dir}`);
  }
}

/** The input files of directories (walked), archives (.tar.gz) and single files, in a stable order. */
export async function readInputs(paths: readonly string[]): Promise<InputFile[]> {
  const found: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (!s) throw new InputError('not_found', '', `${p} does not exist`).inFile(p);
    if (s.isDirectory()) await walk(p, found);
    else found.push(p);
  }
  const files: InputFile[] = [];
  for (const p of found) {
    if (isTarGz(p, undefined)) files.push(...filesFromTarGz(await readFile(p), MAX_ARCHIVE_BYTES));
    else files.push({ name: displayName(p), text: await readFile(p, 'utf8') });
  }
  return files;
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new InputError('not_found', '', `cannot read ${path}`).inFile(path);
  }
}

/** A JSON file, parsed with the same bounds as a request body; errors name the file, line and column. */
export async function readJson(path: string): Promise<unknown> {
  const text = await readText(path);
  try {
    return parseUserJson(text, displayName(path));
  } catch (e) {
    throw e instanceof InputError ? e.inFile(displayName(path)) : e;
  }
}
