/**
 * The three IAM stages, each three-valued: principal access boundary, then deny, then allow. Allow is
 * the union of the bindings on the resource and on every ancestor; deny rules on any ancestor apply; PAB
 * limits which resources the caller is eligible for, for the permissions its enforcement version covers.
 * https://cloud.google.com/iam/docs/policy-types (evaluation order)
 * https://cloud.google.com/iam/docs/deny-overview
 * https://cloud.google.com/iam/docs/principal-access-boundary-policies
 */
import { BoundedMap } from '../../src/core/bounded.js';
import type { Tri, Warning } from '../../src/core/decision.js';
import { permissionGroupMatches } from './catalog.js';
import { evaluate as evalCondition, type ConditionOutcome, type RequestAttributes } from './conditions.js';
import type { AllowBinding, AllowPolicy, DenyPolicy, DenyRule, GcpEstate, ParsedMember, PermissionPattern, RoleInfo } from './estate.js';
import { matchMember, memberMatches, type BasicRole, type Caller, type MemberCheck, type MemberContext, type Membership } from './members.js';
import type { storageParts } from './names.js';
import { evaluateAcl, type AclResult } from './acl.js';
import { pabEntry, pabState, type PabEvaluation } from './pab.js';
import { lookupTable } from '../../src/core/lookup-table.js';

/** Public access prevention in force on the requested bucket: public members grant nothing there. */
export interface PublicAccessPrevention {
  /** 'bucket' (iamConfiguration.publicAccessPrevention: enforced) or 'org_policy' (storage.publicAccessPrevention). */
  by: 'bucket' | 'org_policy';
  attachedTo: string;
  policyId?: string;
}

/** A Cloud Storage resource's bucket, and its object or managed folder. */
export type StorageParts = NonNullable<ReturnType<typeof storageParts>>;

export interface GcpRequest {
  estate: GcpEstate;
  caller: Caller;
  /** v1 spelling, as roles list it. */
  permission: string;
  /** v2 spelling, as deny policies list it. */
  permissionV2: string;
  resource: string;
  /** The resource and its ancestors (canonical full names), resource first. */
  chain: readonly string[];
  /** For a Cloud Storage bucket, object or managed folder: its parts. */
  storage?: StorageParts;
  attrs: RequestAttributes;
  /** Allow policies along the chain, resource first (overlay applied). */
  allowPolicies: AllowPolicy[];
  /** The allow policy of any node (overlay applied), e.g. of the project a convenience value names. */
  allowAt(node: string): AllowPolicy | undefined;
  /** Deny policies per chain node, resource first (overlay applied). */
  denyPolicies: { node: string; policies: readonly DenyPolicy[] }[];
  pap?: PublicAccessPrevention;
  warnings: Warning[];
  full: boolean;
}

export type AllowState = 'GRANTED' | 'NOT_GRANTED' | 'UNKNOWN_CONDITIONAL';
export type DenyState = 'DENIED' | 'NOT_DENIED' | 'UNKNOWN_CONDITIONAL';
export type RolePermission = 'INCLUDED' | 'NOT_INCLUDED' | 'UNKNOWN';

export interface MemberResult {
  text: string;
  check: MemberCheck;
}

export interface BindingResult {
  policy: AllowPolicy;
  binding: AllowBinding;
  role: RoleInfo;
  rolePermission: RolePermission;
  /** Why the role does not count here (deleted, not defined where bound, unknown). */
  roleNote?: string;
  members: MemberResult[];
  membership: Membership;
  /** Matched only through allUsers/allAuthenticatedUsers, which public access prevention makes ineffective. */
  papBlocked: boolean;
  condition?: ConditionOutcome;
  state: AllowState;
}

export interface AllowResult {
  state: AllowState;
  /** Summary answers: only the bindings whose role has the permission or whose member matches (the ones shown). */
  policies: { policy: AllowPolicy; bindings: BindingResult[]; state: AllowState }[];
  /** Every policy's bindings, in order. */
  bindings: BindingResult[];
}

export interface PrincipalsResult {
  membership: Membership;
  members: MemberResult[];
}

export interface RuleResult {
  policy: DenyPolicy;
  rule: DenyRule;
  denied: PrincipalsResult;
  exceptions: PrincipalsResult;
  permissionDenied: boolean;
  permissionExcepted: boolean;
  deniedPermissions: { pattern: string; matched: boolean }[];
  exceptionPermissions: { pattern: string; matched: boolean }[];
  condition?: ConditionOutcome;
  state: DenyState;
}

export interface DenyResult {
  state: DenyState;
  /** Summary answers: only the rules that deny the permission (the ones shown). */
  resources: { node: string; policies: { policy: DenyPolicy; rules: RuleResult[]; state: DenyState }[]; state: DenyState }[];
  /** Every policy's rules, in order. */
  rules: RuleResult[];
}

export interface Evaluation {
  req: GcpRequest;
  pab: PabEvaluation;
  deny: DenyResult;
  allow: AllowResult;
  /** Cloud Storage ACLs of the bucket (or its default object ACL), when it has any. */
  acl?: AclResult;
}

function combine<S extends string>(states: S[], win: S, open: S, none: S): S {
  if (states.includes(win)) return win;
  return states.includes(open) ? open : none;
}

function memberContext(req: GcpRequest): MemberContext {
  // Per basic role, per project (no key strings to build and hash on every check).
  const memo: Partial<Record<BasicRole, Map<string, boolean>>> = {};
  const ctx: MemberContext = {
    customerOfDomain: (d) => req.estate.customers.get(d),
    canonicalNode: (n) => req.estate.canonical(n),
    holdsBasicRole(project, role) {
      const known = (memo[role] ??= new Map());
      let held = known.get(project);
      if (held === undefined) {
        known.set(project, false);
        held = holdsBasicRole(req, project, role, ctx);
        known.set(project, held);
      }
      return held;
    },
  };
  return ctx;
}

const BASIC_ROLE: Record<BasicRole, string> = { owner: 'roles/owner', editor: 'roles/editor', viewer: 'roles/viewer' };
const BASIC_CACHE: Record<BasicRole, string> = { owner: 'basic-owner', editor: 'basic-editor', viewer: 'basic-viewer' };

/** The unconditional bindings of roles/<role> on the project and its ancestors (the snapshot's: found once per project). */
function basicBindings(req: GcpRequest, project: string, role: BasicRole): readonly AllowBinding[] {
  const along = (chain: readonly string[]) => chain.flatMap((node) => req.allowAt(node)?.basic.filter((b) => b.role === BASIC_ROLE[role]) ?? []);
  const known = req.allowAt === req.estate.allowAt ? req.estate.cache<readonly AllowBinding[]>(BASIC_CACHE[role]) : undefined;
  let bindings = known?.get(project);
  if (bindings) return bindings;
  const chain = req.estate.projectChain(project);
  if (!chain) return [];
  bindings = along(chain);
  known?.set(project, bindings);
  return bindings;
}

/**
 * Cloud Storage convenience values (projectOwner:P ...): the caller holds roles/<role> on project P,
 * through a binding on the project or an ancestor. Basic roles cannot carry conditions.
 * https://cloud.google.com/storage/docs/access-control/iam#convenience-values
 */
function holdsBasicRole(req: GcpRequest, project: string, role: BasicRole, ctx: MemberContext): boolean {
  for (const b of basicBindings(req, project, role)) {
    for (const m of b.members) if (m.member.kind !== 'projectRole' && memberMatches(m.member, req.caller, ctx)) return true;
  }
  return false;
}

function checkMembers(list: ParsedMember[], req: GcpRequest, ctx: MemberContext): PrincipalsResult {
  const members = list.map((m) => ({ text: m.text, check: matchMember(m.member, req.caller, ctx) }));
  return { membership: members.some((m) => m.check.membership === 'MATCHED') ? 'MATCHED' : 'NOT_MATCHED', members };
}

const INCLUDED: { state: RolePermission } = { state: 'INCLUDED' };
const NOT_INCLUDED: { state: RolePermission } = { state: 'NOT_INCLUDED' };

/** Does the role contain the permission, and can it be used on this resource? */
function rolePermission(req: GcpRequest, role: RoleInfo, where: string): { state: RolePermission; note?: string } {
  if (role.deleted) return { state: 'NOT_INCLUDED', note: `custom role ${role.name} is deleted: bindings to it grant nothing` };
  if (!role.permissions) return role.definedAt ? { state: 'NOT_INCLUDED', note: `custom role ${role.name} is not in the snapshot` } : { state: 'UNKNOWN', note: `role ${role.name} is not a known predefined role` };
  // A custom role is usable only in the policies of the project or organization that defines it, and below.
  // https://cloud.google.com/iam/docs/understanding-custom-roles#basic_concepts
  if (role.definedAt && !req.estate.snapshot.graph.ancestors(where).some((s) => s.id === role.definedAt)) {
    return { state: 'NOT_INCLUDED', note: `custom role ${role.name} is defined in ${role.definedAt} and cannot be used on ${where}` };
  }
  return role.permissions.has(req.permission) ? INCLUDED : NOT_INCLUDED;
}

/** The groups bound in a binding that the snapshot holds no members for (found once per binding). */
function unknownGroups(req: GcpRequest, b: AllowBinding): readonly string[] {
  const g = req.estate.snapshot.graph;
  return (b.unknownGroups ??= b.members.filter((m) => m.member.kind === 'group' && g.membersOf(`group:${m.member.email}`).length === 0).map((m) => m.text));
}

/** Does any member of the binding include the caller? */
function anyMemberMatches(req: GcpRequest, b: AllowBinding, ctx: MemberContext): boolean {
  for (const m of b.members) if (memberMatches(m.member, req.caller, ctx)) return true;
  return false;
}

/**
 * One binding against the request. A summary answer never shows a binding whose role lacks the permission and
 * whose members all miss the caller: for those, undefined (`explain: full` evaluates every binding).
 */
function evalBinding(req: GcpRequest, policy: AllowPolicy, b: AllowBinding, ctx: MemberContext): BindingResult | undefined {
  const role = (b.roleInfo ??= req.estate.role(b.role));
  const rp = rolePermission(req, role, policy.resource);
  if (rp.state === 'NOT_INCLUDED' && !req.full && !anyMemberMatches(req, b, ctx)) return undefined;
  // One check per member; `effective` leaves out public members when public access prevention is in force.
  const members: MemberResult[] = [];
  let matched = 0;
  let effective = 0;
  for (const m of b.members) {
    const check = matchMember(m.member, req.caller, ctx);
    members.push({ text: m.text, check });
    if (check.membership === 'MATCHED') {
      matched++;
      if (!(req.pap && check.public)) effective++;
    }
  }
  const membership: Membership = effective ? 'MATCHED' : 'NOT_MATCHED';
  const out: BindingResult = { policy, binding: b, role, rolePermission: rp.state, members, membership, papBlocked: matched > 0 && effective === 0, state: 'NOT_GRANTED' };
  if (rp.note) out.roleNote = rp.note;
  // The condition is evaluated only when a member matches: for the others, a summary answer names the members
  // that miss, never the condition (`explain: full` shows every condition).
  if (b.condition && (matched > 0 || req.full)) out.condition = evalCondition(b.condition, req.attrs);
  if (rp.state === 'INCLUDED' && membership === 'MATCHED') {
    const c: Tri = out.condition ? out.condition.value : true;
    out.state = c === true ? 'GRANTED' : c === 'unknown' ? 'UNKNOWN_CONDITIONAL' : 'NOT_GRANTED';
  }
  if (rp.state === 'INCLUDED' && membership !== 'MATCHED') {
    // Troubleshooter reports MEMBERSHIP_UNKNOWN_INFO when it cannot read a group; here: a group the snapshot has no members for.
    const unknown = unknownGroups(req, b);
    if (unknown.length) req.warnings.push({ code: 'group_membership_unknown', pointer: b.source.pointer, message: `the snapshot holds no members for ${unknown.join(', ')} (bound to ${b.role} on ${policy.resource}): add the group memberships to tell whether the caller is one` });
  }
  if (rp.state === 'UNKNOWN' && matched) {
    // getIamPolicy without requestedPolicyVersion 3 hides conditions and renames the role <role>_withcond_<hash>.
    const hidden = b.role.includes('_withcond_') ? ': the policy was read without requestedPolicyVersion 3, which hides the binding\'s condition' : '';
    req.warnings.push({ code: 'unknown_role', pointer: b.source.pointer, message: `${b.role} is not a known role, so its binding on ${policy.resource} cannot be shown to grant${hidden}` });
  }
  if (role.deleted && matched) req.warnings.push({ code: 'deleted_role', pointer: b.source.pointer, message: `${b.role} is a deleted custom role: its binding on ${policy.resource} grants nothing` });
  if (rp.state === 'INCLUDED' && b.members.some((m) => m.member.kind === 'deleted')) {
    const deleted = b.members.filter((m) => m.member.kind === 'deleted').map((m) => m.text);
    req.warnings.push({ code: 'deleted_member', pointer: b.source.pointer, message: `${b.role} on ${policy.resource} is bound to ${deleted.join(', ')}: deleted principals match nobody (a new account with the same email does not inherit the grant)` });
  }
  return out;
}

function evalAllow(req: GcpRequest, ctx: MemberContext): AllowResult {
  const all: BindingResult[] = [];
  const policies = req.allowPolicies.map((policy) => {
    const bindings: BindingResult[] = [];
    for (const b of policy.bindings) {
      const r = evalBinding(req, policy, b, ctx);
      if (r) bindings.push(r);
    }
    all.push(...bindings);
    return { policy, bindings, state: combine(bindings.map((b) => b.state), 'GRANTED', 'UNKNOWN_CONDITIONAL', 'NOT_GRANTED') };
  });
  return { state: combine(policies.map((p) => p.state), 'GRANTED', 'UNKNOWN_CONDITIONAL', 'NOT_GRANTED'), policies, bindings: all };
}

function permissionEntries(patterns: readonly PermissionPattern[], v2: string): { pattern: string; matched: boolean }[] {
  return patterns.map((p) => ({ pattern: p.pattern, matched: permissionGroupMatches(p.v2, v2) }));
}

function evalRule(req: GcpRequest, policy: DenyPolicy, rule: DenyRule, ctx: MemberContext): RuleResult {
  const deniedPermissions = permissionEntries(rule.deniedPermissions, req.permissionV2);
  const exceptionPermissions = permissionEntries(rule.exceptionPermissions, req.permissionV2);
  const denied = checkMembers(rule.denied, req, ctx);
  const exceptions = checkMembers(rule.exceptions, req, ctx);
  const out: RuleResult = {
    policy, rule, denied, exceptions, deniedPermissions, exceptionPermissions,
    permissionDenied: deniedPermissions.some((p) => p.matched),
    permissionExcepted: exceptionPermissions.some((p) => p.matched),
    state: 'NOT_DENIED',
  };
  const applies = denied.membership === 'MATCHED' && exceptions.membership !== 'MATCHED' && out.permissionDenied && !out.permissionExcepted;
  if (rule.condition && (applies || req.full)) out.condition = evalCondition(rule.condition, req.attrs);
  if (applies) {
    const c: Tri = out.condition ? out.condition.value : true;
    out.state = c === true ? 'DENIED' : c === 'unknown' ? 'UNKNOWN_CONDITIONAL' : 'NOT_DENIED';
  }
  return out;
}

/** The rules of a deny policy that list the permission (v2), found once per policy and permission. */
function denying(policy: DenyPolicy, v2: string): readonly DenyRule[] {
  const known = (policy.denying ??= new BoundedMap(DENYING_LIMIT));
  let rules = known.get(v2);
  if (!rules) known.set(v2, (rules = policy.rules.filter((r) => r.deniedPermissions.some((p) => permissionGroupMatches(p.v2, v2)))));
  return rules;
}

const DENYING_LIMIT = 1_000;

function evalDeny(req: GcpRequest, ctx: MemberContext): DenyResult {
  const all: RuleResult[] = [];
  const resources = req.denyPolicies.map(({ node, policies }) => {
    const ps = policies.map((policy) => {
      // A summary answer shows only the rules that deny the permission: the others are not evaluated.
      const rules = (req.full ? policy.rules : denying(policy, req.permissionV2)).map((r) => evalRule(req, policy, r, ctx));
      all.push(...rules);
      return { policy, rules, state: combine(rules.map((r) => r.state), 'DENIED', 'UNKNOWN_CONDITIONAL', 'NOT_DENIED') };
    });
    return { node, policies: ps, state: combine(ps.map((p) => p.state), 'DENIED', 'UNKNOWN_CONDITIONAL', 'NOT_DENIED') };
  });
  return { state: combine(resources.map((r) => r.state), 'DENIED', 'UNKNOWN_CONDITIONAL', 'NOT_DENIED'), resources, rules: all };
}

const PRINCIPAL_TYPES: Record<string, string> = lookupTable({
  user: 'iam.googleapis.com/WorkspaceIdentity',
  serviceAccount: 'iam.googleapis.com/ServiceAccount',
});

/** The principal sets a PAB policy binding can target that contain the caller. */
export function principalSets(estate: GcpEstate, caller: Caller): string[] {
  const sets: string[] = [];
  if (caller.kind === 'serviceAccount' && caller.projectChain) sets.push(...caller.projectChain);
  if (caller.kind === 'user' && caller.customerId) {
    sets.push(`//iam.googleapis.com/locations/global/workspace/${caller.customerId}`);
    const org = estate.customerOrg.get(caller.customerId);
    if (org) sets.push(org);
  }
  if (caller.kind === 'federated' && caller.pool) {
    sets.push(`//${caller.pool}`);
    const project = /^iam\.googleapis\.com\/projects\/([^/]+)\/locations\/[^/]+\/workloadIdentityPools\//.exec(caller.pool);
    const chain = project ? estate.projectChain(project[1]!) : undefined;
    if (chain) sets.push(...chain);
  }
  return sets;
}

function principalAttributes(caller: Caller): RequestAttributes {
  const type = caller.kind === 'federated' ? (caller.pool?.includes('/workforcePools/') ? 'iam.googleapis.com/WorkforcePoolIdentity' : 'iam.googleapis.com/WorkloadPoolIdentity') : PRINCIPAL_TYPES[caller.kind];
  return { values: { 'principal.type': type, 'principal.subject': caller.email ?? caller.subject ?? caller.text }, unknown: new Set() };
}

function evalPab(req: GcpRequest): PabEvaluation {
  const { caller, estate } = req;
  if (!estate.pabBindings.size) return { state: 'NOT_ENFORCED', entries: [] };
  let principalAttrs: RequestAttributes | undefined;
  const chain = new Set(req.chain);
  const entries = principalSets(estate, caller).flatMap((target) =>
    estate.pabBindingsFor(target).map((binding) => {
      // The binding applies when its condition is true or cannot be evaluated.
      // https://cloud.google.com/iam/docs/principal-access-boundary-policies#conditional-bindings
      const condition = binding.condition ? evalCondition(binding.condition, (principalAttrs ??= principalAttributes(caller))) : undefined;
      const applies = !condition || condition.value !== false || condition.errors.length > 0 || condition.unsupported.length > 0;
      const policy = estate.pabPolicies.get(binding.policy);
      if (!policy) req.warnings.push({ code: 'pab_policy_missing', message: `policy binding ${binding.id} names ${binding.policy}, which is not in the snapshot: it is evaluated as not enforced` });
      return pabEntry(binding, policy, applies, condition, req.permissionV2, chain);
    }),
  );
  return { state: pabState(entries), entries };
}

function evalAcl(req: GcpRequest, ctx: MemberContext): AclResult | undefined {
  const parts = req.storage;
  if (!parts || parts.managedFolder !== undefined) return undefined;
  const bucket = req.estate.bucket(parts.bucket);
  return bucket && evaluateAcl(bucket, parts.object !== undefined, req.permission, req.caller, ctx);
}

export function evaluate(req: GcpRequest): Evaluation {
  const ctx = memberContext(req);
  const ev: Evaluation = { req, pab: evalPab(req), deny: evalDeny(req, ctx), allow: evalAllow(req, ctx) };
  const acl = evalAcl(req, ctx);
  if (acl) ev.acl = acl;
  return ev;
}
