/**
 * Runs the statements of one layer (identity, resource, boundary, session, an SCP/RCP level, an endpoint)
 * against the request and sorts what applies into allows and denies, in three-valued logic.
 */
import type { PolicyRef, StatementTrace, Tri } from '../../src/core/decision.js';
import { matchStatement, type Outcome, type RequestEnv } from './match.js';
import { statementsFor, type CompiledStatement } from './policy.js';
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

export function runLayer(layer: LayerName, uses: readonly PolicyUse[], env: RequestEnv, full: boolean, level?: string): Run {
  const run: Run = { allows: [], denies: [], misses: [], uses, allowed: false };
  if (full) run.traces = [];
  for (const use of uses) {
    const traces: StatementTrace[] = [];
    run.traces?.push(traces);
    // A trace shows every statement; otherwise only those whose actions can name the service are looked at.
    for (const st of full ? use.compiled.statements : statementsFor(use.compiled, env.service)) {
      const trace = full ? newTrace(use, st) : undefined;
      const out = matchStatement(st, env, use.kind, trace);
      if (trace) traces.push(trace);
      if (!out.action) continue;
      const hit: Hit = { layer, use, st, out };
      if (level !== undefined) hit.level = level;
      if (out.applies === false) {
        if (st.effect === 'Allow') run.misses.push(hit);
      } else (st.effect === 'Allow' ? run.allows : run.denies).push(hit);
    }
  }
  run.allowed = anyApplies(run.allows);
  return run;
}
