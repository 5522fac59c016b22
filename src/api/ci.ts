/**
 * POST /v1/checks and /v1/diff: the request bodies the API and the CLI share. The CLI builds the same
 * body, and either posts it to a server or answers it here against a snapshot it loaded itself.
 */
import { candidateFromOverlays, candidateFromPlan, type Candidate } from '../ci/candidate.js';
import { runCheck } from '../ci/check.js';
import { runDiff } from '../ci/diff.js';
import { expectationsFromValue, parseExpectations, type Expectations } from '../ci/expectations.js';
import type { CheckReport, DiffReport } from '../ci/report.js';
import { InputError } from '../core/problem.js';
import type { Snapshot } from '../core/snapshot.js';
import type { SnapshotResolver } from './simulate.js';
import { validateBody } from './spec.js';

export interface CheckBody {
  snapshot?: string;
  expectations?: unknown;
  expectationsText?: string;
  expectationsFile?: string;
  overlay?: unknown;
  terraformPlan?: unknown;
  planFile?: string;
}

export interface DiffBody extends Omit<CheckBody, 'expectationsText' | 'expectationsFile'> {
  probes?: boolean;
}

export interface Progress {
  progress?: (done: number, total: number) => void;
}

async function candidateOf(b: CheckBody, snap: Snapshot): Promise<Candidate | undefined> {
  if (b.overlay !== undefined && b.terraformPlan !== undefined) throw new InputError('invalid_request', '/terraformPlan', 'give overlay or terraformPlan, not both');
  if (b.overlay !== undefined) return candidateFromOverlays(b.overlay, snap, '/overlay');
  if (b.terraformPlan !== undefined) return candidateFromPlan(b.terraformPlan, snap, '/terraformPlan', b.planFile ?? 'plan.json');
  return undefined;
}

function expectationsOf(b: CheckBody): Expectations | undefined {
  const file = b.expectationsFile ?? 'access.yaml';
  if (b.expectationsText !== undefined) return parseExpectations(b.expectationsText, file);
  if (b.expectations !== undefined) return expectationsFromValue(b.expectations, file, '/expectations');
  return undefined;
}

export async function checkFromBody(body: unknown, resolve: SnapshotResolver, opts: Progress = {}): Promise<CheckReport> {
  validateBody('runChecks', body);
  const b = body as CheckBody;
  const snap = await resolve(b.snapshot ?? 'active');
  const candidate = await candidateOf(b, snap);
  return runCheck(snap, expectationsOf(b)!, { ...opts, ...(candidate ? { candidate } : {}) });
}

export async function diffFromBody(body: unknown, resolve: SnapshotResolver, opts: Progress = {}): Promise<DiffReport> {
  validateBody('runDiff', body);
  const b = body as DiffBody;
  const snap = await resolve(b.snapshot ?? 'active');
  const expectations = expectationsOf(b);
  return runDiff(snap, (await candidateOf(b, snap))!, { ...opts, ...(expectations ? { expectations } : {}), ...(b.probes !== undefined ? { probes: b.probes } : {}) });
}
