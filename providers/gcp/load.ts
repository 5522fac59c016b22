/**
 * Google Cloud native inputs to the common graph (docs/gcp-inputs.md).
 *
 * Scopes: organizations, folders, projects and service resources, each named by its full resource name
 * (projects by id: a number given anywhere resolves to the same node). Policies: allow policies
 * (`<resource>#allow`), deny policies, principal access boundary policies and policy bindings, custom
 * roles and organization policies, each with the file and JSON pointer it came from. Bindings: one per
 * (binding, member). Principals: the members named anywhere, groups with their members, and domains with
 * their Cloud Identity customer id.
 * https://cloud.google.com/asset-inventory/docs/export-asset-metadata
 */
import { emptyGraphData, type GraphData, type PolicyNode, type PrincipalKind, type PrincipalNode, type ScopeNode } from '../../src/core/graph.js';
import { InputError, pointerToken } from '../../src/core/problem.js';
import type { LoadWarning, ParsedFile } from '../../src/core/provider.js';
import {
  field, fieldKey, inputKind, isCustomConstraint, isCustomRole, isDenyPolicy, isObj, isOrgPolicyV2, isPabPolicy, isPolicyBinding, itemsOf, listKeys, str, strings, uniformAccessOf, type InputKind, type Obj,
} from './inputs.js';
import { isServiceAccountEmail, parseMember, principalId } from './members.js';
import { CRM, crmKind, crmName, lastSegment, parseFullName, ProjectAliases, resourceTypeOf } from './names.js';
import { lookupTable } from '../../src/core/lookup-table.js';

type Warn = (w: LoadWarning) => void;

const CRM_TYPES: Record<string, string> = lookupTable({
  'cloudresourcemanager.googleapis.com/Organization': 'gcp:organization',
  'cloudresourcemanager.googleapis.com/Folder': 'gcp:folder',
  'cloudresourcemanager.googleapis.com/Project': 'gcp:project',
});

const PRINCIPAL_KINDS: Record<string, PrincipalKind> = lookupTable({ user: 'user', serviceAccount: 'service_account', group: 'group', principal: 'federated_user' });

/** The deny policy's attachment point, from its name: policies/{URL-encoded full name}/denypolicies/{id}. */
export function denyAttachment(name: string): string | undefined {
  const m = /^policies\/([^/]+)\/denypolicies\/[^/]+$/.exec(name);
  if (!m) return undefined;
  try {
    const decoded = decodeURIComponent(m[1]!);
    return decoded.startsWith('//') ? decoded : `//${decoded}`;
  } catch {
    return undefined;
  }
}

class Builder {
  readonly g: GraphData = emptyGraphData();
  readonly aliases = new ProjectAliases();
  private readonly scopes = new Map<string, ScopeNode>();
  private readonly principals = new Map<string, PrincipalNode>();
  private readonly policyIds = new Set<string>();
  /** Asset types some custom constraint governs: their RESOURCE data is kept for UPDATE checks. */
  readonly constrainedTypes = new Set<string>();

  constructor(private readonly warn: Warn) {}

  /** A CRM or service name, with project numbers rewritten to ids. */
  canonical(name: string): string {
    return this.aliases.normalize(name);
  }

  node(id: string, file: string, pointer: string, kind?: string): ScopeNode {
    let s = this.scopes.get(id);
    if (!s) {
      const crm = crmKind(id);
      const k = kind ?? (crm ? `gcp:${crm}` : `gcp:${resourceTypeOf(id) ?? 'resource'}`);
      s = { id, kind: k, name: lastSegment(id), provider: 'gcp', resource: !crm, origin: { file, pointer }, attrs: {} };
      this.scopes.set(id, s);
    } else if (kind && s.kind !== kind) s.kind = kind;
    return s;
  }

  setParent(id: string, parent: string | undefined, file: string, pointer: string): void {
    if (!parent || parent === id) return;
    const s = this.node(id, file, pointer);
    s.parent ??= parent;
    this.node(parent, file, pointer);
  }

  /** Cloud Asset `ancestors` (closest first): each one's parent is the next. */
  ancestors(id: string, list: unknown, file: string, pointer: string): void {
    if (!Array.isArray(list)) return;
    const names = list.filter((x): x is string => typeof x === 'string').map((a) => this.canonical(crmName(a)));
    const chain = names[0] === id ? names : [id, ...names];
    for (let i = 0; i + 1 < chain.length; i++) this.setParent(chain[i]!, chain[i + 1], file, pointer);
  }

  /** The principal node of a member that names one identity or group (not allUsers, domains, tombstones). */
  principal(member: string, origin: { file: string; pointer: string }): PrincipalNode | undefined {
    const m = parseMember(member);
    const kind = m.kind === 'poolSet' && m.selector === 'group' ? 'group' : PRINCIPAL_KINDS[m.kind];
    if (!kind) return undefined;
    const id = principalId(member);
    let p = this.principals.get(id);
    if (!p) {
      p = { id, kind, name: id.startsWith('principal') ? id : id.slice(id.indexOf(':') + 1), provider: 'gcp', origin };
      this.principals.set(id, p);
    }
    return p;
  }

  /** A domain is a principal set: the accounts of the Cloud Identity customer that owns it. */
  domain(domain: string, customerId: string, origin: { file: string; pointer: string }): void {
    this.principals.set(`domain:${domain}`, { id: `domain:${domain}`, kind: 'group', name: domain, provider: 'gcp', attrs: { customerId }, origin });
  }

  policy(p: PolicyNode): void {
    if (this.policyIds.has(p.id)) {
      this.warn({ code: 'duplicate_policy', file: p.origin.file, pointer: p.origin.pointer, message: `${p.id} is given twice: the later one is ignored` });
      return;
    }
    this.policyIds.add(p.id);
    this.g.policies.push(p);
  }

  finish(): GraphData {
    this.g.scopes = [...this.scopes.values()];
    this.g.principals = [...this.principals.values()];
    return this.g;
  }
}

/**
 * Pass 1: project id ↔ number pairs from every file, so names with either resolve to one node; and the
 * resource types custom constraints govern, whose RESOURCE data pass 2 keeps.
 */
function collectAliases(b: Builder, kind: InputKind, value: unknown): void {
  if (kind === 'customConstraints') for (const c of itemsOf(value, listKeys(kind)).items as Obj[]) for (const t of strings(c.resourceTypes)) b.constrainedTypes.add(t);
  if (kind === 'projects') for (const p of itemsOf(value, listKeys(kind)).items) b.aliases.add(str((p as Obj).projectId), String((p as Obj).projectNumber));
  if (kind !== 'assets') return;
  for (const a of itemsOf(value, listKeys(kind)).items as Obj[]) {
    const data = isObj(a.resource) && isObj(a.resource.data) ? a.resource.data : undefined;
    if (field(a, 'assetType') === 'iam.googleapis.com/ServiceAccount' && typeof data?.email === 'string') {
      // Cloud Asset names a service account by unique id; IAM names it by email (also with the `-` project).
      const project = str(data.projectId) ?? /projects\/([^/]+)\//.exec(String(a.name))?.[1] ?? '-';
      const to = `//iam.googleapis.com/projects/${project}/serviceAccounts/${data.email}`;
      b.aliases.alias(String(a.name), to);
      b.aliases.alias(`//iam.googleapis.com/projects/-/serviceAccounts/${data.email}`, to);
      if (typeof data.uniqueId === 'string') b.aliases.alias(`//iam.googleapis.com/projects/-/serviceAccounts/${data.uniqueId}`, to);
      continue;
    }
    if (field(a, 'assetType') !== 'cloudresourcemanager.googleapis.com/Project') continue;
    const fromName = /\/projects\/(\d+)$/.exec(String(a.name))?.[1];
    b.aliases.add(str(data?.projectId), data?.projectNumber !== undefined ? String(data.projectNumber) : fromName);
  }
}

function loadAllowPolicy(b: Builder, resource: string, policy: unknown, file: string, pointer: string): void {
  if (!isObj(policy)) throw new InputError('invalid_policy', pointer, 'an allow policy must be an object').inFile(file);
  const bindings = policy.bindings ?? [];
  if (!Array.isArray(bindings)) throw new InputError('invalid_policy', `${pointer}/bindings`, 'bindings must be an array').inFile(file);
  const id = `${resource}#allow`;
  b.policy({ id, name: `allow policy of ${resource}`, type: 'gcp:allow', provider: 'gcp', document: policy, origin: { file, pointer }, attrs: { resource } });
  b.g.attachments.push({ policy: id, target: resource, kind: 'allow', origin: { file, pointer } });
  bindings.forEach((bd, j) => {
    const bp = `${pointer}/bindings/${j}`;
    if (!isObj(bd) || typeof bd.role !== 'string' || !Array.isArray(bd.members)) throw new InputError('invalid_policy', bp, 'a binding needs a role and a members array').inFile(file);
    bd.members.forEach((m, k) => {
      if (typeof m !== 'string') throw new InputError('invalid_policy', `${bp}/members/${k}`, 'a member must be a string').inFile(file);
      const origin = { file, pointer: `${bp}/members/${k}` };
      const principal = b.principal(m, origin)?.id ?? m;
      const binding = { principal, role: bd.role as string, scope: resource, origin, attrs: { policy: id, index: j, member: m } };
      b.g.bindings.push(bd.condition === undefined ? binding : { ...binding, condition: bd.condition });
    });
  });
}

function loadAsset(b: Builder, a: Obj, file: string, pointer: string): void {
  // An IAM policy search result (searchAllIamPolicies): resource + policy.
  if (typeof a.resource === 'string') {
    const id = b.canonical(a.resource);
    b.node(id, file, pointer);
    loadAllowPolicy(b, id, a.policy, file, `${pointer}/policy`);
    return;
  }
  const type = String(field(a, 'assetType'));
  const id = b.canonical(String(a.name));
  const s = b.node(id, file, pointer, CRM_TYPES[type] ?? (crmKind(id) ? undefined : `gcp:${type}`));
  b.ancestors(id, a.ancestors, file, pointer);
  const res = isObj(a.resource) ? a.resource : undefined;
  const data = res && isObj(res.data) ? res.data : undefined;
  if (res) {
    s.origin = { file, pointer };
    const parent = str(res.parent);
    if (parent) b.setParent(id, b.canonical(parent), file, pointer);
    if (data) resourceFacts(b, s, type, data, file, pointer);
  }
  const iam = field(a, 'iamPolicy');
  if (iam !== undefined) loadAllowPolicy(b, id, iam, file, `${pointer}/${fieldKey(a, 'iamPolicy')}`);
  const org = field(a, 'orgPolicy');
  if (Array.isArray(org)) org.forEach((p, i) => loadOrgPolicy(b, id, p, file, `${pointer}/${fieldKey(a, 'orgPolicy')}/${i}`));
}

/** What a RESOURCE line's data tells: names, parents, project numbers, bucket settings, service accounts, roles. */
function resourceFacts(b: Builder, s: ScopeNode, type: string, data: Obj, file: string, pointer: string): void {
  const attrs = (s.attrs ??= {});
  const display = str(data.displayName);
  if (display) s.name = display;
  if (type === 'cloudresourcemanager.googleapis.com/Organization') {
    const owner = isObj(data.owner) ? str(data.owner.directoryCustomerId) : undefined;
    if (owner) attrs.customerId = owner;
  }
  if (type === 'cloudresourcemanager.googleapis.com/Project') {
    if (typeof data.projectId === 'string') attrs.projectId = data.projectId;
    if (data.projectNumber !== undefined) attrs.projectNumber = String(data.projectNumber);
    s.name = str(data.projectId) ?? s.name;
  }
  if (type === 'cloudresourcemanager.googleapis.com/Folder' || type === 'cloudresourcemanager.googleapis.com/Project') {
    const p = data.parent;
    const parent = typeof p === 'string' ? p : isObj(p) && typeof p.type === 'string' && typeof p.id === 'string' ? `${p.type === 'folder' ? 'folders' : p.type === 'organization' ? 'organizations' : `${p.type}s`}/${p.id}` : undefined;
    if (parent) b.setParent(s.id, b.canonical(crmName(parent)), file, pointer);
  }
  if (type === 'storage.googleapis.com/Bucket') {
    const cfg = isObj(data.iamConfiguration) ? data.iamConfiguration : {};
    attrs.uniformBucketLevelAccess = uniformAccessOf(data) === true;
    if (typeof cfg.publicAccessPrevention === 'string') attrs.publicAccessPrevention = cfg.publicAccessPrevention;
    if (typeof data.location === 'string') attrs.location = data.location;
    if (Array.isArray(data.acl)) attrs.acl = data.acl;
    if (Array.isArray(data.defaultObjectAcl)) attrs.defaultObjectAcl = data.defaultObjectAcl;
    if (data.projectNumber !== undefined) b.setParent(s.id, b.canonical(`${CRM}projects/${String(data.projectNumber)}`), file, pointer);
  }
  if (type === 'iam.googleapis.com/ServiceAccount' && typeof data.email === 'string') {
    const p = b.principal(`serviceAccount:${data.email}`, { file, pointer });
    if (p && s.parent) p.scope = s.parent;
    attrs.email = data.email;
  }
  if (b.constrainedTypes.has(type)) attrs.data = data;
  if (type === 'iam.googleapis.com/Role' && isCustomRole(data)) loadRole(b, data, file, `${pointer}/resource/data`);
}

function loadRole(b: Builder, r: Obj, file: string, pointer: string): void {
  const name = String(r.name);
  const [collection, owner] = name.split('/');
  const scope = b.canonical(crmName(`${collection}/${owner}`));
  b.node(scope, file, pointer);
  b.policy({ id: name, name, type: 'gcp:role', provider: 'gcp', document: r, origin: { file, pointer }, attrs: { scope, deleted: r.deleted === true } });
  b.g.attachments.push({ policy: name, target: scope, kind: 'role', origin: { file, pointer } });
}

/** An organization policy (v1 from Cloud Asset lines, or v2 from the Org Policy API), attached to its node. */
function loadOrgPolicy(b: Builder, node: string, p: unknown, file: string, pointer: string): void {
  if (!isObj(p)) throw new InputError('invalid_policy', pointer, 'an organization policy must be an object').inFile(file);
  // v1 names custom constraints customConstraints/custom.NAME, the others constraints/NAME.
  const constraint = (str(p.constraint) ?? lastSegment(str(p.name) ?? '')).replace(/^(constraints|customConstraints)\//, '');
  if (!constraint) throw new InputError('invalid_policy', pointer, 'an organization policy must name its constraint').inFile(file);
  const id = `${node}#orgPolicy/${constraint}`;
  b.policy({ id, name: constraint, type: 'gcp:org_policy', provider: 'gcp', document: p, origin: { file, pointer }, attrs: { node, constraint } });
  b.g.attachments.push({ policy: id, target: node, kind: 'org_policy', origin: { file, pointer } });
}

/**
 * An Org Policy v2 custom constraint (enforced only where a policy with `enforce: true` names it).
 * https://cloud.google.com/resource-manager/docs/organization-policy/creating-managing-custom-constraints
 */
function loadCustomConstraint(b: Builder, c: Obj, file: string, pointer: string): void {
  if (c.actionType !== 'ALLOW' && c.actionType !== 'DENY') throw new InputError('invalid_policy', `${pointer}/actionType`, 'a custom constraint needs actionType ALLOW or DENY').inFile(file);
  for (const key of ['resourceTypes', 'methodTypes']) {
    const list = c[key];
    if (!Array.isArray(list) || !list.length || !list.every((x) => typeof x === 'string')) throw new InputError('invalid_policy', `${pointer}/${key}`, `a custom constraint needs ${key}: a non-empty array of strings`).inFile(file);
  }
  const name = String(c.name);
  b.policy({ id: name, name: lastSegment(name), type: 'gcp:custom_constraint', provider: 'gcp', document: c, origin: { file, pointer } });
}

function loadDeny(b: Builder, p: Obj, attachmentPoint: string | undefined, file: string, pointer: string): void {
  const name = String(p.name);
  const at = attachmentPoint !== undefined ? (attachmentPoint.startsWith('//') ? attachmentPoint : `//${attachmentPoint}`) : denyAttachment(name);
  if (!at) throw new InputError('invalid_policy', `${pointer}/name`, `cannot read the attachment point from deny policy name ${name}: expected policies/{URL-encoded full resource name}/denypolicies/{id}`).inFile(file);
  const target = b.canonical(at);
  b.node(target, file, pointer);
  (p.rules as unknown[]).forEach((r, i) => {
    if (!isObj(r) || !isObj(r.denyRule)) throw new InputError('invalid_policy', `${pointer}/rules/${i}`, 'a deny policy rule needs a denyRule').inFile(file);
  });
  b.policy({ id: name, name: lastSegment(name), type: 'gcp:deny', provider: 'gcp', document: p, origin: { file, pointer }, attrs: { attachedTo: target } });
  b.g.attachments.push({ policy: name, target, kind: 'deny', origin: { file, pointer } });
}

function loadPab(b: Builder, p: Obj, file: string, pointer: string): void {
  const name = String(p.name);
  if (isPabPolicy(p)) {
    b.policy({ id: name, name: lastSegment(name), type: 'gcp:pab', provider: 'gcp', document: p, origin: { file, pointer } });
    return;
  }
  const target = isObj(p.target) ? str(p.target.principalSet) : undefined;
  const policy = str(p.policy);
  if (!target || !policy) throw new InputError('invalid_policy', pointer, 'a policy binding needs target.principalSet and policy').inFile(file);
  if (p.policyKind !== undefined && p.policyKind !== 'PRINCIPAL_ACCESS_BOUNDARY') return;
  b.policy({ id: name, name: lastSegment(name), type: 'gcp:pab_binding', provider: 'gcp', document: p, origin: { file, pointer }, attrs: { target: b.canonical(target), policy } });
}

/** A member of a group in a memberships file: a prefixed identifier, or a bare email (a group when the file lists it). */
function memberId(m: string, groups: ReadonlySet<string>): string {
  if (m.includes(':')) return principalId(m);
  const lower = m.toLowerCase();
  if (groups.has(lower)) return `group:${lower}`;
  return isServiceAccountEmail(m) ? `serviceAccount:${lower}` : `user:${lower}`;
}

function loadGroups(b: Builder, entries: [string, string[]][], file: string, pointers: string[]): void {
  const names = new Set(entries.map(([g]) => g.replace(/^group:/, '').toLowerCase()));
  entries.forEach(([g, members], i) => {
    const origin = { file, pointer: pointers[i]! };
    const group = b.principal(g.startsWith('group:') || g.startsWith('principalSet:') ? g : `group:${g}`, origin)?.id ?? g;
    for (const m of members) {
      const id = memberId(m, names);
      b.principal(id, origin);
      b.g.memberships.push({ member: id, group });
    }
  });
}

function loadCloudIdentityGroups(b: Builder, items: Obj[], file: string, prefix: string): void {
  const entries: [string, string[]][] = items.map((g) => {
    const members = (g.memberships as unknown[]).filter(isObj).flatMap((m) => {
      const key = Array.isArray(m.preferredMemberKey) ? m.preferredMemberKey[0] : m.preferredMemberKey;
      const email = isObj(key) ? str(key.id) : undefined;
      if (!email) return [];
      const type = str(m.type);
      return [type === 'GROUP' ? `group:${email}` : type === 'SERVICE_ACCOUNT' ? `serviceAccount:${email}` : type === 'USER' ? `user:${email}` : email];
    });
    return [String((g.groupKey as Obj).id), members];
  });
  loadGroups(b, entries, file, items.map((_, i) => `${prefix}/${i}`));
}

function loadFile(b: Builder, f: ParsedFile, kind: InputKind): void {
  const { items, prefix } = itemsOf(f.value, listKeys(kind));
  const at = (i: number) => `${prefix}/${i}`;
  switch (kind) {
    case 'assets':
      items.forEach((a, i) => loadAsset(b, a as Obj, f.name, at(i)));
      return;
    case 'deny': {
      const given = isObj(f.value) ? str(f.value.attachmentPoint) : undefined;
      items.forEach((p, i) => isDenyPolicy(p) && loadDeny(b, p as Obj, given, f.name, at(i)));
      return;
    }
    case 'pab': {
      const v = f.value;
      if (isObj(v) && (Array.isArray(v.principalAccessBoundaryPolicies) || Array.isArray(v.policyBindings))) {
        for (const key of ['principalAccessBoundaryPolicies', 'policyBindings']) {
          const list = v[key];
          if (Array.isArray(list)) list.forEach((p, i) => loadPab(b, p as Obj, f.name, `/${key}/${i}`));
        }
      } else items.forEach((p, i) => (isPabPolicy(p) || isPolicyBinding(p)) && loadPab(b, p as Obj, f.name, at(i)));
      return;
    }
    case 'roles':
      items.forEach((r, i) => loadRole(b, r as Obj, f.name, at(i)));
      return;
    case 'orgPolicies':
      items.forEach((p, i) => {
        if (!isOrgPolicyV2(p)) return;
        const name = String((p as Obj).name);
        const node = b.canonical(crmName(name.slice(0, name.indexOf('/policies/'))));
        b.node(node, f.name, at(i));
        loadOrgPolicy(b, node, p, f.name, at(i));
      });
      return;
    case 'customConstraints':
      items.forEach((c, i) => isCustomConstraint(c) && loadCustomConstraint(b, c as Obj, f.name, at(i)));
      return;
    case 'groups': {
      const entries = Object.entries(f.value as Record<string, string[]>);
      loadGroups(b, entries, f.name, entries.map(([k]) => `/${pointerToken(k)}`));
      return;
    }
    case 'cloudIdentityGroups':
      loadCloudIdentityGroups(b, items as Obj[], f.name, prefix);
      return;
    case 'customers':
      for (const [domain, customer] of Object.entries(f.value as Record<string, string>)) {
        b.domain(domain.toLowerCase(), customer, { file: f.name, pointer: `/${pointerToken(domain)}` });
      }
      return;
    case 'tagBindings':
      items.forEach((t, i) => {
        const o = t as Obj;
        const s = b.node(b.canonical(String(o.parent)), f.name, at(i));
        // ORG_OR_PROJECT/key/value: the namespaced key is everything before the last slash.
        const name = String(o.tagValueNamespacedName);
        const cut = name.lastIndexOf('/');
        (s.tags ??= {})[name.slice(0, cut)] = name.slice(cut + 1);
        const key = str(o.tagKey);
        const value = str(o.tagValue);
        if (key && value) {
          const attrs = (s.attrs ??= {});
          attrs.tagIds = { ...(attrs.tagIds as Record<string, string> | undefined), [key]: value };
        }
      });
      return;
    case 'projects':
      items.forEach((p, i) => {
        const o = p as Obj;
        const id = b.canonical(`${CRM}projects/${String(o.projectId)}`);
        const s = b.node(id, f.name, at(i), 'gcp:project');
        s.name = String(o.projectId);
        Object.assign((s.attrs ??= {}), { projectId: o.projectId, projectNumber: String(o.projectNumber) });
        const parent = isObj(o.parent) ? o.parent : undefined;
        if (parent && typeof parent.type === 'string' && typeof parent.id === 'string') b.setParent(id, crmName(`${parent.type}s/${parent.id}`), f.name, at(i));
      });
      return;
  }
}

export function recognizesGcp(f: ParsedFile): boolean {
  return inputKind(f.value) !== undefined;
}

export function loadGcp(files: ParsedFile[], warn: Warn): GraphData {
  const b = new Builder(warn);
  const kinds = files.map((f) => inputKind(f.value)!);
  files.forEach((f, i) => collectAliases(b, kinds[i]!, f.value));
  files.forEach((f, i) => loadFile(b, f, kinds[i]!));
  const g = b.finish();
  // Other names of a node travel with it, so the estate resolves them in requests too.
  const byId = new Map(g.scopes.map((s) => [s.id, s]));
  for (const [from, to] of b.aliases.aliasEntries()) {
    const s = byId.get(to);
    if (s) (s.attrs ??= {}).aliases = [...((s.attrs.aliases as string[] | undefined) ?? []), from];
  }
  // Project scopes carry both spellings so the estate can resolve either.
  for (const s of g.scopes) {
    if (s.kind !== 'gcp:project') continue;
    const id = s.id.slice(`${CRM}projects/`.length);
    (s.attrs ??= {}).projectId ??= id;
    const num = b.aliases.numberOf(id);
    if (num) s.attrs.projectNumber = num;
  }
  for (const s of g.scopes) if (!parseFullName(s.id)) warn({ code: 'bad_resource_name', message: `${s.id} is not a full resource name` });
  return g;
}
