/**
 * Azure Policy on a control-plane write or delete: every policy assignment on the scope chain (management
 * groups included) whose notScopes do not cover the resource, expanded through initiatives with their
 * parameters, filtered by mode, with its effect resolved (overrides first). A `deny` effect blocks PUT and
 * PATCH when the rule's `if` holds for the request body; `denyAction` with actionNames `delete` blocks
 * DELETE. An unexpired exemption or enforcementMode DoNotEnforce keeps it from blocking.
 * https://learn.microsoft.com/azure/governance/policy/concepts/effect-deny
 * https://learn.microsoft.com/azure/governance/policy/concepts/effect-deny-action
 * https://learn.microsoft.com/azure/governance/policy/concepts/assignment-structure
 * https://learn.microsoft.com/azure/governance/policy/concepts/exemption-structure
 * https://learn.microsoft.com/azure/governance/policy/concepts/definition-structure-basics#mode
 */
import type { Tri } from '../../src/core/decision.js';
import type { ScopeNode } from '../../src/core/graph.js';
import { BoundedMap } from '../../src/core/bounded.js';
import type { AzureEstate, ChainLink, EstateView } from './estate.js';
import { isAtOrUnder, isTopLevelResource, lastSegment, levelOf, resourceGroupOf, resourceTypeOf, subscriptionOf } from './ids.js';
import { isObj } from './load.js';
import type { Exemption, PolicyAssignment, PolicyDefinition, PolicySet } from './policy-model.js';
import { evaluatePolicyIf, resolveEffect, type PolicyEvalContext, type PolicyTraceItem } from './policy-rule.js';
import { selectorMiss } from './policy-selectors.js';
import type { AzureRequest } from './request.js';

type Obj = Record<string, unknown>;

export type PolicyExpression = PolicyTraceItem;

export interface PolicyEval {
  assignment: PolicyAssignment;
  definition: PolicyDefinition;
  set?: PolicySet;
  referenceId?: string;
  effect: string;
  parameters: Obj;
  /** Did the rule's `if` hold? undefined when it was not evaluated (see note). */
  matched?: boolean;
  expressions: PolicyExpression[];
  /** Would this block the request, ignoring exemptions and enforcement mode? */
  wouldBlock: boolean;
  exemption?: { exemption: Exemption; valid: Tri };
  enforced: boolean;
  /** Deleting a resource group: the resource in it that the rule matched. */
  cascadeResource?: string;
  /** Does it block? unknown when an exemption's expiry depends on the request time. */
  blocks: Tri;
  note: string;
}

export interface PolicyResult {
  evaluations: PolicyEval[];
  /** Assignments left out, with why (notScopes, definition not in the snapshot). */
  skipped: { assignment: PolicyAssignment; why: string }[];
  /** Did a rule read the current time (utcNow() with no request time)? Such a result holds only now. */
  readClock: boolean;
  /** Remembered and asked for again: what answers show of it can be built once. */
  shared: boolean;
}

const PARAM_REF = /^\[\s*parameters\(\s*'([^']+)'\s*\)\s*\]$/i;

function lookup(values: Obj, name: string): unknown {
  if (name in values) return values[name];
  const k = Object.keys(values).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : values[k];
}

/** Declared parameters resolved: the given value, else the declared default. */
function resolveParameters(declared: Obj, given: Obj): Obj {
  const out: Obj = {};
  for (const [name, decl] of Object.entries(declared)) {
    const v = lookup(given, name);
    if (v !== undefined) out[name] = v;
    else if (isObj(decl) && 'defaultValue' in decl) out[name] = decl.defaultValue;
  }
  for (const [name, v] of Object.entries(given)) if (lookup(out, name) === undefined) out[name] = v;
  return out;
}

/** An initiative member's parameter values: `[parameters('x')]` reads the initiative's own parameter x. */
function memberValues(member: PolicySet['members'][number], setValues: Obj): Obj {
  const out: Obj = {};
  for (const [name, raw] of Object.entries(member.parameters)) {
    const v = isObj(raw) && 'value' in raw ? raw.value : raw;
    const ref = typeof v === 'string' ? PARAM_REF.exec(v) : null;
    out[name] = ref ? lookup(setValues, ref[1]!) : v;
  }
  return out;
}

/**
 * Indexed mode evaluates only resource types that support tags and location: not resource groups or
 * subscriptions, and not child types such as Microsoft.Network/routeTables/routes (the docs' example).
 * Model assumption: child types (more than one type segment) and extension resources support neither.
 */
function indexedSkips(target: string): string | undefined {
  const level = levelOf(target);
  if (level !== 'resource') return `mode Indexed does not evaluate ${level.replace('_', ' ')}s`;
  if (isTopLevelResource(target)) return undefined;
  const type = resourceTypeOf(target) ?? '';
  const first = target.indexOf('/providers/');
  const extension = first !== -1 && target.indexOf('/providers/', first + 11) !== -1;
  if (type.split('/').length > 2 || extension) return `mode Indexed does not evaluate ${type}: ${extension ? 'extension' : 'child'} resource types support neither tags nor location (model assumption)`;
  return undefined;
}

/** What a policy is evaluated on: the request's resource, or (deleting a resource group) a resource in it. */
interface Target {
  key: string;
  links: readonly ChainLink[];
  /** What the rules read, worked out when the first rule is evaluated (most deletes evaluate none). */
  input: () => Input;
  /** Why mode Indexed skips it, computed once. */
  indexed: () => string | undefined;
  /** Set when the target is a resource inside the resource group being deleted. */
  cascadeFrom?: string;
}

interface ExemptionSearch {
  found?: { exemption: Exemption; valid: Tri };
  /** An exemption of the assignment whose resourceSelectors leave this resource out, and why. */
  unselected?: { exemption: Exemption; why: string };
}

function exemptionFor(req: AzureRequest, t: Target, pa: PolicyAssignment, referenceId: string | undefined): ExemptionSearch {
  const out: ExemptionSearch = {};
  for (const at of t.links) {
    for (const e of req.view.exemptionsAt(at)) {
      if (e.assignmentId !== pa.idKey) continue;
      if (e.referenceIds.length && !(referenceId && e.referenceIds.includes(referenceId.toLowerCase()))) continue;
      const why = e.resourceSelectors && selectorMiss(e.resourceSelectors, t.key, t.input().resource);
      if (why) {
        out.unselected ??= { exemption: e, why };
        continue;
      }
      // Not honoured after expiresOn; without the request time, whether it still holds is open.
      const valid: Tri = e.expiresOn === undefined ? true : req.time === undefined ? 'unknown' : Date.parse(req.time) < Date.parse(e.expiresOn);
      if (!out.found || valid === true || (valid === 'unknown' && out.found.valid === false)) out.found = { exemption: e, valid };
    }
  }
  return out;
}

function overrideEffect(pa: PolicyAssignment, referenceId: string | undefined): string | undefined {
  let effect: string | undefined;
  for (const o of pa.overrides) {
    const ref = (referenceId ?? '').toLowerCase();
    if (o.in && !o.in.some((r) => r.toLowerCase() === ref)) continue;
    if (o.notIn && o.notIn.some((r) => r.toLowerCase() === ref)) continue;
    effect = o.value.toLowerCase();
  }
  return effect;
}

/** A resource document as policy rules read it: id, name and type from the id, the rest from the fields. */
function contentOf(idAsGiven: string, fields: Obj): PolicyEvalContext['resource'] {
  const out: PolicyEvalContext['resource'] = {
    id: idAsGiven,
    name: lastSegment(idAsGiven),
    type: resourceTypeOf(idAsGiven) ?? '',
    tags: isObj(fields.tags) ? (fields.tags as Record<string, string>) : {},
    properties: isObj(fields.properties) ? fields.properties : {},
  };
  if (typeof fields.location === 'string') out.location = fields.location;
  if (typeof fields.kind === 'string') out.kind = fields.kind;
  for (const k of ['identity', 'sku', 'plan', 'zones'] as const) if (fields[k] !== undefined) out[k] = fields[k];
  return out;
}

function exportedFields(node: ScopeNode | undefined): Obj {
  const a = node?.attrs ?? {};
  return { location: a.location, kind: a.kind, tags: a.tags, properties: a.properties, identity: a.identity, sku: a.sku };
}

/** The resource as the request would make it: the body of a PUT (PATCH: over the exported resource), the exported resource for a DELETE. */
function resourceContent(req: AzureRequest): PolicyEvalContext['resource'] {
  const fromExport = exportedFields(req.resourceNode);
  const body = req.requestBody;
  if (!body) return contentOf(req.resourceAsGiven, fromExport);
  if (req.method !== 'PATCH') return contentOf(req.resourceAsGiven, req.method === 'PUT' ? body : { ...fromExport, ...body });
  const properties = { ...(isObj(fromExport.properties) ? fromExport.properties : {}), ...(isObj(body.properties) ? body.properties : {}) };
  return contentOf(req.resourceAsGiven, { ...fromExport, ...body, properties });
}

/** The exported node of a scope, from the request's chain when it is there. */
function nodeOf(req: AzureRequest, id: string): ScopeNode | undefined {
  for (const l of req.links) if (l.id === id) return l.node;
  return req.estate.scope(id);
}

function containerFacts(req: AzureRequest): Facts {
  const out: Facts = {};
  const rgId = resourceGroupOf(req.target);
  if (rgId) {
    const rg = nodeOf(req, rgId);
    out.resourceGroup = { id: rgId, name: rg?.name || lastSegment(rgId), tags: rg?.tags ?? {} };
    if (typeof rg?.attrs?.location === 'string') out.resourceGroup.location = rg.attrs.location;
  }
  const sub = subscriptionOf(req.target);
  if (sub) out.subscription = { subscriptionId: sub, displayName: nodeOf(req, `/subscriptions/${sub}`)?.name || sub };
  return out;
}

type Facts = Pick<PolicyEvalContext, 'resourceGroup' | 'subscription'>;

function target(key: string, links: readonly ChainLink[], resource: () => PolicyEvalContext['resource'], facts: () => Facts, apiVersion: string | undefined): Target {
  let input: Input | undefined;
  const inputOf = () => {
    const f = facts();
    return { resource: resource(), resourceGroup: f.resourceGroup, subscription: f.subscription, requestContext: apiVersion !== undefined ? { apiVersion } : {} };
  };
  let skip: string | undefined | null = null;
  return { key, links, input: () => (input ??= inputOf()), indexed: () => (skip === null ? (skip = indexedSkips(key)) : skip), cascadeFrom: undefined };
}

/** One policy an assignment applies: a definition, or a member of an initiative, with its parameters resolved. */
interface Member {
  definition: PolicyDefinition;
  set?: PolicySet;
  referenceId?: string;
  parameters: Obj;
  /** The effect (an override first), resolved on first use. */
  effect?: string;
  /** What policy() returns in the rule. */
  policy: Record<string, string>;
}

/** An assignment with its definition expanded: what it applies, and why parts of it are left out. */
interface Expansion {
  members: Member[];
  skipped: string[];
}

/** Expansions by view and assignment: they only depend on the objects, so each is worked out once. */
const expansions = new WeakMap<EstateView, Map<PolicyAssignment, Expansion>>();

function member(pa: PolicyAssignment, definition: PolicyDefinition, set: PolicySet | undefined, referenceId: string | undefined, values: Obj): Member {
  const policy: Record<string, string> = { assignmentId: pa.id, definitionId: definition.id };
  if (set) policy.setDefinitionId = set.id;
  if (referenceId !== undefined) policy.definitionReferenceId = referenceId;
  return { definition, set, referenceId, parameters: resolveParameters(definition.parameters, values), effect: undefined, policy };
}

function expand(view: EstateView, pa: PolicyAssignment): Expansion {
  const def = view.policyDefinition(pa.definitionId);
  if (!def) return { members: [], skipped: [`its definition ${pa.definitionId} is not in the snapshot`] };
  if (def.kind === 'definition') return { members: [member(pa, def, undefined, undefined, pa.parameters)], skipped: [] };
  const out: Expansion = { members: [], skipped: [] };
  const setValues = resolveParameters(def.parameters, pa.parameters);
  for (const m of def.members) {
    const d = view.policyDefinition(m.definitionId);
    if (d?.kind !== 'definition') out.skipped.push(`member ${m.referenceId} of ${def.name}: definition ${m.definitionId} is not in the snapshot`);
    else out.members.push(member(pa, d, def, m.referenceId, memberValues(m, setValues)));
  }
  return out;
}

function expansionsOf(view: EstateView): Map<PolicyAssignment, Expansion> {
  let m = expansions.get(view);
  if (!m) expansions.set(view, (m = new Map()));
  return m;
}

/** The policies on a target's chain, initiatives expanded, each evaluated. */
function evaluateTarget(req: AzureRequest, t: Target, out: PolicyResult): void {
  const expanded = expansionsOf(req.view);
  for (const at of t.links) {
    for (const pa of req.view.policyAssignmentsAt(at)) {
      const excluded = pa.notScopes.length ? pa.notScopes.find((n) => isAtOrUnder(t.key, n)) : undefined;
      if (excluded) {
        if (!t.cascadeFrom) out.skipped.push({ assignment: pa, why: `notScopes excludes ${excluded}` });
        continue;
      }
      const unselected = pa.resourceSelectors && selectorMiss(pa.resourceSelectors, t.key, t.input().resource);
      if (unselected) {
        if (!t.cascadeFrom) out.skipped.push({ assignment: pa, why: unselected });
        continue;
      }
      let x = expanded.get(pa);
      if (!x) expanded.set(pa, (x = expand(req.view, pa)));
      if (!t.cascadeFrom) for (const why of x.skipped) out.skipped.push({ assignment: pa, why });
      for (const m of x.members) {
        // Deleting a resource group: only Indexed denyAction rules with cascadeBehaviors.resourceGroup deny count.
        if (t.cascadeFrom && (m.definition.mode !== 'indexed' || !m.definition.cascadeResourceGroup)) continue;
        const ev = evaluateOne(req, t, pa, m, out);
        if (!t.cascadeFrom || ev.blocks !== false) out.evaluations.push(ev);
      }
    }
  }
}

/** Exported resources directly in a resource group that support tags and location (top-level types). */
function taggableResourcesIn(req: AzureRequest, rg: string): ScopeNode[] {
  return req.estate.resourcesIn(rg).filter((r) => indexedSkips(r.id) === undefined);
}

/**
 * Results for requests that bring no body, time, API version or overlay: those depend on the resource (as
 * named), the verb and the method alone, not on the caller, so each is worked out once. Bounded: requests
 * bring the names.
 */
const remembered = new WeakMap<AzureEstate, BoundedMap<string, PolicyResult>>();

export function evaluatePolicy(req: AzureRequest): PolicyResult {
  if (req.view !== req.estate || req.requestBody || req.time !== undefined || req.apiVersion !== undefined) return evaluateAll(req);
  let cache = remembered.get(req.estate);
  if (!cache) remembered.set(req.estate, (cache = new BoundedMap(2000)));
  const key = `${req.verb} ${req.method ?? ''} ${req.resourceAsGiven}`;
  const known = cache.get(key);
  if (known) {
    known.shared = true;
    return known;
  }
  const out = evaluateAll(req);
  // Kept when a rule was evaluated (what is worth keeping), and not when it read the clock.
  return out.readClock || !out.evaluations.some((e) => e.matched !== undefined) ? out : cache.remember(key, out);
}

function evaluateAll(req: AzureRequest): PolicyResult {
  const out: PolicyResult = { evaluations: [], skipped: [], readClock: false, shared: false };
  let known: Facts | undefined;
  const facts = () => (known ??= containerFacts(req));
  if (req.verb === 'delete' && levelOf(req.target) === 'resource_group') {
    // "Policy evaluates resources that support location and tags against denyAction policies during a resource
    // group deletion" (effect-deny-action#resource-group-deletion); the group itself is not evaluated.
    for (const r of taggableResourcesIn(req, req.target)) {
      const t = target(r.id, req.estate.links(r.id).links, () => contentOf(String(r.attrs?.armId ?? r.id), exportedFields(r)), facts, req.apiVersion);
      t.cascadeFrom = req.scopeAsGiven;
      evaluateTarget(req, t, out);
    }
    const seen = new Set<string>();
    out.evaluations = out.evaluations.filter((e) => {
      const key = `${e.assignment.idKey} ${e.definition.id} ${e.referenceId ?? ''}`;
      return !seen.has(key) && !!seen.add(key);
    });
    return out;
  }
  evaluateTarget(req, target(req.target, req.links, () => resourceContent(req), facts, req.apiVersion), out);
  return out;
}

type Input = Pick<PolicyEvalContext, 'resource' | 'resourceGroup' | 'subscription' | 'requestContext'>;

function evaluateOne(req: AzureRequest, t: Target, pa: PolicyAssignment, m: Member, result: PolicyResult): PolicyEval {
  const { definition: def, set, referenceId, parameters } = m;
  const effect = (m.effect ??= overrideEffect(pa, referenceId) ?? resolveEffect(def.rule, parameters));
  // Every field present (undefined when it does not apply): one object shape.
  const ev: PolicyEval = { assignment: pa, definition: def, set, referenceId, effect, parameters, matched: undefined, expressions: [], wouldBlock: false, exemption: undefined, enforced: pa.enforcementMode.toLowerCase() !== 'donotenforce', cascadeResource: undefined, blocks: false, note: '' };
  const blocking = req.verb === 'write' ? effect === 'deny' : effect === 'denyaction' && def.actionNames.includes('delete');
  if (!blocking) {
    ev.note = effect === 'disabled' ? 'effect disabled: not evaluated' : `effect ${effect} does not block a ${req.method ?? req.verb} request`;
    return ev;
  }
  const skip = def.mode === 'indexed' ? t.indexed() : undefined;
  if (skip) {
    ev.note = skip;
    return ev;
  }
  // Plain literals, not spreads: this runs for every policy on the chain.
  const input = t.input();
  const ctx: PolicyEvalContext = { resource: input.resource, resourceGroup: input.resourceGroup, subscription: input.subscription, requestContext: input.requestContext, parameters, policy: m.policy };
  if (req.time !== undefined) ctx.now = new Date(req.time);
  const out = evaluatePolicyIf(def.rule, ctx);
  if (out.readClock) result.readClock = true;
  ev.matched = out.result === true;
  ev.expressions = out.trace;
  // An evaluation error is an implicit deny (definition-structure-policy-rule).
  if (out.error) ev.note = `evaluation error at ${out.error.pointer}: ${out.error.message} (implicit deny)`;
  ev.wouldBlock = ev.matched;
  if (!ev.matched) {
    ev.note = "the rule's if does not hold for this request";
    return ev;
  }
  const search = exemptionFor(req, t, pa, referenceId);
  const ex = search.found;
  if (ex) ev.exemption = ex;
  if (!ev.enforced) {
    ev.note = 'enforcementMode DoNotEnforce: the rule matches, but the effect is not enforced';
    return ev;
  }
  if (ex?.valid === true) {
    ev.note = `exempted by ${ex.exemption.name} (${ex.exemption.category})`;
    return ev;
  }
  ev.blocks = ex?.valid === 'unknown' ? 'unknown' : true;
  if (t.cascadeFrom) ev.cascadeResource = t.input().resource.id;
  const notCovered = search.unselected ? `; exemption ${search.unselected.exemption.name} does not cover it: its ${search.unselected.why}` : '';
  ev.note = (ex?.valid === 'unknown' ? `exemption ${ex.exemption.name} expires ${ex.exemption.expiresOn}: whether it still holds depends on the request time` : ex ? `exemption ${ex.exemption.name} expired on ${ex.exemption.expiresOn}` : `${effect} effect`) + notCovered;
  return ev;
}
