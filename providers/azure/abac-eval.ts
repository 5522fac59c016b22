/**
 * Evaluates a parsed role assignment condition against one request, in three-valued logic: an attribute
 * the caller listed as unknown (the service would supply it, the caller did not) makes its expression
 * 'unknown' rather than false, so the caller can answer "conditional" and name the missing attribute.
 *
 * Semantics (https://learn.microsoft.com/azure/role-based-access-control/conditions-format):
 * - `!(ActionMatches{'a'})` is true for every action but `a`, so non-targeted actions pass the condition;
 *   ActionMatches uses the role-action wildcard matching (case-insensitive, `*` spans `/`).
 * - SubOperationMatches is false when the request has no suboperation.
 * - Base string operators are case-sensitive; `...IgnoreCase` variants and GUID comparisons are not.
 * - Cross-product operators: ForAnyOfAnyValues = some left value matches some right value, ForAllOfAnyValues =
 *   every left value matches some right value, ForAnyOfAllValues / ForAllOfAllValues likewise; a scalar is a
 *   one-value set, and an empty (present) multi-valued attribute makes ForAll... vacuously true.
 * - An attribute that the request does not carry makes the comparison false, negated operators included
 *   (StringNotEquals on a missing tag is false, not true): conditions on attributes an operation does not
 *   supply fail the access check (conditions-format, storage-auth-abac-attributes; model assumption for
 *   negated operators). Use `Exists` / `NOT Exists` to test presence.
 * AND/OR evaluate left to right with short-circuit; an unknown operand only matters when no operand decides.
 */
import type { Tri } from '../../src/core/decision.js';
import { globMatch } from '../../src/core/glob.js';
import { attributeKey, likeGlob, parseAbac, ParsedAbac, toTyped } from './abac-parse.js';
import type { AbacCondition, AbacNode, AttrRef, Operand, Operator, Scalar } from './abac-parse.js';

export type { Tri };

export interface AbacInput {
  /** The requested (data) action, for ActionMatches. */
  action: string;
  /** E.g. 'Blob.List'; also readable as @Request[subOperation] (the older condition syntax). */
  subOperation?: string;
  /**
   * Attribute values keyed by the attribute as written in '@Source[name]' form (source and name compared
   * case-insensitively, a `<$key_case_sensitive$>` tag key exactly). undefined = absent. Arrays are
   * multi-valued attributes. @Environment[UtcNow] is not defaulted: pass it, or list it as unknown.
   */
  attributes: Record<string, unknown>;
  /** Attributes the caller did not give but the service would provide: UNKNOWN, not absent. */
  unknown: ReadonlySet<string>;
}

export interface AbacTraceItem {
  expression: string;
  start: number;
  end: number;
  result: Tri;
  attribute?: string;
  actual?: unknown;
  note?: string;
}

export interface AbacResult {
  value: Tri;
  trace: AbacTraceItem[];
  /** Attributes (as written in the condition) whose unknown value left the result undecided. */
  missing: string[];
}

interface Env {
  text: string;
  action: string;
  subOperation?: string;
  values: Map<string, unknown>;
  unknown: Set<string>;
  trace: AbacTraceItem[];
}

interface Out {
  value: Tri;
  /** Unknown attributes behind an 'unknown' value (empty otherwise). */
  missing: readonly string[];
}

const ORDERED: Record<'greaterThan' | 'greaterThanEquals' | 'lessThan' | 'lessThanEquals', (sign: number) => boolean> = {
  greaterThan: (c) => c > 0,
  greaterThanEquals: (c) => c >= 0,
  lessThan: (c) => c < 0,
  lessThanEquals: (c) => c <= 0,
};

const TRUE: Out = { value: true, missing: [] };
const FALSE: Out = { value: false, missing: [] };
const SUBOPERATION = attributeKey('@Request[subOperation]')!;

export function evaluateAbac(c: AbacCondition, input: AbacInput): AbacResult {
  const parsed = c instanceof ParsedAbac ? c : parseAbac(c.text);
  const values = new Map<string, unknown>();
  for (const [name, value] of Object.entries(input.attributes)) {
    const key = attributeKey(name);
    if (key && value !== undefined) values.set(key, value);
  }
  if (input.subOperation !== undefined && !values.has(SUBOPERATION)) values.set(SUBOPERATION, input.subOperation);
  const unknown = new Set<string>();
  for (const name of input.unknown) {
    const key = attributeKey(name);
    if (key && !values.has(key)) unknown.add(key);
  }
  const env: Env = {
    text: parsed.text,
    action: input.action.toLowerCase(),
    subOperation: input.subOperation,
    values,
    unknown,
    trace: [],
  };
  const out = evaluate(parsed.root, env);
  return { value: out.value, trace: env.trace, missing: [...new Set(out.missing)] };
}

function evaluate(node: AbacNode, env: Env): Out {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const decisive = node.kind === 'or';
      const missing: string[] = [];
      for (const item of node.items) {
        const r = evaluate(item, env);
        if (r.value === decisive) return r.value ? TRUE : FALSE;
        if (r.value === 'unknown') missing.push(...r.missing);
      }
      return missing.length ? { value: 'unknown', missing } : decisive ? FALSE : TRUE;
    }
    case 'not': {
      const r = evaluate(node.item, env);
      return r.value === 'unknown' ? r : r.value ? FALSE : TRUE;
    }
    case 'action':
      return leaf(env, node, node.patterns.some((g) => globMatch(g, env.action)), { actual: env.action });
    case 'subop': {
      const sub = env.subOperation;
      const hit = sub !== undefined && node.patterns.some((g) => globMatch(g, sub.toLowerCase()));
      return leaf(env, node, hit, { actual: sub, note: sub === undefined ? 'the request has no suboperation' : undefined });
    }
    case 'exists': {
      const state = lookup(env, node.attr);
      if (state.kind === 'unknown') return unknownLeaf(env, node, node.attr);
      return leaf(env, node, state.kind === 'value', { attribute: node.attr.text, actual: state.kind === 'value' ? state.value : undefined });
    }
    case 'compare':
      return compare(env, node, node.op, node.left, node.right);
  }
}

type Lookup = { kind: 'value'; value: unknown } | { kind: 'absent' } | { kind: 'unknown' };

function lookup(env: Env, attr: AttrRef): Lookup {
  if (env.values.has(attr.key)) return { kind: 'value', value: env.values.get(attr.key) };
  return env.unknown.has(attr.key) ? { kind: 'unknown' } : { kind: 'absent' };
}

function leaf(env: Env, node: AbacNode, result: boolean, extra: Partial<AbacTraceItem>): Out {
  const item: AbacTraceItem = { expression: env.text.slice(node.start, node.end), start: node.start, end: node.end, result };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) (item as unknown as Record<string, unknown>)[k] = v;
  env.trace.push(item);
  return result ? TRUE : FALSE;
}

function unknownLeaf(env: Env, node: AbacNode, attr: AttrRef): Out {
  env.trace.push({
    expression: env.text.slice(node.start, node.end),
    start: node.start,
    end: node.end,
    result: 'unknown',
    attribute: attr.text,
    note: 'attribute not given: the service would supply it',
  });
  return { value: 'unknown', missing: [attr.text] };
}

function compare(env: Env, node: AbacNode, op: Operator, left: Operand, right: Operand): Out {
  const attrs = [left, right].filter((o): o is AttrRef => o.kind === 'attr');
  const states = attrs.map((a) => ({ attr: a, state: lookup(env, a) }));
  const shown = states[0];
  const base = { attribute: shown?.attr.text, actual: shown?.state.kind === 'value' ? shown.state.value : undefined };
  const absent = states.find((s) => s.state.kind === 'absent');
  if (absent) return leaf(env, node, false, { ...base, attribute: absent.attr.text, note: 'attribute not present: the expression is false' });
  const unknown = states.find((s) => s.state.kind === 'unknown');
  if (unknown) return unknownLeaf(env, node, unknown.attr);

  // Literals were typed by the parser; attribute values are typed here (an array is a multi-valued attribute).
  const typed = (o: Operand): Array<Scalar | undefined> => {
    if (o.kind === 'lit') return [...o.values];
    const v = env.values.get(o.key);
    return (Array.isArray(v) ? v : [v]).map((x) => toTyped(x, op));
  };
  const lt = typed(left);
  const rt = typed(right);
  if (!op.quantifier && (lt.length !== 1 || rt.length !== 1)) {
    return leaf(env, node, false, { ...base, note: `a multi-valued attribute needs a cross-product operator (ForAnyOfAnyValues:${op.text})` });
  }
  if (lt.includes(undefined) || rt.includes(undefined)) {
    return leaf(env, node, false, { ...base, note: `type mismatch: ${op.text} compares ${op.type} values` });
  }
  const patterns = op.base === 'like' ? (right.kind === 'lit' && right.globs ? right.globs : (rt as string[]).map((p) => likeGlob(p, false))) : undefined;
  const pair = (a: Scalar, i: number): boolean => {
    const b = rt[i]!;
    const hit =
      op.base === 'equals' ? a === b
      : op.base === 'startsWith' ? (a as string).startsWith(b as string)
      : op.base === 'like' ? globMatch(patterns![i]!, a as string)
      : ORDERED[op.base](a < b ? -1 : a > b ? 1 : 0);
    return hit !== op.negated;
  };
  // ForAllOf.../ForAnyOf... quantify the left values, ...AllValues/...AnyValues the right ones.
  const q = op.quantifier ?? 'anyOfAny';
  const allLeft = q === 'allOfAny' || q === 'allOfAll';
  const allRight = q === 'anyOfAll' || q === 'allOfAll';
  const matches = (a: Scalar) => (allRight ? rt.every((_, i) => pair(a, i)) : rt.some((_, i) => pair(a, i)));
  const ls = lt as Scalar[];
  const result = allLeft ? ls.every(matches) : ls.some(matches);
  return leaf(env, node, result, base);
}
