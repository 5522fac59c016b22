/**
 * Principal access boundary (IAM v3): which policies bind the caller, whether their enforcement version
 * covers the permission, and whether any of them includes the resource.
 * https://cloud.google.com/iam/docs/principal-access-boundary-policies
 * https://cloud.google.com/iam/docs/pab-blocked-permissions
 */
import { readData, toV2Permission, v1Prefix } from './catalog.js';
import type { CompiledOrError, ConditionOutcome } from './conditions.js';
import type { SourceLocation } from '../../src/core/decision.js';

/** A row of the page's table for one version: the patterns it can block and, of those, what it can't. */
interface Row {
  service: string;
  permissions: string[];
  exceptions: string[];
  /** The v1 name the page gives for a pattern, where it differs (apikeys.googleapis.com/apikeys.* is serviceusage.apiKeys.*). */
  v1Names?: Record<string, string>;
}

interface EnforcementFile {
  source: string;
  defaultVersion: number;
  versions: Record<string, Row[]>;
}

/** A permission or pattern, split, in a spelling the page and the request share (see parse). */
interface Name {
  service: string;
  resource: string;
  verb: string;
}

/**
 * SERVICE_FQDN/RESOURCE.VERB split, with the v1 service prefix (the page writes Cloud SQL as
 * cloudsql.googleapis.com, where the v2 name of cloudsql.instances.get is sql.googleapis.com/instances.get)
 * and lower-cased (the page writes some resource types in another case than the permissions:
 * accessapproval.googleapis.com/serviceaccounts.get is accessapproval.serviceAccounts.get).
 * A lone `*` after the service is every permission, as `*.*` is.
 */
function parse(v2: string): Name | undefined {
  const slash = v2.indexOf('/');
  if (slash <= 0) return undefined;
  const rest = v2.slice(slash + 1).toLowerCase();
  const [resource, verb, extra] = rest === '*' ? ['*', '*'] : rest.split('.');
  if (!resource || !verb || extra !== undefined) return undefined;
  const fqdn = v2.slice(0, slash);
  return { service: (v1Prefix(fqdn) ?? fqdn).toLowerCase(), resource, verb };
}

/** A row's patterns, compiled: RESOURCE.VERB names, RESOURCE.* resources, *.VERB verbs, or *.* (every permission). */
class Patterns {
  private every = false;
  private readonly names = new Set<string>();
  private readonly resources = new Set<string>();
  private readonly verbs = new Set<string>();

  add({ resource, verb }: Name): void {
    if (resource === '*' && verb === '*') this.every = true;
    else if (verb === '*') this.resources.add(resource);
    else if (resource === '*') this.verbs.add(verb);
    else this.names.add(`${resource}.${verb}`);
  }

  has({ resource, verb }: Name): boolean {
    return this.every || this.resources.has(resource) || this.verbs.has(verb) || this.names.has(`${resource}.${verb}`);
  }
}

interface CompiledRow {
  version: number;
  patterns: Patterns;
  exceptions: Patterns;
}

const partialWildcard = (section: string): boolean => section !== '*' && section.includes('*');

function compile(patterns: string[]): { services: Set<string>; set: Patterns } {
  const set = new Patterns();
  const services = new Set<string>();
  for (const p of patterns) {
    const name = parse(p);
    // The page replaces whole sections by `*`; anything else would be read as a literal here.
    if (!name || partialWildcard(name.resource) || partialWildcard(name.verb)) throw new Error(`pab-enforcement.json: ${p} is not SERVICE_FQDN/RESOURCE.VERB with whole-section wildcards`);
    services.add(name.service);
    set.add(name);
  }
  return { services, set };
}

let table: { defaultVersion: number; byService: Map<string, CompiledRow[]> } | undefined;

/** The tables, read and compiled once: each version's rows filed under their service, lowest version first. */
function enforcement(): NonNullable<typeof table> {
  if (table) return table;
  const file = readData<EnforcementFile>('pab-enforcement.json');
  const byService = new Map<string, CompiledRow[]>();
  for (const [v, rows] of Object.entries(file.versions).sort(([a], [b]) => Number(a) - Number(b))) {
    for (const row of rows) {
      const aliases = Object.values(row.v1Names ?? {}).map(toV2Permission);
      const { services, set } = compile([...row.permissions, ...aliases]);
      const compiled: CompiledRow = { version: Number(v), patterns: set, exceptions: compile(row.exceptions).set };
      for (const service of services) {
        const list = byService.get(service);
        if (list) list.push(compiled);
        else byService.set(service, [compiled]);
      }
    }
  }
  return (table = { defaultVersion: file.defaultVersion, byService });
}

/**
 * The first enforcement version that can block a v2 permission; undefined when no version lists it (PAB
 * policies then have no effect on it). A version blocks what its own table lists and every earlier
 * version's; a row's exceptions are permissions it can't block though they match its patterns.
 * https://cloud.google.com/iam/docs/pab-blocked-permissions
 */
export function firstVersionBlocking(v2Permission: string): number | undefined {
  const name = parse(v2Permission);
  if (!name) return undefined;
  return enforcement().byService.get(name.service)?.find((r) => r.patterns.has(name) && !r.exceptions.has(name))?.version;
}

/** The version a policy enforces: a number, or `latest`/empty → the page's current default. */
export function enforcementVersion(v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : enforcement().defaultVersion;
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
  entry.versionCovers = (firstVersionBlocking(v2Permission) ?? Infinity) <= policy.version;
  entry.rules = policy.rules.map((rule) => {
    const resources = rule.resources.map((resource) => ({ resource, included: chain.has(resource) }));
    return { rule, included: rule.effect !== 'DENY' && resources.some((r) => r.included), resources };
  });
  if (!applies || !entry.versionCovers || !policy.rules.length) return entry;
  entry.state = entry.rules.some((r) => r.included) ? 'ALLOWED' : 'NOT_ALLOWED';
  return entry;
}
