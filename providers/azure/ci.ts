/**
 * What the CI gate asks of Azure: the principals an invariant quantifies over, and the probe requests a
 * diff asks of the baseline and of the candidate for the scopes an overlay touches.
 */
import type { CiSupport, PrincipalSet, Probe } from '../../src/core/ci.js';
import type { PrincipalNode, ScopeNode } from '../../src/core/graph.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { builtInRole } from './catalog.js';
import type { AzureEstate } from './estate.js';
import { extensionScope, lastSegment, normalizeGuid, normalizeId, resourceTypeOf } from './ids.js';
import { isObj, itemsOf, OBJECT_TYPES, propsOf } from './load.js';
import { overlayCallers, type AzureOverlayInput } from './request.js';
import { fromTerraform, TERRAFORM_TYPES } from './terraform.js';
import { lookupTable } from '../../src/core/lookup-table.js';

type Obj = Record<string, unknown>;

/** At most this many probes per overlay (sorted, so the cut is deterministic). */
export const MAX_PROBES = 20_000;
/** At most this many exported resources probed below one scope an overlay item sits at. */
const MAX_RESOURCES_PER_SCOPE = 200;

/** Callers: Azure authorizes users, service principals and managed identities, never a group as such. */
const CALLERS = new Set(['user', 'service_principal', 'managed_identity']);

/**
 * Sensitive actions beyond `{type}/read`, `/write` and `/delete`, by resource type (lower-cased): what
 * reaches the data or the keys.
 * https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent (listKeys bypasses RBAC)
 * https://learn.microsoft.com/azure/storage/blobs/assign-azure-role-data-access (blob data actions, at the container)
 * https://learn.microsoft.com/azure/key-vault/general/rbac-guide (secret data actions, at the vault)
 */
const EXTRA_ACTIONS: Record<string, readonly string[]> = lookupTable({
  'microsoft.storage/storageaccounts': ['Microsoft.Storage/storageAccounts/listKeys/action'],
  'microsoft.storage/storageaccounts/blobservices/containers': [
    'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
    'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
    'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
  ],
  'microsoft.keyvault/vaults': ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/setSecret/action'],
});

const ROLE_ASSIGNMENT_WRITE = 'Microsoft.Authorization/roleAssignments/write';

const estateOf = (snapshot: Snapshot) => snapshot.compiledFor<AzureEstate>('azure');

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The sensitive actions on a scope or resource, by its type. */
function sensitiveActions(armId: string): string[] {
  const type = resourceTypeOf(armId);
  if (!type) return [];
  // A subscription is read; writing or deleting one is not an ARM role-based operation.
  if (type.toLowerCase() === 'microsoft.resources/subscriptions') return [`${type}/read`];
  return [`${type}/read`, `${type}/write`, `${type}/delete`, ...(EXTRA_ACTIONS[type.toLowerCase()] ?? [])];
}

/** The resource type an action is performed on: the action without its verb (`.../listKeys/action` without both). */
function actionType(action: string): string {
  const s = action.toLowerCase().split('/');
  return s.slice(0, s[s.length - 1] === 'action' ? -2 : -1).join('/');
}

/**
 * Does a concrete action of a role apply to a resource of this type? A control action on its own type; a
 * data action also on the resources above its type, where data roles are assigned (blobs at a container).
 */
function appliesTo(action: string, data: boolean, type: string): boolean {
  const t = actionType(action);
  const own = type.toLowerCase();
  return t === own || (data && t.startsWith(`${own}/`));
}

interface Touched {
  /** Scopes overlay items sit at, normalized. */
  scopes: Set<string>;
  /** Concrete control and data actions the overlay's roles name. */
  actions: Set<string>;
  dataActions: Set<string>;
  /** Role assignment ids the overlay adds, replaces or removes: who may change them. */
  assignments: Set<string>;
}

/** The concrete (wildcard-free) actions of a role definition's permission blocks. */
function addActions(t: Touched, permissions: readonly Obj[]): void {
  for (const b of permissions) {
    for (const a of strings(b.actions)) if (!a.includes('*')) t.actions.add(a);
    for (const a of strings(b.dataActions)) if (!a.includes('*')) t.dataActions.add(a);
  }
}

/** The scopes where a definition (role or policy) is used: its assignments in the snapshot and the overlay. */
function usesOf(estate: AzureEstate, overlayObjects: Obj[], definition: string, role: boolean): string[] {
  const key = role ? normalizeGuid(lastSegment(definition)) : normalizeId(definition);
  const out: string[] = [];
  if (role) {
    for (const list of estate.index.byPrincipal.values()) for (const a of list) if (a.roleGuid === key) out.push(a.scope);
  } else {
    for (const [scope, list] of estate.index.policyAssignments) {
      for (const pa of list) {
        const def = estate.policyDefinition(pa.definitionId);
        if (pa.definitionId === key || (def?.kind === 'set' && def.members.some((m) => m.definitionId === key))) out.push(scope);
      }
    }
  }
  for (const o of overlayObjects) {
    const p = propsOf(o);
    const type = String(o.type ?? '').toLowerCase();
    const ref = role ? (type === OBJECT_TYPES.roleAssignment && typeof p.roleDefinitionId === 'string' ? normalizeGuid(lastSegment(p.roleDefinitionId)) : undefined) : type === OBJECT_TYPES.policyAssignment && typeof p.policyDefinitionId === 'string' ? normalizeId(p.policyDefinitionId) : undefined;
    if (ref === key) out.push(normalizeId(typeof p.scope === 'string' ? p.scope : extensionScope(String(o.id))));
  }
  return out;
}

/** A role's permission blocks as written: the overlay's definition, else the snapshot's, else the built-in one. */
function rolePermissions(estate: AzureEstate, overlayObjects: Obj[], guid: string): Obj[] {
  const isRole = (o: Obj) => String(o.type ?? '').toLowerCase() === OBJECT_TYPES.roleDefinition && normalizeGuid(String(o.name ?? lastSegment(String(o.id)))) === guid;
  const own = overlayObjects.find(isRole) ?? estate.snapshot.graph.data.policies.find((n) => n.type === 'azure:role_definition' && isObj(n.document) && isRole(n.document))?.document;
  const permissions = isObj(own) ? propsOf(own).permissions : builtInRole(guid)?.permissions;
  return Array.isArray(permissions) ? permissions.filter(isObj) : [];
}

/** What an overlay touches: the scopes of its items (a definition's: where it is assigned) and the actions its roles name. */
function touched(estate: AzureEstate, overlay: Record<string, unknown>): Touched {
  const t: Touched = { scopes: new Set(), actions: new Set(), dataActions: new Set(), assignments: new Set() };
  const objects = [...(Array.isArray(overlay.add) ? overlay.add : []), ...(Array.isArray(overlay.replace) ? overlay.replace : [])].filter(isObj);
  const removed = (Array.isArray(overlay.remove) ? overlay.remove : []).filter((x): x is string => typeof x === 'string');
  const visit = (id: string, type: string, o?: Obj) => {
    const p = o ? propsOf(o) : {};
    if (type === OBJECT_TYPES.roleDefinition || type === OBJECT_TYPES.policyDefinition || type === OBJECT_TYPES.policySetDefinition) {
      for (const s of usesOf(estate, objects, id, type === OBJECT_TYPES.roleDefinition)) t.scopes.add(s);
      if (Array.isArray(p.permissions)) addActions(t, p.permissions.filter(isObj));
      return;
    }
    t.scopes.add(normalizeId(typeof p.scope === 'string' ? p.scope : extensionScope(id)));
    if (type !== OBJECT_TYPES.roleAssignment) return;
    t.assignments.add(id);
    if (typeof p.roleDefinitionId === 'string') addActions(t, rolePermissions(estate, objects, normalizeGuid(lastSegment(p.roleDefinitionId))));
  };
  for (const o of objects) visit(String(o.id), String(o.type ?? '').toLowerCase(), o);
  for (const id of removed) {
    const known = estate.index.objects.get(normalizeId(id));
    const type = known?.kind === 'role definition' ? OBJECT_TYPES.roleDefinition : known?.kind === 'policy definition' ? OBJECT_TYPES.policyDefinition : known?.kind === 'policy set definition' ? OBJECT_TYPES.policySetDefinition : known?.kind === 'role assignment' ? OBJECT_TYPES.roleAssignment : '';
    visit(id, type);
  }
  return t;
}

/**
 * The ARM ids (as exported) of the scopes and resources at or below a scope (management groups: through
 * the hierarchy), the scope first, then sorted, capped. Scopes only implied by a child's id were not
 * exported: they are left out.
 */
function scopesUnder(estate: AzureEstate, scope: string): string[] {
  const out: ScopeNode[] = [];
  for (const s of estate.snapshot.graph.data.scopes) {
    if (s.provider !== 'azure' || typeof s.attrs?.armId !== 'string' || !estate.chain(s.id).includes(scope)) continue;
    out.push(s);
  }
  return out
    .sort((a, b) => (a.id === scope ? -1 : b.id === scope ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, MAX_RESOURCES_PER_SCOPE)
    .map((s) => s.attrs!.armId as string);
}

export function probes(snapshot: Snapshot, overlay: Record<string, unknown>): Probe[] {
  const estate = estateOf(snapshot);
  const t = touched(estate, overlay);
  const who = principals(snapshot, 'all', overlay);
  const questions: [string, string][] = [];
  for (const id of [...t.assignments].sort()) {
    const scope = estate.scope(extensionScope(id));
    if (scope) questions.push([ROLE_ASSIGNMENT_WRITE, id]);
  }
  for (const scope of [...t.scopes].sort()) {
    for (const arm of scopesUnder(estate, scope)) {
      const type = resourceTypeOf(arm) ?? '';
      const own = [...t.actions].filter((a) => appliesTo(a, false, type));
      const data = [...t.dataActions].filter((a) => appliesTo(a, true, type));
      for (const action of new Set([...sensitiveActions(arm), ...own, ...data])) questions.push([action, arm]);
    }
  }
  const seen = new Set<string>();
  const out: Probe[] = [];
  for (const [action, resource] of questions) {
    for (const principal of who) {
      const key = `${principal}\u0000${action.toLowerCase()}\u0000${resource.toLowerCase()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ principal, action, resource });
      if (out.length >= MAX_PROBES) return sortProbes(out);
    }
  }
  return sortProbes(out);
}

function sortProbes(list: Probe[]): Probe[] {
  const key = (p: Probe) => `${p.resource.toLowerCase()}\u0000${p.action.toLowerCase()}\u0000${p.principal}`;
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Microsoft Graph users and service principals as exported, by object id: the loader keeps names, not
 * `userType` or `appOwnerOrganizationId`. Read once per snapshot, from the files that hold those fields.
 */
const directories = new WeakMap<Snapshot, Map<string, Obj>>();

function directoryOf(snapshot: Snapshot): Map<string, Obj> {
  let index = directories.get(snapshot);
  if (index) return index;
  directories.set(snapshot, (index = new Map()));
  for (const text of snapshot.files.values()) {
    if (!text.includes('"appOwnerOrganizationId"') && !text.includes('"userType"')) continue;
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      continue; // NDJSON exports hold no Graph directory lists
    }
    for (const { value: o } of itemsOf(value)) if (typeof o.id === 'string') index.set(normalizeGuid(o.id), o);
  }
  return index;
}

/**
 * Principals outside the organization: B2B guests (`userType` Guest, or a `#EXT#` user principal name) and
 * service principals of applications another tenant publishes (`appOwnerOrganizationId` not one of the
 * snapshot's tenants).
 * https://learn.microsoft.com/entra/external-id/user-properties
 * https://learn.microsoft.com/entra/identity-platform/app-objects-and-service-principals
 */
function isExternal(snapshot: Snapshot, p: PrincipalNode, tenants: ReadonlySet<string>): boolean {
  const raw = directoryOf(snapshot).get(p.id);
  if (p.kind === 'user') {
    const upn = typeof p.attrs?.userPrincipalName === 'string' ? p.attrs.userPrincipalName : p.name;
    return upn.toUpperCase().includes('#EXT#') || String(raw?.userType ?? '').toLowerCase() === 'guest';
  }
  const owner = raw?.appOwnerOrganizationId;
  return p.kind === 'service_principal' && tenants.size > 0 && typeof owner === 'string' && !tenants.has(normalizeGuid(owner));
}

export function principals(snapshot: Snapshot, which: PrincipalSet, overlay?: Record<string, unknown>): string[] {
  // Azure RBAC has no anonymous or public principal: every caller signs in to a tenant.
  if (which === 'public') return [];
  const callers = snapshot.graph.data.principals.filter((p) => p.provider === 'azure' && CALLERS.has(p.kind));
  // A principal only the overlay's role assignments name is asked about by `all`; `external` cannot tell
  // where it belongs, so it keeps to the directory's principals.
  if (which === 'all') return [...new Set([...callers.map((p) => p.id), ...overlayCallers(overlay as AzureOverlayInput | undefined).keys()])].sort();
  const tenants = new Set(snapshot.graph.data.scopes.flatMap((s) => (s.provider === 'azure' && typeof s.attrs?.tenantId === 'string' ? [normalizeGuid(s.attrs.tenantId)] : [])));
  return callers.filter((p) => isExternal(snapshot, p, tenants)).map((p) => p.id).sort();
}

export const azureCi: CiSupport = { terraformTypes: TERRAFORM_TYPES, fromTerraform, probes, principals };
