/** Asks one question of a snapshot (and a candidate's overlay), as a snapshot-mode simulate request. */
import type { Decision } from '../core/decision.js';
import { InputError } from '../core/problem.js';
import type { Snapshot } from '../core/snapshot.js';
import { validateBody } from '../api/spec.js';
import type { Candidate } from './candidate.js';
import type { Question } from './report.js';

export type Explain = 'summary' | 'full';

/** The candidate's overlay is wrong (an unknown policy id, say): the whole check fails, not one entry. */
export class OverlayError extends InputError {}

function overlayError(e: InputError, provider: string, candidate: Candidate): OverlayError {
  const rest = e.pointer.slice('/overlay'.length);
  const item = /^\/[^/]+\/\d+/.exec(rest)?.[0];
  const addresses = item ? candidate.sources[provider as Question['provider']]?.[item] : undefined;
  const from = addresses?.length ? ` (from ${addresses.join(', ')})` : '';
  return new OverlayError(e.code, `/overlay/${provider}${rest}`, `${e.message}${from}`, e.status);
}

/**
 * The decision for a question. The question is validated as a simulate body (the overlay was validated
 * once, with the candidate); errors name the question's field, as `/principal`, `/context/...`. With
 * `acceptUnknownPrincipal`, a principal the snapshot lacks (one only the candidate introduces) is answered
 * as one with no grants of its own instead of failing.
 */
export function ask(snapshot: Snapshot, q: Question, candidate: Candidate | undefined, explain: Explain, acceptUnknownPrincipal = false): Decision {
  const provider = snapshot.providers.get(q.provider);
  if (!provider) throw new InputError('invalid_request', '/provider', `snapshot ${snapshot.meta.id} holds no ${q.provider} inputs`);
  const body: Record<string, unknown> = { provider: q.provider, principal: q.principal, action: q.action, resource: q.resource, options: acceptUnknownPrincipal ? { explain, acceptUnknownPrincipal } : { explain } };
  if (q.context) body.context = q.context;
  validateBody('simulate', body);
  const overlay = candidate?.overlays[q.provider];
  if (!overlay) return provider.simulateIn(snapshot, body);
  body.overlay = overlay;
  try {
    return provider.simulateIn(snapshot, body);
  } catch (e) {
    throw e instanceof InputError && e.pointer.startsWith('/overlay/') ? overlayError(e, q.provider, candidate!) : e;
  }
}

/** The question an expectation entry asks. */
export function question(e: { provider: Question['provider']; principal: string; action: string; resource: string; context?: Record<string, unknown> }): Question {
  const q: Question = { provider: e.provider, principal: e.principal, action: e.action, resource: e.resource };
  if (e.context) q.context = e.context;
  return q;
}
