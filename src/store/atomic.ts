/**
 * Atomic file writes: write a temporary file in the same directory, fsync it, rename it over the target,
 * fsync the directory. A crash leaves either the old file or the new one, never half of one; a leftover
 * temporary file is ignored and removed by the next start.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const TEMP_MARK = '.tmp-';

export interface WriteHooks {
  /** Called after the temporary file is durable and before the rename (tests crash the process here). */
  beforeRename?: (tempPath: string) => void;
}

export async function writeFileAtomic(path: string, data: string, hooks: WriteHooks = {}): Promise<void> {
  const temp = join(dirname(path), `${basename(path)}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await open(temp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  hooks.beforeRename?.(temp);
  try {
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await syncDir(dirname(path));
}

export async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
