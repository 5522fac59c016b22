/**
 * An AWS estate compiled from a snapshot, once: every attached policy compiled, principals by ARN, roles
 * by account and name, each account's SCP and RCP levels from the root down, resources by ARN.
 */
import type { PolicyRef, Warning } from '../../src/core/decision.js';
import type { PolicyNode, PrincipalNode, ScopeNode } from '../../src/core/graph.js';
import type { Position } from '../../src/core/json-text.js';
import { InputError } from '../../src/core/problem.js';
import type { LoadWarning } from '../../src/core/provider.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { known, type KeyValue } from './context.js';
import { keep } from './layers.js';
import { compilePolicy, type CompiledPolicy, type PolicyKind, type PolicyUse } from './policy.js';
import type { Level } from './request.js';
import { lookupTable } from '../../src/core/lookup-table.js';

export interface OrgInfo {
  id?: string;
  rootId: string;
  management?: string;
  scpEnabled: boolean;
  rcpEnabled: boolean;
}

const KIND_OF_ATTACHMENT: Record<string, PolicyKind> = lookupTable({
  identity: 'identity',
  boundary: 'permissions_boundary',
  scp: 'scp',
  rcp: 'rcp',
  resource: 'resource',
  trust: 'resource',
});

const POLICY_TYPE: Record<string, string> = lookupTable({
  'aws:managed': 'managed_policy',
  'aws:inline': 'inline_policy',
  'aws:trust': 'role_trust_policy',
  'aws:scp': 'scp',
  'aws:rcp': 'rcp',
  'aws:resource': 'resource_policy',
});

export class AwsEstate {
  readonly principals = new Map<string, PrincipalNode>();
  readonly roleByName = new Map<string, PrincipalNode>();
  readonly org?: OrgInfo;
  private readonly compiled = new Map<string, CompiledPolicy | null>();
  private readonly uses = new Map<string, PolicyUse | null>();
  private readonly scpLevels = new Map<string, Level[] | undefined>();
  private readonly orgPaths = new Map<string, string | undefined>();
  private readonly holderUses = new Map<string, Holding>();
  private readonly resourceViews = new Map<string, ResourceView>();
  private readonly resourceUses = { resource: new Map<string, PolicyUse | undefined>(), trust: new Map<string, PolicyUse | undefined>() };
  private readonly rcpLevels = new Map<string, Level[] | undefined>();
  private readonly tagged = new Map<PrincipalNode | ScopeNode, ReadonlyMap<string, KeyValue>>();
  private readonly accounts = new Map<string, AccountFacts>();

  constructor(
    readonly snapshot: Snapshot,
    private readonly warn: (w: LoadWarning) => void,
  ) {
    const g = snapshot.graph;
    for (const p of g.data.principals) {
      if (p.provider !== 'aws') continue;
      this.principals.set(p.id, p);
      if (p.kind === 'role') this.roleByName.set(`${p.scope}/${p.name}`, p);
    }
    const root = g.data.scopes.find((s) => s.kind === 'aws:root');
    if (root) {
      const a = root.attrs ?? {};
      const org: OrgInfo = { rootId: root.id, scpEnabled: a.scpEnabled !== false, rcpEnabled: a.rcpEnabled === true };
      if (typeof a.orgId === 'string') org.id = a.orgId;
      if (typeof a.managementAccount === 'string') org.management = a.managementAccount;
      this.org = org;
    }
    // Compile every attached policy now, so a policy AWS would reject is reported at upload.
    for (const a of g.data.attachments) {
      const node = g.policy(a.policy);
      if (node?.provider === 'aws' && KIND_OF_ATTACHMENT[a.kind]) this.compiledPolicy(node, KIND_OF_ATTACHMENT[a.kind]!);
    }
    // Every principal's, account's and resource's view is built now, so no request pays for a first use.
    for (const p of this.principals.values()) if (p.kind === 'user' || p.kind === 'role') this.holderPolicies(p);
    for (const s of g.data.scopes) {
      if (s.kind !== 'aws:account') continue;
      const facts: AccountFacts = { principalOrg: this.orgKeys(s.id, 'principal'), resourceOrg: this.orgKeys(s.id, 'resource') };
      const scps = this.levels('scp', s.id);
      const rcps = this.levels('rcp', s.id);
      if (scps) facts.scps = scps;
      if (rcps) facts.rcps = rcps;
      this.accounts.set(s.id, facts);
    }
    for (const a of g.data.attachments) if (a.kind === 'resource' || a.kind === 'trust') this.resourcePolicy(a.target, a.kind);
  }

  compiledPolicy(node: PolicyNode, kind: PolicyKind): CompiledPolicy | null {
    const key = `${node.id}\u0000${kind}`;
    let c = this.compiled.get(key);
    if (c !== undefined) return c;
    try {
      c = compilePolicy(kind, node.document);
      // AWS managed policies may still name retired services: catalogue warnings about them are noise.
      const awsManaged = node.id.startsWith('arn:aws:iam::aws:policy/') || node.attrs?.awsManaged === true;
      for (const w of c.warnings) {
        if (awsManaged && (w.code === 'unknown_service' || w.code === 'unknown_action')) continue;
        this.warn({ ...w, file: node.origin.file, pointer: node.origin.pointer + (w.pointer ?? '') });
      }
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      c = null;
      this.warn({ code: 'invalid_policy', message: `${node.name} is left out: ${e.message}`, file: node.origin.file, pointer: node.origin.pointer + e.pointer });
    }
    this.compiled.set(key, c);
    return c;
  }

  /** A scope as explanations name it: "ou-ab12-11111111 (Workloads)". */
  label(id: string): string {
    const s = this.snapshot.graph.scope(id);
    return s && s.name && s.name !== id ? `${id} (${s.name})` : id;
  }

  /** A stored policy as the evaluator uses it, pointing back into its file. */
  use(node: PolicyNode, attachment: string, attachedTo: string): PolicyUse | null {
    const kind = KIND_OF_ATTACHMENT[attachment]!;
    const key = `${node.id}\u0000${attachment}\u0000${attachedTo}`;
    let u = this.uses.get(key);
    if (u !== undefined) return u;
    const compiled = this.compiledPolicy(node, kind);
    if (!compiled) {
      this.uses.set(key, null);
      return null;
    }
    const { file, pointer } = node.origin;
    const ref: PolicyRef = { id: node.id, name: node.name, type: POLICY_TYPE[node.type] ?? node.type, attachedTo, source: { file, pointer } };
    const snap = this.snapshot;
    // A document kept as JSON text in its file (URL-encoded, or a Content string) has no lines of its own:
    // its statements point at where the text starts.
    let found: Map<string, Position | undefined> | undefined;
    const locate = node.attrs?.text
      ? () => snap.locate(file, pointer)
      : (rel: string) => {
          // Answers name the same few statements again and again: each is looked up once.
          found ??= new Map();
          if (found.has(rel)) return found.get(rel);
          const pos = snap.locate(file, pointer + rel);
          found.set(rel, pos);
          return pos;
        };
    u = { kind, ref, compiled, docPointer: pointer, file, locate };
    this.uses.set(key, u);
    return u;
  }

  /** The policies attached to targets with the given attachment kind, skipping those left out. */
  attached(targets: readonly string[], attachment: string, label: (target: string) => string, overlay?: Overlay): PolicyUse[] {
    const out: PolicyUse[] = [];
    const g = this.snapshot.graph;
    for (const t of targets) {
      for (const a of g.attachedTo(t)) {
        if (a.kind !== attachment || overlay?.removed.has(a.policy)) continue;
        const replaced = overlay?.replaced.get(a.policy);
        if (replaced) {
          out.push(replaced(a.kind, label(t)));
          continue;
        }
        const node = g.policy(a.policy);
        const u = node && this.use(node, attachment, label(t));
        if (u) out.push(u);
      }
      for (const add of overlay?.added.get(`${attachment}\u0000${t}`) ?? []) out.push(add);
    }
    return out;
  }

  /** root, each OU, the account: root first. Undefined when the account is not in an organization. */
  private path(account: string): ScopeNode[] | undefined {
    const chain = this.snapshot.graph.ancestors(account);
    if (!this.org || chain.length < 2 || chain[chain.length - 1]!.kind !== 'aws:root') return undefined;
    return [...chain].reverse();
  }

  /** The SCP (or RCP) levels of an account, root first. Undefined when none apply. */
  levels(kind: 'scp' | 'rcp', account: string, overlay?: Overlay): Level[] | undefined {
    const cache = kind === 'scp' ? this.scpLevels : this.rcpLevels;
    if (!overlay && cache.has(account)) return cache.get(account);
    const enabled = kind === 'scp' ? this.org?.scpEnabled : this.org?.rcpEnabled;
    const path = enabled ? this.path(account) : undefined;
    const levels = path?.map((s): Level => ({ target: s.id, policies: this.attached([s.id], kind, (t) => this.label(t), overlay) }));
    if (!overlay) cache.set(account, levels && keep(levels));
    return levels;
  }

  /** aws:PrincipalOrgPaths / aws:ResourceOrgPaths: o-id/r-id/ou-.../ for the account. */
  orgPath(account: string): string | undefined {
    if (this.orgPaths.has(account)) return this.orgPaths.get(account);
    const path = this.path(account);
    const value = path && this.org?.id ? `${this.org.id}/${path.slice(0, -1).map((s) => s.id).join('/')}/` : undefined;
    this.orgPaths.set(account, value);
    return value;
  }

  /** A user's or role's identity policies (its own and its groups'), boundary and tags; kept unless an overlay applies. */
  holderPolicies(holder: PrincipalNode, overlay?: Overlay): Holding {
    const seen = overlay ? undefined : this.holderUses.get(holder.id);
    if (seen) return seen;
    const targets = [holder.id, ...this.snapshot.graph.groupsOf(holder.id)];
    const identity = this.attached(targets, 'identity', (t) => t, overlay);
    const out: Holding = { identity: overlay ? identity : keep(identity), tags: this.tagFacts(holder, 'aws:principaltag/') };
    // One boundary per principal: an overlay's added boundary stands in for the stored one.
    const boundary = this.attached([holder.id], 'boundary', (t) => t, overlay).at(-1);
    if (boundary) out.boundary = boundary;
    if (!overlay) this.holderUses.set(holder.id, out);
    return out;
  }

  /** The policy of a resource (or a role's trust policy); kept unless an overlay applies. */
  resourcePolicy(id: string, attachment: 'resource' | 'trust', overlay?: Overlay): PolicyUse | undefined {
    const kept = this.resourceUses[attachment];
    if (!overlay && kept.has(id)) return kept.get(id);
    // One policy per resource: an overlay's added policy stands in for the stored one.
    const use = this.attached([id], attachment, () => id, overlay).at(-1);
    if (!overlay) kept.set(id, use);
    return use;
  }

  /** A resource as requests use it, in one object: its policy, tags and RestrictPublicBuckets; kept unless an overlay applies. */
  resourceView(node: ScopeNode, overlay?: Overlay): ResourceView {
    const seen = overlay ? undefined : this.resourceViews.get(node.id);
    if (seen) return seen;
    const account = node.parent ? this.snapshot.graph.scope(node.parent) : undefined;
    const view: ResourceView = {
      node,
      policy: this.resourcePolicy(node.id, 'resource', overlay),
      tags: this.tagFacts(node, 'aws:resourcetag/'),
      restrictPublic: node.attrs?.restrictPublicBuckets === true || account?.attrs?.restrictPublicBuckets === true,
      named: new Map(),
    };
    if (!overlay) this.resourceViews.set(node.id, view);
    return view;
  }

  /** A principal's tags as aws:PrincipalTag/... keys, or a resource's as aws:ResourceTag/...: built once per node. */
  private tagFacts(node: PrincipalNode | ScopeNode, prefix: 'aws:principaltag/' | 'aws:resourcetag/'): ReadonlyMap<string, KeyValue> {
    let facts = this.tagged.get(node);
    if (!facts) {
      const m = new Map<string, KeyValue>();
      for (const [k, v] of Object.entries(node.tags ?? {})) m.set(`${prefix}${k.toLowerCase()}`, known([v]));
      this.tagged.set(node, (facts = m));
    }
    return facts;
  }

  /** aws:PrincipalOrgID and aws:PrincipalOrgPaths (or the Resource ones) of an account in the snapshot. */
  private orgKeys(account: string, side: 'principal' | 'resource'): ReadonlyMap<string, KeyValue> {
    const path = this.orgPath(account);
    const absent: KeyValue = { kind: 'absent', source: 'derived' };
    return new Map([
      [`aws:${side}orgid`, path && this.org?.id ? known([this.org.id]) : absent],
      [`aws:${side}orgpaths`, path ? known([path]) : absent],
    ]);
  }

  /** What requests need of an account of the snapshot, built at load; undefined for an account not in it. */
  account(id: string): AccountFacts | undefined {
    return this.accounts.get(id);
  }

  isManagement(account: string | undefined): boolean {
    return account !== undefined && account === this.org?.management;
  }

  /** Is this account part of the snapshot (from an IAM export, the organization or a resource)? */
  knowsAccount(account: string): boolean {
    return this.accounts.has(account);
  }
}

/** A user's or role's policies and tags, as requests use them. */
export interface Holding {
  identity: PolicyUse[];
  boundary?: PolicyUse;
  /** aws:PrincipalTag/... */
  tags: ReadonlyMap<string, KeyValue>;
}

/** A resource of the snapshot as requests use it. */
export interface ResourceView {
  node: ScopeNode;
  policy: PolicyUse | undefined;
  /** aws:ResourceTag/... */
  tags: ReadonlyMap<string, KeyValue>;
  /** RestrictPublicBuckets is on for the bucket or its account. */
  restrictPublic: boolean;
  /** The policy as each kind of access names it (bucket policy, key policy, ...): made on first use. */
  named: Map<string, PolicyUse>;
}

/** An account of the snapshot as requests see it. */
export interface AccountFacts {
  /** Its SCP and RCP levels, root first (none when not in an organization with the policy type on). */
  scps?: Level[];
  rcps?: Level[];
  /** The organization keys of a principal of the account, and of a resource it owns. */
  principalOrg: ReadonlyMap<string, KeyValue>;
  resourceOrg: ReadonlyMap<string, KeyValue>;
}

/** A what-if change applied at query time: nothing stored is modified. */
export interface Overlay {
  removed: ReadonlySet<string>;
  replaced: ReadonlyMap<string, (attachment: string, attachedTo: string) => PolicyUse>;
  /** By `${attachment}\u0000${target}`. */
  added: ReadonlyMap<string, PolicyUse[]>;
  warnings: Warning[];
}
