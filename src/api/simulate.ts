/**
 * One simulation from a request body, and a batch of them: the code the HTTP API and the library share.
 */
import type { Decision } from '../core/decision.js';
import { guardJson } from '../core/json-guard.js';
import { InputError, toProblem, type Problem } from '../core/problem.js';
import { providers } from '../providers.js';
import { validateBody } from './spec.js';

export const MAX_BATCH = 10_000;

/** Validates the body against the contract and answers it. Throws InputError for bad input. */
export function simulateOne(body: unknown, operationId = 'simulate'): Decision {
  guardJson(body);
  validateBody(operationId, body);
  const name = (body as { provider: keyof typeof providers }).provider;
  const provider = providers[name];
  if (!provider) throw new InputError('invalid_request', '/provider', `provider '${name}' is not available in this build`);
  return provider.simulate(body);
}

export type BatchItem = Decision | (Problem & { index: number });

/** Answers every body; a bad one gets its own problem entry (pointers are relative to the item). */
export function simulateMany(bodies: readonly unknown[]): BatchItem[] {
  return bodies.map((body, index) => {
    try {
      return simulateOne(body, 'simulate');
    } catch (e) {
      if (e instanceof InputError) return { ...toProblem(e), index };
      throw e;
    }
  });
}
