/**
 * Preconditions that are not IAM answer with the service's precondition error (400 FAILED_PRECONDITION,
 * 412 conditionNotMet), not a 403: what such a refusal carries, how a constraint's effective organization
 * policy is found along the resource's ancestors, and Cloud Storage public access prevention (which also
 * makes public members of allow policies ineffective). Which constraints check which call: constraint-checks.ts.
 * https://cloud.google.com/iam/docs/troubleshoot-org-policies
 * https://cloud.google.com/resource-manager/docs/organization-policy/understanding-hierarchy
 * https://cloud.google.com/storage/docs/public-access-prevention
 */
import type { Tri } from '../../src/core/decision.js';
import { evaluate as evalCondition, type RequestAttributes } from './conditions.js';
import type { GcpEstate } from './estate.js';
import type { PublicAccessPrevention, StorageParts } from './evaluate.js';
import type { Obj } from './inputs.js';
import { effectiveBoolean, type EffectiveList, type OrgPolicy, type OrgRule, type RuleFilter } from './org-policy.js';

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
  /** Set when the constraint's verdict depends on resource fields the request did not give. */
  missing?: string[];
}

/**
 * What a setIamPolicy, create or update call would change: members it adds, roles it touches, the new
 * bucket's location, and the resource as the call would write it (`requestBody.resource`).
 */
export interface Change {
  added: { role: string; member: string }[];
  modifiedRoles: string[];
  location?: string;
  resource?: Obj;
}

/** The organization, folder and project nodes of a chain, root first (org policies attach only there). */
function crmChain(estate: GcpEstate, chain: readonly string[]): string[] {
  return chain.filter((n) => estate.isCrm(n)).reverse();
}

/** Each of those nodes' policy for the constraint (undefined where a node has none), root first. */
export function policiesFor(estate: GcpEstate, chain: readonly string[], constraint: string): (OrgPolicy | undefined)[] {
  return crmChain(estate, chain).map((n) => estate.orgPolicyAt(n, constraint));
}

/** Tag conditions on org policy rules, against the resource's effective tags. */
export function ruleHolds(attrs: RequestAttributes): (r: OrgRule) => Tri {
  // Built on the first conditional rule (most calls meet none), then shared by every rule of the call.
  let tagsOnly: RequestAttributes | undefined;
  return (r) => (r.condition ? evalCondition(r.condition, (tagsOnly ??= { values: {}, unknown: new Set(), ...(attrs.tags ? { tags: attrs.tags } : {}) })).value : true);
}

/** The policy under which a boolean constraint is enforced here, with its deciding rule; undefined when it is not enforced. */
export function enforcing(estate: GcpEstate, chain: readonly string[], constraint: string, holds: RuleFilter): { policy: OrgPolicy; rule?: OrgRule } | undefined {
  const eff = effectiveBoolean(policiesFor(estate, chain, constraint), holds);
  return eff.enforced && eff.from ? { policy: eff.from, rule: eff.rule } : undefined;
}

/** The policy that decided a list constraint against the value (the nearest one its evaluation read). */
export const listDecider = (eff: EffectiveList | undefined): OrgPolicy => eff!.from[eff!.from.length - 1]!;

/** A refusal decided by an org policy: 412 conditionNotMet (Cloud Storage, Compute) or 400 FAILED_PRECONDITION. */
export function refusal(constraint: string, by: OrgPolicy, status: 400 | 412, message: string, why: string, subject: string, description = message, type = constraintName(constraint)): Guardrail {
  return { constraint, attachedTo: by.node, policyId: by.id, status, code: status === 412 ? 'conditionNotMet' : 'FAILED_PRECONDITION', message, why, violation: { type, subject, description } };
}

/** A constraint's full name: custom constraints live under customConstraints/, the others under constraints/. */
export function constraintName(id: string): string {
  return `${id.startsWith('custom.') ? 'customConstraints' : 'constraints'}/${id}`;
}

/** How answers name a bucket's own public access prevention setting. */
export const PAP_SETTING = 'iamConfiguration.publicAccessPrevention';

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
  const by = enforcing(estate, chain, 'storage.publicAccessPrevention', ruleHolds(attrs))?.policy;
  return by && { by: 'org_policy', attachedTo: by.node, policyId: by.id };
}
