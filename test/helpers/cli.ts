/** The built iamsim binary (dist/, as `npx iamsim` runs it), spawned as a pipeline would: exit code and both outputs. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const projectRoot = join(import.meta.dirname, '..', '..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Never rejects: a failed run answers its exit code (3 when the child ended without one). */
export function runCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(projectRoot, 'dist', 'src', 'cli', 'main.js'), ...args], { ...options, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 3) : 0, stdout, stderr });
    });
  });
}
