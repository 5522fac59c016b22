/**
 * The request context: what the caller gave, what the engine can derive from the principal and the
 * resource, and what is known to be absent. Everything else is unknown, and a condition on it stays open.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
import type { ConditionTrace } from '../../src/core/decision.js';
import type { Caller } from './principal.js';
import { BoundedMap } from '../../src/core/bounded.js';

export type KeySource = ConditionTrace['keySource'];

export type KeyValue =
  | { kind: 'present'; values: string[]; source: KeySource }
  | { kind: 'absent'; source: KeySource }
  | { kind: 'unknown' };

export type SingleValue = { kind: 'present'; value: string } | { kind: 'absent' } | { kind: 'unknown' };

const UNKNOWN: KeyValue = { kind: 'unknown' };

export interface ContextView {
  get(lowerKey: string): KeyValue;
  single(lowerKey: string): SingleValue;
}

export interface ContextFacts {
  caller: Caller;
  resourceAccount?: string;
  region?: string;
  viaVpcEndpoint: boolean;
  /** What a snapshot knows besides: tags, organization ids, unique ids (lower-case keys, no key in two of them). */
  extras?: readonly Facts[];
  /** Key prefixes whose every key is known, so a missing one is absent (e.g. all of a principal's tags). */
  completePrefixes?: readonly string[];
}

/** Known keys (lower-case): a Map, or one key alone. */
export interface Facts {
  get(lowerKey: string): KeyValue | undefined;
}

/** One known key: cheaper than a Map for a fact made per request. */
export function oneFact(lowerKey: string, value: KeyValue): Facts {
  return { get: (k) => (k === lowerKey ? value : undefined) };
}

export function known(values: string[]): KeyValue {
  return { kind: 'present', values, source: 'derived' };
}

function present(values: string[], source: KeySource = 'derived'): KeyValue {
  return { kind: 'present', values, source };
}
const ABSENT_DERIVED: KeyValue = { kind: 'absent', source: 'derived' };
const ABSENT_DEFAULT: KeyValue = { kind: 'absent', source: 'default' };

/** Keys derived from the principal and the resource (specs/aws.md section 4, fixtures/aws/README.md). */
function derive(f: ContextFacts): Map<string, KeyValue> {
  const c = f.caller;
  const m = new Map<string, KeyValue>();
  const signedIam = c.kind === 'user' || c.kind === 'role_session' || c.kind === 'federated_user' || c.kind === 'root';
  const principalArn = c.kind === 'role_session' ? c.parentArn : c.arn;
  m.set('aws:principalarn', signedIam && principalArn ? present([principalArn]) : ABSENT_DERIVED);
  m.set('aws:principalaccount', signedIam && c.account ? present([c.account]) : ABSENT_DERIVED);
  const type = { user: 'User', role_session: 'AssumedRole', federated_user: 'FederatedUser', root: 'Account', anonymous: 'Anonymous' } as const;
  m.set('aws:principaltype', c.kind in type ? present([type[c.kind as keyof typeof type]]) : ABSENT_DERIVED);
  if (c.kind === 'federated_user') m.set('aws:userid', present([`${c.account}:${c.name}`]));
  if (c.kind === 'root') m.set('aws:userid', present([c.account!]));
  if (c.kind === 'anonymous') m.set('aws:userid', present(['anonymous']));
  m.set('aws:username', c.kind === 'user' ? present([c.name]) : ABSENT_DERIVED);
  m.set('aws:principalisawsservice', c.kind === 'anonymous' ? ABSENT_DERIVED : present([c.kind === 'service' ? 'true' : 'false']));
  m.set('aws:principalservicename', c.kind === 'service' ? present([c.name]) : ABSENT_DERIVED);
  m.set('aws:principalservicenameslist', c.kind === 'service' ? present([c.name]) : ABSENT_DERIVED);
  if (f.resourceAccount) m.set('aws:resourceaccount', present([f.resourceAccount]));
  if (f.region) m.set('aws:requestedregion', present([f.region]));
  m.set('aws:securetransport', present(['true'], 'default'));
  m.set('aws:viaawsservice', present(['false'], 'default'));
  for (const k of ['aws:calledvia', 'aws:calledviafirst', 'aws:calledvialast']) m.set(k, ABSENT_DEFAULT);
  for (const k of ['aws:sourcevpce', 'aws:sourcevpc', 'aws:vpcsourceip']) m.set(k, f.viaVpcEndpoint ? UNKNOWN : ABSENT_DERIVED);
  if (f.viaVpcEndpoint) m.set('aws:sourceip', ABSENT_DERIVED);
  if (c.kind !== 'service') for (const k of ['aws:sourcearn', 'aws:sourceaccount', 'aws:sourceowner']) m.set(k, ABSENT_DERIVED);
  if (!signedIam || c.kind === 'root') for (const k of ['aws:principalorgid', 'aws:principalorgpaths']) m.set(k, ABSENT_DERIVED);
  return m;
}

function noPrincipalTags(c: Caller): boolean {
  return c.kind === 'anonymous' || c.kind === 'service' || c.kind === 'root' || c.kind === 'web_identity';
}

export type RequestContext = Record<string, string | number | boolean | null | (string | number | boolean)[]>;

const MAX_CALLERS = 1024;
const MAX_PER_CALLER = 64;
const derivedCache = new BoundedMap<string, BoundedMap<string, Map<string, KeyValue>>>(MAX_CALLERS);

/**
 * The derived keys depend only on the facts: computed once per distinct caller and resource owner. Kept by
 * the caller's ARN first (a string the caller keeps), then by the rest, so that the keys built per request are short.
 */
function derived(f: ContextFacts): Map<string, KeyValue> {
  // What derive() reads: a role session's name plays no part, so all sessions of a role share an entry.
  const c = f.caller;
  const who = (c.kind === 'role_session' ? c.parentArn : c.arn) ?? c.display;
  const rest = `${c.kind}\u0000${c.kind === 'role_session' ? c.serviceLinked : ''}\u0000${f.resourceAccount ?? ''}\u0000${f.region ?? ''}\u0000${f.viaVpcEndpoint}`;
  const perCaller = derivedCache.get(who) ?? derivedCache.remember(who, new BoundedMap(MAX_PER_CALLER));
  return perCaller.get(rest) ?? perCaller.remember(rest, derive(f));
}

/** The keys the request gave, then what the snapshot knows, then the derived keys; else absent or unknown. */
class View implements ContextView {
  constructor(
    private readonly given: ReadonlyMap<string, KeyValue> | undefined,
    private readonly extras: readonly Facts[],
    private readonly base: ReadonlyMap<string, KeyValue>,
    private readonly tagless: boolean,
    private readonly complete: readonly string[],
    private readonly fallback: KeyValue,
  ) {}

  get(key: string): KeyValue {
    let v = this.given?.get(key);
    for (let i = 0; v === undefined && i < this.extras.length; i++) v = this.extras[i]!.get(key);
    v ??= this.base.get(key);
    if (v) return v;
    if (this.tagless && key.startsWith('aws:principaltag/')) return ABSENT_DERIVED;
    for (const prefix of this.complete) if (key.startsWith(prefix)) return ABSENT_DERIVED;
    return this.fallback;
  }

  single(key: string): SingleValue {
    const v = this.get(key);
    if (v.kind !== 'present') return v;
    return v.values.length === 1 ? { kind: 'present', value: v.values[0]! } : { kind: 'absent' };
  }
}

const NO_EXTRAS: readonly Facts[] = [];
const NO_PREFIXES: readonly string[] = [];

export function buildContext(f: ContextFacts, given: RequestContext | undefined, unknownIsAbsent: boolean): ContextView {
  let overlay: Map<string, KeyValue> | undefined;
  if (given) {
    overlay = new Map();
    for (const [k, v] of Object.entries(given)) {
      overlay.set(k.toLowerCase(), v === null ? { kind: 'absent', source: 'request' } : present(Array.isArray(v) ? v.map(String) : [String(v)], 'request'));
    }
  }
  return new View(overlay, f.extras ?? NO_EXTRAS, derived(f), noPrincipalTags(f.caller), f.completePrefixes ?? NO_PREFIXES, unknownIsAbsent ? ABSENT_DEFAULT : UNKNOWN);
}
