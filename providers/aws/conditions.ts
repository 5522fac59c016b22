/**
 * Condition operators, IfExists, Null and the ForAnyValue/ForAllValues set operators, in three-valued logic:
 * a condition on a key the request did not give (and the engine cannot derive) is 'unknown'.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
import type { ConditionTrace, Tri } from '../../src/core/decision.js';
import { compileGlobParts, globMatch, type Glob } from '../../src/core/glob.js';
import { arnPatternMatches, compileArnPattern, type ArnPattern } from './arn-pattern.js';
import type { ContextView, KeyValue } from './context.js';
import { cidrContains, parseCidr } from './ip.js';
import { parseTemplate, resolveGlobParts, resolveText, type Template } from './variables.js';

type Family = 'string' | 'stringIgnoreCase' | 'stringLike' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';
type Compare = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';

interface OperatorSpec {
  family: Family;
  negated: boolean;
  compare: Compare;
  /** Policy variables are resolved in the values of these operators. */
  variables: boolean;
}

// A Map, not an object: an operator named `Constructor` or `__Proto__` must be unknown, not Object's own.
const OPERATORS = new Map<string, OperatorSpec>();
function op(name: string, family: Family, negated = false, compare: Compare = 'eq'): void {
  const variables = family === 'string' || family === 'stringIgnoreCase' || family === 'stringLike' || family === 'arn' || family === 'bool';
  OPERATORS.set(name.toLowerCase(), { family, negated, compare, variables });
}
op('StringEquals', 'string');
op('StringNotEquals', 'string', true);
op('StringEqualsIgnoreCase', 'stringIgnoreCase');
op('StringNotEqualsIgnoreCase', 'stringIgnoreCase', true);
op('StringLike', 'stringLike');
op('StringNotLike', 'stringLike', true);
op('NumericEquals', 'numeric');
op('NumericNotEquals', 'numeric', true);
op('NumericLessThan', 'numeric', false, 'lt');
op('NumericLessThanEquals', 'numeric', false, 'lte');
op('NumericGreaterThan', 'numeric', false, 'gt');
op('NumericGreaterThanEquals', 'numeric', false, 'gte');
op('DateEquals', 'date');
op('DateNotEquals', 'date', true);
op('DateLessThan', 'date', false, 'lt');
op('DateLessThanEquals', 'date', false, 'lte');
op('DateGreaterThan', 'date', false, 'gt');
op('DateGreaterThanEquals', 'date', false, 'gte');
op('Bool', 'bool');
op('BinaryEquals', 'binary');
op('IpAddress', 'ip');
op('NotIpAddress', 'ip', true);
op('ArnEquals', 'arn');
op('ArnLike', 'arn');
op('ArnNotEquals', 'arn', true);
op('ArnNotLike', 'arn', true);
op('Null', 'null');

/** One policy value, pre-compiled for its operator family when it has no variables. */
interface PolicyValue {
  raw: string;
  template: Template;
  glob?: Glob;
  arn?: ArnPattern;
  num?: number;
}

export interface CompiledCondition {
  /** As written in the policy, for explanations. */
  operator: string;
  key: string;
  lowerKey: string;
  spec: OperatorSpec;
  set: 'any' | 'all' | null;
  ifExists: boolean;
  values: PolicyValue[];
}

export type OperatorParse = { ok: true; spec: OperatorSpec; set: 'any' | 'all' | null; ifExists: boolean } | { ok: false; message: string };

/** Parses an operator name such as `ForAnyValue:StringNotLikeIfExists`. Names are matched case-insensitively. */
export function parseOperator(name: string): OperatorParse {
  let rest = name;
  let set: 'any' | 'all' | null = null;
  const colon = rest.indexOf(':');
  if (colon !== -1) {
    const qualifier = rest.slice(0, colon).toLowerCase();
    if (qualifier === 'foranyvalue') set = 'any';
    else if (qualifier === 'forallvalues') set = 'all';
    else return { ok: false, message: `unknown set operator '${rest.slice(0, colon)}' (ForAnyValue or ForAllValues)` };
    rest = rest.slice(colon + 1);
  }
  let lower = rest.toLowerCase();
  let ifExists = false;
  if (lower.endsWith('ifexists') && lower !== 'ifexists') {
    ifExists = true;
    lower = lower.slice(0, -'ifexists'.length);
  }
  const spec = OPERATORS.get(lower);
  if (!spec) return { ok: false, message: `unknown condition operator '${name}'` };
  if (spec.family === 'null' && (ifExists || set)) return { ok: false, message: `'${name}': Null takes neither IfExists nor a set operator` };
  return { ok: true, spec, set, ifExists };
}

function parseNumber(s: string): number | undefined {
  return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s.trim()) ? Number(s) : undefined;
}

/** W3C ISO 8601 dates, or epoch seconds. */
function parseDate(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return undefined;
  // A time without an offset is read as UTC, never as the server's local time.
  const t = Date.parse(/T[\d:.]+$/.test(s) ? `${s}Z` : s);
  return Number.isNaN(t) ? undefined : t;
}

export function compileCondition(operator: string, parsed: Extract<OperatorParse, { ok: true }>, key: string, raw: string[], variablesEnabled: boolean): CompiledCondition {
  const { spec } = parsed;
  const values = raw.map((r): PolicyValue => {
    const template = parseTemplate(r, variablesEnabled && spec.variables);
    const v: PolicyValue = { raw: r, template };
    if (!template.hasVariables) {
      const text = r;
      if (spec.family === 'stringLike') v.glob = compileGlobParts(resolveGlobLiteral(template));
      else if (spec.family === 'arn') v.arn = compileArnPattern(resolveGlobLiteral(template));
      else if (spec.family === 'numeric') v.num = parseNumber(text) ?? NaN;
      else if (spec.family === 'date') v.num = parseDate(text) ?? NaN;
    }
    return v;
  });
  return { operator, key, lowerKey: key.toLowerCase(), spec, set: parsed.set, ifExists: parsed.ifExists, values };
}

function resolveGlobLiteral(t: Template) {
  const r = resolveGlobParts(t, NO_CONTEXT);
  return r.ok ? r.value : [];
}
const NO_CONTEXT: ContextView = { get: () => ({ kind: 'unknown' }), single: () => ({ kind: 'unknown' }) };

function not(t: Tri): Tri {
  return t === 'unknown' ? 'unknown' : !t;
}

/** Does one request value match one policy value, for the positive form of the operator? */
function matchOne(spec: OperatorSpec, req: string, pv: PolicyValue, ctx: ContextView): Tri {
  switch (spec.family) {
    case 'string':
    case 'stringIgnoreCase':
    case 'bool': {
      const r = resolveText(pv.template, ctx);
      if (!r.ok) return r.unknown ? 'unknown' : false;
      if (spec.family === 'string') return req === r.value;
      return req.toLowerCase() === r.value.toLowerCase();
    }
    case 'stringLike': {
      let glob = pv.glob;
      if (!glob) {
        const r = resolveGlobParts(pv.template, ctx);
        if (!r.ok) return r.unknown ? 'unknown' : false;
        glob = compileGlobParts(r.value);
      }
      return globMatch(glob, req);
    }
    case 'arn': {
      let pattern = pv.arn;
      if (!pattern) {
        const r = resolveGlobParts(pv.template, ctx);
        if (!r.ok) return r.unknown ? 'unknown' : false;
        pattern = compileArnPattern(r.value);
      }
      return arnPatternMatches(pattern, req);
    }
    case 'numeric':
    case 'date': {
      const a = spec.family === 'numeric' ? parseNumber(req) : parseDate(req);
      const b = pv.num!;
      if (a === undefined || Number.isNaN(b)) return false;
      switch (spec.compare) {
        case 'eq': return a === b;
        case 'lt': return a < b;
        case 'lte': return a <= b;
        case 'gt': return a > b;
        case 'gte': return a >= b;
      }
      return false;
    }
    case 'binary':
      return req === pv.raw;
    case 'ip': {
      const block = parseCidr(pv.raw);
      const ip = parseCidr(req);
      return !!block && !!ip && cidrContains(block, ip);
    }
    case 'null':
      return false;
  }
}

/** Kleene OR over the policy values: does the request value match any of them? */
function matchAny(spec: OperatorSpec, req: string, values: PolicyValue[], ctx: ContextView): Tri {
  let out: Tri = false;
  for (const pv of values) {
    const m = matchOne(spec, req, pv, ctx);
    if (m === true) return true;
    if (m === 'unknown') out = 'unknown';
  }
  return out;
}

/** One request value against the operator, negation included (negated operators are NOR over the values). */
function valueSatisfies(c: CompiledCondition, req: string, ctx: ContextView): Tri {
  const m = matchAny(c.spec, req, c.values, ctx);
  return c.spec.negated ? not(m) : m;
}

export interface ConditionResult {
  result: Tri;
  note?: string;
}

function evaluateNull(c: CompiledCondition, kv: KeyValue): Tri {
  if (kv.kind === 'unknown') return 'unknown';
  const isNull = kv.kind === 'absent' || kv.values.length === 0 || kv.values.every((v) => v === '');
  return c.values.some((pv) => pv.raw.toLowerCase() === String(isNull));
}

export function evaluateCondition(c: CompiledCondition, ctx: ContextView): ConditionResult {
  const kv = ctx.get(c.lowerKey);
  if (c.spec.family === 'null') return { result: evaluateNull(c, kv) };
  if (kv.kind === 'unknown') return { result: 'unknown' };
  // An empty value set behaves like a missing key for the set operators.
  const missing = kv.kind === 'absent' || (c.set !== null && (kv.values.length === 0 || kv.values.every((v) => v === '')));
  if (missing) {
    if (c.ifExists) return { result: true };
    if (c.set === 'all') return { result: true, note: 'ForAllValues is true when the key is missing or empty' };
    if (c.set === 'any') return { result: false, note: 'ForAnyValue is false when the key is missing or empty' };
    return { result: c.spec.negated, note: c.spec.negated ? 'negated operator on a missing key is true' : 'the key is missing' };
  }
  const values = kv.kind === 'present' ? kv.values : [];
  if (c.set === 'any') {
    let out: Tri = false;
    for (const v of values) {
      const m = valueSatisfies(c, v, ctx);
      if (m === true) return { result: true };
      if (m === 'unknown') out = 'unknown';
    }
    return { result: out };
  }
  if (c.set === 'all') {
    let out: Tri = true;
    for (const v of values) {
      const m = valueSatisfies(c, v, ctx);
      if (m === false) return { result: false };
      if (m === 'unknown') out = 'unknown';
    }
    return { result: out };
  }
  if (values.length > 1) {
    // Undocumented: AWS requires a set operator for multivalued keys; a plain operator does not match.
    return { result: false, note: 'the key has several values: a plain operator needs ForAnyValue or ForAllValues' };
  }
  return { result: valueSatisfies(c, values[0] ?? '', ctx) };
}

export function traceCondition(c: CompiledCondition, ctx: ContextView, r: ConditionResult): ConditionTrace {
  const kv = ctx.get(c.lowerKey);
  const t: ConditionTrace = {
    operator: c.operator,
    key: c.key,
    values: c.values.map((v) => v.raw),
    keySource: kv.kind === 'unknown' ? 'unknown' : kv.kind === 'absent' ? 'absent' : kv.source,
    result: r.result,
  };
  if (kv.kind === 'present') t.requestValues = kv.values;
  if (r.note) t.note = r.note;
  return t;
}
