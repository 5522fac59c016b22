/**
 * An Azure estate compiled from a snapshot, once: role definitions with a compiled matcher per permission
 * block (uploaded ones, else the built-in catalogue), role assignments by principal and then scope, deny
 * assignments, policy assignments (definitions compiled), exemptions and locks by scope, and every known
 * scope with a number and, once asked for, its chain. A request looks up its target and its principal once
 * each, then walks the chain's links: no other lookup by id (large maps keyed by long ids cost memory
 * latency on every request).
 */
import { BoundedMap } from '../../src/core/bounded.js';
import { NONE, push, type GraphData, type PrincipalNode, type ScopeNode } from '../../src/core/graph.js';
import type { LoadWarning } from '../../src/core/provider.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { builtInRole } from './catalog.js';
import { isCanonicalGuid, levelOf, normalizeGuid, segmentParent, subscriptionOf } from './ids.js';
import { OBJECT_TYPES } from './load.js';
import { ELIGIBILITY, type Eligibility } from './pim.js';
import { compilePolicyObject, type Exemption, type Lock, type PolicyAssignment, type PolicyDefinition, type PolicySet } from './policy-model.js';
import { compileAssignment, compileDeny, compileRoleDefinition, type Assignment, type DenyAssignment, type RoleDefinition } from './rbac-model.js';


/** What a request reads from an estate: the estate itself, or the estate with an overlay on top. */
export interface EstateView {
  roleDefinition(guid: string): RoleDefinition | undefined;
  /** One principal's (or group's) role assignments, by scope; undefined when it holds none. */
  assignmentsTo(principal: string): HeldAssignments | undefined;
  denyAssignmentsAt(at: ChainLink): readonly DenyAssignment[];
  policyAssignmentsAt(at: ChainLink): readonly PolicyAssignment[];
  policyDefinition(id: string): PolicyDefinition | PolicySet | undefined;
  exemptionsAt(at: ChainLink): readonly Exemption[];
  locksAt(at: ChainLink): readonly Lock[];
  /** Locks strictly below a scope (a locked child blocks deleting its parent). */
  locksBelow(at: ChainLink): readonly Lock[];
}

/** A principal's role assignments: all of them, their role GUIDs (in the same order), and those at a scope. */
export interface HeldAssignments {
  /** The principal or group they are assigned to. */
  readonly principal: string;
  readonly all: readonly Assignment[];
  readonly roles: readonly string[];
  at(link: ChainLink): readonly Assignment[] | undefined;
}

/** What an index holds at one scope, gathered so that a request walking its chain looks each scope up once. */
export interface ScopeObjects {
  denies?: readonly DenyAssignment[];
  policyAssignments?: readonly PolicyAssignment[];
  exemptions?: readonly Exemption[];
  locks?: readonly Lock[];
  locksUnder?: readonly Lock[];
}

/** One scope of a chain: its normalized id, its exported node, and the snapshot's objects there. */
export interface ChainLink {
  readonly id: string;
  /** A number for each scope the estate knows (-1: not known), so that lookups by scope need not hash the id. */
  readonly key: number;
  readonly node: ScopeNode | undefined;
  readonly at: ScopeObjects | undefined;
}

/** A scope chain, the scope first and `/` last, as ids (what answers show) and as links (what evaluation walks). */
export interface Chain {
  readonly ids: readonly string[];
  readonly links: readonly ChainLink[];
  /** The chain of the first scope's parent, when the id gives the parent. */
  readonly above?: Chain;
  /** chainText, once worked out. */
  text?: string;
}

/** A chain as sentences show it, `id → parent → ... → /` (built on the parent's, which most requests share). */
export function chainText(c: Chain): string {
  return (c.text ??= c.above ? `${c.ids[0]} → ${chainText(c.above)}` : c.ids.join(' → '));
}

/** A principal as requests use it: its groups (transitively), itself then its groups, and their role assignments. */
export interface PrincipalContext {
  readonly groups: readonly string[];
  readonly ids: readonly string[];
  /** The role assignments of the principal and of each of its groups that holds any, in the order of ids. */
  readonly held: readonly HeldAssignments[];
}

/** A caller as requests name it: its node, how error messages name it (its UPN or name when known, else the object id), its context. */
export interface Caller {
  readonly node: PrincipalNode;
  readonly display: string;
  readonly context: PrincipalContext;
}

/** The role assignments of each of the ids that holds any, in order. */
export function heldBy(view: EstateView, ids: readonly string[]): HeldAssignments[] {
  const out: HeldAssignments[] = [];
  for (const id of ids) {
    const h = view.assignmentsTo(id);
    if (h) out.push(h);
  }
  return out;
}

/** A scope the estate knows (exported, or holding objects): its link, and its chain once worked out. */
interface KnownScope {
  readonly link: ChainLink;
  chain?: Chain;
}

/** The compiled objects of a graph (the snapshot's, or an overlay's), indexed by scope. */
export class Index {
  readonly roles = new Map<string, RoleDefinition>();
  readonly byPrincipal = new Map<string, Assignment[]>();
  readonly denies = new Map<string, DenyAssignment[]>();
  readonly policyAssignments = new Map<string, PolicyAssignment[]>();
  readonly definitions = new Map<string, PolicyDefinition | PolicySet>();
  readonly exemptions = new Map<string, Exemption[]>();
  readonly locks = new Map<string, Lock[]>();
  /** Locks by every scope above theirs, `/` included: a locked child blocks deleting its parent. */
  readonly locksUnder = new Map<string, Lock[]>();
  /** Every object an overlay may replace or remove, by normalized id. */
  readonly objects = new Map<string, { kind: string; key: string }>();
  /** Subscriptions something refers to. */
  readonly subscriptions = new Set<string>();
  /** PIM eligibilities by principal (near misses when no role assignment grants). */
  readonly eligibilities = new Map<string, Eligibility[]>();
  /** Deny assignments, policy assignments, exemptions and locks gathered by scope, for chain walks. */
  readonly at = new Map<string, ScopeObjects>();

  constructor(data: Pick<GraphData, 'policies' | 'bindings'>) {
    for (const p of data.policies) {
      if (p.provider !== 'azure') continue;
      if (p.type === ELIGIBILITY) {
        const e = p.attrs as unknown as Eligibility;
        push(this.eligibilities, e.principalId, e);
        continue;
      }
      const doc = p.document as Record<string, unknown>;
      const type = String(doc.type ?? '').toLowerCase();
      if (type === OBJECT_TYPES.roleDefinition) {
        const r = compileRoleDefinition(doc, p.origin);
        this.roles.set(r.guid, r);
        this.objects.set(p.id, { kind: 'role definition', key: r.guid });
        continue;
      }
      if (type === OBJECT_TYPES.denyAssignment) {
        const d = compileDeny(doc, p.origin);
        push(this.denies, d.scope, d);
        this.objects.set(p.id, { kind: 'deny assignment', key: d.scope });
        this.refer(d.scope);
        continue;
      }
      const o = compilePolicyObject(doc, p.origin);
      if (!o) continue;
      if (o.kind === 'policyAssignment') {
        push(this.policyAssignments, o.scope, o);
        this.objects.set(p.id, { kind: 'policy assignment', key: o.scope });
        this.refer(o.scope);
      } else if (o.kind === 'exemption') push(this.exemptions, o.scope, o);
      else if (o.kind === 'lock') {
        push(this.locks, o.scope, o);
        this.refer(o.scope);
      } else {
        this.definitions.set(o.id, o);
        this.objects.set(p.id, { kind: o.kind === 'set' ? 'policy set definition' : 'policy definition', key: o.id });
      }
    }
    // One string per role GUID, shared by its assignments: the near-miss scan reads every one of a principal's.
    const roleGuids = new Map<string, string>();
    for (const b of data.bindings) {
      if (!b.attrs || !b.origin || typeof b.attrs.roleDefinitionId !== 'string') continue;
      const a = compileAssignment(b);
      const guid = roleGuids.get(a.roleGuid);
      if (guid === undefined) roleGuids.set(a.roleGuid, a.roleGuid);
      else a.roleGuid = guid;
      push(this.byPrincipal, a.principalId, a);
      this.objects.set(a.idKey, { kind: 'role assignment', key: a.scope });
      this.refer(a.scope);
    }
    for (const [scope, list] of this.locks) {
      if (scope === '/') continue;
      for (let at = scope.lastIndexOf('/'); at > 0; at = scope.lastIndexOf('/', at - 1)) for (const l of list) push(this.locksUnder, scope.slice(0, at), l);
      for (const l of list) push(this.locksUnder, '/', l);
    }
    const slot = (scope: string) => {
      let o = this.at.get(scope);
      if (!o) this.at.set(scope, (o = { denies: undefined, policyAssignments: undefined, exemptions: undefined, locks: undefined, locksUnder: undefined }));
      return o;
    };
    for (const [scope, list] of this.denies) slot(scope).denies = list;
    for (const [scope, list] of this.policyAssignments) slot(scope).policyAssignments = list;
    for (const [scope, list] of this.exemptions) slot(scope).exemptions = list;
    for (const [scope, list] of this.locks) slot(scope).locks = list;
    for (const [scope, list] of this.locksUnder) slot(scope).locksUnder = list;
  }

  private refer(scope: string): void {
    const sub = subscriptionOf(scope);
    if (sub) this.subscriptions.add(sub);
  }
}

export class AzureEstate implements EstateView {
  readonly index: Index;
  /** Built-in roles compiled on first use, and GUIDs found to be none (null): overlays bring GUIDs, so bounded (the catalogue has under 1000). */
  private readonly builtIns = new BoundedMap<string, RoleDefinition | null>(4096);
  /** Every known scope, so that a request finds its target (or learns it is new) with one lookup. */
  private readonly known = new Map<string, KnownScope>();
  /** Role assignments by principal, then scope key: a request looks its principal and groups up once, then walks its chain. */
  private readonly held = new Map<string, KeyedAssignments>();
  /** Callers requests named, by object id, worked out on first use: at most one per principal of the snapshot. */
  private readonly callers = new Map<string, Caller>();

  constructor(
    readonly snapshot: Snapshot,
    warn: (w: LoadWarning) => void,
  ) {
    this.index = new Index(snapshot.graph.data);
    for (const list of this.index.byPrincipal.values()) {
      for (const a of list) {
        if (this.roleDefinition(a.roleGuid)) continue;
        warn({ code: 'unknown_role_definition', message: `role assignment ${a.name} refers to role definition ${a.roleDefinitionId}, which is neither uploaded nor built in: it grants nothing`, file: a.origin.file, pointer: a.origin.pointer });
      }
    }
    for (const s of snapshot.graph.data.scopes) {
      if (s.provider !== 'azure') continue;
      const sub = subscriptionOf(s.id);
      if (sub) this.index.subscriptions.add(sub);
      this.know(s.id);
    }
    for (const id of this.index.at.keys()) this.know(id);
    for (const [principal, list] of this.index.byPrincipal) {
      const byScope = new Map<number, Assignment[]>();
      for (const a of list) push(byScope, this.know(a.scope).key, a);
      this.held.set(principal, new KeyedAssignments(principal, list, byScope));
    }
  }

  /** An uploaded role definition, else the built-in one (compiled on first use). */
  roleDefinition(guid: string): RoleDefinition | undefined {
    const known = this.index.roles.get(guid) ?? this.builtIns.get(guid);
    if (known) return known;
    const key = normalizeGuid(guid);
    const own = this.index.roles.get(key);
    if (own) return own;
    let b = this.builtIns.get(key);
    if (b === undefined) {
      const r = builtInRole(key);
      b = r ? compileRoleDefinition({ id: `/providers/Microsoft.Authorization/roleDefinitions/${r.id}`, name: r.id, type: 'Microsoft.Authorization/roleDefinitions', properties: { roleName: r.roleName, type: 'BuiltInRole', permissions: r.permissions } }, undefined) : null;
      this.builtIns.set(key, b);
    }
    return b ?? undefined;
  }
  assignmentsTo(principal: string): HeldAssignments | undefined {
    return this.held.get(principal);
  }
  assignmentsOf(principal: string): readonly Assignment[] {
    return this.index.byPrincipal.get(principal) ?? NONE;
  }
  denyAssignmentsAt(at: ChainLink): readonly DenyAssignment[] {
    return at.at?.denies ?? NONE;
  }
  policyAssignmentsAt(at: ChainLink): readonly PolicyAssignment[] {
    return at.at?.policyAssignments ?? NONE;
  }
  policyDefinition(id: string): PolicyDefinition | PolicySet | undefined {
    return this.index.definitions.get(id);
  }
  exemptionsAt(at: ChainLink): readonly Exemption[] {
    return at.at?.exemptions ?? NONE;
  }
  locksAt(at: ChainLink): readonly Lock[] {
    return at.at?.locks ?? NONE;
  }
  locksBelow(at: ChainLink): readonly Lock[] {
    return at.at?.locksUnder ?? NONE;
  }

  private names?: Map<string, PrincipalNode>;
  private byGroup?: Map<string, ScopeNode[]>;

  /** The exported resources directly in a resource group (indexed on first use). */
  resourcesIn(rg: string): readonly ScopeNode[] {
    if (!this.byGroup) {
      this.byGroup = new Map();
      for (const s of this.snapshot.graph.data.scopes) if (s.provider === 'azure' && s.resource && s.parent && levelOf(s.parent) === 'resource_group') push(this.byGroup, s.parent, s);
    }
    return this.byGroup.get(rg) ?? NONE;
  }

  /** The principal's context in the snapshot (without an overlay). */
  private contextOf(id: string): PrincipalContext {
    const groups = this.snapshot.graph.groupsOf(id);
    const ids = [id, ...groups];
    return { groups, ids, held: heldBy(this, ids) };
  }

  /** The caller a request names by its object id in canonical form, once a request has (most do). */
  callerById(given: string): Caller | undefined {
    return this.callers.get(given);
  }

  /**
   * The caller a request resolved to. A principal of the snapshot is remembered (by object id, when that
   * finds this very node); one a request makes up (acceptUnknownPrincipal, an overlay's) is not.
   */
  caller(node: PrincipalNode): Caller {
    const known = this.callers.get(node.id);
    if (known?.node === node) return known;
    const c: Caller = { node, display: node.name !== node.id ? node.name : node.id, context: this.contextOf(node.id) };
    if (this.snapshot.graph.principal(node.id) === node && isCanonicalGuid(node.id)) this.callers.set(node.id, c);
    return c;
  }

  /** A principal by UPN, appId, display name or name, case-insensitively (indexed on first use). */
  principalNamed(name: string): PrincipalNode | undefined {
    if (!this.names) {
      this.names = new Map();
      for (const p of this.snapshot.graph.data.principals) {
        if (p.provider !== 'azure' || p.kind === 'everyone') continue;
        for (const n of [p.name, p.attrs?.displayName, p.attrs?.userPrincipalName, p.attrs?.appId]) {
          if (typeof n === 'string' && !this.names.has(n.toLowerCase())) this.names.set(n.toLowerCase(), p);
        }
      }
    }
    return this.names.get(name.toLowerCase());
  }

  scope(id: string): ScopeNode | undefined {
    const s = this.snapshot.graph.scope(id);
    return s?.provider === 'azure' ? s : undefined;
  }

  /**
   * The scope chain of a normalized id, the id first and `/` last: parent resources, the resource group
   * and the subscription along the id, then the management groups above the subscription.
   */
  chain(id: string): readonly string[] {
    return this.links(id).ids;
  }

  /** The link of a known scope, made known on first call. */
  private know(id: string): ChainLink {
    let k = this.known.get(id);
    if (!k) this.known.set(id, (k = { link: { id, key: this.known.size, node: this.scope(id), at: this.index.at.get(id) } }));
    return k.link;
  }

  private linkOf(id: string): ChainLink {
    return this.known.get(id)?.link ?? { id, key: -1, node: undefined, at: undefined };
  }

  /** The chain of a normalized id with what the snapshot holds at each scope (cached for known scopes). */
  links(id: string): Chain {
    const known = this.known.get(id);
    if (known?.chain) return known.chain;
    const link = known?.link ?? { id, key: -1, node: undefined, at: undefined };
    const level = levelOf(id);
    const parent = level === 'root' || level === 'subscription' || level === 'management_group' ? undefined : segmentParent(id, true);
    let chain: Chain;
    if (parent !== undefined && parent !== '/') {
      const above = this.links(parent);
      // link.id, not id: a known scope's chain keeps the estate's own string, not the request's.
      chain = { ids: [link.id, ...above.ids], links: [link, ...above.links], above };
    } else {
      // The top of the id: what is above it comes from the hierarchy.
      const ids: string[] = [link.id];
      const links: ChainLink[] = [link];
      if (id !== '/') {
        if (link.node) {
          for (const s of this.snapshot.graph.ancestors(id).slice(1)) {
            if (s.id === '/') continue;
            ids.push(s.id);
            links.push(this.linkOf(s.id));
          }
        }
        ids.push('/');
        links.push(this.linkOf('/'));
      }
      chain = { ids, links };
    }
    if (known) known.chain = chain;
    return chain;
  }
}

class KeyedAssignments implements HeldAssignments {
  /** The near-miss scan reads the roles first, and an assignment only when its role could grant the action. */
  readonly roles: readonly string[];
  constructor(
    readonly principal: string,
    readonly all: readonly Assignment[],
    private readonly byScope: ReadonlyMap<number, readonly Assignment[]>,
  ) {
    this.roles = all.map((a) => a.roleGuid);
  }
  at(link: ChainLink): readonly Assignment[] | undefined {
    return this.byScope.get(link.key);
  }
}

/** The estate with an overlay on top: removed objects hidden, added and replacing ones in front. */
export class OverlayView implements EstateView {
  constructor(
    private readonly base: AzureEstate,
    private readonly top: Index,
    private readonly removed: ReadonlySet<string>,
  ) {}

  private merged<T extends { idKey: string }>(below: readonly T[], above: readonly T[] | undefined): readonly T[] {
    if (!this.removed.size && !above) return below;
    return [...below.filter((x) => !this.removed.has(x.idKey)), ...(above ?? [])];
  }
  roleDefinition(guid: string): RoleDefinition | undefined {
    const key = normalizeGuid(guid);
    if (this.removed.has(key)) return this.top.roles.get(key);
    return this.top.roles.get(key) ?? this.base.roleDefinition(key);
  }
  assignmentsTo(principal: string): HeldAssignments | undefined {
    const below = this.base.assignmentsTo(principal);
    const above = this.top.byPrincipal.get(principal);
    if (!this.removed.size && !above) return below;
    if (!below && !above) return undefined;
    const all = this.merged(below?.all ?? NONE, above);
    return {
      principal,
      all,
      roles: all.map((a) => a.roleGuid),
      at: (link) => {
        const here = above?.filter((a) => a.scope === link.id);
        return this.merged(below?.at(link) ?? NONE, here?.length ? here : undefined);
      },
    };
  }
  denyAssignmentsAt(at: ChainLink): readonly DenyAssignment[] {
    return this.merged(this.base.denyAssignmentsAt(at), this.top.denies.get(at.id));
  }
  policyAssignmentsAt(at: ChainLink): readonly PolicyAssignment[] {
    return this.merged(this.base.policyAssignmentsAt(at), this.top.policyAssignments.get(at.id));
  }
  policyDefinition(id: string): PolicyDefinition | PolicySet | undefined {
    return this.top.definitions.get(id) ?? this.base.policyDefinition(id);
  }
  exemptionsAt(at: ChainLink): readonly Exemption[] {
    return this.base.exemptionsAt(at);
  }
  locksAt(at: ChainLink): readonly Lock[] {
    return this.base.locksAt(at);
  }
  locksBelow(at: ChainLink): readonly Lock[] {
    return this.base.locksBelow(at);
  }
}
