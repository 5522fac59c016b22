/**
 * Does one statement apply to the request? Action, resource, principal and every condition, in
 * three-valued logic, with an optional trace of each part for explanations.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
 */
import type { StatementTrace, Tri } from '../../src/core/decision.js';
import { globMatch, type GlobPart } from '../../src/core/glob.js';
import { arnPatternMatches, compileArnPattern, type ArnParts, type ArnPattern } from './arn-pattern.js';
import { evaluateCondition, traceCondition } from './conditions.js';
import type { ContextView } from './context.js';
import type { ActionEntry, CompiledPolicy, CompiledStatement, PolicyKind, ResourceEntry } from './policy.js';
import { notPrincipalMatches, principalMatches, type Caller, type PrincipalHow } from './principal.js';
import { resolveGlobParts } from './variables.js';

export interface RequestEnv {
  caller: Caller;
  /** Lower-case service prefix and action name. */
  service: string;
  actionName: string;
  /** `${service}:${actionName}`: the key of the action index. */
  actionKey: string;
  resource: string;
  /** The resource split into its ARN parts once per request. */
  resourceParts: ArnParts;
  ctx: ContextView;
  hasBoundary: boolean;
}

export interface Outcome {
  applies: Tri;
  action: boolean;
  resource: Tri;
  principal: Tri;
  how: PrincipalHow | null;
  conditions: Tri;
  /** Keys whose absence from the request left a part unknown. */
  unknownKeys: string[];
}

function and(a: Tri, b: Tri): Tri {
  if (a === false || b === false) return false;
  return a === 'unknown' || b === 'unknown' ? 'unknown' : true;
}

/** The Action/NotAction entry that names the request's action, or undefined. */
function actionEntry(st: CompiledStatement, env: RequestEnv): ActionEntry | undefined {
  if (st.services !== null && !st.services.has(env.service)) return undefined;
  for (const a of st.actions) if (a.service === '*' || (a.service === env.service && globMatch(a.name, env.actionName))) return a;
  return undefined;
}

/** Does the statement's Action (or NotAction) part hold for the request's action? */
function actionHolds(st: CompiledStatement, env: RequestEnv): boolean {
  return st.notAction ? actionEntry(st, env) === undefined : actionEntry(st, env) !== undefined;
}

const NO_STATEMENTS: readonly CompiledStatement[] = Object.freeze([]);
/** Distinct actions indexed per policy; past it (unknown action names, say) the statements are filtered each time. */
const MAX_INDEXED_ACTIONS = 256;

/** The statements of a policy whose action part holds for the request's action, from the policy's action index. */
export function statementsForAction(p: CompiledPolicy, env: RequestEnv): readonly CompiledStatement[] {
  let list = p.byAction.get(env.actionKey);
  if (list) return list;
  list = p.statements.filter((st) => actionHolds(st, env));
  if (!list.length) list = NO_STATEMENTS;
  if (p.byAction.size < MAX_INDEXED_ACTIONS) p.byAction.set(env.actionKey, list);
  return list;
}

function entryMatches(e: ResourceEntry, env: RequestEnv, keys: string[]): Tri {
  if (e.pattern) return arnPatternMatches(e.pattern, env.resource, env.resourceParts);
  const r = resolveGlobParts(e.template, env.ctx);
  keys.push(...r.keys);
  // A variable whose key is missing (and has no default) makes the entry match nothing.
  if (!r.ok) return r.unknown ? 'unknown' : false;
  return arnPatternMatches(resolvedPattern(e, r.value), env.resource, env.resourceParts);
}

const MAX_RESOLVED = 64;

/** The entry's pattern for these variable values, compiled once per distinct value. */
function resolvedPattern(e: ResourceEntry, parts: GlobPart[]): ArnPattern {
  const key = JSON.stringify(parts);
  let p = e.resolved?.get(key);
  if (!p) {
    p = compileArnPattern(parts);
    e.resolved ??= new Map();
    if (e.resolved.size < MAX_RESOLVED) e.resolved.set(key, p);
  }
  return p;
}

function resourceMatches(st: CompiledStatement, env: RequestEnv, keys: string[]): Tri {
  if (!st.resources) return true;
  let any: Tri = false;
  for (const e of st.resources) {
    const m = entryMatches(e, env, keys);
    if (m === true) {
      any = true;
      break;
    }
    if (m === 'unknown') any = 'unknown';
  }
  if (!st.notResource) return any;
  return any === 'unknown' ? 'unknown' : !any;
}

type PrincipalPart = { readonly m: boolean; readonly how: PrincipalHow | null };
const NOT_NAMED: PrincipalPart = { m: false, how: null };
const NO_PRINCIPAL_ELEMENT: PrincipalPart = { m: true, how: null };

/** Principal part: only resource-side policies (resource, VPC endpoint, RCP) have one. */
function principalPart(st: CompiledStatement, env: RequestEnv, kind: PolicyKind): PrincipalPart {
  if (kind !== 'resource' && kind !== 'vpc_endpoint' && kind !== 'rcp') return NO_PRINCIPAL_ELEMENT;
  if (!st.principals) return NOT_NAMED;
  if (!st.notPrincipal) {
    const how = principalMatches(st.principals, env.caller);
    return { m: how !== null, how };
  }
  // NotPrincipal with Deny always applies to a caller that has a permissions boundary (documented).
  if (st.effect === 'Deny' && env.hasBoundary) return { m: true, how: 'direct' };
  const m = notPrincipalMatches(st.principals, env.caller);
  return { m, how: m ? 'wildcard' : null };
}

const NONE: string[] = [];
const NO_ACTION: Outcome = Object.freeze({ applies: false, action: false, resource: false, principal: false, how: null, conditions: false, unknownKeys: NONE }) as Outcome;
const NO_RESOURCE: Outcome = Object.freeze({ applies: false, action: true, resource: false, principal: false, how: null, conditions: false, unknownKeys: NONE }) as Outcome;
const ALWAYS: Outcome = Object.freeze({ applies: true, action: true, resource: true, principal: true, how: null, conditions: true, unknownKeys: NONE }) as Outcome;
const ALWAYS_EVERYONE: Outcome = Object.freeze({ ...ALWAYS, how: 'wildcard' }) as Outcome;

/**
 * Evaluates a statement. With a trace, every part is evaluated and recorded; without, evaluation stops at
 * the first part that fails. `actionKnown`: the statement came from the action index, so its action part holds.
 */
export function matchStatement(st: CompiledStatement, env: RequestEnv, kind: PolicyKind, trace?: StatementTrace, actionKnown = false): Outcome {
  if (actionKnown && st.unconditional && !trace) return st.principals ? ALWAYS_EVERYONE : ALWAYS;
  const entry = actionKnown && !trace ? undefined : actionEntry(st, env);
  const action = actionKnown || (st.notAction ? entry === undefined : entry !== undefined);
  if (!action && !trace) return NO_ACTION;
  const keys: string[] = [];
  const resource = resourceMatches(st, env, keys);
  if (resource === false && action && !trace) return NO_RESOURCE;
  const p = resource === false && !trace ? NOT_NAMED : principalPart(st, env, kind);
  let conditions: Tri = true;
  if (trace || (action && resource !== false && p.m)) {
    for (const c of st.conditions) {
      const r = evaluateCondition(c, env.ctx);
      if (r.result === 'unknown') keys.push(c.key);
      if (trace) trace.conditions.push(traceCondition(c, env.ctx, r));
      conditions = and(conditions, r.result);
      if (conditions === false && !trace) break;
    }
  }
  const applies = and(and(action, resource), and(p.m, conditions));
  if (trace) {
    trace.applies = applies;
    trace.action = { matched: action, detail: describeAction(st, entry, action) };
    trace.resource = { matched: resource, detail: describeResources(st, resource) };
    if (kind === 'resource' || kind === 'vpc_endpoint' || kind === 'rcp') {
      trace.principal = { matched: p.m, detail: p.m ? `principal matches (${p.how})` : st.principals ? 'the principal is not named' : 'no Principal element' };
      if (p.how) trace.principal.how = p.how;
    }
  }
  return { applies, action, resource, principal: p.m, how: p.how, conditions, unknownKeys: keys };
}

function describeAction(st: CompiledStatement, entry: ActionEntry | undefined, m: boolean): string {
  if (st.notAction) return m ? `NotAction ${st.actionList} does not list the action` : `NotAction lists the action (${entry?.raw})`;
  return m ? `matches ${entry?.raw}` : `${st.actionList} does not match the action`;
}

function describeResources(st: CompiledStatement, m: Tri): string {
  if (!st.resources) return 'no Resource element: the policy\'s own resource';
  const list = st.resourceList;
  if (m === 'unknown') return `${list}: depends on a policy variable the request did not give`;
  if (st.notResource) return m ? `NotResource ${list} does not list the resource` : `NotResource ${list} lists the resource`;
  return m ? `matches ${list}` : `${list} does not match the resource`;
}
