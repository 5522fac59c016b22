/**
 * Azure native inputs to the common graph (docs/azure-inputs.md): ARM list responses (`{value, nextLink}`)
 * and Resource Graph exports of role definitions, role assignments, deny assignments, policy definitions,
 * sets, assignments and exemptions, management locks, the management group hierarchy (getEntities or
 * resourcecontainers), resources; and group memberships (a `{group: [members]}` map or Microsoft Graph
 * groups with their members expanded).
 * https://learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope
 * https://learn.microsoft.com/azure/governance/resource-graph/reference/supported-tables-resources
 */
import { emptyGraphData, type GraphData, type PrincipalKind, type PrincipalNode, type ScopeNode } from '../../src/core/graph.js';
import { InputError } from '../../src/core/problem.js';
import type { LoadWarning, ParsedFile } from '../../src/core/provider.js';
import { classicBinding, type ClassicAdministrator } from './classic-admins.js';
import { extensionScope, isGuid, lastSegment, levelOf, managementGroupId, normalizeGuid, normalizeId, segmentParent } from './ids.js';
import { eligibilityNode, originOf, withoutRepeatedActivations } from './pim.js';
import { lookupTable } from '../../src/core/lookup-table.js';

type Obj = Record<string, unknown>;

/** A 4xx naming the uploaded file and the JSON pointer of what is wrong in it. */
export function invalid(file: string, pointer: string, message: string): InputError {
  return new InputError('invalid_policy', pointer, message).inFile(file);
}

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * What role assignments and PIM schedules (eligibilities, active instances) share: id, principal and role,
 * checked; scope and name, else as the id gives them. `what` names the object in the error.
 */
export function assignmentFields(o: Obj, p: Obj, file: string, pointer: string, what: string) {
  const id = str(o.id);
  const principalId = str(p.principalId);
  const roleDefinitionId = str(p.roleDefinitionId);
  if (!id || !principalId || !roleDefinitionId) throw invalid(file, pointer, `${what} needs id, principalId and roleDefinitionId`);
  const scopeAsGiven = str(p.scope) ?? extensionScope(id);
  return { id, name: str(o.name) ?? lastSegment(id), principalId, roleDefinitionId, roleGuid: normalizeGuid(lastSegment(roleDefinitionId)), scopeAsGiven, scope: normalizeId(scopeAsGiven) };
}

/** Everyone in a deny assignment: the all-zero object id, type SystemDefined. */
export const EVERYONE = '00000000-0000-0000-0000-000000000000';

/** The kinds of ARM objects this provider reads, by lower-cased `type`. */
export const OBJECT_TYPES = {
  roleDefinition: 'microsoft.authorization/roledefinitions',
  roleAssignment: 'microsoft.authorization/roleassignments',
  denyAssignment: 'microsoft.authorization/denyassignments',
  policyDefinition: 'microsoft.authorization/policydefinitions',
  policySetDefinition: 'microsoft.authorization/policysetdefinitions',
  policyAssignment: 'microsoft.authorization/policyassignments',
  policyExemption: 'microsoft.authorization/policyexemptions',
  lock: 'microsoft.authorization/locks',
  roleEligibilitySchedule: 'microsoft.authorization/roleeligibilityschedules',
  roleEligibilityScheduleInstance: 'microsoft.authorization/roleeligibilityscheduleinstances',
  roleAssignmentScheduleInstance: 'microsoft.authorization/roleassignmentscheduleinstances',
  classicAdministrator: 'microsoft.authorization/classicadministrators',
} as const;

const POLICY_TYPES: Record<string, string> = lookupTable({
  [OBJECT_TYPES.roleDefinition]: 'azure:role_definition',
  [OBJECT_TYPES.denyAssignment]: 'azure:deny_assignment',
  [OBJECT_TYPES.policyDefinition]: 'azure:policy_definition',
  [OBJECT_TYPES.policySetDefinition]: 'azure:policy_set_definition',
  [OBJECT_TYPES.policyAssignment]: 'azure:policy_assignment',
  [OBJECT_TYPES.policyExemption]: 'azure:policy_exemption',
  [OBJECT_TYPES.lock]: 'azure:lock',
});

/** Attachment kinds, by policy type: what sits at a scope. */
const ATTACHMENT_KINDS: Record<string, string> = lookupTable({
  'azure:deny_assignment': 'deny_assignment',
  'azure:policy_assignment': 'policy_assignment',
  'azure:policy_exemption': 'policy_exemption',
  'azure:lock': 'lock',
});

export interface Item {
  value: Obj;
  pointer: string;
}

/**
 * The objects of a file, with their pointers: an ARM list page `{value}`, an array of pages, a Resource
 * Graph response `{data}`, or a plain array (NDJSON lines included).
 */
export function itemsOf(v: unknown): Item[] {
  const fromArray = (a: unknown[], base: string): Item[] =>
    a.flatMap((x, i) => {
      if (!isObj(x)) return [];
      if (Array.isArray(x.value) && !('id' in x)) return fromArray(x.value, `${base}/${i}/value`);
      return [{ value: x, pointer: `${base}/${i}` }];
    });
  if (Array.isArray(v)) return fromArray(v, '');
  if (isObj(v) && Array.isArray(v.value)) return fromArray(v.value, '/value');
  if (isObj(v) && Array.isArray(v.data)) return fromArray(v.data, '/data');
  return [];
}

/** The object's own fields: ARM nests them in `properties`, the SDKs and the CLI flatten them. */
export function propsOf(o: Obj): Obj {
  return isObj(o.properties) ? o.properties : o;
}

function typeOf(o: Obj): string {
  return (str(o.type) ?? '').toLowerCase();
}

function isArmItem(o: Obj): boolean {
  const id = str(o.id)?.toLowerCase() ?? '';
  const type = typeOf(o);
  if (type === '/subscriptions') return true;
  if (!(id.startsWith('/subscriptions/') || id.startsWith('/providers/microsoft.'))) return false;
  return type.startsWith('microsoft.') || type === '';
}

/** Graph groups with members expanded: `{value: [{id, members|transitiveMembers: [...]}]}`. */
function isGraphGroups(v: unknown): boolean {
  const items = itemsOf(v);
  return items.length > 0 && items.every((i) => typeof i.value.id === 'string' && isGuid(i.value.id) && (Array.isArray(i.value.members) || Array.isArray(i.value.transitiveMembers)));
}

/** Microsoft Graph users or service principals (`GET /users`, `GET /servicePrincipals`): names, UPNs, appIds. */
function isGraphDirectory(v: unknown): boolean {
  const items = itemsOf(v);
  if (!items.length) return isObj(v) && typeof v['@odata.context'] === 'string' && /#(users|servicePrincipals|groups)\b/.test(v['@odata.context']);
  return items.every((i) => typeof i.value.id === 'string' && isGuid(i.value.id) && i.value.type === undefined && ['userPrincipalName', 'appId', 'servicePrincipalType', '@odata.type', 'securityEnabled'].some((k) => k in i.value));
}

/** `{"<group object id>": ["<member id>" | {id}, ...] | {value: [...]}}`. */
function isGroupMap(v: unknown): boolean {
  if (!isObj(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => isGuid(k) && (Array.isArray(v[k]) || (isObj(v[k]) && Array.isArray((v[k] as Obj).value))));
}

/** An empty ARM list page (`{"value": []}`): a scope with no deny assignments or locks exports that. */
function isEmptyPage(v: unknown): boolean {
  return isObj(v) && Array.isArray(v.value) && v.value.length === 0 && Object.keys(v).every((k) => k === 'value' || k === 'nextLink');
}

export function recognizes(f: ParsedFile): boolean {
  const v = f.value;
  if (isGroupMap(v) || isGraphGroups(v) || isGraphDirectory(v) || isEmptyPage(v)) return true;
  const items = itemsOf(v);
  return items.length > 0 && items.every((i) => isArmItem(i.value));
}

const KIND_OF_PRINCIPAL_TYPE: Record<string, PrincipalKind> = lookupTable({
  user: 'user',
  group: 'group',
  foreigngroup: 'group',
  serviceprincipal: 'service_principal',
  msi: 'managed_identity',
});

export function principalKind(type: string | undefined): PrincipalKind {
  const t = (type ?? '').toLowerCase().replace('#microsoft.graph.', '');
  if (t === 'systemdefined' || t === 'everyone') return 'everyone';
  return KIND_OF_PRINCIPAL_TYPE[t] ?? 'user';
}

class Builder {
  readonly g: GraphData = emptyGraphData();
  private readonly principals = new Map<string, PrincipalNode>();
  /** Resolved to users by UPN once every file is read. */
  private readonly classic: ClassicAdministrator[] = [];
  private activations = false;

  constructor(private readonly warn: (w: LoadWarning) => void) {}

  /** A principal: names and kinds from Graph win over what an assignment's principalType says. */
  principal(id: string, kind: PrincipalKind, name: string | undefined, origin: { file: string; pointer: string }, authoritative: boolean): void {
    const key = normalizeGuid(id);
    const seen = this.principals.get(key);
    if (seen && !authoritative) return;
    const node: PrincipalNode = { id: key, kind, name: name ?? seen?.name ?? key, provider: 'azure', origin: seen?.origin ?? origin };
    if (seen?.attrs) node.attrs = seen.attrs;
    this.principals.set(key, node);
  }

  scope(node: Omit<ScopeNode, 'provider'>): void {
    this.g.scopes.push({ ...node, provider: 'azure' });
  }

  /** The ancestors a resource id implies, so that browsing shows them even when they were not exported. */
  impliedScopes(id: string, origin: { file: string; pointer: string }): void {
    for (let cur = segmentParent(id); cur && cur !== '/'; ) {
      const level = levelOf(cur);
      const parent = segmentParent(cur);
      const node: Omit<ScopeNode, 'provider'> = { id: cur, kind: `azure:${level}`, name: '', resource: level === 'resource', origin };
      if (parent && parent !== '/') node.parent = parent;
      this.scope(node);
      cur = parent;
    }
  }

  item(o: Obj, file: string, pointer: string): void {
    const type = typeOf(o);
    const id = str(o.id);
    const origin = { file, pointer };
    const p = propsOf(o);
    if (type === OBJECT_TYPES.roleAssignment) return this.roleAssignment(o, p, file, pointer);
    if (type === OBJECT_TYPES.roleAssignmentScheduleInstance) return this.activeInstance(o, p, file, pointer);
    if (type === OBJECT_TYPES.roleEligibilitySchedule || type === OBJECT_TYPES.roleEligibilityScheduleInstance) {
      const node = eligibilityNode(o, p, file, pointer);
      this.principal(String(p.principalId), principalKind(str(p.principalType)), undefined, origin, false);
      this.g.policies.push(node);
      return;
    }
    if (type === OBJECT_TYPES.classicAdministrator) {
      this.classic.push({ o, file, pointer });
      return;
    }
    const policyType = POLICY_TYPES[type];
    if (policyType) {
      if (!id) throw new InputError('invalid_policy', `${pointer}/id`, `a ${o.type as string} object needs its id`).inFile(file);
      const nid = normalizeId(id);
      const name = policyName(type, o, p);
      this.g.policies.push({ id: nid, name, type: policyType, provider: 'azure', document: o, origin });
      const kind = ATTACHMENT_KINDS[policyType];
      if (kind) {
        const at = type === OBJECT_TYPES.policyAssignment || type === OBJECT_TYPES.denyAssignment ? normalizeId(str(p.scope) ?? extensionScope(id)) : extensionScope(id);
        this.g.attachments.push({ policy: nid, target: at, kind, origin });
      }
      if (type === OBJECT_TYPES.denyAssignment) {
        const base = isObj(o.properties) ? `${pointer}/properties` : pointer;
        for (const key of ['principals', 'excludePrincipals'] as const) {
          (Array.isArray(p[key]) ? (p[key] as unknown[]) : []).forEach((x, i) => {
            if (isObj(x) && typeof x.id === 'string') this.principal(x.id, principalKind(str(x.type)), str(x.displayName), { file, pointer: `${base}/${key}/${i}` }, false);
          });
        }
      }
      return;
    }
    if (!id) return;
    const nid = normalizeId(id);
    const display = str(p.displayName) ?? str(o.name) ?? lastSegment(id);
    if (type === 'microsoft.management/managementgroups') return this.managementGroup(o, p, origin);
    if (type === '/subscriptions' || type === 'microsoft.resources/subscriptions' || (type === '' && levelOf(nid) === 'subscription')) {
      const parent = parentOfSubscription(p);
      this.scope({ id: nid, kind: 'azure:subscription', name: display, resource: false, origin, ...(parent ? { parent } : {}), attrs: { armId: id, displayName: display, tags: o.tags ?? {} } });
      return;
    }
    const level = levelOf(nid);
    if (level === 'resource_group') {
      this.scope({ id: nid, kind: 'azure:resource_group', name: str(o.name) ?? display, resource: false, parent: segmentParent(nid)!, origin, ...tagsOf(o), attrs: { armId: id, location: o.location, tags: o.tags ?? {} } });
      return;
    }
    if (level !== 'resource') {
      this.warn({ code: 'unknown_object', message: `${id} (type ${String(o.type)}) is not an object this provider reads: skipped`, file, pointer });
      return;
    }
    this.impliedScopes(nid, origin);
    this.scope({ id: nid, kind: 'azure:resource', name: str(o.name) ?? lastSegment(id), resource: true, parent: segmentParent(nid)!, origin, ...tagsOf(o), attrs: { armId: id, type: o.type, location: o.location, kind: o.kind, sku: o.sku, properties: o.properties, identity: o.identity, tags: o.tags ?? {} } });
    const identity = isObj(o.identity) ? o.identity : undefined;
    if (identity && typeof identity.principalId === 'string') this.principal(identity.principalId, 'managed_identity', `${str(o.name) ?? lastSegment(id)} (system-assigned identity)`, { file, pointer: `${pointer}/identity` }, true);
  }

  managementGroup(o: Obj, p: Obj, origin: { file: string; pointer: string }): void {
    const name = str(o.name) ?? lastSegment(str(o.id) ?? '');
    const details = isObj(p.details) ? p.details : p;
    const parent = isObj(details.parent) ? str(details.parent.id) : undefined;
    const id = managementGroupId(name);
    this.scope({ id, kind: 'azure:management_group', name: str(p.displayName) ?? name, resource: false, origin, parent: parent ? normalizeId(parent) : '/', attrs: { armId: str(o.id) ?? id, displayName: str(p.displayName) ?? name, tenantId: p.tenantId } });
    // managementGroups.get(expand=children, recurse): the tree below it.
    (Array.isArray(p.children) ? (p.children as unknown[]) : []).forEach((c, i) => {
      if (!isObj(c)) return;
      const child = { ...c, properties: { ...c, parent: { id: str(o.id) ?? id } } };
      const ptr = `${origin.pointer}/properties/children/${i}`;
      const ct = typeOf(c);
      if (ct === '/subscriptions' || ct === 'microsoft.resources/subscriptions') this.item(child, origin.file, ptr);
      else this.managementGroup(child, child.properties, { file: origin.file, pointer: ptr });
    });
  }

  roleAssignment(o: Obj, p: Obj, file: string, pointer: string): void {
    const a = assignmentFields(o, p, file, pointer, 'a role assignment');
    const kind = principalKind(str(p.principalType));
    this.principal(a.principalId, kind, str(p.principalName) ?? str(p.principalDisplayName), { file, pointer }, false);
    const attrs: Obj = { id: a.id, name: a.name, principalType: str(p.principalType) ?? 'User', roleDefinitionId: a.roleDefinitionId, scopeAsGiven: a.scopeAsGiven, propsPointer: isObj(o.properties) ? '/properties' : '' };
    if (p.conditionVersion !== undefined && p.conditionVersion !== null) attrs.conditionVersion = p.conditionVersion;
    const b: GraphData['bindings'][number] = { principal: normalizeGuid(a.principalId), role: a.roleGuid, scope: a.scope, origin: { file, pointer }, attrs };
    if (typeof p.condition === 'string' && p.condition.trim() !== '') b.condition = p.condition;
    this.g.bindings.push(b);
  }

  /** A Graph user or service principal: a user is named by its UPN, a service principal by its appId (as ARM errors name clients). */
  directoryObject(o: Obj, file: string, pointer: string): void {
    const id = o.id as string;
    const odata = str(o['@odata.type'])?.toLowerCase() ?? '';
    let kind: PrincipalKind = 'user';
    if ('appId' in o || 'servicePrincipalType' in o || odata.endsWith('serviceprincipal')) kind = str(o.servicePrincipalType)?.toLowerCase() === 'managedidentity' ? 'managed_identity' : 'service_principal';
    else if ('securityEnabled' in o || odata.endsWith('.group')) kind = 'group';
    const name = kind === 'user' ? str(o.userPrincipalName) ?? str(o.displayName) : kind === 'group' ? str(o.displayName) : str(o.appId) ?? str(o.displayName);
    this.principal(id, kind, name, { file, pointer }, true);
    const node = this.principals.get(normalizeGuid(id))!;
    node.attrs = { displayName: o.displayName, ...(o.appId !== undefined ? { appId: o.appId } : {}), ...(o.userPrincipalName !== undefined ? { userPrincipalName: o.userPrincipalName } : {}) };
  }

  groups(v: unknown, file: string): void {
    const add = (group: string, members: unknown[], base: string) => {
      this.principal(group, 'group', undefined, { file, pointer: base }, false);
      members.forEach((m, i) => {
        const ptr = `${base}/${i}`;
        const mid = typeof m === 'string' ? m : isObj(m) ? str(m.id) : undefined;
        if (!mid) return;
        if (isObj(m)) this.principal(mid, principalKind(str(m['@odata.type'])), str(m.userPrincipalName) ?? str(m.displayName), { file, pointer: ptr }, true);
        else this.principal(mid, 'user', undefined, { file, pointer: ptr }, false);
        this.g.memberships.push({ member: normalizeGuid(mid), group: normalizeGuid(group) });
      });
    };
    if (isGroupMap(v)) {
      for (const [group, members] of Object.entries(v as Obj)) {
        const list = Array.isArray(members) ? members : ((members as Obj).value as unknown[]);
        add(group, list, Array.isArray(members) ? `/${group}` : `/${group}/value`);
      }
      return;
    }
    for (const { value: g, pointer } of itemsOf(v)) {
      const key = Array.isArray(g.transitiveMembers) ? 'transitiveMembers' : 'members';
      add(g.id as string, g[key] as unknown[], `${pointer}/${key}`);
      this.principal(g.id as string, 'group', str(g.displayName), { file, pointer }, true);
    }
  }

  /** A PIM active assignment instance: a role assignment, unless it repeats one (see pim.ts). */
  activeInstance(o: Obj, p: Obj, file: string, pointer: string): void {
    this.roleAssignment(o, p, file, pointer);
    this.g.bindings[this.g.bindings.length - 1]!.attrs!.pimOrigin = originOf(p) ?? null;
    this.activations = true;
  }

  finish(): GraphData {
    if (this.classic.length) {
      const users = new Map<string, string>();
      for (const n of this.principals.values()) if (n.kind === 'user') for (const upn of [n.attrs?.userPrincipalName, n.name]) if (typeof upn === 'string') users.set(upn.toLowerCase(), n.id);
      for (const c of this.classic) {
        const b = classicBinding(c, (upn) => users.get(upn), this.warn);
        if (b) this.g.bindings.push(b);
      }
    }
    if (this.activations) this.g.bindings = withoutRepeatedActivations(this.g.bindings);
    this.g.principals.push(...this.principals.values());
    // The root scope `/`, above the tenant root group: built-in roles are assignable there.
    if (this.g.scopes.length) this.scope({ id: '/', kind: 'azure:root', name: '/', resource: false });
    return this.g;
  }
}

function tagsOf(o: Obj): { tags?: Record<string, string> } {
  if (!isObj(o.tags)) return {};
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(o.tags)) tags[k] = String(v);
  return { tags };
}

function parentOfSubscription(p: Obj): string | undefined {
  if (isObj(p.parent) && typeof p.parent.id === 'string') return normalizeId(p.parent.id);
  // Resource Graph resourcecontainers: the management group chain, nearest first.
  const chain = Array.isArray(p.managementGroupAncestorsChain) ? p.managementGroupAncestorsChain : [];
  const first = chain.find(isObj);
  if (first && typeof first.name === 'string') return managementGroupId(first.name);
  if (typeof p.managementGroupId === 'string') return managementGroupId(lastSegment(p.managementGroupId));
  return undefined;
}

/** The name causes show: a role's roleName, a deny assignment's denyAssignmentName, a policy object's name. */
function policyName(type: string, o: Obj, p: Obj): string {
  if (type === OBJECT_TYPES.roleDefinition) return str(p.roleName) ?? str(o.name) ?? '';
  if (type === OBJECT_TYPES.denyAssignment) return str(p.denyAssignmentName) ?? str(o.name) ?? '';
  return str(o.name) ?? lastSegment(str(o.id) ?? '');
}

export function loadAzure(files: ParsedFile[], warn: (w: LoadWarning) => void): GraphData {
  const b = new Builder(warn);
  for (const f of files) {
    if (isGroupMap(f.value) || isGraphGroups(f.value)) {
      b.groups(f.value, f.name);
      continue;
    }
    if (isGraphDirectory(f.value)) {
      for (const { value, pointer } of itemsOf(f.value)) b.directoryObject(value, f.name, pointer);
      continue;
    }
    for (const { value, pointer } of itemsOf(f.value)) b.item(value, f.name, pointer);
  }
  return b.finish();
}

/** ARM objects given inline (an overlay), as graph data: each item's pointer is where it is in the request. */
export function loadObjects(items: Item[], file: string): GraphData {
  const b = new Builder(() => undefined);
  for (const { value, pointer } of items) b.item(value, file, pointer);
  return b.finish();
}
