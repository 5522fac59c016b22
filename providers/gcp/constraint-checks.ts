/**
 * The organization policy constraints checked when a configuration call is made: setIamPolicy (public members
 * under public access prevention, domain restricted sharing, allowed policy members), bucket creation and
 * update (locations, uniform bucket-level access), service account key creation, instance creation (external
 * IPs), and custom constraints on CREATE / UPDATE. Each check answers the refusal (guardrails.ts), or nothing.
 * https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains
 * https://cloud.google.com/resource-manager/docs/organization-policy/defining-locations
 * https://cloud.google.com/storage/docs/org-policy-constraints
 * https://cloud.google.com/iam/docs/troubleshoot-org-policies
 * https://cloud.google.com/compute/docs/ip-addresses/configure-static-external-ip-address#disableexternalip
 */
import type { ScopeNode } from '../../src/core/graph.js';
import type { RequestAttributes } from './conditions.js';
import { checkCustom, methodTypeOf, resourceTypeFor } from './custom-constraints.js';
import type { GcpEstate } from './estate.js';
import type { PublicAccessPrevention } from './evaluate.js';
import { constraintName, enforcing, listDecider, PAP_SETTING, policiesFor, refusal, ruleHolds, type Change, type Guardrail } from './guardrails.js';
import { isObj, strings, uniformAccessOf, type Obj } from './inputs.js';
import { parseMember, serviceAccountProject } from './members.js';
import { lastSegment, relativeName } from './names.js';
import { customerMatches, effectiveList, listAllows, literalMatches, locationMatches, type RuleFilter } from './org-policy.js';

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

const isPublic = (member: string) => member === 'allUsers' || member === 'allAuthenticatedUsers';

/** The refusal a call meets, if any: key creation, the checks of what a configuration call changes, then custom constraints. */
export function checkGuardrails(estate: GcpEstate, permission: string, resource: string, chain: readonly string[], attrs: RequestAttributes, change: Change | undefined, pap: PublicAccessPrevention | undefined): Guardrail | undefined {
  const holds = ruleHolds(attrs);
  const definite = permission === 'iam.serviceAccountKeys.create' ? keyCreation(estate, resource, chain, holds) : change && configGuardrail(estate, permission, resource, chain, holds, change, pap);
  if (definite) return definite;
  const method = methodTypeOf(permission);
  return method && customGuardrail(estate, permission, method, resource, chain, holds, change);
}

function configGuardrail(estate: GcpEstate, permission: string, resource: string, chain: readonly string[], holds: RuleFilter, change: Change, pap: PublicAccessPrevention | undefined): Guardrail | undefined {
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
      const decided = listDecider(eff);
      const who = m.kind === 'user' || m.kind === 'group' || m.kind === 'serviceAccount' ? m.email : a.member;
      return refusal('iam.allowedPolicyMemberDomains', decided, 400, 'One or more users named in the policy do not belong to a permitted customer.',
        `${a.member} ${customer ? `belongs to customer ${customer}, which` : 'belongs to no customer that'} the effective iam.allowedPolicyMemberDomains policy at ${decided.node} does not allow`,
        `orgpolicy:${resource}?configvalue=${who}`, `User ${who} is not in permitted organization.`);
    }
    return allowedMembers(estate, resource, chain, holds, change);
  }
  if (permission === 'storage.buckets.create') {
    // The JSON API creates a bucket in the US multi-region when the request names no location.
    // https://cloud.google.com/storage/docs/json_api/v1/buckets/insert
    const location = (change.location ?? 'US').toLowerCase();
    const eff = effectiveList(policiesFor(estate, chain, 'gcp.resourceLocations'), holds);
    if (!listAllows(eff, (v) => locationMatches(v, location))) {
      const decided = listDecider(eff);
      return refusal('gcp.resourceLocations', decided, 412, `'${location}' violates constraint 'constraints/gcp.resourceLocations'`,
        `location ${location} is not allowed by the effective gcp.resourceLocations policy at ${decided.node}`, resource);
    }
  }
  return uniformAccess(estate, permission, resource, chain, holds, change) ?? externalIp(estate, permission, resource, chain, holds, change);
}

const EXTERNAL_IP = 'compute.vmExternalIpAccess';

/** The instance a compute.instances.create names: the requested resource, or the body's name and zone in the project. */
function instanceName(resource: string, project: ScopeNode | undefined, body: Obj): string | undefined {
  const relative = relativeName(resource);
  if (/^projects\/[^/]+\/zones\/[^/]+\/instances\/[^/]+$/.test(relative)) return relative;
  const zone = typeof body.zone === 'string' ? lastSegment(body.zone) : undefined;
  return project && zone && typeof body.name === 'string' ? `projects/${lastSegment(project.id)}/zones/${zone}/instances/${body.name}` : undefined;
}

/**
 * compute.vmExternalIpAccess: a list of the instances (projects/P/zones/Z/instances/I) that may have an external
 * IP; creating another instance with an access config on a network interface fails with 412.
 * https://cloud.google.com/compute/docs/ip-addresses/configure-static-external-ip-address#disableexternalip
 */
function externalIp(estate: GcpEstate, permission: string, resource: string, chain: readonly string[], holds: RuleFilter, change: Change): Guardrail | undefined {
  const body = change.resource;
  if (permission !== 'compute.instances.create' || !body || !Array.isArray(body.networkInterfaces)) return undefined;
  if (!body.networkInterfaces.some((n) => isObj(n) && Array.isArray(n.accessConfigs) && n.accessConfigs.length > 0)) return undefined;
  const eff = effectiveList(policiesFor(estate, chain, EXTERNAL_IP), holds);
  if (!eff) return undefined;
  const project = chain.map((n) => estate.scope(n)).find((s) => s?.kind === 'gcp:project');
  const name = instanceName(resource, project, body);
  if (!name || listAllows(eff, (v) => literalMatches(v, name))) return undefined;
  const decided = listDecider(eff);
  const message = `Constraint constraints/${EXTERNAL_IP} violated for project ${String(project?.attrs?.projectNumber ?? project?.name ?? '')}. Add instance ${name} to the constraint to use external IP with it.`;
  return refusal(EXTERNAL_IP, decided, 412, message, `${name} is not among the instances the effective ${EXTERNAL_IP} policy at ${decided.node} allows an external IP`, name);
}

const MANAGED_MEMBERS = 'iam.managed.allowedPolicyMembers';

/**
 * Is a member inside an allowedPrincipalSets entry? An organization's set holds its Cloud Identity customer's
 * users, groups and domains and the service accounts of its projects (folder and project sets: those service
 * accounts); a workforce or workload identity pool's set holds the pool's principal:// and principalSet:// members.
 * https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains
 */
function inPrincipalSet(estate: GcpEstate, member: string, set: string): boolean {
  const m = parseMember(member);
  if (m.kind === 'serviceAccount') {
    const p = serviceAccountProject(m.email);
    return (p ? estate.projectChain(p.project) : undefined)?.includes(set) === true;
  }
  if (m.kind === 'principal' || m.kind === 'poolSet') return member.slice(member.indexOf(':') + 1).startsWith(`${set}/`);
  const customer = customerOf(estate, member);
  return customer !== undefined && estate.orgCustomer.get(set) === customer;
}

/**
 * iam.managed.allowedPolicyMembers: a boolean managed constraint whose enforcing rule carries the parameters
 * `allowedMemberSubjects` (members, exactly) and `allowedPrincipalSets`; a member neither allows is refused.
 * Not enforced without a policy here (Google enforces it by default on organizations created since May 2024,
 * which an export does not show).
 * https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains
 */
function allowedMembers(estate: GcpEstate, resource: string, chain: readonly string[], holds: RuleFilter, change: Change): Guardrail | undefined {
  const by = enforcing(estate, chain, MANAGED_MEMBERS, holds);
  if (!by) return undefined;
  const params = by.rule?.parameters ?? {};
  const subjects = new Set(strings(params.allowedMemberSubjects).map((x) => x.toLowerCase()));
  const sets = strings(params.allowedPrincipalSets);
  for (const a of change.added) {
    const m = parseMember(a.member);
    if (m.kind === 'deleted' || m.kind === 'projectRole') continue;
    if (subjects.has(a.member.toLowerCase()) || sets.some((set) => inPrincipalSet(estate, a.member, set))) continue;
    // The exact message is not captured (spec §8.3): the code and the violation type are Google's.
    return refusal(MANAGED_MEMBERS, by.policy, 400, `One or more principals named in the policy are not allowed by constraints/${MANAGED_MEMBERS}.`,
      `${a.member} is neither in allowedMemberSubjects nor in allowedPrincipalSets of the effective ${MANAGED_MEMBERS} policy at ${by.policy.node}`,
      `orgpolicy:${resource}?configvalue=${a.member}`, `${a.member} is not an allowed policy member.`);
  }
  return undefined;
}

const UBLA = 'storage.uniformBucketLevelAccess';

/**
 * storage.uniformBucketLevelAccess: a new bucket must enable uniform bucket-level access and an existing one
 * cannot turn it off; not retroactive. Cloud Storage's JSON API answers 412 (the message follows the form the
 * spec records for HMAC keys; the exact text for buckets is not captured).
 * https://cloud.google.com/storage/docs/org-policy-constraints
 */
function uniformAccess(estate: GcpEstate, permission: string, resource: string, chain: readonly string[], holds: RuleFilter, change: Change): Guardrail | undefined {
  const create = permission === 'storage.buckets.create';
  if (!create && permission !== 'storage.buckets.update') return undefined;
  const enabled = change.resource && uniformAccessOf(change.resource);
  if (create ? enabled === true : enabled !== false) return undefined;
  const by = enforcing(estate, chain, UBLA, holds)?.policy;
  return by && refusal(UBLA, by, 412, `Request violates constraint 'constraints/${UBLA}'`,
    `${UBLA} is enforced at ${by.node}: ${create ? 'a new bucket must enable uniform bucket-level access' : 'uniform bucket-level access cannot be turned off'}`, resource);
}

const KEY_CONSTRAINTS = ['iam.disableServiceAccountKeyCreation', 'iam.managed.disableServiceAccountKeyCreation'];
const NO_KEYS = 'Key creation is not allowed on this service account.';

/**
 * Service account key creation under iam.disableServiceAccountKeyCreation or its managed twin (either one
 * enforced blocks it). The error is the one the troubleshooting page shows for the legacy constraint, kept for
 * the managed twin (spec §8.3); organizations created since May 2024 enforce it by default, which an export
 * does not show.
 * https://cloud.google.com/iam/docs/troubleshoot-org-policies
 */
function keyCreation(estate: GcpEstate, resource: string, chain: readonly string[], holds: RuleFilter): Guardrail | undefined {
  for (const constraint of KEY_CONSTRAINTS) {
    const by = enforcing(estate, chain, constraint, holds)?.policy;
    if (!by) continue;
    return refusal(constraint, by, 400, NO_KEYS, `${constraint} is enforced at ${by.node}: no service account below it may get a new key`,
      `${relativeName(resource)}?configvalue=${encodeURIComponent(lastSegment(resource))}`, NO_KEYS, constraintName(KEY_CONSTRAINTS[0]!));
  }
  return undefined;
}

/**
 * Enforced custom constraints on the resource type a CREATE / UPDATE writes: the first one the resource violates,
 * else one whose verdict needs fields the request did not give (`missing`). The resource is `requestBody.resource`,
 * or for UPDATE the snapshot's RESOURCE data.
 */
function customGuardrail(estate: GcpEstate, permission: string, method: 'CREATE' | 'UPDATE', resource: string, chain: readonly string[], holds: RuleFilter, change: Change | undefined): Guardrail | undefined {
  if (!estate.customConstraints.size) return undefined;
  const type = resourceTypeFor(permission, method, resource);
  const candidates = type ? estate.customConstraints.get(type) : undefined;
  if (!candidates) return undefined;
  const stored = estate.scope(resource)?.attrs?.data;
  const data = change?.resource ?? (method === 'UPDATE' && isObj(stored) ? stored : undefined);
  let open: Guardrail | undefined;
  for (const c of candidates) {
    if (!c.methodTypes.has(method)) continue;
    const by = enforcing(estate, chain, c.id, holds)?.policy;
    if (!by) continue;
    const out = checkCustom(c, data);
    if (out.violated === false) continue;
    // The exact text is unverified (spec §8.3): it names the custom constraint and its description.
    const g = refusal(c.id, by, 400, `Operation denied by org policy on resource '${relativeName(resource)}': ["${constraintName(c.id)}": "${c.description}"]`,
      `custom constraint ${c.id} (${c.action}, enforced at ${by.node}) ${out.violated === true ? `has a ${c.action === 'DENY' ? 'true' : 'false'} condition` : `depends on ${out.missing.join(', ')}`} for this ${method} of a ${type}`,
      resource, c.description);
    if (out.violated === true) return g;
    open ??= { ...g, missing: out.missing };
  }
  return open;
}
