/**
 * The CI gate's Google Cloud side: Terraform plans to overlays (terraform.ts), the probe requests a diff
 * asks, and the principals an invariant quantifies over.
 */
import type { CiSupport, PrincipalSet, Probe } from '../../src/core/ci.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { isKnownPermission, permissionGroupMatches, toV1Permission, toV2Permission } from './catalog.js';
import type { GcpEstate } from './estate.js';
import { isObj, type Obj } from './inputs.js';
import { denyAttachment } from './load.js';
import { serviceAccountProject } from './members.js';
import { resourceTypeOf } from './names.js';
import { overlayMembers, permissionApplies, type GcpOverlay } from './request.js';
import { fromTerraform, terraformTypes } from './terraform.js';
import { lookupTable } from '../../src/core/lookup-table.js';

/** At most this many probes (sorted, so the same ones are kept every time). */
export const MAX_PROBES = 20_000;

/** A changed role with at most this many permissions is probed with all of them; a larger one with its sensitive ones. */
const SMALL_ROLE = 16;

/**
 * Read, write, delete and change-permissions permissions per resource type, probed on every resource a
 * change touches and on its descendants in the snapshot.
 * https://cloud.google.com/resource-manager/docs/access-control-proj, .../access-control-folders, .../access-control-org
 * https://cloud.google.com/storage/docs/access-control/iam-permissions
 * https://cloud.google.com/iam/docs/service-account-permissions
 * https://cloud.google.com/bigquery/docs/access-control#bigquery-permissions
 */
export const SENSITIVE: Readonly<Record<string, readonly string[]>> = lookupTable({
  'cloudresourcemanager.googleapis.com/Organization': ['resourcemanager.organizations.get', 'resourcemanager.organizations.setIamPolicy', 'resourcemanager.folders.create', 'resourcemanager.projects.create', 'resourcemanager.projects.delete', 'iam.roles.create'],
  'cloudresourcemanager.googleapis.com/Folder': ['resourcemanager.folders.get', 'resourcemanager.folders.setIamPolicy', 'resourcemanager.folders.delete', 'resourcemanager.projects.create', 'resourcemanager.projects.delete'],
  'cloudresourcemanager.googleapis.com/Project': ['resourcemanager.projects.get', 'resourcemanager.projects.setIamPolicy', 'resourcemanager.projects.delete', 'iam.serviceAccounts.actAs', 'iam.serviceAccountKeys.create', 'iam.roles.create'],
  'storage.googleapis.com/Bucket': ['storage.objects.get', 'storage.objects.list', 'storage.objects.create', 'storage.objects.delete', 'storage.buckets.delete', 'storage.buckets.setIamPolicy'],
  'storage.googleapis.com/ManagedFolder': ['storage.objects.get', 'storage.objects.create', 'storage.objects.delete', 'storage.managedFolders.setIamPolicy'],
  'iam.googleapis.com/ServiceAccount': ['iam.serviceAccounts.actAs', 'iam.serviceAccounts.getAccessToken', 'iam.serviceAccountKeys.create', 'iam.serviceAccounts.setIamPolicy', 'iam.serviceAccounts.delete'],
  'bigquery.googleapis.com/Dataset': ['bigquery.tables.getData', 'bigquery.tables.updateData', 'bigquery.datasets.update', 'bigquery.datasets.delete'],
});

const ALL_SENSITIVE: readonly string[] = [...new Set(Object.values(SENSITIVE).flat())].sort();

/**
 * Callers that stand for the public: `allUsers` (anyone, signed in or not) and `allAuthenticatedUsers`
 * (any Google account the snapshot does not know).
 * https://cloud.google.com/iam/docs/principals-overview#all-users
 */
const PUBLIC: readonly string[] = ['allUsers', 'allAuthenticatedUsers'];

const CALLER_KINDS = new Set(['user', 'service_account', 'federated_user']);

const estateOf = (snapshot: Snapshot) => snapshot.compiledFor<GcpEstate>('gcp');
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The snapshot's principals that can call (users, service accounts, federated identities; not groups or domains). */
function callers(estate: GcpEstate): string[] {
  return estate.memo('ci:callers', () => estate.snapshot.graph.data.principals.filter((p) => p.provider === 'gcp' && CALLER_KINDS.has(p.kind)).map((p) => p.id).sort(byText));
}

/**
 * Is a caller outside the organization? A user whose domain belongs to another Cloud Identity customer (or
 * to none the snapshot maps) than the snapshot's organizations; a service account of a project the snapshot
 * does not hold; a workload identity of a pool in such a project. Workforce pools belong to an organization
 * by construction and count as inside.
 * https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains
 */
function isExternal(estate: GcpEstate, id: string): boolean {
  const email = id.slice(id.indexOf(':') + 1).toLowerCase();
  if (id.startsWith('user:')) {
    const ours = new Set(estate.orgCustomer.values());
    const customer = estate.customers.get(email.slice(email.lastIndexOf('@') + 1));
    return customer === undefined || !ours.has(customer);
  }
  if (id.startsWith('serviceAccount:')) {
    const sa = serviceAccountProject(email);
    return !sa || !estate.projectChain(sa.project);
  }
  const project = /^principal:\/\/iam\.googleapis\.com\/projects\/([^/]+)\/locations\/[^/]+\/workloadIdentityPools\//.exec(id);
  return project ? !estate.projectChain(project[1]!) : false;
}

/**
 * Callers the overlay's allow policies grant to: users, service accounts and single identities as they are,
 * and for a `domain:` member one user of that domain (it stands for all of them).
 */
function overlayCallers(overlay: Record<string, unknown> | undefined): string[] {
  const { ids, domains } = overlayMembers(overlay as GcpOverlay | undefined);
  return [...ids, ...[...domains].map((d) => `user:someone@${d}`)];
}

function principals(snapshot: Snapshot, which: PrincipalSet, overlay?: Record<string, unknown>): string[] {
  const estate = estateOf(snapshot);
  if (which === 'public') return [...PUBLIC];
  const known = [...new Set([...callers(estate), ...overlayCallers(overlay)])].sort(byText);
  return [...(which === 'all' ? known : known.filter((id) => isExternal(estate, id))), ...PUBLIC];
}

/** Every snapshot resource under a node (the node excluded), sorted. */
function descendants(estate: GcpEstate, node: string): readonly string[] {
  const index = estate.memo('ci:descendants', () => {
    const below = new Map<string, string[]>();
    const g = estate.snapshot.graph;
    for (const s of g.data.scopes) {
      if (s.provider !== 'gcp') continue;
      for (const up of g.ancestors(s.id).slice(1)) below.set(up.id, [...(below.get(up.id) ?? []), s.id]);
    }
    for (const list of below.values()) list.sort(byText);
    return below;
  });
  return index.get(node) ?? [];
}

/** A role's permissions worth probing: all of a small role's, the sensitive ones of a large role's. */
function rolePermissions(estate: GcpEstate, role: string): string[] {
  const perms = estate.role(role).permissions;
  if (!perms) return [];
  return perms.size <= SMALL_ROLE ? [...perms] : ALL_SENSITIVE.filter((p) => perms.has(p));
}

/** The roles whose bindings differ between two allow policies (members or condition). */
function changedRoles(before: Obj | undefined, after: Obj | null): Set<string> {
  const keys = (doc: Obj | null | undefined) =>
    new Map((doc && Array.isArray(doc.bindings) ? doc.bindings : []).filter(isObj).map((b) => [JSON.stringify([b.role, Array.isArray(b.members) ? [...b.members].sort() : [], b.condition ?? null]), String(b.role)] as const));
  const a = keys(before);
  const b = keys(after);
  const roles = new Set<string>();
  for (const [k, role] of a) if (!b.has(k)) roles.add(role);
  for (const [k, role] of b) if (!a.has(k)) roles.add(role);
  return roles;
}

/** The v1 permissions a deny policy document names: concrete ones as they are, groups as the sensitive permissions they cover. */
function denyPermissions(doc: Obj | undefined): string[] {
  const rules = doc && Array.isArray(doc.rules) ? doc.rules : [];
  return rules.flatMap((r) => {
    const d = isObj(r) && isObj(r.denyRule) ? r.denyRule : {};
    return (Array.isArray(d.deniedPermissions) ? d.deniedPermissions : []).flatMap((p) => {
      if (typeof p !== 'string') return [];
      if (p.includes('*')) return ALL_SENSITIVE.filter((s) => permissionGroupMatches(p, toV2Permission(s)));
      const v1 = toV1Permission(p);
      return v1 ? [v1] : [];
    });
  });
}

/** The resources an overlay touches (allow policies' resources, deny policies' attachment points), with the extra permissions each change names. */
function targets(estate: GcpEstate, overlay: GcpOverlay): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (resource: string, perms: Iterable<string>) => {
    const set = out.get(resource) ?? new Set<string>();
    for (const p of perms) set.add(p);
    out.set(resource, set);
  };
  for (const a of overlay.allowPolicies ?? []) {
    const resource = estate.canonical(a.resource);
    add(resource, [...changedRoles(estate.allow.get(resource)?.document, a.policy)].flatMap((r) => rolePermissions(estate, r)));
  }
  for (const d of overlay.denyPolicies ?? []) {
    const existing = estate.denyByName.get(d.name);
    const at = d.attachmentPoint ?? existing?.attachedTo ?? denyAttachment(d.name);
    if (at) add(estate.canonical(at), [...denyPermissions(existing?.document), ...denyPermissions(d.policy ?? undefined)]);
  }
  return out;
}

/**
 * Every caller of the snapshot (and the public ones) x the sensitive permissions of each resource the
 * overlay touches and of the snapshot resources under it, plus the permissions the changed bindings' roles
 * and the deny rules name, where they apply to the resource's type.
 */
function probes(snapshot: Snapshot, overlay: Record<string, unknown>): Probe[] {
  const estate = estateOf(snapshot);
  const who = principals(snapshot, 'all', overlay);
  const questions = new Map<string, Probe>();
  for (const [target, extra] of targets(estate, overlay as GcpOverlay)) {
    if (!estate.scope(target)) continue;
    for (const resource of [target, ...descendants(estate, target)]) {
      const actions = new Set([...(SENSITIVE[resourceTypeOf(resource) ?? ''] ?? []), ...extra]);
      for (const action of actions) {
        if (!(isKnownPermission(action) || estate.customPermissions.has(action)) || !permissionApplies(estate, action, resource)) continue;
        for (const principal of who) questions.set(`${resource}\u0000${action}\u0000${principal}`, { principal, action, resource });
      }
    }
  }
  return [...questions.keys()].sort(byText).slice(0, MAX_PROBES).map((k) => questions.get(k)!);
}

export const gcpCi: CiSupport = { terraformTypes, fromTerraform, probes, principals };
