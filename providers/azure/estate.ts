/**
 * An Azure estate compiled from a snapshot, once: role definitions with a compiled matcher per permission
 * block (uploaded ones, else the built-in catalogue), role and deny assignments by scope, policy
 * assignments by scope with their definitions compiled, exemptions and locks by scope, and the parent of
 * every management group and subscription. A request then only walks its scope chain.
 */
import { NONE, push, type GraphData, type PrincipalNode, type ScopeNode } from '../../src/core/graph.js';
import type { LoadWarning } from '../../src/core/provider.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { builtInRole } from './catalog.js';
import { levelOf, normalizeGuid, segmentParent, subscriptionOf } from './ids.js';
import { OBJECT_TYPES } from './load.js';
import { compilePolicyObject, type Exemption, type Lock, type PolicyAssignment, type PolicyDefinition, type PolicySet } from './policy-model.js';
import { compileAssignment, compileDeny, compileRoleDefinition, type Assignment, type DenyAssignment, type RoleDefinition } from './rbac-model.js';


/** What a request reads from an estate: the estate itself, or the estate with an overlay on top. */
export interface EstateView {
  roleDefinition(guid: string): RoleDefinition | undefined;
  /** The role assignments at a scope to one principal (or group). */
  assignmentsAt(scope: string, principal: string): readonly Assignment[];
  /** A principal's own assignments, anywhere (for near misses on other scopes). */
  assignmentsOf(principal: string): readonly Assignment[];
  denyAssignmentsAt(scope: string): readonly DenyAssignment[];
  policyAssignmentsAt(scope: string): readonly PolicyAssignment[];
  policyDefinition(id: string): PolicyDefinition | PolicySet | undefined;
  exemptionsAt(scope: string): readonly Exemption[];
  locksAt(scope: string): readonly Lock[];
  /** Locks strictly below a scope (a locked child blocks deleting its parent). */
  locksBelow(scope: string): readonly Lock[];
}

/** The compiled objects of a graph (the snapshot's, or an overlay's), indexed by scope. */
export class Index {
  readonly roles = new Map<string, RoleDefinition>();
  /** Role assignments by scope, then principal: a request looks up its principal and groups at each scope of its chain. */
  readonly assignments = new Map<string, Map<string, Assignment[]>>();
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

  constructor(data: Pick<GraphData, 'policies' | 'bindings'>) {
    for (const p of data.policies) {
      if (p.provider !== 'azure') continue;
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
    for (const b of data.bindings) {
      if (!b.attrs || !b.origin || typeof b.attrs.roleDefinitionId !== 'string') continue;
      const a = compileAssignment(b);
      let at = this.assignments.get(a.scope);
      if (!at) this.assignments.set(a.scope, (at = new Map()));
      push(at, a.principalId, a);
      push(this.byPrincipal, a.principalId, a);
      this.objects.set(a.idKey, { kind: 'role assignment', key: a.scope });
      this.refer(a.scope);
    }
    for (const [scope, list] of this.locks) {
      if (scope === '/') continue;
      for (let at = scope.lastIndexOf('/'); at > 0; at = scope.lastIndexOf('/', at - 1)) for (const l of list) push(this.locksUnder, scope.slice(0, at), l);
      for (const l of list) push(this.locksUnder, '/', l);
    }
  }

  private refer(scope: string): void {
    const sub = subscriptionOf(scope);
    if (sub) this.subscriptions.add(sub);
  }
}

export class AzureEstate implements EstateView {
  readonly index: Index;
  private readonly builtIns = new Map<string, RoleDefinition | null>();
  /** Scope chains by target, computed on first use (they only depend on the snapshot). */
  private readonly chains = new Map<string, readonly string[]>();

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
      const sub = s.provider === 'azure' ? subscriptionOf(s.id) : undefined;
      if (sub) this.index.subscriptions.add(sub);
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
  assignmentsAt(scope: string, principal: string): readonly Assignment[] {
    return this.index.assignments.get(scope)?.get(principal) ?? NONE;
  }
  assignmentsOf(principal: string): readonly Assignment[] {
    return this.index.byPrincipal.get(principal) ?? NONE;
  }
  denyAssignmentsAt(scope: string): readonly DenyAssignment[] {
    return this.index.denies.get(scope) ?? NONE;
  }
  policyAssignmentsAt(scope: string): readonly PolicyAssignment[] {
    return this.index.policyAssignments.get(scope) ?? NONE;
  }
  policyDefinition(id: string): PolicyDefinition | PolicySet | undefined {
    return this.index.definitions.get(id);
  }
  exemptionsAt(scope: string): readonly Exemption[] {
    return this.index.exemptions.get(scope) ?? NONE;
  }
  locksAt(scope: string): readonly Lock[] {
    return this.index.locks.get(scope) ?? NONE;
  }
  locksBelow(scope: string): readonly Lock[] {
    return this.index.locksUnder.get(scope) ?? NONE;
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
    const cached = this.chains.get(id);
    if (cached) return cached;
    const out: string[] = [];
    let cur: string | undefined = id;
    while (cur && cur !== '/') {
      out.push(cur);
      const level = levelOf(cur);
      if (level === 'subscription' || level === 'management_group') break;
      cur = segmentParent(cur);
    }
    const top = out[out.length - 1];
    if (top && this.scope(top)) {
      for (const s of this.snapshot.graph.ancestors(top).slice(1)) if (s.id !== '/') out.push(s.id);
    }
    out.push('/');
    if (this.chains.size >= 100_000) this.chains.clear();
    this.chains.set(id, out);
    return out;
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
  assignmentsAt(scope: string, principal: string): readonly Assignment[] {
    return this.merged(this.base.assignmentsAt(scope, principal), this.top.assignments.get(scope)?.get(principal));
  }
  assignmentsOf(principal: string): readonly Assignment[] {
    return this.merged(this.base.assignmentsOf(principal), this.top.byPrincipal.get(principal));
  }
  denyAssignmentsAt(scope: string): readonly DenyAssignment[] {
    return this.merged(this.base.denyAssignmentsAt(scope), this.top.denies.get(scope));
  }
  policyAssignmentsAt(scope: string): readonly PolicyAssignment[] {
    return this.merged(this.base.policyAssignmentsAt(scope), this.top.policyAssignments.get(scope));
  }
  policyDefinition(id: string): PolicyDefinition | PolicySet | undefined {
    return this.top.definitions.get(id) ?? this.base.policyDefinition(id);
  }
  exemptionsAt(scope: string): readonly Exemption[] {
    return this.base.exemptionsAt(scope);
  }
  locksAt(scope: string): readonly Lock[] {
    return this.base.locksAt(scope);
  }
  locksBelow(scope: string): readonly Lock[] {
    return this.base.locksBelow(scope);
  }
}
