/**
 * Preconditions that are not IAM: organization policy constraints checked when a configuration call is
 * made (setIamPolicy, bucket creation), and Cloud Storage public access prevention. They answer with the
 * service's precondition error (400 FAILED_PRECONDITION, 412 conditionNotMet), not a 403.
 * https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains
 * https://cloud.google.com/resource-manager/docs/organization-policy/defining-locations
 * https://cloud.google.com/storage/docs/public-access-prevention
 */
import type { Tri } from '../../src/core/decision.js';
import { evaluate as evalCondition, type RequestAttributes } from './conditions.js';
import type { GcpEstate } from './estate.js';
import type { PublicAccessPrevention, StorageParts } from './evaluate.js';
import { parseMember, serviceAccountProject } from './members.js';
import { customerMatches, effectiveBoolean, effectiveList, listAllows, locationMatches, type OrgPolicy, type OrgRule } from './org-policy.js';

export interface Guardrail {
  constraint: string;
  /** The node whose policy decided, or the bucket for bucket-level public access prevention. */
  attachedTo: string;
  policyId?: string;
  status: number;
  code: string;
  message: string;
  why: string;
  /** PreconditionFailure.violations[0] */
  violation: { type: string; subject: string; description: string };
}

/** What a setIamPolicy or create call would change: members it adds, roles it touches, the new bucket's location. */
export interface Change {
  added: { role: string; member: string }[];
  modifiedRoles: string[];
  location?: string;
}

/** The organization, folder and project nodes of a chain, root first (org policies attach only there). */
function crmChain(estate: GcpEstate, chain: readonly string[]): string[] {
  return chain.filter((n) => estate.isCrm(n)).reverse();
}

function policiesFor(estate: GcpEstate, chain: readonly string[], constraint: string): (OrgPolicy | undefined)[] {
  return crmChain(estate, chain).map((n) => estate.orgPolicyAt(n, constraint));
}

/** Tag conditions on org policy rules, against the resource's effective tags. */
function ruleHolds(attrs: RequestAttributes): (r: OrgRule) => Tri {
  const tagsOnly: RequestAttributes = { values: {}, unknown: new Set(), ...(attrs.tags ? { tags: attrs.tags } : {}) };
  return (r) => (r.condition ? evalCondition(r.condition, tagsOnly).value : true);
}

/** Public access prevention on a Cloud Storage resource: the bucket's own setting, or the org constraint (cached per bucket). */
export function publicAccessPrevention(estate: GcpEstate, storage: StorageParts, chain: readonly string[], attrs: RequestAttributes): PublicAccessPrevention | undefined {
  const known = estate.cache<PublicAccessPrevention | null>('pap');
  let pap = known.get(storage.bucket);
  if (pap === undefined) known.set(storage.bucket, (pap = bucketPap(estate, storage.bucket, chain, attrs) ?? null));
  return pap ?? undefined;
}

function bucketPap(estate: GcpEstate, name: string, chain: readonly string[], attrs: RequestAttributes): PublicAccessPrevention | undefined {
  const bucket = `//storage.googleapis.com/projects/_/buckets/${name}`;
  if (estate.scope(bucket)?.attrs?.publicAccessPrevention === 'enforced') return { by: 'bucket', attachedTo: bucket };
  const eff = effectiveBoolean(policiesFor(estate, chain, 'storage.publicAccessPrevention'), ruleHolds(attrs));
  return eff.enforced && eff.from ? { by: 'org_policy', attachedTo: eff.from.node, policyId: eff.from.id } : undefined;
}

/** The Cloud Identity customer a member belongs to, for domain restricted sharing. */
function customerOf(estate: GcpEstate, member: string): string | undefined {
  const m = parseMember(member);
  switch (m.kind) {
    case 'user':
    case 'group':
      return estate.customers.get(m.email.slice(m.email.lastIndexOf('@') + 1));
    case 'domain':
      return estate.customers.get(m.domain);
    case 'customer':
      return m.id;
    case 'serviceAccount': {
      // Service accounts count as the customer of the organization that holds their project.
      const p = serviceAccountProject(m.email);
      const chain = p ? estate.projectChain(p.project) : undefined;
      const org = chain?.[chain.length - 1];
      return org ? estate.orgCustomer.get(org) : undefined;
    }
    default:
      return undefined;
  }
}

/** How answers name a bucket's own public access prevention setting. */
export const PAP_SETTING = 'iamConfiguration.publicAccessPrevention';

const isPublic = (member: string) => member === 'allUsers' || member === 'allAuthenticatedUsers';

export function checkGuardrails(estate: GcpEstate, permission: string, resource: string, chain: readonly string[], attrs: RequestAttributes, change: Change | undefined, pap: PublicAccessPrevention | undefined): Guardrail | undefined {
  if (!change) return undefined;
  const holds = ruleHolds(attrs);
  if (permission.endsWith('.setIamPolicy')) {
    const pub = change.added.find((a) => isPublic(a.member));
    if (pub && pap) {
      const constraint = pap.by === 'bucket' ? PAP_SETTING : 'storage.publicAccessPrevention';
      const g: Guardrail = {
        constraint, attachedTo: pap.attachedTo, status: 412, code: 'conditionNotMet',
        message: 'The member bindings allUsers and allAuthenticatedUsers are not allowed since public access prevention is enforced.',
        why: `public access prevention is enforced on ${pap.attachedTo}${pap.by === 'bucket' ? ' (the bucket\'s iamConfiguration)' : ' (organization policy)'}: ${pub.member} cannot be granted ${pub.role}`,
        violation: { type: 'constraints/storage.publicAccessPrevention', subject: resource, description: `${pub.member} is a public member` },
      };
      if (pap.policyId) g.policyId = pap.policyId;
      return g;
    }
    const policies = policiesFor(estate, chain, 'iam.allowedPolicyMemberDomains');
    const eff = effectiveList(policies, holds);
    for (const a of change.added) {
      const m = parseMember(a.member);
      if (m.kind === 'deleted' || m.kind === 'projectRole') continue;
      const customer = customerOf(estate, a.member);
      if (listAllows(eff, (v) => customerMatches(v, customer))) continue;
      const decided = eff!.from[eff!.from.length - 1]!;
      const who = m.kind === 'user' || m.kind === 'group' || m.kind === 'serviceAccount' ? m.email : a.member;
      return {
        constraint: 'iam.allowedPolicyMemberDomains', attachedTo: decided.node, policyId: decided.id, status: 400, code: 'FAILED_PRECONDITION',
        message: 'One or more users named in the policy do not belong to a permitted customer.',
        why: `${a.member} ${customer ? `belongs to customer ${customer}, which` : 'belongs to no customer that'} the effective iam.allowedPolicyMemberDomains policy at ${decided.node} does not allow`,
        violation: { type: 'constraints/iam.allowedPolicyMemberDomains', subject: `orgpolicy:${resource}?configvalue=${who}`, description: `User ${who} is not in permitted organization.` },
      };
    }
  }
  if (permission === 'storage.buckets.create') {
    // The JSON API creates a bucket in the US multi-region when the request names no location.
    // https://cloud.google.com/storage/docs/json_api/v1/buckets/insert
    const location = (change.location ?? 'US').toLowerCase();
    const eff = effectiveList(policiesFor(estate, chain, 'gcp.resourceLocations'), holds);
    if (!listAllows(eff, (v) => locationMatches(v, location))) {
      const decided = eff!.from[eff!.from.length - 1]!;
      return {
        constraint: 'gcp.resourceLocations', attachedTo: decided.node, policyId: decided.id, status: 412, code: 'conditionNotMet',
        message: `'${location}' violates constraint 'constraints/gcp.resourceLocations'`,
        why: `location ${location} is not allowed by the effective gcp.resourceLocations policy at ${decided.node}`,
        violation: { type: 'constraints/gcp.resourceLocations', subject: resource, description: `'${location}' violates constraint 'constraints/gcp.resourceLocations'` },
      };
    }
  }
  return undefined;
}
