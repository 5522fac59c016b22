/**
 * The `gcp` section of an answer, in the shape of Policy Troubleshooter v3 (v3beta for the principal
 * access boundary part), so it can be compared with a real iam:troubleshoot response.
 * https://cloud.google.com/policy-intelligence/docs/troubleshoot-access
 * Relevance follows Google's samples: HIGH for what decides or would flip the result (a granting binding,
 * a role with the permission, a matching deny rule), NORMAL otherwise.
 */
import type { Decision } from '../../src/core/decision.js';
import type { ConditionOutcome } from './conditions.js';
import type { BindingResult, Evaluation, MemberResult, RuleResult } from './evaluate.js';
import { constraintName, type Guardrail } from './guardrails.js';
import type { PabEntry } from './pab.js';

type Relevance = 'HEURISTIC_RELEVANCE_HIGH' | 'HEURISTIC_RELEVANCE_NORMAL';
const HIGH: Relevance = 'HEURISTIC_RELEVANCE_HIGH';
const NORMAL: Relevance = 'HEURISTIC_RELEVANCE_NORMAL';
const rel = (high: boolean): Relevance => (high ? HIGH : NORMAL);

const OVERALL: Record<Decision['decision'], string> = { allowed: 'CAN_ACCESS', denied: 'CANNOT_ACCESS', conditional: 'UNKNOWN_CONDITIONAL' };
const MEMBERSHIP = { MATCHED: 'MEMBERSHIP_MATCHED', NOT_MATCHED: 'MEMBERSHIP_NOT_MATCHED', UNKNOWN: 'MEMBERSHIP_UNKNOWN_INFO' } as const;
const ROLE_PERMISSION = { INCLUDED: 'ROLE_PERMISSION_INCLUDED', NOT_INCLUDED: 'ROLE_PERMISSION_NOT_INCLUDED', UNKNOWN: 'ROLE_PERMISSION_UNKNOWN_INFO' } as const;

function conditionExplanation(c: ConditionOutcome): Record<string, unknown> {
  const errors = [...c.errors, ...c.unsupported.map((a) => `attribute ${a} is not available for this resource`)];
  return {
    value: c.value === 'unknown' ? null : c.value,
    errors: errors.map((message) => ({ code: 3, message })),
    // Troubleshooter offsets are inclusive at both ends.
    evaluationStates: c.states.map((s) => {
      const state: Record<string, unknown> = { start: s.start, end: Math.max(s.start, s.end - 1) };
      if (s.value !== undefined) state.value = s.value;
      if (s.unknown) state.value = null;
      if (s.errors?.length) state.errors = s.errors.map((message) => ({ code: 3, message }));
      return state;
    }),
  };
}

/** A value in its two relevances, built once and shared (frozen) by every answer. */
const pair = <T extends object>(make: (relevance: Relevance) => T): readonly [T, T] => [Object.freeze(make(NORMAL)), Object.freeze(make(HIGH))];
const MEMBERSHIP_ENTRIES = {
  MATCHED: pair((relevance) => ({ membership: MEMBERSHIP.MATCHED, relevance })),
  NOT_MATCHED: pair((relevance) => ({ membership: MEMBERSHIP.NOT_MATCHED, relevance })),
  UNKNOWN: pair((relevance) => ({ membership: MEMBERSHIP.UNKNOWN, relevance })),
};
const membershipEntry = (m: keyof typeof MEMBERSHIP, high: boolean) => MEMBERSHIP_ENTRIES[m][high ? 1 : 0];
const PERMISSION_ENTRIES = [
  pair((relevance) => ({ permissionMatchingState: 'PERMISSION_PATTERN_NOT_MATCHED', relevance })),
  pair((relevance) => ({ permissionMatchingState: 'PERMISSION_PATTERN_MATCHED', relevance })),
] as const;
const permissionEntry = (matched: boolean, high: boolean) => PERMISSION_ENTRIES[matched ? 1 : 0][high ? 1 : 0];

/**
 * An object keyed by principal or permission text. Null-prototype: arbitrary keys cannot reach Object.prototype,
 * and V8 keeps it a dictionary instead of making a hidden class for every new key (which costs a microsecond each).
 */
const keyed = (): Record<string, unknown> => Object.create(null) as Record<string, unknown>;

function memberships(list: MemberResult[], high: boolean): Record<string, unknown> {
  const out = keyed();
  for (const m of list) out[m.text] = membershipEntry(m.check.membership, high && m.check.membership === 'MATCHED');
  return out;
}

function permissions(list: { pattern: string; matched: boolean }[], high: boolean): Record<string, unknown> {
  const out = keyed();
  for (const p of list) out[p.pattern] = permissionEntry(p.matched, high && p.matched);
  return out;
}

const ALLOW_ACCESS = { GRANTED: 'ALLOW_ACCESS_STATE_GRANTED', NOT_GRANTED: 'ALLOW_ACCESS_STATE_NOT_GRANTED', UNKNOWN_CONDITIONAL: 'ALLOW_ACCESS_STATE_UNKNOWN_CONDITIONAL' } as const;
const PAB_ACCESS = { ALLOWED: 'PAB_ACCESS_STATE_ALLOWED', NOT_ALLOWED: 'PAB_ACCESS_STATE_NOT_ALLOWED', NOT_ENFORCED: 'PAB_ACCESS_STATE_NOT_ENFORCED' } as const;
const DENY_ACCESS = { DENIED: 'DENY_ACCESS_STATE_DENIED', NOT_DENIED: 'DENY_ACCESS_STATE_NOT_DENIED', UNKNOWN_CONDITIONAL: 'DENY_ACCESS_STATE_UNKNOWN_CONDITIONAL' } as const;

function bindingExplanation(b: BindingResult): Record<string, unknown> {
  const included = b.rolePermission === 'INCLUDED';
  const out: Record<string, unknown> = {
    allowAccessState: ALLOW_ACCESS[b.state],
    role: b.binding.role,
    rolePermission: ROLE_PERMISSION[b.rolePermission],
    rolePermissionRelevance: rel(included),
    combinedMembership: membershipEntry(b.membership, included),
    memberships: memberships(b.members, included),
    relevance: rel(included || b.state !== 'NOT_GRANTED'),
  };
  if (b.binding.condition) out.condition = { ...b.binding.condition.input };
  if (b.condition) out.conditionExplanation = conditionExplanation(b.condition);
  return out;
}

function ruleExplanation(r: RuleResult): Record<string, unknown> {
  const high = r.state !== 'NOT_DENIED';
  const out: Record<string, unknown> = {
    denyAccessState: DENY_ACCESS[r.state],
    relevance: rel(high),
    combinedDeniedPermission: permissionEntry(r.permissionDenied, high),
    deniedPermissions: permissions(r.deniedPermissions, high),
    combinedExceptionPermission: permissionEntry(r.permissionExcepted, r.permissionExcepted),
    exceptionPermissions: permissions(r.exceptionPermissions, high),
    combinedDeniedPrincipal: membershipEntry(r.denied.membership, high),
    deniedPrincipals: memberships(r.denied.members, high),
    combinedExceptionPrincipal: membershipEntry(r.exceptions.membership, r.exceptions.membership === 'MATCHED'),
    exceptionPrincipals: memberships(r.exceptions.members, true),
  };
  if (r.rule.condition) out.condition = { ...r.rule.condition.input };
  if (r.condition) out.conditionExplanation = conditionExplanation(r.condition);
  return out;
}

/** Summary answers name the PAB binding and policy; `explain: full` gives the documents, as for deny policies. */
function pabExplanation(e: PabEntry, full: boolean): Record<string, unknown> {
  const binding: Record<string, unknown> = { policyBindingState: e.bindingApplies ? 'POLICY_BINDING_STATE_ENFORCED' : 'POLICY_BINDING_STATE_NOT_ENFORCED', policyBinding: full ? e.binding.document : { name: e.binding.name }, relevance: rel(e.state === 'NOT_ALLOWED') };
  if (e.condition) binding.conditionExplanation = conditionExplanation(e.condition);
  const out: Record<string, unknown> = { bindingAndPolicyAccessState: PAB_ACCESS[e.state], relevance: rel(e.state === 'NOT_ALLOWED'), explainedPolicyBinding: binding };
  if (e.policy) {
    out.explainedPolicy = {
      policyAccessState: PAB_ACCESS[e.state],
      policy: full ? e.policy.document : { name: e.policy.name },
      relevance: rel(e.state === 'NOT_ALLOWED'),
      policyVersion: { version: e.policy.version, enforcementState: e.versionCovers ? 'PAB_POLICY_ENFORCEMENT_STATE_ENFORCED' : 'PAB_POLICY_ENFORCEMENT_STATE_NOT_ENFORCED' },
      explainedRules: e.rules.map((r) => ({
        ruleAccessState: r.included ? 'PAB_ACCESS_STATE_ALLOWED' : 'PAB_ACCESS_STATE_NOT_ALLOWED',
        effect: r.rule.effect,
        combinedResourceInclusionState: r.included ? 'RESOURCE_INCLUSION_STATE_INCLUDED' : 'RESOURCE_INCLUSION_STATE_NOT_INCLUDED',
        relevance: rel(e.state === 'NOT_ALLOWED'),
        explainedResources: r.resources.map((x) => ({ resource: x.resource, resourceInclusionState: x.included ? 'RESOURCE_INCLUSION_STATE_INCLUDED' : 'RESOURCE_INCLUSION_STATE_NOT_INCLUDED', relevance: rel(x.included) })),
      })),
    };
  }
  return out;
}

export function troubleshooter(ev: Evaluation, decision: Decision['decision'], guardrail: Guardrail | undefined): Record<string, unknown> {
  const { req } = ev;
  const v = req.attrs.values;
  const conditionContext: Record<string, unknown> = {
    resource: { service: v['resource.service'] ?? '', name: v['resource.name'] ?? '', type: v['resource.type'] ?? '' },
    effectiveTags: Object.entries(req.attrs.tags?.byName ?? {}).map(([key, value]) => ({ namespacedTagKey: key, namespacedTagValue: `${key}/${value}` })),
  };
  if (typeof v['request.time'] === 'string') conditionContext.request = { receiveTime: v['request.time'] };
  if (v['destination.ip'] !== undefined || v['destination.port'] !== undefined) conditionContext.destination = { ip: v['destination.ip'] ?? '', port: v['destination.port'] ?? 0 };
  const full = req.full;
  const out: Record<string, unknown> = {
    overallAccessState: OVERALL[decision],
    accessTuple: { principal: req.caller.email ?? req.caller.text, fullResourceName: req.resource, permission: req.permission, permissionFqdn: req.permissionV2, conditionContext },
    allowPolicyExplanation: {
      allowAccessState: ALLOW_ACCESS[ev.allow.state],
      relevance: rel(ev.allow.state !== 'GRANTED' || decision === 'allowed'),
      explainedPolicies: ev.allow.policies.map((p) => {
        // Summary answers keep the bindings that bear on the question (the role has the permission, or a
        // member matches); `explain: full` lists every binding, as Troubleshooter does.
        const shown = full ? p.bindings : p.bindings.filter((b) => b.rolePermission !== 'NOT_INCLUDED' || b.membership === 'MATCHED');
        const e: Record<string, unknown> = { allowAccessState: ALLOW_ACCESS[p.state], fullResourceName: p.policy.resource, relevance: rel(p.state !== 'NOT_GRANTED' || p.bindings.some((b) => b.rolePermission === 'INCLUDED')), bindingExplanations: shown.map(bindingExplanation) };
        if (full) e.policy = p.policy.document;
        return e;
      }),
    },
    denyPolicyExplanation: {
      denyAccessState: DENY_ACCESS[ev.deny.state],
      relevance: rel(ev.deny.state !== 'NOT_DENIED'),
      permissionDeniable: true,
      explainedResources: ev.deny.resources.map((r) => ({
        denyAccessState: DENY_ACCESS[r.state],
        fullResourceName: r.node,
        relevance: rel(r.state !== 'NOT_DENIED'),
        explainedPolicies: r.policies.map((p) => {
          // Summary answers: the rules that deny the permission (evaluate.ts leaves out the others).
          const e: Record<string, unknown> = { denyAccessState: DENY_ACCESS[p.state], policy: full ? p.policy.document : { name: p.policy.name }, relevance: rel(p.state !== 'NOT_DENIED'), ruleExplanations: p.rules.map(ruleExplanation) };
          return e;
        }),
      })),
    },
    pabPolicyExplanation: {
      principalAccessBoundaryAccessState: PAB_ACCESS[ev.pab.state],
      relevance: rel(ev.pab.state === 'NOT_ALLOWED'),
      explainedBindingsAndPolicies: ev.pab.entries.map((e) => pabExplanation(e, full)),
    },
  };
  if (req.pap) out.publicAccessPrevention = { enforced: true, by: req.pap.by, attachedTo: req.pap.attachedTo };
  if (guardrail) out.orgPolicyExplanation = { constraint: constraintName(guardrail.constraint), attachedTo: guardrail.attachedTo, violation: guardrail.violation, error: { status: guardrail.status, code: guardrail.code, message: guardrail.message } };
  return out;
}
