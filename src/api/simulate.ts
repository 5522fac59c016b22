/**
 * One simulation from a request body, and a batch of them: the code the HTTP API and the library share.
 * A body that carries its policies is answered on its own (custom simulation); one without `policies`
 * (a session policy aside) is answered against a snapshot.
 */
import type { Decision, Provider } from '../core/decision.js';
import { InputError, toProblem, type Problem } from '../core/problem.js';
import type { ProviderModule } from '../core/provider.js';
import type { Snapshot } from '../core/snapshot.js';
import { loadedProvider } from '../providers.js';
import { validateBody } from './spec.js';

export const MAX_BATCH = 10_000;

interface Body {
  provider: Provider;
  snapshot?: string;
  policies?: Record<string, unknown>;
}

/** Finds a snapshot by id or ref name; throws a 404 InputError when there is none. */
export type SnapshotResolver = (ref: string) => Promise<Snapshot>;

/** Custom simulation: the body brings its policies (`{}` for none), not only a session policy. */
export function isCustom(body: unknown): boolean {
  const p = (body as Body).policies;
  if (p === undefined) return false;
  const keys = Object.keys(p);
  return keys.length === 0 || keys.some((k) => k !== 'session');
}

function providerOf(body: Body): ProviderModule {
  const provider = loadedProvider(body.provider);
  if (!provider) throw new InputError('invalid_request', '/provider', `provider '${body.provider}' is not loaded in this process`);
  return provider;
}

function inSnapshot(body: Body, snap: Snapshot): Decision {
  const provider = snap.providers.get(body.provider);
  if (!provider) throw new InputError('invalid_request', '/provider', `snapshot ${snap.meta.id} holds no ${body.provider} inputs`);
  return provider.simulateIn(snap, body);
}

/**
 * Validates the body against the contract and answers it. Throws InputError for bad input. The body must
 * already have passed guardJson (the HTTP parser and the library entry points do that).
 */
export function simulateOne(body: unknown, snapshot?: Snapshot): Decision {
  validateBody('simulate', body);
  const b = body as Body;
  if (isCustom(b)) return providerOf(b).simulate(b);
  if (!snapshot) throw new InputError('invalid_request', '/policies', 'the body carries no policies, so it needs a snapshot to be answered against');
  return inSnapshot(b, snapshot);
}

/**
 * As simulateOne, finding the snapshot the body names (default: the `active` ref). A custom simulation is
 * answered at once, without a promise: the HTTP handler sends it in the same tick.
 */
export function simulateResolved(body: unknown, resolve: SnapshotResolver): Decision | Promise<Decision> {
  validateBody('simulate', body);
  const b = body as Body;
  if (isCustom(b)) return providerOf(b).simulate(b);
  return resolve(b.snapshot ?? 'active').then((snap) => inSnapshot(b, snap));
}

export type BatchItem = Decision | (Problem & { index: number });

function problemItem(e: unknown, index: number): BatchItem {
  if (e instanceof InputError) return { ...toProblem(e), index };
  throw e;
}

/** Answers every body; a bad one gets its own problem entry (pointers are relative to the item). */
export function simulateMany(bodies: readonly unknown[], guard?: (body: unknown) => void, snapshot?: Snapshot): BatchItem[] {
  return bodies.map((body, index) => {
    try {
      guard?.(body);
      return simulateOne(body, snapshot);
    } catch (e) {
      return problemItem(e, index);
    }
  });
}

/** As simulateMany, each body against the snapshot it names; each snapshot is looked up once. */
export async function simulateManyResolved(bodies: readonly unknown[], resolve: SnapshotResolver): Promise<BatchItem[]> {
  const found = new Map<string, Promise<Snapshot>>();
  const lookup: SnapshotResolver = (ref) => {
    let p = found.get(ref);
    if (!p) found.set(ref, (p = resolve(ref)));
    return p;
  };
  const out: BatchItem[] = [];
  for (const [index, body] of bodies.entries()) {
    try {
      out.push(await simulateResolved(body, lookup));
    } catch (e) {
      out.push(problemItem(e, index));
    }
  }
  return out;
}
