/**
 * The Azure Policy rule language: `if` (allOf / anyOf / not over field, value and count conditions) and
 * `then.effect`. Compiled once (structure checked, template expressions parsed), evaluated per request.
 * https://learn.microsoft.com/azure/governance/policy/concepts/definition-structure-policy-rule
 * https://learn.microsoft.com/azure/governance/policy/how-to/author-policies-for-arrays
 *
 * Rules worth knowing:
 * - String comparisons ignore case, except match / notMatch (`#` digit, `?` letter, `.` any character).
 * - like / notLike: `*` is the only wildcard (matched linearly, no RegExp).
 * - A `field` with a `[*]` alias tests every selected value, with a logical AND between them; an empty or
 *   missing array selects nothing, so such a condition is (vacuously) true.
 * - A missing property fails every positive operator (equals, in, like, contains, exists: true, ...), so its
 *   negated forms are true: deny policies written as `notEquals` fire when the payload omits the property.
 * - less / greater with mismatched types, and any failing template function, make the evaluation fail;
 *   "A failed evaluation is an implicit deny" (definition-structure-policy-rule, Value).
 * - Location values are normalized (`East US 2` equals `eastus2`).
 */
import { fieldSpec, getProperty, isObj, selectPath, type FieldSpec, type PathStep } from './policy-aliases.js';
import { OP_BY_LOWER, OPERATORS, PolicyEvalError, testCondition, type OpName } from './policy-operators.js';
import { evalTemplate, isTemplate, parseTemplate, TemplateError, unescapeLiteral, type Expr, type TemplateScope } from './policy-functions.js';

export class PolicyRuleError extends Error {
  constructor(
    message: string,
    /** JSON pointer into the policyRule (e.g. `/if/allOf/1/field`). */
    readonly pointer: string,
  ) {
    super(message);
    this.name = 'PolicyRuleError';
  }
}

export interface CompiledPolicyRule {
  /** As written: may be `[parameters('effect')]`; see resolveEffect. */
  readonly effect: string;
  readonly if: unknown;
  readonly details?: unknown;
}

export interface PolicyEvalContext {
  resource: {
    id: string;
    name: string;
    type: string;
    location?: string;
    kind?: string;
    tags?: Record<string, string>;
    properties?: unknown;
    identity?: unknown;
    sku?: unknown;
    plan?: unknown;
    zones?: unknown;
  };
  /** Effective parameter values (assignment values merged over the definition's defaultValue). */
  parameters: Record<string, unknown>;
  resourceGroup?: { name: string; location?: string; id?: string; tags?: Record<string, string> };
  subscription?: { subscriptionId: string; displayName?: string; tenantId?: string };
  requestContext?: { apiVersion?: string; identity?: Record<string, unknown> };
  /** What policy() returns: assignmentId, definitionId, setDefinitionId, definitionReferenceId. */
  policy?: Record<string, string>;
  /** utcNow(); defaults to the current time. */
  now?: Date;
}

export interface PolicyTraceItem {
  pointer: string;
  expression: string;
  result: boolean;
  /** field / value / count, as Azure's evaluatedExpressions name the kind. */
  kind?: 'field' | 'value' | 'count';
  operator?: string;
  field?: string;
  /** The JSON path an alias resolved to. */
  path?: string;
  actual?: unknown;
  expected?: unknown;
  note?: string;
}

export interface PolicyIfResult {
  result: boolean;
  trace: PolicyTraceItem[];
  /** Did the rule read the current time (utcNow() with no request time)? Then the result holds only now. */
  readClock: boolean;
  /** Set when the evaluation failed: the result is then true (implicit deny). */
  error?: { pointer: string; message: string };
}

// ---------------------------------------------------------------------------------------------- compiled form

type CValue =
  | { readonly t: 'lit'; readonly v: unknown }
  | { readonly t: 'expr'; readonly e: Expr; readonly source: string; readonly pointer: string }
  | { readonly t: 'arr'; readonly items: readonly CValue[] };

type Lhs =
  | { readonly k: 'field'; readonly text: string; readonly field: CValue; readonly spec?: FieldSpec }
  | { readonly k: 'value'; readonly text: string; readonly value: CValue }
  | {
      readonly k: 'count';
      readonly text: string;
      readonly field?: { readonly source: string; readonly spec: FieldSpec & { kind: 'alias' } };
      readonly value?: CValue;
      readonly name?: string;
      readonly where?: CNode;
    };

type CNode =
  | { readonly k: 'allOf' | 'anyOf'; readonly pointer: string; readonly items: readonly CNode[] }
  | { readonly k: 'not'; readonly pointer: string; readonly item: CNode }
  | {
      readonly k: 'cond';
      readonly pointer: string;
      readonly lhs: Lhs;
      readonly op: OpName;
      readonly opPointer: string;
      readonly expected: CValue;
    };

class CompiledRule implements CompiledPolicyRule {
  readonly if: unknown;

  constructor(
    readonly effect: string,
    condition: unknown,
    readonly details: unknown,
    readonly root: CNode,
    readonly effectValue: CValue,
  ) {
    this.if = condition;
  }
}

// ---------------------------------------------------------------------------------------------- compile

const MAX_DEPTH = 64;
const esc = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** The object's keys by lower-cased name (policy JSON property names are case-insensitive). */
function keysOf(obj: Record<string, unknown>, pointer: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const k of Object.keys(obj)) {
    if (keys.has(k.toLowerCase())) throw new PolicyRuleError(`duplicate property '${k}'`, `${pointer}/${esc(k)}`);
    keys.set(k.toLowerCase(), k);
  }
  return keys;
}

function compileValue(v: unknown, pointer: string): CValue {
  if (typeof v === 'string') {
    if (!isTemplate(v)) return { t: 'lit', v: unescapeLiteral(v) };
    try {
      return { t: 'expr', e: parseTemplate(v), source: v, pointer };
    } catch (e) {
      if (e instanceof TemplateError) {
        throw new PolicyRuleError(`bad template expression ${JSON.stringify(v)}: ${e.message}${e.offset === undefined ? '' : ` (at offset ${e.offset})`}`, pointer);
      }
      throw e;
    }
  }
  if (Array.isArray(v) && v.some((x) => typeof x === 'string' && isTemplate(x))) {
    return { t: 'arr', items: v.map((x, i) => compileValue(x, `${pointer}/${i}`)) };
  }
  return { t: 'lit', v };
}

function compileNode(node: unknown, pointer: string, depth: number, inCount: boolean): CNode {
  if (depth > MAX_DEPTH) throw new PolicyRuleError('conditions nested too deeply', pointer);
  if (!isObj(node)) throw new PolicyRuleError('expected a condition or a logical operator (allOf, anyOf, not)', pointer);
  const keys = keysOf(node, pointer);
  for (const logical of ['allof', 'anyof', 'not'] as const) {
    const key = keys.get(logical);
    if (key === undefined) continue;
    const at = `${pointer}/${esc(key)}`;
    if (keys.size !== 1) {
      const other = [...keys.values()].find((k) => k !== key)!;
      throw new PolicyRuleError(`'${key}' cannot be combined with '${other}' in one object`, `${pointer}/${esc(other)}`);
    }
    if (logical === 'not') return { k: 'not', pointer, item: compileNode(node[key], at, depth + 1, inCount) };
    const items = node[key];
    if (!Array.isArray(items)) throw new PolicyRuleError(`'${key}' must be an array of conditions`, at);
    return {
      k: logical === 'allof' ? 'allOf' : 'anyOf',
      pointer,
      items: items.map((item, i) => compileNode(item, `${at}/${i}`, depth + 1, inCount)),
    };
  }
  let lhsKey: string | undefined;
  let opKey: string | undefined;
  let op: OpName | undefined;
  for (const [lower, key] of keys) {
    const at = `${pointer}/${esc(key)}`;
    if (lower === 'field' || lower === 'value' || lower === 'count') {
      if (lhsKey) throw new PolicyRuleError(`a condition has one of field, value or count, not both '${lhsKey}' and '${key}'`, at);
      lhsKey = key;
    } else if (OP_BY_LOWER.has(lower)) {
      if (opKey) throw new PolicyRuleError(`a condition has one operator, not both '${opKey}' and '${key}'`, at);
      opKey = key;
      op = OP_BY_LOWER.get(lower);
    } else {
      throw new PolicyRuleError(`unknown operator or property '${key}'`, at);
    }
  }
  if (!lhsKey) throw new PolicyRuleError('a condition needs field, value or count', pointer);
  if (!opKey || !op) throw new PolicyRuleError(`a condition needs an operator (${OPERATORS.join(', ')})`, pointer);
  const lhs = compileLhs(lhsKey, node[lhsKey], `${pointer}/${esc(lhsKey)}`, depth, inCount);
  const opPointer = `${pointer}/${esc(opKey)}`;
  const expected = compileValue(node[opKey], opPointer);
  checkExpected(op, expected, opPointer);
  if (lhs.k === 'count' && !['equals', 'notEquals', 'less', 'lessOrEquals', 'greater', 'greaterOrEquals', 'in', 'notIn'].includes(op)) {
    throw new PolicyRuleError(`count is compared with a numeric operator, not '${opKey}'`, opPointer);
  }
  return { k: 'cond', pointer, lhs, op, opPointer, expected };
}

function checkExpected(op: OpName, expected: CValue, pointer: string) {
  if (expected.t !== 'lit') return;
  const v = expected.v;
  if ((op === 'in' || op === 'notIn') && !Array.isArray(v)) throw new PolicyRuleError(`'${op}' expects an array`, pointer);
  if (op === 'exists' && typeof v !== 'boolean' && !(typeof v === 'string' && /^(true|false)$/i.test(v))) {
    throw new PolicyRuleError("'exists' expects true or false", pointer);
  }
  if ((op.includes('atch') || op.includes('ike')) && typeof v !== 'string') throw new PolicyRuleError(`'${op}' expects a string pattern`, pointer);
  // "When using the contains and notContains conditions, the wildcard character (*) cannot be provided in the value."
  if ((op === 'contains' || op === 'notContains') && typeof v === 'string' && v.includes('*')) {
    throw new PolicyRuleError(`'${op}' does not take wildcards: use like`, pointer);
  }
}

function compileLhs(key: string, v: unknown, pointer: string, depth: number, inCount: boolean): Lhs {
  const lower = key.toLowerCase();
  if (lower === 'value') return { k: 'value', text: typeof v === 'string' ? v : JSON.stringify(v), value: compileValue(v, pointer) };
  if (lower === 'field') {
    if (typeof v !== 'string' || v.trim() === '') throw new PolicyRuleError('field must be a non-empty string', pointer);
    const field = compileValue(v, pointer);
    if (field.t === 'expr') return { k: 'field', text: v, field };
    const spec = fieldSpec(v);
    if (!spec) throw new PolicyRuleError(`unknown field '${v}': expected name, fullName, kind, type, location, id, identity.type, tags, tags['name'] or a property alias`, pointer);
    return { k: 'field', text: v, field, spec };
  }
  if (!isObj(v)) throw new PolicyRuleError('count must be an object with field or value', pointer);
  const keys = keysOf(v, pointer);
  let where: CNode | undefined;
  let field: { source: string; spec: FieldSpec & { kind: 'alias' } } | undefined;
  let value: CValue | undefined;
  let name: string | undefined;
  for (const [l, k] of keys) {
    const at = `${pointer}/${esc(k)}`;
    const x = v[k];
    if (l === 'where') where = compileNode(x, at, depth + 1, true);
    else if (l === 'field') {
      const spec = typeof x === 'string' ? fieldSpec(x) : undefined;
      if (typeof x !== 'string' || spec?.kind !== 'alias' || !spec.collection || !x.trim().endsWith('[*]')) {
        throw new PolicyRuleError('count.field must be an array alias ending in [*]', at);
      }
      field = { source: x, spec };
    } else if (l === 'value') value = compileValue(x, at);
    else if (l === 'name') {
      if (typeof x !== 'string' || !/^[A-Za-z0-9]+$/.test(x)) throw new PolicyRuleError('count.name must be English letters and digits', at);
      name = x;
    } else throw new PolicyRuleError(`unknown count property '${k}' (field, value, name, where)`, at);
  }
  if ((field === undefined) === (value === undefined)) throw new PolicyRuleError('count needs exactly one of field or value', pointer);
  if (field && name !== undefined) throw new PolicyRuleError('count.name applies to value count only', `${pointer}/${esc(keys.get('name')!)}`);
  if (value && name === undefined && inCount) {
    throw new PolicyRuleError('count.name is required for a value count inside another count', pointer);
  }
  const text = field ? `count(${field.source})` : `count(${typeof v[keys.get('value')!] === 'string' ? String(v[keys.get('value')!]) : 'value'})`;
  return { k: 'count', text, field, value, name, where };
}

/** Validates and compiles a policyRule ({ if, then: { effect, details? } }). Throws PolicyRuleError. */
export function compilePolicyRule(rule: unknown): CompiledPolicyRule {
  if (!isObj(rule)) throw new PolicyRuleError('policyRule must be an object with if and then', '');
  const keys = keysOf(rule, '');
  for (const [l, k] of keys) if (l !== 'if' && l !== 'then') throw new PolicyRuleError(`unknown property '${k}' (if, then)`, `/${esc(k)}`);
  const ifKey = keys.get('if');
  const thenKey = keys.get('then');
  if (!ifKey) throw new PolicyRuleError("policyRule needs an 'if' condition", '');
  if (!thenKey) throw new PolicyRuleError("policyRule needs a 'then' block with an effect", '');
  const then = rule[thenKey];
  if (!isObj(then)) throw new PolicyRuleError("'then' must be an object with an effect", `/${esc(thenKey)}`);
  const thenKeys = keysOf(then, `/${esc(thenKey)}`);
  const effectKey = thenKeys.get('effect');
  const effectPointer = `/${esc(thenKey)}/${esc(effectKey ?? 'effect')}`;
  const effect = effectKey === undefined ? undefined : then[effectKey];
  if (typeof effect !== 'string' || effect.trim() === '') throw new PolicyRuleError("'then.effect' must be a non-empty string", effectPointer);
  const root = compileNode(rule[ifKey], `/${esc(ifKey)}`, 0, false);
  const detailsKey = thenKeys.get('details');
  return new CompiledRule(effect, rule[ifKey], detailsKey === undefined ? undefined : then[detailsKey], root, compileValue(effect, effectPointer));
}

/** The effect for these parameters, lower-cased ('deny', 'denyaction', 'audit', 'disabled', ...). */
export function resolveEffect(rule: CompiledPolicyRule, parameters: Record<string, unknown>): string {
  const compiled = asCompiled(rule);
  const ev = new Evaluator({ resource: { id: '', name: '', type: '' }, parameters }, true);
  let v: unknown;
  try {
    v = ev.value(compiled.effectValue);
  } catch (e) {
    if (e instanceof PolicyEvalError) throw new PolicyRuleError(`cannot resolve the effect: ${e.message}`, e.pointer);
    throw e;
  }
  if (typeof v !== 'string') throw new PolicyRuleError('the effect must resolve to a string', pointerOf(compiled.effectValue));
  return v.toLowerCase();
}

function asCompiled(rule: CompiledPolicyRule): CompiledRule {
  if (rule instanceof CompiledRule) return rule;
  return compilePolicyRule({ if: rule.if, then: { effect: rule.effect, details: rule.details } }) as CompiledRule;
}

const pointerOf = (v: CValue) => (v.t === 'expr' ? v.pointer : '');

// ---------------------------------------------------------------------------------------------- evaluate

type Scope =
  | { readonly kind: 'field'; readonly source: string; readonly spec: FieldSpec & { kind: 'alias' }; readonly value: unknown }
  | { readonly kind: 'value'; readonly name: string; readonly value: unknown };

/** A field's selection: one value (undefined = missing), or the values a `[*]` alias selects. */
type Selection = { readonly one: unknown } | { readonly many: readonly unknown[] };

const MAX_VALUE_COUNT = 100; // "Value count expression iteration count: 100"

class Evaluator implements TemplateScope {
  readonly trace: PolicyTraceItem[] = [];
  readClock = false;
  private readonly scopes: Scope[] = [];
  private readonly doc: Record<string, unknown>;

  constructor(
    private readonly ctx: PolicyEvalContext,
    private readonly effectOnly = false,
  ) {
    const r = ctx.resource;
    this.doc = { id: r.id, name: r.name, type: r.type, location: r.location, kind: r.kind, tags: r.tags, properties: r.properties, identity: r.identity, sku: r.sku, plan: r.plan, zones: r.zones };
  }

  // ---- template scope
  parameter(name: string): unknown {
    const v = getProperty(this.ctx.parameters, name);
    if (v === undefined) throw new TemplateError(`the parameter '${name}' has no value (assignment value or defaultValue)`);
    return v;
  }

  field(name: string): unknown {
    this.notForEffect('field');
    const spec = fieldSpec(name);
    if (!spec) throw new TemplateError(`field('${name}'): unknown field`);
    const sel = this.select(spec);
    // author-policies-for-arrays: field() of a missing property is "", of a [*] alias the array of values.
    return 'many' in sel ? [...sel.many] : (sel.one ?? '');
  }

  current(name?: string): unknown {
    this.notForEffect('current');
    if (this.scopes.length === 0) throw new TemplateError('current() is only available inside count.where');
    if (name === undefined) return this.scopes[this.scopes.length - 1]!.value;
    const lower = name.toLowerCase();
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i]!;
      if (s.kind === 'value' && s.name.toLowerCase() === lower) return s.value;
      if (s.kind === 'field') {
        const source = s.source.toLowerCase();
        if (lower === source) return s.value;
        const spec = fieldSpec(name);
        if (spec?.kind === 'alias' && lower.startsWith(source)) {
          return selectPath(s.value, spec.steps.slice(s.spec.steps.length))[0];
        }
      }
    }
    throw new TemplateError(`current('${name}') is not inside a count over '${name}'`);
  }

  resourceGroup(): unknown {
    this.notForEffect('resourceGroup');
    const rg = this.ctx.resourceGroup;
    if (!rg) throw new TemplateError('resourceGroup() is not available: the resource is not in a resource group');
    return { name: rg.name, location: rg.location, id: rg.id, tags: rg.tags ?? {} };
  }

  subscription(): unknown {
    this.notForEffect('subscription');
    const sub = this.ctx.subscription;
    if (!sub) throw new TemplateError('subscription() is not available: no subscription in the request');
    return { subscriptionId: sub.subscriptionId, id: `/subscriptions/${sub.subscriptionId}`, displayName: sub.displayName, tenantId: sub.tenantId };
  }

  requestContext(): unknown {
    this.notForEffect('requestContext');
    return { apiVersion: this.ctx.requestContext?.apiVersion, identity: this.ctx.requestContext?.identity ?? null };
  }

  policy(): unknown {
    return this.ctx.policy ?? {};
  }

  now(): Date {
    if (this.ctx.now) return this.ctx.now;
    this.readClock = true;
    return new Date();
  }

  private notForEffect(fn: string) {
    if (this.effectOnly) throw new TemplateError(`${fn}() cannot be used in the effect`);
  }

  // ---- values
  value(v: CValue): unknown {
    switch (v.t) {
      case 'lit':
        return v.v;
      case 'arr':
        return v.items.map((x) => this.value(x));
      case 'expr':
        try {
          return evalTemplate(v.e, this);
        } catch (e) {
          if (e instanceof TemplateError) throw new PolicyEvalError(`${v.source}: ${e.message}`, v.pointer);
          throw e;
        }
    }
  }

  /** The selection for a field, relative to the array member being counted when the alias extends it. */
  select(spec: FieldSpec): Selection {
    const r = this.ctx.resource;
    switch (spec.kind) {
      case 'name':
      case 'kind':
      case 'type':
      case 'id':
      case 'location':
      case 'tags':
        return { one: this.doc[spec.kind] };
      case 'fullName':
        return { one: fullName(r.id) ?? r.name };
      case 'tag':
        return { one: getProperty(r.tags, spec.tag) };
      case 'alias': {
        if (spec.type !== undefined && spec.type !== r.type.toLowerCase()) return spec.collection ? { many: [] } : { one: undefined };
        let base: unknown = this.doc;
        let steps = spec.steps;
        for (let i = this.scopes.length - 1; i >= 0; i--) {
          const s = this.scopes[i]!;
          if (s.kind === 'field' && isPrefix(s.spec.steps, spec.steps)) {
            base = s.value;
            steps = spec.steps.slice(s.spec.steps.length);
            break;
          }
        }
        const values = selectPath(base, steps);
        return spec.collection ? { many: values } : { one: values[0] };
      }
    }
  }

  // ---- conditions
  node(n: CNode): boolean {
    switch (n.k) {
      case 'allOf':
        return n.items.every((i) => this.node(i));
      case 'anyOf':
        return n.items.some((i) => this.node(i));
      case 'not':
        return !this.node(n.item);
      case 'cond':
        return this.condition(n);
    }
  }

  private condition(n: CNode & { k: 'cond' }): boolean {
    const expected = this.value(n.expected);
    const { opPointer } = n;
    const lhs = n.lhs;
    const item: PolicyTraceItem = { pointer: n.pointer, expression: lhs.text, kind: lhs.k, operator: n.op, expected, result: false };
    let result: boolean;
    if (lhs.k === 'count') {
      const count = this.count(lhs, n.pointer);
      item.actual = count;
      result = testCondition(n.op, count, expected, false, opPointer);
    } else if (lhs.k === 'value') {
      item.actual = this.value(lhs.value);
      result = testCondition(n.op, item.actual, expected, false, opPointer);
    } else {
      let spec = lhs.spec;
      if (!spec) {
        const name = this.value(lhs.field);
        if (typeof name !== 'string') throw new PolicyEvalError('field must evaluate to a string', pointerOf(lhs.field));
        spec = fieldSpec(name);
        if (!spec) throw new PolicyEvalError(`unknown field '${name}'`, pointerOf(lhs.field));
        item.expression = name;
      }
      item.field = item.expression;
      if (spec.kind === 'alias') {
        item.path = spec.path;
        if (spec.heuristic) item.note = `alias not in the simulator's table: assumed to be ${spec.path}`;
      }
      const sel = this.select(spec);
      const location = spec.kind === 'location';
      if ('many' in sel) {
        item.actual = sel.many;
        result = sel.many.every((v) => testCondition(n.op, v, expected, location, opPointer));
        if (sel.many.length === 0) item.note = `${item.note ? `${item.note}; ` : ''}the alias selects no values: the condition holds for all of none`;
      } else {
        item.actual = sel.one;
        result = testCondition(n.op, sel.one, expected, location, opPointer);
      }
    }
    item.result = result;
    if (this.scopes.length === 0) this.trace.push(item);
    return result;
  }

  private count(lhs: Lhs & { k: 'count' }, pointer: string): number {
    let members: readonly unknown[];
    let scopeOf: (v: unknown) => Scope;
    if (lhs.field) {
      const field = lhs.field;
      const sel = this.select(field.spec);
      members = 'many' in sel ? sel.many : [];
      scopeOf = (value) => ({ kind: 'field', source: field.source, spec: field.spec, value });
    } else {
      const v = this.value(lhs.value!);
      if (!Array.isArray(v)) throw new PolicyEvalError(`count.value must be an array, not ${v === null ? 'null' : typeof v}`, pointerOf(lhs.value!) || pointer);
      if (v.length > MAX_VALUE_COUNT) throw new PolicyEvalError(`count.value has ${v.length} members; the limit is ${MAX_VALUE_COUNT}`, pointerOf(lhs.value!) || pointer);
      members = v;
      const name = lhs.name ?? 'default';
      scopeOf = (value) => ({ kind: 'value', name, value });
    }
    if (!lhs.where) return members.length;
    let n = 0;
    for (const m of members) {
      this.scopes.push(scopeOf(m));
      try {
        if (this.node(lhs.where)) n++;
      } finally {
        this.scopes.pop();
      }
    }
    return n;
  }
}

function isPrefix(prefix: readonly PathStep[], steps: readonly PathStep[]): boolean {
  if (prefix.length > steps.length) return false;
  return prefix.every((p, i) => {
    const s = steps[i]!;
    return 'each' in p ? 'each' in s : !('each' in s) && p.key.toLowerCase() === s.key.toLowerCase();
  });
}

/** `parent/child` names of a resource id (`sa1/default/c1` for a blob container). */
function fullName(id: string): string | undefined {
  const segs = id.split('/').filter((s) => s !== '');
  const at = segs.map((s) => s.toLowerCase()).lastIndexOf('providers');
  if (at === -1 || segs.length < at + 4) return undefined;
  const names: string[] = [];
  for (let i = at + 3; i < segs.length; i += 2) names.push(segs[i]!);
  return names.join('/');
}

/**
 * Evaluates the rule's `if` for one resource (request payload). A failing evaluation (template error, type
 * mismatch) returns result true with `error`: Azure treats a failed evaluation as an implicit deny.
 */
export function evaluatePolicyIf(rule: CompiledPolicyRule, ctx: PolicyEvalContext): PolicyIfResult {
  const compiled = asCompiled(rule);
  const ev = new Evaluator(ctx);
  try {
    const result = ev.node(compiled.root);
    return { result, trace: ev.trace, readClock: ev.readClock };
  } catch (e) {
    if (e instanceof PolicyEvalError) return { result: true, trace: ev.trace, readClock: ev.readClock, error: { pointer: e.pointer, message: e.message } };
    throw e;
  }
}
