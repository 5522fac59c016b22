/**
 * Principal access boundary (IAM v3): which policies bind the caller, whether their enforcement version
 * covers the permission, and whether any of them includes the resource.
 * https://cloud.google.com/iam/docs/principal-access-boundary-policies
 * https://cloud.google.com/iam/docs/pab-blocked-permissions
 */
import { permissionGroupMatches } from './catalog.js';
import type { CompiledOrError, ConditionOutcome } from './conditions.js';
import type { SourceLocation } from '../../src/core/decision.js';

/** The current default enforcement version (`latest` and an empty version follow it). */
const DEFAULT_ENFORCEMENT_VERSION = 4;

/**
 * Permissions that only later enforcement versions can block. Every other permission is treated as
 * blockable from version 1 (an approximation: the page lists version 1 service by service; this table
 * holds the later additions named there).
 */
const ADDED_IN: [version: number, patterns: string[]][] = [
  [2, ['accesscontextmanager.googleapis.com/*.*', 'containeranalysis.googleapis.com/*.*', 'bigquery.googleapis.com/datasets.*', 'bigquery.googleapis.com/jobs.*', 'bigquery.googleapis.com/models.*', 'bigquery.googleapis.com/routines.*', 'bigquery.googleapis.com/tables.*']],
  [3, ['essentialcontacts.googleapis.com/contacts.*', 'iam.googleapis.com/serviceAccounts.*', 'iam.googleapis.com/serviceAccountKeys.*']],
];

/** The first enforcement version that can block a v2 permission. */
export function firstVersionBlocking(v2Permission: string): number {
  for (const [version, patterns] of ADDED_IN) if (patterns.some((p) => permissionGroupMatches(p, v2Permission))) return version;
  return 1;
}

/** The version a policy enforces: a number, or `latest`/empty → the default. */
export function enforcementVersion(v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : DEFAULT_ENFORCEMENT_VERSION;
}

export interface PabRule {
  index: number;
  description?: string;
  effect: string;
  /** Full resource names, canonical. */
  resources: string[];
}

export interface PabPolicy {
  name: string;
  id: string;
  version: number;
  versionText: string;
  rules: PabRule[];
  document: unknown;
  source: SourceLocation;
}

export interface PabBinding {
  name: string;
  id: string;
  target: string;
  policy: string;
  condition?: CompiledOrError;
  document: unknown;
  source: SourceLocation;
}

export type PabState = 'ALLOWED' | 'NOT_ALLOWED' | 'NOT_ENFORCED';

export interface PabEntry {
  binding: PabBinding;
  /** Does the binding apply to the caller (its condition true, or not evaluable)? */
  bindingApplies: boolean;
  condition?: ConditionOutcome;
  policy?: PabPolicy;
  /** Is the permission in the policy's enforcement version? */
  versionCovers: boolean;
  /** Per rule: does it include the resource (the resource or an ancestor is listed)? */
  rules: { rule: PabRule; included: boolean; resources: { resource: string; included: boolean }[] }[];
  state: PabState;
}

export interface PabEvaluation {
  state: PabState;
  entries: PabEntry[];
}

/** Combines the entries: eligible when no policy is enforced, or any enforced policy includes the resource. */
export function pabState(entries: PabEntry[]): PabState {
  const enforced = entries.filter((e) => e.state !== 'NOT_ENFORCED');
  if (!enforced.length) return 'NOT_ENFORCED';
  return enforced.some((e) => e.state === 'ALLOWED') ? 'ALLOWED' : 'NOT_ALLOWED';
}

/** One binding's policy against the resource chain (canonical full names, resource first). */
export function pabEntry(binding: PabBinding, policy: PabPolicy | undefined, applies: boolean, condition: ConditionOutcome | undefined, v2Permission: string, chain: ReadonlySet<string>): PabEntry {
  const entry: PabEntry = { binding, bindingApplies: applies, versionCovers: false, rules: [], state: 'NOT_ENFORCED' };
  if (condition) entry.condition = condition;
  if (!policy) return entry;
  entry.policy = policy;
  entry.versionCovers = firstVersionBlocking(v2Permission) <= policy.version;
  entry.rules = policy.rules.map((rule) => {
    const resources = rule.resources.map((resource) => ({ resource, included: chain.has(resource) }));
    return { rule, included: rule.effect !== 'DENY' && resources.some((r) => r.included), resources };
  });
  if (!applies || !entry.versionCovers || !policy.rules.length) return entry;
  entry.state = entry.rules.some((r) => r.included) ? 'ALLOWED' : 'NOT_ALLOWED';
  return entry;
}
