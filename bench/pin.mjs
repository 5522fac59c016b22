// Client and server on separate cores for the HTTP tables. Left to the scheduler, the two processes of a
// 2-core machine sometimes share one core, and GET /healthz then swings between 20k and 44k req/s from run
// to run. Linux only (taskset, from util-linux); elsewhere nothing is pinned and the tables say so.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

function hasTaskset() {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const canPin = process.platform === 'linux' && availableParallelism() >= 2 && hasTaskset();
const all = `0-${availableParallelism() - 1}`;

/** The command and arguments that run node with `args` on CPU 1 (or unpinned). */
export function serverCommand(args) {
  return canPin ? ['taskset', ['-c', '1', process.execPath, ...args]] : [process.execPath, args];
}

/** Runs `fn` with this process (the autocannon client) on CPU 0, then gives it every CPU back. */
export async function asClient(fn) {
  if (!canPin) return fn();
  execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  try {
    return await fn();
  } finally {
    execFileSync('taskset', ['-a', '-p', '-c', all, String(process.pid)], { stdio: 'ignore' });
  }
}

export const pinningNote = canPin ? 'client pinned to CPU 0, server to CPU 1' : 'not pinned (needs Linux, 2 CPUs and taskset)';
