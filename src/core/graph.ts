/**
 * The common graph: one immutable model of an estate, whatever the cloud (docs/model.md draws it).
 *
 * Nodes are principals, scopes (the hierarchy of organizations, folders, OUs, accounts, subscriptions,
 * resource groups, projects and the resources at the leaves) and policies. Edges are member-of, child-of
 * (a scope's parent), attached-to (a policy on a principal, scope or resource) and binds (principal x
 * role x scope). Providers fill a GraphData; compileGraph indexes it once.
 */
import type { Provider } from './decision.js';

export type PrincipalKind =
  | 'user'
  | 'group'
  | 'role'
  | 'role_session'
  | 'federated_user'
  | 'service_account'
  | 'service_principal'
  | 'managed_identity'
  | 'anonymous'
  | 'everyone';

/** Where a node came from: the uploaded file and the JSON pointer in it. */
export interface Origin {
  file: string;
  pointer: string;
}

export interface PrincipalNode {
  id: string;
  kind: PrincipalKind;
  name: string;
  provider: Provider;
  /** The scope that holds the principal (an AWS account, an Azure tenant, a GCP project). */
  scope?: string;
  tags?: Record<string, string>;
  /** Provider-specific facts (unique ids, paths, ...). */
  attrs?: Record<string, unknown>;
  origin?: Origin;
}

export interface ScopeNode {
  id: string;
  /** Provider-defined: 'aws:root', 'aws:ou', 'aws:account', 'aws:s3:bucket', 'azure:subscription', 'gcp:folder', ... */
  kind: string;
  name: string;
  provider: Provider;
  parent?: string;
  /** A resource (a leaf that requests name), as opposed to a container in the hierarchy. */
  resource: boolean;
  tags?: Record<string, string>;
  attrs?: Record<string, unknown>;
  origin?: Origin;
}

export interface PolicyNode {
  id: string;
  name: string;
  /** Provider-defined: 'aws:managed', 'aws:inline', 'aws:scp', 'azure:role_definition', 'gcp:deny', ... */
  type: string;
  provider: Provider;
  /** The native document, as the cloud returns it. */
  document: unknown;
  origin: Origin;
  attrs?: Record<string, unknown>;
}

export interface Attachment {
  policy: string;
  /** A principal, scope or resource id. */
  target: string;
  /** How the policy applies: 'identity', 'boundary', 'scp', 'rcp', 'resource', 'trust', 'deny', ... */
  kind: string;
  origin?: Origin;
}

export interface Membership {
  member: string;
  group: string;
}

/** A grant of a role to a principal on a scope (GCP binding, Azure role assignment). */
export interface Binding {
  principal: string;
  role: string;
  scope: string;
  condition?: unknown;
  origin?: Origin;
  attrs?: Record<string, unknown>;
}

export interface GraphData {
  principals: PrincipalNode[];
  scopes: ScopeNode[];
  policies: PolicyNode[];
  memberships: Membership[];
  attachments: Attachment[];
  bindings: Binding[];
}

export function emptyGraphData(): GraphData {
  return { principals: [], scopes: [], policies: [], memberships: [], attachments: [], bindings: [] };
}

/** Appends v to the list at k in a multimap. */
export function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** The shared empty list that index lookups answer when nothing is there. */
export const NONE: readonly never[] = Object.freeze([]);

/** The compiled, immutable graph with its indexes. */
export class Graph {
  private readonly principalById = new Map<string, PrincipalNode>();
  private readonly scopeById = new Map<string, ScopeNode>();
  private readonly policyById = new Map<string, PolicyNode>();
  private readonly groups = new Map<string, readonly string[]>();
  private readonly members = new Map<string, string[]>();
  private readonly attachmentsByTarget = new Map<string, Attachment[]>();
  private readonly attachmentsByPolicy = new Map<string, Attachment[]>();
  private readonly bindingsByScope = new Map<string, Binding[]>();
  private readonly bindingsByPrincipal = new Map<string, Binding[]>();
  private readonly chains = new Map<string, readonly ScopeNode[]>();
  readonly warnings: string[] = [];

  constructor(readonly data: GraphData) {
    for (const p of data.principals) this.principalById.set(p.id, p);
    for (const s of data.scopes) this.scopeById.set(s.id, s);
    for (const p of data.policies) this.policyById.set(p.id, p);
    const direct = new Map<string, string[]>();
    for (const m of data.memberships) push(direct, m.member, m.group);
    for (const a of data.attachments) {
      push(this.attachmentsByTarget, a.target, a);
      push(this.attachmentsByPolicy, a.policy, a);
    }
    for (const b of data.bindings) {
      push(this.bindingsByScope, b.scope, b);
      push(this.bindingsByPrincipal, b.principal, b);
    }
    // member-of, transitively closed once: nested groups resolve here, cycles included.
    for (const member of direct.keys()) {
      const seen = new Set<string>();
      const todo = [...direct.get(member)!];
      while (todo.length) {
        const g = todo.pop()!;
        if (seen.has(g) || g === member) continue;
        seen.add(g);
        for (const up of direct.get(g) ?? NONE) todo.push(up);
      }
      const closed = [...seen];
      this.groups.set(member, closed);
      for (const g of closed) push(this.members, g, member);
    }
    // Ancestor chains, resource first and root last, computed once; a cycle in the parents is cut and reported.
    for (const s of data.scopes) {
      const chain: ScopeNode[] = [];
      const seen = new Set<string>();
      for (let cur: ScopeNode | undefined = s; cur; cur = cur.parent ? this.scopeById.get(cur.parent) : undefined) {
        if (seen.has(cur.id)) {
          this.warnings.push(`the parents of ${s.id} form a cycle at ${cur.id}`);
          break;
        }
        seen.add(cur.id);
        chain.push(cur);
      }
      this.chains.set(s.id, chain);
    }
  }

  principal(id: string): PrincipalNode | undefined {
    return this.principalById.get(id);
  }
  scope(id: string): ScopeNode | undefined {
    return this.scopeById.get(id);
  }
  policy(id: string): PolicyNode | undefined {
    return this.policyById.get(id);
  }
  /** Every group the principal belongs to, directly or through other groups. */
  groupsOf(id: string): readonly string[] {
    return this.groups.get(id) ?? NONE;
  }
  /** Every principal in the group, directly or through nested groups. */
  membersOf(groupId: string): readonly string[] {
    return this.members.get(groupId) ?? NONE;
  }
  attachedTo(targetId: string): readonly Attachment[] {
    return this.attachmentsByTarget.get(targetId) ?? NONE;
  }
  attachmentsOf(policyId: string): readonly Attachment[] {
    return this.attachmentsByPolicy.get(policyId) ?? NONE;
  }
  bindingsAt(scopeId: string): readonly Binding[] {
    return this.bindingsByScope.get(scopeId) ?? NONE;
  }
  bindingsFor(principalId: string): readonly Binding[] {
    return this.bindingsByPrincipal.get(principalId) ?? NONE;
  }
  /** The scope and its ancestors: the scope itself first, the root last. */
  ancestors(scopeId: string): readonly ScopeNode[] {
    return this.chains.get(scopeId) ?? NONE;
  }

  counts(): Record<string, Record<string, number> | number> {
    const byKind = <T>(items: T[], kind: (t: T) => string) => {
      const out: Record<string, number> = {};
      for (const i of items) out[kind(i)] = (out[kind(i)] ?? 0) + 1;
      return out;
    };
    return {
      principals: byKind(this.data.principals, (p) => p.kind),
      scopes: byKind(this.data.scopes, (s) => s.kind),
      policies: byKind(this.data.policies, (p) => p.type),
      memberships: this.data.memberships.length,
      attachments: this.data.attachments.length,
      bindings: this.data.bindings.length,
    };
  }
}
