/**
 * iamsim as a library: the same request bodies and answers as POST /v1/simulate and /v1/simulate:batch,
 * without the server. Policy documents are treated as immutable once passed in (compiled forms are cached).
 */
import type { Decision } from './core/decision.js';
import { MAX_BATCH, simulateMany, simulateOne, type BatchItem } from './api/simulate.js';
import { guardJson } from './core/json-guard.js';
import { MAX_NODES } from './core/limits.js';
import { InputError } from './core/problem.js';

/** Objects already checked against the input bounds: callers' objects are treated as immutable. */
const checked = new WeakSet<object>();
const guard = (body: unknown) => guardJson(body, MAX_NODES, checked);

export type * from './core/decision.js';
export { InputError, toProblem, type Problem } from './core/problem.js';
export type { BatchItem } from './api/simulate.js';

/** Answers one simulation. Throws InputError (with a JSON pointer) when the body is not valid. */
export function simulate(body: unknown): Decision {
  guard(body);
  return simulateOne(body);
}

/** Answers up to 10,000 simulations, in order; an invalid one becomes a problem entry with its index. */
export function simulateBatch(bodies: readonly unknown[]): BatchItem[] {
  if (bodies.length > MAX_BATCH) throw new InputError('invalid_request', '/requests', `at most ${MAX_BATCH} requests per batch`);
  return simulateMany(bodies, guard);
}
