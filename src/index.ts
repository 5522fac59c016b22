/**
 * iamsim as a library: the same request bodies and answers as POST /v1/simulate and /v1/simulate:batch,
 * without the server. Policy documents are treated as immutable once passed in (compiled forms are cached).
 */
import type { Decision } from './core/decision.js';
import { MAX_BATCH, simulateMany, simulateOne, type BatchItem } from './api/simulate.js';
import { guardJson } from './core/json-guard.js';
import { MAX_NODES } from './core/limits.js';
import { InputError } from './core/problem.js';
import { buildSnapshot, type InputFile, type Snapshot } from './core/snapshot.js';
import { providers } from './all-providers.js';

/** Objects already checked against the input bounds: callers' objects are treated as immutable. */
const checked = new WeakSet<object>();
const guard = (body: unknown) => guardJson(body, MAX_NODES, checked);

export type * from './core/decision.js';
export { InputError, toProblem, type Problem } from './core/problem.js';
export type { BatchItem } from './api/simulate.js';
export { Snapshot, type InputFile, type SnapshotMeta } from './core/snapshot.js';

/** Builds a snapshot from native input files (see docs/aws-inputs.md). Throws InputError naming the file. */
export function loadSnapshot(files: InputFile[], name?: string): Snapshot {
  return buildSnapshot(files, Object.values(providers), name === undefined ? { createdAt: new Date().toISOString() } : { name, createdAt: new Date().toISOString() });
}

/**
 * Answers one simulation: a body with its own policies, or one without, against the snapshot given.
 * Throws InputError (with a JSON pointer) when the body is not valid.
 */
export function simulate(body: unknown, snapshot?: Snapshot): Decision {
  guard(body);
  return simulateOne(body, snapshot);
}

/** Answers up to 10,000 simulations, in order; an invalid one becomes a problem entry with its index. */
export function simulateBatch(bodies: readonly unknown[], snapshot?: Snapshot): BatchItem[] {
  if (bodies.length > MAX_BATCH) throw new InputError('invalid_request', '/requests', `at most ${MAX_BATCH} requests per batch`);
  return simulateMany(bodies, guard, snapshot);
}
