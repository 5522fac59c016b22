/**
 * One simulation from a request body, and a batch of them: the code the HTTP API and the library share.
 */
import type { Decision } from '../core/decision.js';
import { InputError, toProblem, type Problem } from '../core/problem.js';
import { providers } from '../providers.js';
import { validateBody } from './spec.js';

export const MAX_BATCH = 10_000;

/**
 * Validates the body against the contract and answers it. Throws InputError for bad input. The body must
 * already have passed guardJson (the HTTP parser and the library entry points do that).
 */
export function simulateOne(body: unknown): Decision {
  validateBody('simulate', body);
  const name = (body as { provider: keyof typeof providers }).provider;
  const provider = providers[name];
  if (!provider) throw new InputError('invalid_request', '/provider', `provider '${name}' is not available in this build`);
  return provider.simulate(body);
}

export type BatchItem = Decision | (Problem & { index: number });

/** Answers every body; a bad one gets its own problem entry (pointers are relative to the item). */
export function simulateMany(bodies: readonly unknown[], guard?: (body: unknown) => void): BatchItem[] {
  return bodies.map((body, index) => {
    try {
      guard?.(body);
      return simulateOne(body);
    } catch (e) {
      if (e instanceof InputError) return { ...toProblem(e), index };
      throw e;
    }
  });
}
