/**
 * A GCP snapshot compiled once: allow policies by resource with each binding's role permission Set and
 * compiled condition, deny policies by attachment point, PAB policies and bindings by target principal
 * set, custom roles, organization policies by node, the domain → customer map and project aliases.
 * Nothing here is walked per request except the resource's own ancestor chain.
 */
import type { SourceLocation } from '../../src/core/decision.js';
import { BoundedMap } from '../../src/core/bounded.js';
import { NONE, push, type PolicyNode, type ScopeNode } from '../../src/core/graph.js';
import type { LoadWarning } from '../../src/core/provider.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { basicRoles, predefinedRole, toV2Permission } from './catalog.js';
import { compile, type CompiledOrError } from './conditions.js';
import { readCustomConstraint, type CustomConstraint } from './custom-constraints.js';
import { isObj, str, strings, type Obj } from './inputs.js';
import { parseMember, type Member } from './members.js';
import { CRM, crmKind, crmName, parseFullName, ProjectAliases, storageParts, type FullName } from './names.js';
import { readOrgPolicy, type OrgPolicy } from './org-policy.js';
import { enforcementVersion, type PabBinding, type PabPolicy } from './pab.js';

type Warn = (w: LoadWarning) => void;

export interface RoleInfo {
  name: string;
  permissions?: ReadonlySet<string>;
  /** For a custom role: the project or organization that defines it. */
  definedAt?: string;
  deleted?: boolean;
}

export interface ParsedMember {
  text: string;
  member: Member;
}

export interface AllowBinding {
  index: number;
  role: string;
  /** The role resolved on first use (the catalogue or the snapshot's custom roles). */
  roleInfo?: RoleInfo;
  /** Bound groups the snapshot holds no members for, found on first use. */
  unknownGroups?: readonly string[];
  members: ParsedMember[];
  condition?: CompiledOrError;
  source: SourceLocation;
}

export interface AllowPolicy {
  /** `<resource>#allow` */
  id: string;
  resource: string;
  bindings: AllowBinding[];
  /** The unconditional bindings of basic roles: what Cloud Storage convenience values (projectViewer:P) read. */
  basic: AllowBinding[];
  document: Obj;
  source: SourceLocation;
}

/** A deny rule's permission entry as written, and in the v2 spelling it is matched in (converted at compile). */
export interface PermissionPattern {
  pattern: string;
  v2: string;
}

export interface DenyRule {
  index: number;
  description?: string;
  denied: ParsedMember[];
  exceptions: ParsedMember[];
  deniedPermissions: PermissionPattern[];
  exceptionPermissions: PermissionPattern[];
  condition?: CompiledOrError;
  source: SourceLocation;
}

export interface DenyPolicy {
  name: string;
  id: string;
  attachedTo: string;
  rules: DenyRule[];
  /** Per permission (v2), the rules that list it: filled on first use, bounded (evaluate.ts). */
  denying?: BoundedMap<string, readonly DenyRule[]>;
  document: Obj;
  source: SourceLocation;
}

const members = (v: unknown): ParsedMember[] => strings(v).map((text) => ({ text, member: parseMember(text) }));
const patterns = (v: unknown): PermissionPattern[] => strings(v).map((pattern) => ({ pattern, v2: toV2Permission(pattern) }));

function conditionOf(v: unknown): CompiledOrError | undefined {
  if (!isObj(v) || typeof v.expression !== 'string') return undefined;
  const input: { title?: string; description?: string; expression: string } = { expression: v.expression };
  if (typeof v.title === 'string') input.title = v.title;
  if (typeof v.description === 'string') input.description = v.description;
  return compile(input);
}

const BASIC_ROLES: ReadonlySet<string> = new Set(basicRoles);

/** Compiles an allow policy document (snapshot or overlay). */
export function compileAllow(resource: string, doc: Obj, source: SourceLocation): AllowPolicy {
  const bindings = (Array.isArray(doc.bindings) ? doc.bindings : []).map((b, index): AllowBinding => {
    const o = b as Obj;
    // Every binding gets all its fields at once (the lazy ones undefined): one hidden class keeps reads fast.
    return { index, role: String(o.role), roleInfo: undefined, unknownGroups: undefined, members: members(o.members), condition: conditionOf(o.condition), source: { file: source.file, pointer: `${source.pointer}/bindings/${index}` } };
  });
  const basic = bindings.filter((b) => BASIC_ROLES.has(b.role) && !b.condition);
  return { id: `${resource}#allow`, resource, bindings, basic, document: doc, source };
}

/** Compiles a deny policy document (snapshot or overlay). */
export function compileDeny(name: string, attachedTo: string, doc: Obj, source: SourceLocation): DenyPolicy {
  const rules = (Array.isArray(doc.rules) ? doc.rules : []).map((r, index): DenyRule => {
    const o = isObj(r) ? r : {};
    const d = isObj(o.denyRule) ? o.denyRule : {};
    const rule: DenyRule = {
      index,
      denied: members(d.deniedPrincipals),
      exceptions: members(d.exceptionPrincipals),
      deniedPermissions: patterns(d.deniedPermissions),
      exceptionPermissions: patterns(d.exceptionPermissions),
      source: { file: source.file, pointer: `${source.pointer}/rules/${index}` },
    };
    if (typeof o.description === 'string') rule.description = o.description;
    const c = conditionOf(d.denialCondition);
    if (c) rule.condition = c;
    return rule;
  });
  return { name, id: name.slice(name.lastIndexOf('/') + 1), attachedTo, rules, document: doc, source };
}

const CACHE_LIMIT = 10_000;

export class GcpEstate {
  readonly aliases = new ProjectAliases();
  readonly allow = new Map<string, AllowPolicy>();
  readonly deny = new Map<string, DenyPolicy[]>();
  readonly denyByName = new Map<string, DenyPolicy>();
  readonly customRoles = new Map<string, RoleInfo>();
  readonly pabPolicies = new Map<string, PabPolicy>();
  readonly pabBindings = new Map<string, PabBinding[]>();
  readonly orgPolicies = new Map<string, Map<string, OrgPolicy>>();
  /** Custom constraints by the resource type they govern. */
  readonly customConstraints = new Map<string, CustomConstraint[]>();
  /** domain → Cloud Identity customer id */
  readonly customers = new Map<string, string>();
  /** organization full name → customer id, and back */
  readonly orgCustomer = new Map<string, string>();
  readonly customerOrg = new Map<string, string>();
  /** Every permission some custom role in the snapshot lists (custom permissions are valid actions too). */
  readonly customPermissions = new Set<string>();
  private readonly predefinedSeen = new Map<string, RoleInfo>();
  /** bucket full name → its managed folders' prefixes (`reports/`), longest first. */
  private readonly managedFolders = new Map<string, { prefix: string; id: string }[]>();

  constructor(readonly snapshot: Snapshot, warn: Warn) {
    const g = snapshot.graph;
    for (const s of g.data.scopes) {
      if (s.provider !== 'gcp') continue;
      const folder = s.kind === 'gcp:storage.googleapis.com/ManagedFolder' ? storageParts(parseFullName(s.id)?.relative ?? '') : undefined;
      if (folder?.managedFolder !== undefined) {
        const bucket = `//storage.googleapis.com/projects/_/buckets/${folder.bucket}`;
        const prefix = folder.managedFolder.endsWith('/') ? folder.managedFolder : `${folder.managedFolder}/`;
        this.managedFolders.set(bucket, [...(this.managedFolders.get(bucket) ?? []), { prefix, id: s.id }].sort((a, b) => b.prefix.length - a.prefix.length));
      }
      if (s.kind === 'gcp:project') this.aliases.add(str(s.attrs?.projectId), str(s.attrs?.projectNumber));
      for (const a of Array.isArray(s.attrs?.aliases) ? (s.attrs.aliases as string[]) : []) this.aliases.alias(a, s.id);
      const customer = str(s.attrs?.customerId);
      if (s.kind === 'gcp:organization' && customer) {
        this.orgCustomer.set(s.id, customer);
        this.customerOrg.set(customer, s.id);
      }
    }
    for (const p of g.data.principals) if (p.provider === 'gcp' && p.id.startsWith('domain:') && typeof p.attrs?.customerId === 'string') this.customers.set(p.name, p.attrs.customerId);
    for (const p of g.data.policies) if (p.provider === 'gcp') this.compilePolicy(p, warn);
    for (const [name, role] of this.customRoles) if (role.deleted) warn({ code: 'deleted_role', message: `custom role ${name} is deleted: its bindings grant nothing` });
  }

  private src(p: PolicyNode): SourceLocation {
    return { file: p.origin.file, pointer: p.origin.pointer };
  }

  private compilePolicy(p: PolicyNode, warn: Warn): void {
    const doc = p.document as Obj;
    switch (p.type) {
      case 'gcp:allow':
        this.allow.set(String(p.attrs!.resource), compileAllow(String(p.attrs!.resource), doc, this.src(p)));
        for (const b of this.allow.get(String(p.attrs!.resource))!.bindings) {
          if (b.condition?.error) warn({ code: 'invalid_condition', file: b.source.file, pointer: `${b.source.pointer}/condition`, message: `the condition does not compile (${b.condition.error.message}): the binding never grants` });
        }
        return;
      case 'gcp:deny': {
        const d = compileDeny(p.id, String(p.attrs!.attachedTo), doc, this.src(p));
        this.denyByName.set(p.id, d);
        push(this.deny, d.attachedTo, d);
        return;
      }
      case 'gcp:role': {
        const perms = strings(doc.includedPermissions);
        for (const x of perms) this.customPermissions.add(x);
        this.customRoles.set(p.id, { name: p.id, permissions: new Set(perms), definedAt: String(p.attrs!.scope), deleted: doc.deleted === true });
        return;
      }
      case 'gcp:pab': {
        const details = isObj(doc.details) ? doc.details : {};
        const rules = (Array.isArray(details.rules) ? details.rules : []).map((r, index) => {
          const o = isObj(r) ? r : {};
          const rule = { index, effect: str(o.effect) ?? 'ALLOW', resources: strings(o.resources).map((x) => this.aliases.normalize(x)) };
          return typeof o.description === 'string' ? { ...rule, description: o.description } : rule;
        });
        this.pabPolicies.set(p.id, { name: p.id, id: p.name, version: enforcementVersion(details.enforcementVersion), versionText: str(details.enforcementVersion) ?? '', rules, document: doc, source: this.src(p) });
        return;
      }
      case 'gcp:pab_binding': {
        const b: PabBinding = { name: p.id, id: p.name, target: String(p.attrs!.target), policy: String(p.attrs!.policy), document: doc, source: this.src(p) };
        const c = conditionOf(doc.condition);
        if (c) b.condition = c;
        push(this.pabBindings, b.target, b);
        return;
      }
      case 'gcp:custom_constraint': {
        const c = readCustomConstraint(p.id, doc, this.src(p));
        if (c.condition.error) warn({ code: 'invalid_condition', file: c.source.file, pointer: `${c.source.pointer}/condition`, message: `the condition of ${c.id} does not compile (${c.condition.error.message}): the constraint is not checked` });
        for (const t of strings(doc.resourceTypes)) push(this.customConstraints, t, c);
        return;
      }
      case 'gcp:org_policy': {
        const node = String(p.attrs!.node);
        const constraint = String(p.attrs!.constraint);
        let byConstraint = this.orgPolicies.get(node);
        if (!byConstraint) this.orgPolicies.set(node, (byConstraint = new Map()));
        byConstraint.set(constraint, readOrgPolicy(p.id, constraint, node, doc, this.src(p)));
        return;
      }
    }
  }

  /** The role a binding names: predefined from the catalogue, or a custom role of the snapshot. */
  role(name: string): RoleInfo {
    const custom = /^(projects|organizations)\/([^/]+)\/roles\/[^/]+$/.exec(name);
    if (custom) {
      const canonical = custom[1] === 'projects' ? `projects/${this.aliases.idOf(custom[2]!)}${name.slice(name.indexOf('/roles/'))}` : name;
      return this.customRoles.get(canonical) ?? this.customRoles.get(name) ?? { name, definedAt: crmName(`${custom[1]}/${custom[2]}`) };
    }
    let info = this.predefinedSeen.get(name);
    if (!info) {
      const r = predefinedRole(name);
      info = r ? { name, permissions: r.permissions } : { name };
      this.predefinedSeen.set(name, info);
    }
    return info;
  }

  private readonly memos = new Map<string, unknown>();
  private readonly caches = new Map<string, Map<string, unknown>>();

  /** A per-snapshot cache of request-side lookups (permission names, callers), by name; bounded, oldest out. */
  cache<V>(name: string): Map<string, V> {
    let c = this.caches.get(name);
    if (!c) this.caches.set(name, (c = new BoundedMap(CACHE_LIMIT)));
    return c as Map<string, V>;
  }

  /** A per-snapshot cache for facts that depend only on the snapshot (not on the request). */
  memo<T>(key: string, make: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const v = make();
    this.memos.set(key, v);
    return v;
  }

  private readonly tagsCache = new Map<string, { byName: Record<string, string>; byId: Record<string, string> }>();

  /**
   * The effective tags of a node: its own and its ancestors', the nearest binding of a key winning.
   * https://cloud.google.com/resource-manager/docs/tags/tags-overview#inheritance
   */
  effectiveTags(node: string): { byName: Record<string, string>; byId: Record<string, string> } {
    let tags = this.tagsCache.get(node);
    if (!tags) {
      tags = { byName: {}, byId: {} };
      for (const s of [...this.snapshot.graph.ancestors(node)].reverse()) {
        Object.assign(tags.byName, s.tags ?? {});
        if (isObj(s.attrs?.tagIds)) Object.assign(tags.byId, s.attrs.tagIds);
      }
      this.tagsCache.set(node, tags);
    }
    return tags;
  }

  /** Canonical full name (project numbers to ids). */
  canonical(name: string): string {
    return this.aliases.normalize(name);
  }

  scope(id: string): ScopeNode | undefined {
    return this.snapshot.graph.scope(id);
  }

  private readonly buckets = new Map<string, ScopeNode>();

  /** A Cloud Storage bucket of the snapshot, by its name. */
  bucket(name: string): ScopeNode | undefined {
    let node = this.buckets.get(name);
    if (!node) {
      node = this.scope(`//storage.googleapis.com/projects/_/buckets/${name}`);
      if (node) this.buckets.set(name, node);
    }
    return node;
  }

  /**
   * The snapshot node of a requested resource (canonical, given parsed, with its Cloud Storage parts when it is
   * a bucket, object or managed folder), or its nearest known ancestor when the resource itself is not exported.
   */
  nearestNode(name: string, full: FullName, s: ReturnType<typeof storageParts>): ScopeNode | undefined {
    const g = this.snapshot.graph;
    const exact = g.scope(name);
    if (exact) return exact;
    if (full.host === 'storage.googleapis.com') {
      if (!s) return undefined;
      const bucket = `//storage.googleapis.com/projects/_/buckets/${s.bucket}`;
      // An object inherits from the deepest managed folder whose name prefixes its own, then the bucket.
      // https://cloud.google.com/storage/docs/managed-folders
      const folder = s.object !== undefined ? this.managedFolders.get(bucket)?.find((f) => s.object!.startsWith(f.prefix)) : undefined;
      return g.scope(folder?.id ?? bucket);
    }
    const segs = full.relative.split('/');
    for (let n = segs.length - 2; n >= 2; n -= 2) {
      const up = g.scope(`//${full.host}/${segs.slice(0, n).join('/')}`);
      if (up) return up;
    }
    const project = /^projects\/([^/]+)/.exec(full.relative);
    return project ? g.scope(`${CRM}projects/${this.aliases.idOf(project[1]!)}`) : undefined;
  }

  /** The snapshot's allow policy of a node (a function of its own, for requests without an overlay). */
  readonly allowAt = (node: string): AllowPolicy | undefined => this.allow.get(node);

  private readonly groupSets = new Map<string, ReadonlySet<string>>();

  /** The groups a principal is in, transitively, as a set (kept for the snapshot's principals only). */
  groupsOf(id: string): ReadonlySet<string> {
    let set = this.groupSets.get(id);
    if (!set) {
      set = new Set(this.snapshot.graph.groupsOf(id));
      if (this.snapshot.graph.principal(id)) this.groupSets.set(id, set);
    }
    return set;
  }

  denyAt(node: string): readonly DenyPolicy[] {
    return this.deny.get(node) ?? NONE;
  }

  orgPolicyAt(node: string, constraint: string): OrgPolicy | undefined {
    return this.orgPolicies.get(node)?.get(constraint);
  }

  pabBindingsFor(target: string): readonly PabBinding[] {
    return this.pabBindings.get(target) ?? NONE;
  }

  private readonly chains = new Map<string, readonly string[]>();

  /** A snapshot node and its ancestors' full names, the node first (computed once per node). */
  chainOf(node: string): readonly string[] {
    let chain = this.chains.get(node);
    if (!chain) {
      chain = this.snapshot.graph.ancestors(node).map((s) => s.id);
      if (chain.length) this.chains.set(node, chain);
    }
    return chain;
  }

  private readonly projectChains = new Map<string, readonly string[]>();

  /** The CRM chain of a project id or number (project first), for service-account principal sets. */
  projectChain(project: string): readonly string[] | undefined {
    let chain = this.projectChains.get(project);
    if (!chain) {
      const id = `${CRM}projects/${this.aliases.idOf(project)}`;
      if (!this.snapshot.graph.scope(id)) return undefined;
      this.projectChains.set(project, (chain = this.chainOf(id)));
    }
    return chain;
  }

  private readonly locations = new Map<SourceLocation, SourceLocation>();

  /**
   * A source with its line and column (looked up when an answer first shows it, then shared by every answer
   * that shows it: frozen, so no answer can change another's). Request-borne sources are left as they are.
   */
  located(s: SourceLocation): SourceLocation {
    if (s.file === 'request') return s;
    let out = this.locations.get(s);
    if (!out) {
      const pos = this.snapshot.locate(s.file, s.pointer);
      this.locations.set(s, (out = Object.freeze(pos ? { ...s, line: pos.line, column: pos.column } : s)));
    }
    return out;
  }

  isCrm(name: string): boolean {
    return crmKind(name) !== undefined;
  }
}
