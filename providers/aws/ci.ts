/**
 * The AWS side of the CI gate: Terraform plans as overlays (terraform.ts), the questions a diff asks about
 * what an overlay touches, and the principals an invariant quantifies over.
 */
import type { CiSupport, PrincipalSet, Probe } from '../../src/core/ci.js';
import type { PrincipalNode } from '../../src/core/graph.js';
import { globMatch, globParts } from '../../src/core/glob.js';
import { InputError } from '../../src/core/problem.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { arnPatternMatches, compileArnPattern, type ArnPattern } from './arn-pattern.js';
import { isAccountId, splitArn } from './arn.js';
import { actionName, isWildcardOnly } from './catalog.js';
import type { AwsEstate } from './estate.js';
import { compiledPolicy } from './policy-cache.js';
import type { CompiledStatement, PolicyKind } from './policy.js';
import { parseCaller } from './principal.js';
import { fromTerraform, TERRAFORM_TYPES } from './terraform.js';
import { lookupTable } from '../../src/core/lookup-table.js';

/** At most this many probes, the first in sorted order. */
export const MAX_PROBES = 20_000;
/** A `*` resource stands for at most this many resources of the snapshot. */
const MAX_EXPANSION = 200;
/** The object key a probe asks about where a policy names objects by pattern only. */
export const PROBE_KEY = 'iamsim-probe';
/**
 * An account outside the organization, as its root: snapshot-request evaluates a user or role of an account
 * it does not hold with no identity policies (so it can never reach across accounts), but an account root
 * with its own account's full permissions. The root therefore stands for "anyone that account's
 * administrators allow", which is what an outside account can do.
 */
const OUTSIDE_ACCOUNT = '999999999999';

/**
 * The sensitive actions of each resource type: read, write, delete and change-permissions actions, from the
 * Service Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/).
 */
export const SENSITIVE: Record<string, readonly string[]> = lookupTable({
  'aws:s3:bucket': ['s3:ListBucket', 's3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:DeleteBucket', 's3:GetObject', 's3:PutObject', 's3:DeleteObject'],
  'aws:kms:key': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:CreateGrant', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'],
  'aws:sqs:queue': ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:SetQueueAttributes', 'sqs:DeleteQueue'],
  'aws:sns:topic': ['sns:Publish', 'sns:Subscribe', 'sns:SetTopicAttributes', 'sns:DeleteTopic'],
  'aws:lambda:function': ['lambda:InvokeFunction', 'lambda:UpdateFunctionCode', 'lambda:AddPermission', 'lambda:DeleteFunction'],
  'aws:secretsmanager:secret': ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:PutResourcePolicy', 'secretsmanager:DeleteSecret'],
  'aws:ecr:repository': ['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:SetRepositoryPolicy', 'ecr:DeleteRepository'],
  role: ['sts:AssumeRole', 'iam:PassRole', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DeleteRole'],
  user: ['iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:PutUserPolicy', 'iam:AttachUserPolicy', 'iam:DeleteUser'],
});

/** A resource a probe can name: a resource of the snapshot, a role or a user. */
interface Target {
  arn: string;
  type: string;
  service: string;
}

const estateOf = (snapshot: Snapshot) => snapshot.compiledFor<AwsEstate>('aws');

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** S3 actions on objects rather than buckets (GetObject, PutObjectAcl, AbortMultipartUpload, ...). */
function isObjectAction(action: string): boolean {
  return action.startsWith('s3:') && /object|multipart/i.test(action);
}

/** Is the account part of the organization (or, without one, of the snapshot)? */
function inOrg(estate: AwsEstate, account: string): boolean {
  return estate.org ? estate.orgPath(account) !== undefined : estate.knowsAccount(account);
}

function callers(estate: AwsEstate): PrincipalNode[] {
  return [...estate.principals.values()].filter((p) => p.kind === 'user' || p.kind === 'role');
}

/**
 * Principals outside the organization that resource and trust policy statements grant to: account
 * principals as the account root, user and role ARNs as named together with their account's root, and web
 * identity providers (their users belong to no account of the organization). Principals a simulate body
 * cannot name (CanonicalUser) are left out.
 */
function outsidersIn(estate: AwsEstate, statements: Iterable<CompiledStatement>, out: Set<string>): void {
  for (const st of statements) {
    if (st.effect !== 'Allow' || st.notPrincipal) continue;
    for (const p of st.principals ?? []) {
      if (p.type === 'Federated' && typeof parseCaller(p.value) !== 'string') out.add(p.value);
      if (p.type !== 'AWS' || p.value === '*') continue;
      const account = isAccountId(p.value) ? p.value : splitArn(p.value)?.account;
      if (!account || !isAccountId(account) || inOrg(estate, account) || typeof parseCaller(p.value) === 'string') continue;
      out.add(`arn:aws:iam::${account}:root`);
      if (!isAccountId(p.value)) out.add(p.value);
    }
  }
}

/** The outsiders the snapshot's resource and trust policies grant to: read once per snapshot, not per invariant. */
const outsidersByEstate = new WeakMap<AwsEstate, ReadonlySet<string>>();

function namedOutsiders(estate: AwsEstate): ReadonlySet<string> {
  let out = outsidersByEstate.get(estate);
  if (out) return out;
  const g = estate.snapshot.graph;
  const found = new Set<string>();
  for (const a of g.data.attachments) {
    const node = a.kind === 'resource' || a.kind === 'trust' ? g.policy(a.policy) : undefined;
    const compiled = node && estate.compiledPolicy(node, 'resource');
    if (compiled) outsidersIn(estate, compiled.statements, found);
  }
  outsidersByEstate.set(estate, (out = found));
  return out;
}

/**
 * `principals` of the AWS provider's CI support: ids as a simulate body names them, sorted. Outsiders are
 * the accounts and roles outside the organization that resource and trust policies (the snapshot's and the
 * overlay's) name, and one account nothing names; `all` holds them too, since they can call as well.
 */
export function principals(snapshot: Snapshot, which: PrincipalSet, overlay?: Record<string, unknown>): string[] {
  return principalSet(estateOf(snapshot), which, overlay ? changesOf(snapshot, overlay) : []);
}

function principalSet(estate: AwsEstate, which: PrincipalSet, changes: readonly Change[]): string[] {
  const out = new Set(['anonymous']);
  if (which === 'all') for (const p of callers(estate)) out.add(p.id);
  if (which !== 'public') {
    for (const p of namedOutsiders(estate)) out.add(p);
    for (const c of changes) if (c.kind === 'resource' || c.kind === 'trust') outsidersIn(estate, c.statements, out);
    let n = Number(OUTSIDE_ACCOUNT);
    while (inOrg(estate, String(n)) || estate.knowsAccount(String(n))) n--;
    out.add(`arn:aws:iam::${n}:root`);
  }
  return [...out].sort(byString);
}

/** A Resource pattern as a plain ARN pattern: policy variables match anything. */
function patternOf(raw: string): ArnPattern {
  return compileArnPattern(globParts(raw.replace(/\$\{[^}]*\}/g, '*')));
}

/** A concrete object ARN a pattern names: wildcards and variables filled with PROBE_KEY. */
function sampleOf(raw: string): string {
  return raw.replace(/\$\{[^}]*\}/g, PROBE_KEY).replace(/\*/g, PROBE_KEY).replace(/\?/g, 'x');
}

/** The probes of one snapshot and overlay, collected deduplicated. */
class ProbeSet {
  readonly estate: AwsEstate;
  private readonly seen = new Set<string>();
  readonly probes: Probe[] = [];
  readonly targets: Target[];
  /** Object ARNs of each bucket the overlay's documents name, plus the default sample. */
  private readonly objects = new Map<string, Set<string>>();

  constructor(snapshot: Snapshot) {
    this.estate = estateOf(snapshot);
    const g = snapshot.graph;
    const resources = g.data.scopes.filter((s) => s.provider === 'aws' && s.resource).map((s) => ({ arn: s.id, type: s.kind, service: splitArn(s.id)?.service ?? '' }));
    const principals = callers(this.estate).map((p) => ({ arn: p.id, type: p.kind, service: 'iam' }));
    this.targets = [...resources, ...principals].sort((a, b) => byString(a.arn, b.arn));
    for (const t of this.targets) if (t.type === 'aws:s3:bucket') this.objects.set(t.arn, new Set([`${t.arn}/${PROBE_KEY}`]));
  }

  /** Remembers the object ARNs a document's S3 patterns name, so that probes ask about those objects. */
  noteObjects(statements: readonly CompiledStatement[]): void {
    for (const st of statements) {
      for (const r of st.resources ?? []) {
        const sample = sampleOf(r.raw);
        const slash = sample.indexOf('/');
        if (slash !== -1) this.objects.get(sample.slice(0, slash))?.add(sample);
      }
    }
  }

  /** One question; an action that takes no resource is asked about `*`. */
  add(principal: string, action: string, resource: string): void {
    const [service, name] = action.toLowerCase().split(':') as [string, string];
    const r = isWildcardOnly(service, name) ? '*' : resource;
    const key = `${principal}\u0000${action}\u0000${r}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.probes.push({ principal, action, resource: r });
  }

  /** The object ARNs asked about in a bucket (none for other targets). */
  objectsOf(t: Target): string[] {
    return [...(this.objects.get(t.arn) ?? [])];
  }

  /** The resources an action is asked about on a target: a bucket's objects for object actions. */
  resourcesFor(t: Target, action: string): string[] {
    return t.type === 'aws:s3:bucket' && isObjectAction(action) ? this.objectsOf(t) : [t.arn];
  }

  /** The service prefixes whose actions a target answers: a role is assumed through STS and passed through IAM. */
  static services(t: Target): string[] {
    return t.type === 'role' || t.type === 'user' ? ['iam', 'sts'] : [t.service];
  }
}

/** The documents an overlay sets or drops, with where each applies. */
interface Touched {
  kind: string;
  target: string;
  documents: unknown[];
}

function touched(snapshot: Snapshot, overlay: Record<string, unknown>): Touched[] {
  const g = snapshot.graph;
  const out: Touched[] = [];
  const list = (k: string) => (Array.isArray(overlay[k]) ? (overlay[k] as unknown[]) : []);
  for (const a of list('add') as { attachment?: string; target?: string; document?: unknown }[]) {
    if (a.attachment && a.target) out.push({ kind: a.attachment, target: a.target, documents: [a.document] });
  }
  const stored = (id: string, documents: unknown[]) => {
    const node = g.policy(id);
    if (!node) return;
    for (const a of g.attachmentsOf(id)) out.push({ kind: a.kind, target: a.target, documents: [...documents, node.document] });
  };
  for (const r of list('replace') as { id?: string; document?: unknown }[]) if (r.id) stored(r.id, [r.document]);
  for (const id of list('remove')) if (typeof id === 'string') stored(id, []);
  return out;
}

const KIND: Record<string, PolicyKind> = lookupTable({ identity: 'identity', boundary: 'permissions_boundary', scp: 'scp', rcp: 'rcp', resource: 'resource', trust: 'resource' });

/** The statements of documents an overlay carries; a document the engine would reject asks nothing. */
function statementsOf(kind: string, documents: unknown[]): CompiledStatement[] {
  const out: CompiledStatement[] = [];
  for (const d of documents) {
    try {
      out.push(...compiledPolicy(KIND[kind] ?? 'identity', d).statements);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
    }
  }
  return out;
}

/** What an overlay touches, with the statements of its old and new documents. */
type Change = Touched & { statements: CompiledStatement[] };

function changesOf(snapshot: Snapshot, overlay: Record<string, unknown>): Change[] {
  return touched(snapshot, overlay).map((t) => ({ ...t, statements: statementsOf(t.kind, t.documents) }));
}

/** The action as AWS spells it (`s3:GetObject`), or undefined for a pattern. */
function concreteAction(service: string, name: string): string | undefined {
  if (service === '*' || /[*?]/.test(name)) return undefined;
  return `${service}:${actionName(service, name) ?? name}`;
}

/** Does the statement's Action (or NotAction) cover this action? */
function covers(st: CompiledStatement, action: string): boolean {
  const [service, name] = action.toLowerCase().split(':') as [string, string];
  const named = st.actions.some((a) => a.service === '*' || (a.service === service && globMatch(a.name, name)));
  return st.notAction ? !named : named;
}

/** The actions a statement names for a target: its concrete ones of the target's services, and the target's sensitive ones it covers. */
function actionsFor(st: CompiledStatement, t: Target): string[] {
  const services = ProbeSet.services(t);
  const out = new Set<string>();
  if (!st.notAction) {
    for (const a of st.actions) {
      const concrete = services.includes(a.service) ? concreteAction(a.service, a.name.source) : undefined;
      if (concrete) out.add(concrete);
    }
  }
  for (const a of SENSITIVE[t.type] ?? []) if (covers(st, a)) out.add(a);
  return [...out];
}

/** The snapshot's targets a statement's Resource element names (a `*` capped at MAX_EXPANSION). */
function targetsOf(st: CompiledStatement, set: ProbeSet): Target[] {
  if (!st.resources) return [];
  const services = st.services;
  const eligible = set.targets.filter((t) => services === null || ProbeSet.services(t).some((s) => services.has(s)));
  const patterns = st.resources.map((r) => patternOf(r.raw));
  const named = (t: Target) => patterns.some((p) => arnPatternMatches(p, t.arn) || set.objectsOf(t).some((o) => arnPatternMatches(p, o)));
  const out = eligible.filter((t) => named(t) !== st.notResource);
  return st.notResource || st.resources.some((r) => r.raw === '*') ? out.slice(0, MAX_EXPANSION) : out;
}

/** Users and roles in the accounts under a root, OU or account. */
function holdersUnder(estate: AwsEstate, scope: string): string[] {
  const g = estate.snapshot.graph;
  return callers(estate).filter((p) => p.scope && g.ancestors(p.scope).some((s) => s.id === scope)).map((p) => p.id);
}

/** Resources in the accounts under a root, OU or account. */
function resourcesUnder(set: ProbeSet, scope: string): Target[] {
  const g = set.estate.snapshot.graph;
  return set.targets.filter((t) => g.ancestors(t.arn).some((s) => s.id === scope) || (t.type === 'role' || t.type === 'user') && g.ancestors(g.principal(t.arn)?.scope ?? '').some((s) => s.id === scope));
}

/** Principals of an identity, boundary or SCP change x the actions its statements name x the snapshot resources they name. */
function principalSide(set: ProbeSet, holders: readonly string[], statements: readonly CompiledStatement[]): void {
  for (const st of statements) {
    for (const t of targetsOf(st, set)) {
      for (const action of actionsFor(st, t)) {
        for (const r of set.resourcesFor(t, action)) for (const h of holders) set.add(h, action, r);
      }
    }
  }
}

/** Every caller x the sensitive actions on a resource, and the concrete actions the statements name for it. */
function resourceSide(set: ProbeSet, who: readonly string[], t: Target, statements: readonly CompiledStatement[], onlyCovered: boolean): void {
  const actions = new Set<string>(onlyCovered ? [] : SENSITIVE[t.type] ?? []);
  for (const st of statements) for (const a of actionsFor(st, t)) actions.add(a);
  for (const action of actions) for (const r of set.resourcesFor(t, action)) for (const p of who) set.add(p, action, r);
}

/**
 * `probes` of the AWS provider's CI support: for a policy on a principal (identity, boundary; an SCP on the
 * principals under its target), that principal x the actions the policy names x the resources it names; for
 * a policy on a resource (resource policy, trust policy; an RCP on the resources under its target), every
 * caller, the outside ones included, x the resource's sensitive actions and those the policy names. Old and
 * new documents both count. Sorted, deduplicated, at most MAX_PROBES.
 */
export function probes(snapshot: Snapshot, overlay: Record<string, unknown>): Probe[] {
  const set = new ProbeSet(snapshot);
  const g = snapshot.graph;
  const changes = changesOf(snapshot, overlay);
  for (const c of changes) set.noteObjects(c.statements);
  // Every caller of the snapshot, the outside ones, and the outsiders the overlay's own policies name.
  const everyone = principalSet(set.estate, 'all', changes);
  const targetByArn = new Map(set.targets.map((t) => [t.arn, t]));
  for (const c of changes) {
    if (c.kind === 'identity' || c.kind === 'boundary') {
      const holders = g.principal(c.target)?.kind === 'group' ? g.membersOf(c.target) : [c.target];
      principalSide(set, holders.filter((h) => set.estate.principals.has(h)), c.statements);
    } else if (c.kind === 'scp') {
      principalSide(set, holdersUnder(set.estate, c.target), c.statements);
    } else if (c.kind === 'resource' || c.kind === 'trust') {
      const t = targetByArn.get(c.target);
      if (t) resourceSide(set, everyone, t, c.statements, false);
    } else if (c.kind === 'rcp') {
      for (const t of resourcesUnder(set, c.target)) resourceSide(set, everyone, t, c.statements, true);
    }
  }
  const sorted = set.probes.sort((a, b) => byString(a.principal, b.principal) || byString(a.action, b.action) || byString(a.resource, b.resource));
  return sorted.slice(0, MAX_PROBES);
}

export const awsCi: CiSupport = { terraformTypes: TERRAFORM_TYPES, fromTerraform, probes, principals };
