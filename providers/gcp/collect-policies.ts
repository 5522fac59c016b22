/**
 * The policies that sit beside allow policies, read for each node of the hierarchy: IAM v2 deny policies,
 * IAM v3 principal access boundary policies and their policy bindings, Organization Policy v2 policies,
 * Resource Manager tag bindings, and IAM v1 custom roles (REST: the IAM client library has no v1 roles client).
 */
import type { Collector } from '../../src/collect/collector.js';
import { google, listAll, listPaged, plain, token, type GoogleClients } from './collect-google.js';
import { nodeRef, type CrmNode } from './collect-hierarchy.js';
import { CRM } from './names.js';

type Raw = Record<string, unknown>;

const plainAll = (xs: unknown[] | undefined): Raw[] => (xs ?? []).map((x) => plain(x) as Raw);

/**
 * Deny policies attached to the node. The list answers names and metadata only, so each policy is then
 * read whole. The parent is `policies/{URL-encoded attachment point}/denypolicies`.
 * https://cloud.google.com/iam/docs/reference/rest/v2/policies/list
 * https://cloud.google.com/iam/docs/deny-access#list-deny-policies
 */
export async function denyPolicies(c: Collector, g: GoogleClients, n: CrmNode): Promise<Raw[]> {
  const attachment = `cloudresourcemanager.googleapis.com/${nodeRef(n)}`;
  const parent = `policies/${encodeURIComponent(attachment)}/denypolicies`;
  const target = nodeRef(n);
  const listed = await listPaged(c, target, 'iam.policies.list', (t) => g.deny.listPolicies({ parent, ...token(t) }, { autoPaginate: false }));
  const full = await Promise.all(
    (listed ?? []).map((p) => c.call(target, 'iam.policies.get', google(() => g.deny.getPolicy({ name: String(p.name) }))).then((r) => (r ? (plain(r[0]) as Raw) : undefined))),
  );
  return full.filter((p): p is Raw => p !== undefined);
}

/**
 * Principal access boundary policies are organization resources; policy bindings live on organizations,
 * folders and projects, in `locations/global`.
 * https://cloud.google.com/iam/docs/reference/rest/v3/organizations.locations.principalAccessBoundaryPolicies/list
 * https://cloud.google.com/iam/docs/reference/rest/v3/organizations.locations.policyBindings/list
 */
export async function pabPolicies(c: Collector, g: GoogleClients, org: CrmNode): Promise<Raw[]> {
  const parent = `${org.name}/locations/global`;
  return plainAll(await listPaged(c, org.name, 'iam.principalAccessBoundaryPolicies.list', (t) => g.pabPolicies.listPrincipalAccessBoundaryPolicies({ parent, ...token(t) }, { autoPaginate: false })));
}

export async function policyBindings(c: Collector, g: GoogleClients, n: CrmNode): Promise<Raw[]> {
  const parent = `${nodeRef(n)}/locations/global`;
  return plainAll(await listPaged(c, nodeRef(n), 'iam.policyBindings.list', (t) => g.policyBindings.listPolicyBindings({ parent, ...token(t) }, { autoPaginate: false })));
}

/**
 * The organization policies set on the node itself (the loader computes the effective policy from the
 * hierarchy, as the service does).
 * https://cloud.google.com/resource-manager/docs/reference/orgpolicy/rest/v2/projects.policies/list
 */
export async function orgPolicies(c: Collector, g: GoogleClients, n: CrmNode): Promise<Raw[]> {
  return plainAll(await listPaged(c, nodeRef(n), 'orgpolicy.policies.list', (t) => g.orgPolicy.listPolicies({ parent: n.name, ...token(t) }, { autoPaginate: false })));
}

/**
 * Tags bound directly to the node (the loader inherits them down the hierarchy).
 * https://cloud.google.com/resource-manager/reference/rest/v3/tagBindings/list
 */
export async function tagBindings(c: Collector, g: GoogleClients, n: CrmNode): Promise<Raw[]> {
  return plainAll(await listPaged(c, nodeRef(n), 'cloudresourcemanager.tagBindings.list', (t) => g.tagBindings.listTagBindings({ parent: `${CRM}${n.name}`, ...token(t) }, { autoPaginate: false })));
}

/**
 * Custom roles of an organization or a project, deleted ones included (they stay in bindings and grant
 * nothing), with their permissions (view FULL).
 * https://cloud.google.com/iam/docs/reference/rest/v1/organizations.roles/list
 */
export async function customRoles(c: Collector, g: GoogleClients, n: CrmNode): Promise<Raw[]> {
  const parent = nodeRef(n);
  const roles = await listAll<Raw>(c, parent, 'iam.roles.list', async (pageToken) => {
    const r = await g.rest('iam.googleapis.com', `/v1/${parent}/roles`, { view: 'FULL', showDeleted: true, pageSize: 1000, ...token(pageToken) });
    return { items: r.roles as Raw[] | undefined, next: r.nextPageToken as string | undefined };
  });
  return roles ?? [];
}
