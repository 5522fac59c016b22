/**
 * Runs the statements of one layer (identity, resource, boundary, session, an SCP/RCP level, an endpoint)
 * against the request and sorts what applies into allows and denies, in three-valued logic.
 */
import type { PolicyRef, StatementTrace, Tri } from '../../src/core/decision.js';
import { matchStatement, statementsForAction, type Outcome, type RequestEnv } from './match.js';
import type { CompiledStatement } from './policy.js';
import type { PolicyUse } from './request.js';

export type LayerName = 'identity' | 'resource' | 'permissions_boundary' | 'session' | 'scp' | 'rcp' | 'vpc_endpoint' | 's3_block_public_access' | 'service_rule';

export interface Hit {
  layer: LayerName;
  use: PolicyUse;
  st: CompiledStatement;
  out: Outcome;
  level?: string;
}

export interface Run {
  allows: Hit[];
  denies: Hit[];
  /** Allow statements whose action matched but that did not apply: the near misses. */
  misses: Hit[];
  uses: readonly PolicyUse[];
  /** With explain full: each policy's statement traces, in the order of uses. */
  traces?: StatementTrace[][];
  /** Does some Allow apply? */
  allowed: Tri;
}

/**
 * What a snapshot keeps and many requests use unchanged: a principal's or a level's list of policies, an
 * account's levels, a level's run for an action. What depends only on such an object may be remembered.
 */
const kept = new WeakSet<object>();

/** Marks an object as kept. It must never change afterwards. */
export function keep<T extends object>(o: T): T {
  kept.add(o);
  return o;
}

export function isKept(o: object): boolean {
  return kept.has(o);
}

/** Kleene OR of the hits' applies values. */
export function anyApplies(hits: readonly Hit[]): Tri {
  let out: Tri = false;
  for (const h of hits) {
    if (h.out.applies === true) return true;
    if (h.out.applies === 'unknown') out = 'unknown';
  }
  return out;
}

export function sourceOf(use: PolicyUse, st: CompiledStatement) {
  const pos = use.locate ? use.locate(st.pointer) : use.compiled.locate?.(st.pointer);
  const src: NonNullable<PolicyRef['source']> = { file: use.file ?? 'request', pointer: use.docPointer + st.pointer };
  if (pos) {
    src.line = pos.line;
    src.column = pos.column;
  }
  return src;
}

export function newTrace(use: PolicyUse, st: CompiledStatement): StatementTrace {
  const t: StatementTrace = {
    index: st.index,
    effect: st.effect,
    applies: false,
    action: { matched: false },
    resource: { matched: false },
    conditions: [],
    source: sourceOf(use, st),
  };
  if (st.sid !== undefined) t.sid = st.sid;
  return t;
}

/** The shared empty list of hits (frozen: a run's lists are never changed once made). */
export const NO_HITS: Hit[] = Object.freeze([]) as unknown as Hit[];

function add(list: Hit[], hit: Hit): Hit[] {
  if (list === NO_HITS) return [hit];
  list.push(hit);
  return list;
}

/** The statements of a list of policies whose action part holds, each with its policy (parallel lists). */
interface Candidates {
  uses: PolicyUse[];
  statements: CompiledStatement[];
}

/** For kept lists: their candidates by action, so a request reads one list rather than each policy's index. */
const keptCandidates = new WeakMap<readonly PolicyUse[], Map<string, Candidates>>();
const MAX_KEPT_ACTIONS = 64;

function candidates(uses: readonly PolicyUse[], env: RequestEnv): Candidates {
  let byAction = keptCandidates.get(uses);
  const seen = byAction?.get(env.actionKey);
  if (seen) return seen;
  const out: Candidates = { uses: [], statements: [] };
  for (const use of uses) {
    for (const st of statementsForAction(use.compiled, env)) {
      out.uses.push(use);
      out.statements.push(st);
    }
  }
  if (!byAction && isKept(uses)) keptCandidates.set(uses, (byAction = new Map()));
  if (byAction && byAction.size < MAX_KEPT_ACTIONS) byAction.set(env.actionKey, out);
  return out;
}

export function runLayer(layer: LayerName, uses: readonly PolicyUse[], env: RequestEnv, full: boolean, level?: string): Run {
  if (full) return traceLayer(layer, uses, env, level);
  // Only the statements whose action part holds are looked at; the hit lists are made when something is found.
  let allows = NO_HITS;
  let denies = NO_HITS;
  let misses = NO_HITS;
  const c = candidates(uses, env);
  for (let i = 0; i < c.statements.length; i++) {
    const use = c.uses[i]!;
    const st = c.statements[i]!;
    const out = matchStatement(st, env, use.kind, undefined, true);
    const hit: Hit = { layer, use, st, out, level };
    if (out.applies !== false) {
      if (st.effect === 'Allow') allows = add(allows, hit);
      else denies = add(denies, hit);
    } else if (st.effect === 'Allow') misses = add(misses, hit);
  }
  return { allows, denies, misses, uses, allowed: anyApplies(allows) };
}

/** Is the (summary) run the same for every request with this action? When each statement naming the action is unconditional. */
export function sameForAction(uses: readonly PolicyUse[], env: RequestEnv): boolean {
  return uses.every((use) => statementsForAction(use.compiled, env).every((st) => st.unconditional));
}

/** As runLayer, with every statement of every policy traced (explain: full). */
function traceLayer(layer: LayerName, uses: readonly PolicyUse[], env: RequestEnv, level?: string): Run {
  const run: Run = { allows: [], denies: [], misses: [], uses, traces: [], allowed: false };
  for (const use of uses) {
    const traces: StatementTrace[] = [];
    run.traces!.push(traces);
    for (const st of use.compiled.statements) {
      const trace = newTrace(use, st);
      const out = matchStatement(st, env, use.kind, trace);
      traces.push(trace);
      if (!out.action) continue;
      const hit: Hit = { layer, use, st, out, level };
      if (out.applies === false) {
        if (st.effect === 'Allow') run.misses.push(hit);
      } else (st.effect === 'Allow' ? run.allows : run.denies).push(hit);
    }
  }
  run.allowed = anyApplies(run.allows);
  return run;
}
