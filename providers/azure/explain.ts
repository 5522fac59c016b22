/**
 * Turns an Azure evaluation into the common answer: the decision, the error as Azure returns it
 * (AuthorizationFailed, DenyAssignmentAuthorizationFailed, RequestDisallowedByPolicy, ScopeLocked, the
 * storage data-plane AuthorizationPermissionMismatch), the decisive causes, the layer trace in Azure's
 * order (deny assignments, role assignments, then for writes Azure Policy and locks), near misses and the
 * attributes a condition needed.
 * https://learn.microsoft.com/azure/role-based-access-control/troubleshooting
 * https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-policy-requestdisallowedbypolicy
 */
import type { Cause, CloudError, ConditionTrace, Decision, LayerTrace, LayerVerdict, MissingContext, NearMiss, PolicyRef, StatementRef, StatementTrace } from '../../src/core/decision.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import type { AbacTraceItem } from './abac.js';
import { classicWarnings } from './classic-admins.js';
import type { ConditionResult } from './conditions.js';
import { blockStatement, causeRef, definitionSource, traceEntry, who } from './explain-refs.js';
import type { LockHit } from './locks.js';
import type { PolicyEval, PolicyResult } from './policy.js';
import { eligibleNearMisses } from './pim.js';
import type { PolicyAssignment, PolicyDefinition, PolicySet } from './policy-model.js';
import type { Assignment, DenyAssignment, RoleDefinition } from './rbac-model.js';
import { MAX_NEAR_MISSES, type AssignmentTrace, type BlockTrace, type DenyHit, type Grant, type Miss, type RbacResult } from './rbac.js';
import type { AzureRequest } from './request.js';

export interface Evaluation {
  req: AzureRequest;
  rbac: RbacResult;
  /** Absent when Azure Policy does not evaluate the request (reads, POST operations, data actions). */
  policy?: PolicyResult;
  /** Absent on the data plane and for reads. */
  locks?: LockHit[];
  /** For a refused storage data action: can the principal list the account keys instead? */
  sharedKey?: string;
}

/** The snapshot causes locate their sources in (see explain-refs). */
const causeWhere = (req: AzureRequest) => req.estate.snapshot;

const ASSIGNMENT = 'azure:role_assignment';
const DENY = 'azure:deny_assignment';
const POLICY = 'azure:policy_assignment';
const LOCK = 'azure:lock';

const roleNameOf = (a: Assignment, role: RoleDefinition | undefined) => role?.roleName ?? a.roleDefinitionId;

function assignmentEntry(a: Assignment, role: RoleDefinition | undefined): { policy: PolicyRef } {
  return traceEntry(a, roleNameOf(a, role), ASSIGNMENT);
}

function policyStatement(e: PolicyEval, where: Snapshot): StatementRef {
  const st: StatementRef = { rule: e.definition.name };
  if (e.referenceId !== undefined) st.binding = e.referenceId;
  const src = definitionSource(e.definition, where);
  if (src) st.source = src;
  return st;
}

/** `1 group`, `3 groups`. */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

const TAG = /blobs\/tags:(.*)<\$key_case_sensitive\$>\]$/i;

/** An attribute as a sentence names it: `the blob index tag Project`. */
function attributeLabel(attribute: string): string {
  const tag = TAG.exec(attribute);
  return tag ? `the blob index tag ${tag[1]}` : attribute;
}

/** "because the blob index tag Project is 'x' (...)" for the false comparisons of a condition. */
function conditionDetail(results: ConditionResult[]): string {
  const leaves: AbacTraceItem[] = results.flatMap((r) => r.trace.filter((t) => t.result === false && t.attribute !== undefined));
  if (!leaves.length) return '';
  return `because ${leaves
    .slice(0, 3)
    .map((t) => `${attributeLabel(t.attribute!)} ${t.actual === undefined ? 'is absent' : `is ${typeof t.actual === 'string' ? `'${t.actual}'` : JSON.stringify(t.actual)}`} (${t.expression.trim().replace(/^\((.*)\)$/s, '$1')})`)
    .join('; ')}`;
}

// ------------------------------------------------------------------------------------------------ errors

const STORAGE_MISMATCH = 'This request is not authorized to perform this operation using this permission.';

function dataPlaneError(req: AzureRequest): CloudError | undefined {
  if (!req.isData) return undefined;
  if (req.actionLower.startsWith('microsoft.storage/')) return { status: 403, code: 'AuthorizationPermissionMismatch', message: STORAGE_MISMATCH };
  if (req.actionLower.startsWith('microsoft.keyvault/')) {
    return { status: 403, code: 'Forbidden', message: `Caller is not authorized to perform action on resource. (ForbiddenByRbac) Caller: oid=${req.principal}; Action: '${req.action}'; Resource: '${req.resourceAsGiven.toLowerCase()}'; Assignment: (not found); DecisionReason: 'DeniedWithNoValidRBAC'` };
  }
  return undefined;
}

function authorizationFailed(req: AzureRequest): CloudError {
  return dataPlaneError(req) ?? {
    status: 403,
    code: 'AuthorizationFailed',
    message: `The client '${req.display}' with object id '${req.principal}' does not have authorization to perform action '${req.action}' over scope '${req.errorScope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  };
}

function denyFailed(req: AzureRequest, d: DenyAssignment): CloudError {
  return dataPlaneError(req) ?? {
    status: 403,
    code: 'DenyAssignmentAuthorizationFailed',
    message: `The client '${req.display}' with object id '${req.principal}' has permission to perform action '${req.action}' on scope '${req.errorScope}'; however, the access is denied because of the deny assignment with name '${d.name}' and Id '${d.guid.replace(/-/g, '')}' at scope '${d.scopeAsGiven}'.`,
  };
}

/** The identifiers of a policy as RequestDisallowedByPolicy lists them, in JSON: the same for every request, so made once. */
const identifiers = new WeakMap<PolicyDefinition, WeakMap<PolicyAssignment, { set: PolicySet | undefined; json: string }[]>>();

function identifiersOf(e: PolicyEval): string {
  let byAssignment = identifiers.get(e.definition);
  if (!byAssignment) identifiers.set(e.definition, (byAssignment = new WeakMap()));
  let known = byAssignment.get(e.assignment);
  if (!known) byAssignment.set(e.assignment, (known = []));
  let entry = known.find((k) => k.set === e.set);
  if (!entry) {
    const o: Record<string, unknown> = { policyAssignment: { name: e.assignment.displayName, id: e.assignment.id }, policyDefinition: { name: e.definition.displayName, id: e.definition.armId } };
    if (e.definition.version) (o.policyDefinition as Record<string, unknown>).version = e.definition.version;
    if (e.set) o.policySetDefinition = { name: e.set.displayName, id: e.set.armId };
    known.push((entry = { set: e.set, json: JSON.stringify(o) }));
  }
  return entry.json;
}

/** JSON.stringify of the evaluations' identifiers, put together from each one's. */
function policyIdentifiers(evals: PolicyEval[]): string {
  return `[${evals.map(identifiersOf).join(',')}]`;
}

function policyMessage(req: AzureRequest, evals: PolicyEval[]): string {
  const name = req.resourceAsGiven.split('/').filter((x) => x !== '').pop() ?? '';
  const reasons = evals.flatMap((e) => e.assignment.nonComplianceMessages.filter((m) => m.referenceId === undefined || m.referenceId === e.referenceId).map((m) => m.message));
  if (reasons.length) return `Resource '${name}' was disallowed by policy. Reasons: '${reasons.join("', '")}'. See error details for policy resource IDs.`;
  if (req.verb === 'delete') return `The action 'delete' on resource '${name}' was disallowed by policy. Policy identifiers: '${policyIdentifiers(evals)}'.`;
  return `Resource '${name}' was disallowed by policy. Policy identifiers: '${policyIdentifiers(evals)}'.`;
}

/** The RequestDisallowedByPolicy body ARM returns, with the evaluated expressions. */
function policyErrorBody(req: AzureRequest, evals: PolicyEval[], message: string): Record<string, unknown> {
  return {
    error: {
      code: 'RequestDisallowedByPolicy',
      target: req.resourceAsGiven.split('/').filter((x) => x !== '').pop() ?? '',
      message,
      additionalInfo: evals.map((e) => ({ type: 'PolicyViolation', info: violationInfo(e) })),
    },
  };
}

/** One PolicyViolation's info, with the fields ARM includes only when they apply. */
function violationInfo(e: PolicyEval): Record<string, unknown> {
  const info: Record<string, unknown> = {
    evaluationDetails: { evaluatedExpressions: e.expressions.map(expressionOut) },
    policyDefinitionId: e.definition.armId,
    policyDefinitionName: e.definition.name,
    policyDefinitionDisplayName: e.definition.displayName,
    policyDefinitionEffect: e.effect,
    policyAssignmentId: e.assignment.id,
    policyAssignmentName: e.assignment.name,
    policyAssignmentDisplayName: e.assignment.displayName,
    policyAssignmentScope: e.assignment.scopeAsGiven,
    policyAssignmentParameters: e.assignment.rawParameters,
    policyExemptionIds: e.exemption ? [e.exemption.exemption.id] : [],
    policyEnrollmentIds: [],
  };
  if (e.definition.version) info.policyDefinitionVersion = e.definition.version;
  if (e.set) {
    info.policySetDefinitionId = e.set.armId;
    info.policySetDefinitionName = e.set.name;
    if (e.referenceId !== undefined) info.policyDefinitionReferenceId = e.referenceId;
  }
  return info;
}

const KIND_NAMES = { field: 'Field', value: 'Value', count: 'Count' } as const;

/** One evaluated expression, as RequestDisallowedByPolicy's evaluationDetails word it. */
function expressionOut(x: PolicyEval['expressions'][number]): Record<string, unknown> {
  const o: Record<string, unknown> = { result: x.result ? 'True' : 'False', expressionKind: KIND_NAMES[x.kind ?? (x.field !== undefined ? 'field' : 'value')], expression: x.expression };
  if (x.path !== undefined || x.field !== undefined) o.path = x.path ?? x.field;
  if (x.operator !== undefined) o.operator = x.operator;
  if (x.actual !== undefined) o.expressionValue = x.actual;
  if (x.expected !== undefined) o.targetValue = x.expected;
  o.pointer = x.pointer;
  return o;
}

function lockError(req: AzureRequest, locks: LockHit[]): CloudError {
  const op = req.verb === 'delete' ? 'delete' : 'write';
  return { status: 409, code: 'ScopeLocked', message: `The scope '${req.errorScope}' cannot perform ${op} operation because following scope(s) are locked: '${locks.map((l) => l.lock.scopeAsGiven).join("', '")}'. Please remove the lock and try again.` };
}

// ------------------------------------------------------------------------------------------------ causes

function denyCause(req: AzureRequest, h: DenyHit): Cause {
  return { kind: 'explicit_deny', layer: 'deny_assignment', policy: causeRef(h.deny, h.deny.name, DENY, causeWhere(req)), statement: { index: h.block.index }, why: `deny assignment ${h.deny.name} at ${h.deny.scopeAsGiven} names ${h.via} and denies ${h.pattern}${h.result === 'unknown' ? ' if its condition holds' : ''}` };
}

function grantCause(req: AzureRequest, g: Grant): Cause {
  const open = g.result === 'unknown' ? ` if its condition holds (it reads ${[...new Set(g.missing)].join(', ')})` : '';
  return { kind: 'grant', layer: 'rbac', policy: causeRef(g.assignment, roleNameOf(g.assignment, g.role), ASSIGNMENT, causeWhere(req)), statement: blockStatement(g.assignment.name, g.role, g.block.index, causeWhere(req)), why: `${g.role.roleName} assigned to ${who(req, g.via)} at ${g.assignment.scopeAsGiven} grants ${req.action} through ${req.isData ? 'DataActions' : 'Actions'} ${g.pattern}${open}` };
}

function policyCause(req: AzureRequest, e: PolicyEval): Cause {
  const what = e.effect === 'denyaction' ? 'denyAction blocks the DELETE' : `deny blocks the ${req.method ?? 'PUT'}`;
  const evaluated = e.expressions.slice(0, 4).map((x) => `${x.expression}${x.operator ? ` ${x.operator} ${JSON.stringify(x.expected)}` : ''} is ${x.result} for ${JSON.stringify(x.actual)}`);
  const on = e.cascadeResource ? ` resource ${e.cascadeResource} in the group` : '';
  return { kind: 'blocked_by_guardrail', layer: 'azure_policy', policy: causeRef(e.assignment, e.assignment.name, POLICY, causeWhere(req)), statement: policyStatement(e, causeWhere(req)), why: `policy assignment ${e.assignment.name} (definition ${e.definition.name}${e.referenceId ? `, reference ${e.referenceId}` : ''}) at ${e.assignment.scopeAsGiven}: the rule matches${on} and ${what}${e.blocks === 'unknown' ? ` unless ${e.note}` : ''}${evaluated.length ? `; evaluated: ${evaluated.join('; ')}` : ''}` };
}

function lockCause(req: AzureRequest, l: LockHit): Cause {
  return { kind: 'blocked_by_guardrail', layer: 'lock', policy: causeRef(l.lock, l.lock.name, LOCK, causeWhere(req)), why: l.why };
}

const MISS_FAILED: Record<Miss['kind'], string[]> = { not_actions: ['action'], plane: ['action'], condition: ['condition'], scope: ['resource'], unknown_role: ['role'] };

function nearMisses(req: AzureRequest, misses: Miss[]): NearMiss[] {
  return misses.slice(0, MAX_NEAR_MISSES).map((m) => {
    let why = m.why;
    if (m.kind === 'condition' && m.role && m.block) {
      const detail = conditionDetail(m.conditions ?? []);
      if (detail) why += ` ${detail}`;
    }
    if (m.via) why += ` (assigned to ${who(req, m.via)})`;
    return { layer: 'rbac', policy: assignmentEntry(m.assignment, m.role).policy, statement: blockStatement(m.assignment.name, m.role, m.block?.index, undefined), failed: MISS_FAILED[m.kind], why };
  });
}

// ------------------------------------------------------------------------------------------------ layers

/** One leaf of an ABAC condition, as the common condition trace words it. */
function conditionTrace(t: AbacTraceItem): ConditionTrace {
  const c: ConditionTrace = { operator: t.expression.trim(), key: t.attribute ?? '', values: [], keySource: t.result === 'unknown' ? 'unknown' : t.actual === undefined ? 'absent' : 'request', result: t.result };
  if (t.actual !== undefined) c.requestValues = (Array.isArray(t.actual) ? t.actual : [t.actual]).map(String);
  if (t.note !== undefined) c.note = t.note;
  return c;
}

function blockTrace(t: AssignmentTrace, b: BlockTrace): StatementTrace {
  const st: StatementTrace = {
    index: b.index,
    effect: 'Allow',
    applies: b.applies,
    action: { matched: b.action, detail: b.detail },
    resource: { matched: true, detail: `assigned at ${t.assignment.scopeAsGiven}` },
    principal: { matched: true, how: t.via ? `through group ${t.via}` : 'direct' },
    conditions: b.conditions.flatMap((c) => c.trace.filter((x) => x.attribute !== undefined).map(conditionTrace)),
  };
  const src = blockStatement(t.assignment.name, t.role, b.index, undefined).source;
  if (src) st.source = src;
  return st;
}

function denyLayer(rbac: RbacResult): LayerTrace {
  const denies = new Set<DenyAssignment>();
  const notes: string[] = [];
  let verdict: LayerVerdict = 'no_match';
  for (const h of rbac.denies) {
    denies.add(h.deny);
    notes.push(`${h.deny.name}: applies (${h.via})`);
    verdict = h.result === true ? 'deny' : verdict === 'deny' ? 'deny' : 'unknown';
  }
  for (const s of rbac.denySkips) {
    denies.add(s.deny);
    notes.push(`${s.deny.name}: ${s.why}`);
  }
  const policies: LayerTrace['policies'] = [];
  for (const d of denies) policies.push(traceEntry(d, d.name, DENY));
  return { layer: 'deny_assignment', verdict: denies.size ? verdict : 'not_applicable', note: denies.size ? notes.join('; ') : 'no deny assignment on the scope chain', policies };
}

function rbacLayer(req: AzureRequest, rbac: RbacResult, full: boolean): LayerTrace {
  // Grants come from the scope chain only, and never with a false condition.
  let verdict: LayerVerdict = 'no_match';
  for (const g of rbac.grants) verdict = g.result === true ? 'allow' : verdict === 'allow' ? 'allow' : 'unknown';
  const policies: LayerTrace['policies'] = [];
  for (const t of rbac.traces) {
    const entry = assignmentEntry(t.assignment, t.role);
    policies.push(full ? { policy: entry.policy, statements: t.blocks.map((b) => blockTrace(t, b)) } : entry);
  }
  return { layer: 'rbac', verdict, note: `${plural(rbac.traces.length, 'role assignment')} to the principal or its groups on the scope chain ${req.chainText}`, policies };
}

/** What answers show of a remembered policy result (see evaluatePolicy): built once, frozen, shared by those answers. */
const shownLayers = new WeakMap<PolicyResult, LayerTrace>();
const shownEvaluations = new WeakMap<PolicyResult, readonly Record<string, unknown>[]>();

function shown<T extends object>(cache: WeakMap<PolicyResult, T>, p: PolicyResult, build: (p: PolicyResult) => T, freeze: (v: T) => T): T {
  if (!p.shared) return build(p);
  let v = cache.get(p);
  if (!v) cache.set(p, (v = freeze(build(p))));
  return v;
}

function freezeLayer(l: LayerTrace): LayerTrace {
  Object.freeze(l.policies);
  return Object.freeze(l);
}

function freezeEvaluations(list: readonly Record<string, unknown>[]): readonly Record<string, unknown>[] {
  for (const o of list) {
    for (const x of o.evaluatedExpressions as object[]) Object.freeze(x);
    Object.freeze(o.evaluatedExpressions);
    Object.freeze(o);
  }
  return Object.freeze(list);
}

function policyLayer(req: AzureRequest, p: PolicyResult | undefined): LayerTrace {
  if (!p) return { layer: 'azure_policy', verdict: 'not_applicable', note: req.isData ? 'Azure Policy does not evaluate data-plane operations' : `Azure Policy evaluates PUT, PATCH and (denyAction) DELETE requests, not ${req.verb === 'read' ? 'reads' : 'POST operations'}` };
  return shown(shownLayers, p, policyTrace, freezeLayer);
}

function policyTrace(p: PolicyResult): LayerTrace {
  let blocks = false;
  let open = false;
  const notes: string[] = [];
  const policies: LayerTrace['policies'] = [];
  for (const e of p.evaluations) {
    blocks ||= e.blocks === true;
    open ||= e.blocks === 'unknown';
    notes.push(`${e.assignment.name}/${e.referenceId ?? e.definition.name}: ${e.note}`);
    policies.push(traceEntry(e.assignment, e.assignment.name, POLICY));
  }
  for (const s of p.skipped) notes.push(`${s.assignment.name}: ${s.why}`);
  const verdict: LayerVerdict = blocks ? 'deny' : open ? 'unknown' : p.evaluations.length ? 'allow' : 'not_applicable';
  return { layer: 'azure_policy', verdict, note: notes.join('; ') || 'no policy assignment on the scope chain', policies };
}

function lockLayer(req: AzureRequest, locks: LockHit[] | undefined): LayerTrace {
  if (!locks) return { layer: 'lock', verdict: 'not_applicable', note: req.isData ? 'locks apply to the control plane only: data operations are unaffected' : 'locks do not block reads' };
  let blocks = false;
  const notes: string[] = [];
  const policies: LayerTrace['policies'] = [];
  for (const l of locks) {
    blocks ||= l.blocks;
    notes.push(l.why);
    policies.push(traceEntry(l.lock, l.lock.name, LOCK));
  }
  return { layer: 'lock', verdict: blocks ? 'deny' : locks.length ? 'allow' : 'not_applicable', note: notes.join('; ') || 'no lock on the scope chain', policies };
}

/** The layer trace, in Azure's order; each layer is built by its own small function. */
function layers(ev: Evaluation, full: boolean): LayerTrace[] {
  return [denyLayer(ev.rbac), rbacLayer(ev.req, ev.rbac, full), policyLayer(ev.req, ev.policy), lockLayer(ev.req, ev.locks)];
}

function missingContext(openDenies: DenyHit[], openGrants: Grant[], openPolicies: PolicyEval[]): MissingContext[] {
  const byKey = new Map<string, MissingContext>();
  const use = (key: string, layer: string, policy: string, statement: StatementRef) => {
    let m = byKey.get(key.toLowerCase());
    if (!m) byKey.set(key.toLowerCase(), (m = { key, usedBy: [] }));
    m.usedBy.push({ layer, policy, statement });
  };
  for (const h of openDenies) for (const k of h.missing) use(k, 'deny_assignment', h.deny.name, { index: h.block.index });
  for (const g of openGrants) for (const k of g.missing) use(k, 'rbac', g.role.roleName, blockStatement(g.assignment.name, g.role, g.block.index, undefined));
  for (const e of openPolicies) use('time', 'azure_policy', e.assignment.name, { rule: e.definition.name });
  return [...byKey.values()];
}

/** One policy evaluation, as the azure section of an answer lists it. */
function evaluationOut(e: PolicyEval): Record<string, unknown> {
  const evaluated: Record<string, unknown>[] = [];
  for (const x of e.expressions) evaluated.push(expressionOut(x));
  const o: Record<string, unknown> = {
    policyAssignmentId: e.assignment.id,
    policyAssignmentName: e.assignment.name,
    policyDefinitionId: e.definition.armId,
    policyDefinitionName: e.definition.name,
    effect: e.effect,
    result: e.blocks === true ? 'blocks' : e.blocks === 'unknown' ? 'open' : e.matched === undefined ? 'not_evaluated' : !e.matched ? 'compliant' : !e.enforced ? 'not_enforced' : 'exempt',
    note: e.note,
    evaluatedExpressions: evaluated,
  };
  if (e.set) o.policySetDefinitionId = e.set.armId;
  if (e.referenceId !== undefined) o.policyDefinitionReferenceId = e.referenceId;
  if (e.exemption) o.policyExemptionId = e.exemption.exemption.id;
  return o;
}

function evaluationsOut(p: PolicyResult): readonly Record<string, unknown>[] {
  const evaluations: Record<string, unknown>[] = [];
  for (const e of p.evaluations) evaluations.push(evaluationOut(e));
  return evaluations;
}

function detail(ev: Evaluation, errorBody: Record<string, unknown> | undefined): Record<string, unknown> {
  const { req } = ev;
  const out: Record<string, unknown> = {
    action: req.action,
    isDataAction: req.isData,
    verb: req.verb,
    scope: req.scopeAsGiven,
    scopeChain: req.chain,
    principal: { id: req.principal, name: req.display, kind: req.principalNode.kind, groups: [...req.groups] },
  };
  if (req.method) out.method = req.method;
  if (req.blobPath !== undefined) out.blobPath = req.blobPath;
  if (ev.policy) out.policyEvaluations = shown(shownEvaluations, ev.policy, evaluationsOut, freezeEvaluations);
  if (errorBody) out.errorBody = errorBody;
  if (ev.sharedKey) out.sharedKey = ev.sharedKey;
  return out;
}

const NO_ERROR: CloudError = { status: 200, code: null, message: null };

/** What a branch of explain decides: the answer without the parts every answer shares. */
type Verdict = Pick<Decision, 'decision' | 'reason' | 'error' | 'summary' | 'causes' | 'missingContext' | 'nearMisses'> & { azure: Record<string, unknown> };

/** `user → action on container c1 (blob x)`: how summaries name the request. */
function requestText(req: AzureRequest): string {
  return `${req.display} → ${req.action} on ${req.scopeLabel}${req.blobPath !== undefined ? ` (blob ${req.blobPath})` : ''}`;
}

function deniedByDenyAssignment(ev: Evaluation, hits: DenyHit[]): Verdict {
  const { req } = ev;
  const first = hits[0]!;
  const err = denyFailed(req, first.deny);
  return {
    decision: 'denied',
    reason: 'explicit_deny',
    error: err,
    summary: `Denied: deny assignment '${first.deny.name}' at ${first.deny.scopeAsGiven} blocks ${requestText(req)} (it names ${first.via}); deny assignments win over every role assignment${hits.length > 1 ? ` (and ${plural(hits.length - 1, 'more deny assignment')})` : ''}.`,
    causes: hits.map((h) => denyCause(req, h)),
    missingContext: [],
    nearMisses: [],
    azure: detail(ev, { error: { code: err.code, message: err.message } }),
  };
}

function noGrant(ev: Evaluation): Verdict {
  const { req, rbac } = ev;
  // PIM eligibilities first: activating one is the likeliest fix.
  const eligible = eligibleNearMisses(req);
  const near = eligible.length ? [...eligible, ...nearMisses(req, rbac.misses)].slice(0, MAX_NEAR_MISSES) : nearMisses(req, rbac.misses);
  const err = authorizationFailed(req);
  return {
    decision: 'denied',
    reason: 'no_grant',
    error: err,
    summary: `Denied: no role assignment on the scope chain (resource, resource group, subscription, management groups, root) grants ${requestText(req)}${near.length ? `. Closest: ${near[0]!.why}` : ''}.`,
    causes: [{ kind: 'missing_grant', layer: 'rbac', why: `none of the ${plural(rbac.traces.length, 'role assignment')} to ${req.display} or its ${plural(req.groups.length, 'group')} on the scope chain grants ${req.action}${req.isData ? ' as a data action' : ''}` }],
    missingContext: [],
    nearMisses: near,
    azure: detail(ev, { error: { code: err.code, message: err.message } }),
  };
}

function deniedByGuardrail(ev: Evaluation, policies: PolicyEval[], locks: LockHit[]): Verdict {
  const { req } = ev;
  const message = policies.length ? policyMessage(req, policies) : undefined;
  const body = message !== undefined ? policyErrorBody(req, policies, message) : undefined;
  const err: CloudError = message !== undefined ? { status: 403, code: 'RequestDisallowedByPolicy', message } : lockError(req, locks);
  const firstPolicy = policies[0];
  const firstLock = locks[0];
  const summary = firstPolicy
    ? `Denied: Azure Policy assignment '${firstPolicy.assignment.name}' (definition '${firstPolicy.definition.name}') at ${firstPolicy.assignment.scopeAsGiven} ${firstPolicy.effect === 'denyaction' ? 'denies the DELETE (denyAction)' : `denies the ${req.method ?? 'write'}`} with RequestDisallowedByPolicy${firstLock ? `; ${firstLock.lock.level} lock '${firstLock.lock.name}' would block it too` : ''}.`
    : `Denied: ${firstLock!.lock.level} lock '${firstLock!.lock.name}' on ${firstLock!.lock.scopeAsGiven} ${firstLock!.lock.level === 'ReadOnly' ? 'makes the scope read-only' : 'keeps the scope from being deleted'}: ${req.method ?? req.verb} fails with ScopeLocked (409), whatever the caller's roles.`;
  const causes: Cause[] = [];
  for (const e of policies) causes.push(policyCause(req, e));
  for (const l of locks) causes.push(lockCause(req, l));
  return {
    decision: 'denied',
    reason: 'guardrail',
    error: err,
    summary,
    causes,
    missingContext: [],
    nearMisses: [],
    azure: detail(ev, body ?? { error: { code: err.code, message: err.message } }),
  };
}

function conditional(ev: Evaluation, openDenies: DenyHit[], grants: Grant[], openGrants: Grant[], openPolicies: PolicyEval[]): Verdict {
  const { req, rbac } = ev;
  const keys = missingContext(openDenies, grants.length ? [] : openGrants, openPolicies);
  const err = openDenies.length ? denyFailed(req, openDenies[0]!.deny) : !grants.length ? authorizationFailed(req) : { status: 403, code: 'RequestDisallowedByPolicy', message: policyMessage(req, openPolicies) };
  const causes: Cause[] = [];
  for (const h of openDenies) causes.push(denyCause(req, h));
  if (!grants.length) for (const g of openGrants) causes.push(grantCause(req, g));
  for (const e of openPolicies) causes.push(policyCause(req, e));
  return {
    decision: 'conditional',
    reason: openDenies.length ? 'explicit_deny' : !grants.length ? 'no_grant' : 'guardrail',
    error: err,
    summary: `Conditional: ${requestText(req)} depends on ${keys.map((k) => k.key).join(', ')}, which the request did not give (${grants.length ? 'granted' : plural(openGrants.length, 'conditional grant')}; ${plural(openDenies.length, 'conditional deny assignment')}${openPolicies.length ? `; ${plural(openPolicies.length, 'policy exemption')} with an expiry` : ''}).`,
    causes,
    missingContext: keys,
    nearMisses: grants.length ? [] : nearMisses(req, rbac.misses),
    azure: detail(ev, undefined),
  };
}

function allowed(ev: Evaluation, grants: Grant[]): Verdict {
  const { req } = ev;
  const lead = grants[0]!;
  const guards = [ev.policy ? 'policy' : '', ev.locks ? 'lock' : ''].filter(Boolean);
  return {
    decision: 'allowed',
    reason: 'allowed',
    error: NO_ERROR,
    summary: `Allowed: ${lead.role.roleName} assigned to ${who(req, lead.via)} at ${lead.assignment.scopeAsGiven} grants ${requestText(req)} (${req.isData ? 'DataActions' : 'Actions'} ${lead.pattern}), and no deny assignment${guards.length ? `, ${guards.join(' or ')}` : ''} blocks it.`,
    causes: grants.map((g) => grantCause(req, g)),
    missingContext: [],
    nearMisses: [],
    azure: detail(ev, undefined),
  };
}

/** The decision, in Azure's order: a deny assignment, then no grant, then Azure Policy and locks, then what is open. */
function decide(ev: Evaluation): Verdict {
  const { rbac } = ev;
  const definiteDenies = rbac.denies.filter((h) => h.result === true);
  if (definiteDenies.length) return deniedByDenyAssignment(ev, definiteDenies);
  const grants = rbac.grants.filter((g) => g.result === true);
  const openGrants = rbac.grants.filter((g) => g.result === 'unknown');
  if (!grants.length && !openGrants.length) return noGrant(ev);
  const blockingPolicies = ev.policy?.evaluations.filter((e) => e.blocks === true) ?? [];
  const blockingLocks = ev.locks?.filter((l) => l.blocks) ?? [];
  if (blockingPolicies.length || blockingLocks.length) return deniedByGuardrail(ev, blockingPolicies, blockingLocks);
  const openDenies = rbac.denies.filter((h) => h.result === 'unknown');
  const openPolicies = ev.policy?.evaluations.filter((e) => e.blocks === 'unknown') ?? [];
  if (openDenies.length || !grants.length || openPolicies.length) return conditional(ev, openDenies, grants, openGrants, openPolicies);
  return allowed(ev, grants);
}

export function explain(ev: Evaluation, full: boolean): Decision {
  const trace = layers(ev, full);
  const warnings = [...ev.req.warnings];
  warnings.push(...classicWarnings(ev.rbac.grants));
  if (ev.sharedKey) warnings.push({ code: 'shared_key_bypass', message: ev.sharedKey });
  const v = decide(ev);
  return {
    provider: 'azure',
    decision: v.decision,
    reason: v.reason,
    error: v.error,
    summary: v.summary,
    causes: v.causes,
    layers: trace,
    missingContext: v.missingContext,
    nearMisses: v.nearMisses,
    warnings,
    azure: v.azure,
  };
}
