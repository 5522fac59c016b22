/**
 * IAM Conditions: compile a condition expression once, evaluate it per request with three-valued logic.
 *
 * - https://cloud.google.com/iam/docs/conditions-overview : CEL subset, a binding applies only when the condition
 *   is true; a condition that cannot be evaluated (error) does not grant.
 * - https://cloud.google.com/iam/docs/conditions-attribute-reference : attributes and functions.
 * - https://cloud.google.com/iam/docs/conditions-resource-attributes : a part that reads a resource attribute the
 *   service does not provide never grants, while `resource.type != X || ...` still grants for other types; that is
 *   CEL's commutative && / || with error values.
 * - https://cloud.google.com/policy-intelligence/docs/troubleshoot-access : attributes the caller did not supply
 *   leave the binding UNKNOWN_CONDITIONAL; ConditionExplanation.evaluationStates gives one value per top-level
 *   statement of the expression, with its character span.
 *
 * Leaves (anything that is not && / || / !) are evaluated by @bufbuild/cel; the boolean skeleton above them is
 * evaluated here so that UNKNOWN stays distinct from error: like cel-go, false absorbs everything in &&, true in
 * ||, and otherwise unknown wins over error.
 */
import { celEnv, celError, parse, plan, isCelError, type CelEnv, type CelInput, type CelResult } from '@bufbuild/cel';
import { BoundedMap } from '../../src/core/bounded.js';
import { fromJson } from '@bufbuild/protobuf';
import { TimestampSchema, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  iamFunctions,
  unavailableAttribute,
  unknownAttribute,
  UNKNOWN_MARK,
  TAGS_ATTRIBUTE,
  API_ATTRIBUTE_PREFIX,
  FORWARDING_RULE_CREATION,
  LOAD_BALANCING_SCHEME,
  type FunctionScope,
} from './cel-functions.js';
import { statementSpans } from './cel-spans.js';

export interface CompiledCondition {
  readonly expression: string;
  readonly title?: string;
  /** Attribute paths the expression reads, e.g. 'request.time', 'resource.name', 'resource.tags', 'api.getAttribute:iam.googleapis.com/modifiedGrantsByRole'. */
  readonly attributes: readonly string[];
  /** Character spans [start, end) of the top-level statements (the parts joined by the outermost && or ||). */
  readonly statements: readonly { readonly start: number; readonly end: number }[];
  /** The evaluation tree; at the top, one child per statement. */
  readonly root: ConditionNode;
  /** Values of constant timestamp('...') / duration('...') / date('...') calls, computed once and bound by name. */
  readonly constants: Readonly<Record<string, CelInput>>;
}

export class ConditionSyntaxError extends Error {
  /** 0-based character offset in the expression. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'ConditionSyntaxError';
    this.offset = offset;
  }
}

export interface ConditionContext {
  /** Attribute values known for this request: 'request.time' (RFC 3339 string or Date), 'resource.name', 'resource.type', 'resource.service', 'destination.ip', 'destination.port', 'request.host', 'request.path', 'request.auth.access_levels', 'principal.type', 'principal.subject', 'api.getAttribute:<name>', 'compute.isForwardingRuleCreationOperation', 'compute.loadBalancingScheme'. */
  values: Record<string, unknown>;
  /** Tags bound to the resource (effective, incl. inherited): 'orgId/env' or 'projectId/env' -> short value; byId 'tagKeys/123' -> 'tagValues/456'. Absent = no tags (unless 'resource.tags' is in unknown). */
  tags?: { byName: Record<string, string>; byId: Record<string, string> };
  /** Attributes the caller did not give but the service would provide: reading one yields UNKNOWN, not an error. */
  unknown: ReadonlySet<string>;
  /** Kept by evaluateCondition: the attribute values as CEL values, each converted on its first read. */
  celValues?: Record<string, CelInput | CelResult>;
}

/** Troubleshooter-style evaluation state of one top-level statement; end is exclusive (expression.slice(start, end)). */
export interface ConditionState {
  start: number;
  end: number;
  value?: boolean;
  unknown?: boolean;
  errors?: string[];
}

export interface ConditionResult {
  value: true | false | 'unknown';
  states: ConditionState[];
  /** Unknown attributes that made the result unknown. */
  missing: string[];
  errors: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation tree.

type Expr = ReturnType<typeof parse>['expr'];

/** The evaluation tree: && / || / ! evaluated here, everything else planned by @bufbuild/cel. */
export type ConditionNode =
  | { kind: 'and' | 'or'; children: ConditionNode[] }
  | { kind: 'not'; child: ConditionNode }
  | { kind: 'leaf'; run: (bindings: Record<string, CelInput | CelResult>) => CelResult };

type Outcome = { kind: 'bool'; value: boolean } | { kind: 'unknown'; missing: Set<string> } | { kind: 'error'; errors: string[] };

const AND = '_&&_';
const OR = '_||_';
const NOT = '!_';

/** Dotted attribute names: a longer select chain such as request.time.x still reads request.time. */
const KNOWN_ATTRIBUTES = [
  'request.time',
  'request.host',
  'request.path',
  'request.auth.access_levels',
  'resource.name',
  'resource.type',
  'resource.service',
  'destination.ip',
  'destination.port',
  'principal.type',
  'principal.subject',
];

let active: ConditionContext | undefined;
const scope: FunctionScope = {
  value: (path) => (active && Object.hasOwn(active.values, path) ? active.values[path] : undefined),
  isUnknown: (path) => active?.unknown.has(path) ?? false,
  tags: () => active?.tags,
};
const env: CelEnv = celEnv({ funcs: iamFunctions(scope) });
// Compiled conditions by expression text (and by title + text for titled copies that share the plan). Bounded,
// oldest first out, so a stream of distinct user expressions cannot grow memory without limit.
const CACHE_LIMIT = 10_000;
const cache = new BoundedMap<string, CompiledCondition>(CACHE_LIMIT);
const titledCache = new BoundedMap<string, CompiledCondition>(CACHE_LIMIT);

function callName(e: Expr): string | undefined {
  return e.exprKind.case === 'callExpr' ? e.exprKind.value.function : undefined;
}

function buildNode(e: Expr): ConditionNode {
  const fn = callName(e);
  if (e.exprKind.case === 'callExpr' && (fn === AND || fn === OR)) {
    return { kind: fn === AND ? 'and' : 'or', children: flatten(e, fn).map(buildNode) };
  }
  if (e.exprKind.case === 'callExpr' && fn === NOT && e.exprKind.value.args.length === 1) {
    return { kind: 'not', child: buildNode(e.exprKind.value.args[0]!) };
  }
  const run = plan(env, e);
  return { kind: 'leaf', run: (b) => run(b as Parameters<typeof run>[0]) };
}

const CONSTANT_FUNCTIONS = new Set(['timestamp', 'duration', 'date']);
/** The constants of an expression that has none (shared, so evaluation can tell without counting). */
const NO_CONSTANTS: Readonly<Record<string, CelInput>> = Object.freeze({});

/**
 * Replaces calls like timestamp('2026-01-01T00:00:00Z') with a variable bound to their value, so the literal is
 * parsed once per expression instead of once per evaluation. Invalid literals stay calls (and fail when evaluated).
 */
function foldConstants(e: Expr, constants: Record<string, CelInput>): void {
  const k = e.exprKind;
  if (k.case === 'callExpr') {
    const arg = k.value.args[0];
    if (!k.value.target && k.value.args.length === 1 && CONSTANT_FUNCTIONS.has(k.value.function) && arg?.exprKind.case === 'constExpr' && arg.exprKind.value.constantKind.case === 'stringValue') {
      const v = plan(env, e)();
      if (!isCelError(v)) {
        // '@' cannot start an identifier in CEL source, so these names never collide with the expression's own.
        const name = `@${Object.keys(constants).length}`;
        constants[name] = v as CelInput;
        e.exprKind = { case: 'identExpr', value: { $typeName: 'cel.expr.Expr.Ident', name } };
      }
      return;
    }
    for (const x of k.value.target ? [k.value.target, ...k.value.args] : k.value.args) foldConstants(x, constants);
  } else if (k.case === 'selectExpr' && k.value.operand) foldConstants(k.value.operand, constants);
  else if (k.case === 'listExpr') for (const x of k.value.elements) foldConstants(x, constants);
  else if (k.case === 'structExpr') {
    for (const entry of k.value.entries) {
      if (entry.keyKind.case === 'mapKey') foldConstants(entry.keyKind.value, constants);
      if (entry.value) foldConstants(entry.value, constants);
    }
  } else if (k.case === 'comprehensionExpr') {
    const c = k.value;
    for (const x of [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result]) if (x) foldConstants(x, constants);
  }
}

/** The operands of a chain of the same operator: a && (b && c) -> [a, b, c]. */
function flatten(e: Expr, op: string): Expr[] {
  if (e.exprKind.case === 'callExpr' && e.exprKind.value.function === op) return e.exprKind.value.args.flatMap((a) => flatten(a, op));
  return [e];
}

/** Qualified name of a select chain (a.b.c), or undefined when it is not rooted at an identifier. */
function qualifiedName(e: Expr): string | undefined {
  if (e.exprKind.case === 'identExpr') return e.exprKind.value.name;
  if (e.exprKind.case === 'selectExpr' && !e.exprKind.value.testOnly && e.exprKind.value.operand) {
    const parent = qualifiedName(e.exprKind.value.operand);
    return parent === undefined ? undefined : `${parent}.${e.exprKind.value.field}`;
  }
  return undefined;
}

function attributeOf(path: string): string {
  return KNOWN_ATTRIBUTES.find((a) => path === a || path.startsWith(a + '.')) ?? path;
}

/** Attribute paths read by the expression; also rejects calls to functions IAM does not define. */
function collect(e: Expr, out: Set<string>, locals: ReadonlySet<string>, positions: Record<string, number>): void {
  const k = e.exprKind;
  switch (k.case) {
    case 'identExpr':
    case 'selectExpr': {
      const name = qualifiedName(e);
      if (name !== undefined) {
        if (!locals.has(name.split('.')[0]!)) out.add(attributeOf(name));
        return;
      }
      if (k.case === 'selectExpr' && k.value.operand) collect(k.value.operand, out, locals, positions);
      return;
    }
    case 'callExpr': {
      const target = k.value.target;
      const qualified = target ? qualifiedName(target) : undefined;
      const fn = qualified !== undefined && env.funcs.find(`${qualified}.${k.value.function}`) ? `${qualified}.${k.value.function}` : undefined;
      if (fn !== undefined) {
        if (fn.startsWith('resource.')) out.add(TAGS_ATTRIBUTE);
        else if (fn === 'api.getAttribute') {
          const first = k.value.args[0];
          if (first?.exprKind.case === 'constExpr' && first.exprKind.value.constantKind.case === 'stringValue') out.add(API_ATTRIBUTE_PREFIX + first.exprKind.value.constantKind.value);
        } else if (fn.startsWith('compute.')) {
          out.add(FORWARDING_RULE_CREATION);
          if (fn === 'compute.matchLoadBalancingSchemes') out.add(LOAD_BALANCING_SCHEME);
        }
      } else {
        if (!/^[_@!-]/.test(k.value.function) && !env.funcs.find(k.value.function)) {
          throw new ConditionSyntaxError(`undeclared reference to function '${k.value.function}'`, positions[String(e.id)] ?? 0);
        }
        if (target) collect(target, out, locals, positions);
      }
      for (const a of k.value.args) collect(a, out, locals, positions);
      return;
    }
    case 'listExpr':
      for (const x of k.value.elements) collect(x, out, locals, positions);
      return;
    case 'structExpr':
      for (const entry of k.value.entries) {
        if (entry.keyKind.case === 'mapKey') collect(entry.keyKind.value, out, locals, positions);
        if (entry.value) collect(entry.value, out, locals, positions);
      }
      return;
    case 'comprehensionExpr': {
      const c = k.value;
      const inner = new Set([...locals, c.iterVar, c.iterVar2, c.accuVar].filter((v) => v !== ''));
      for (const x of [c.iterRange, c.accuInit]) if (x) collect(x, out, locals, positions);
      for (const x of [c.loopCondition, c.loopStep, c.result]) if (x) collect(x, out, inner, positions);
      return;
    }
    default:
      return;
  }
}

/** Parses and plans an expression; the same text always returns the same object. Throws ConditionSyntaxError. */
export function compileCondition(expression: string, title?: string): CompiledCondition {
  const core = cache.get(expression) ?? compileCore(expression);
  if (title === undefined || title === core.title) return core;
  const key = `${title}\u0000${expression}`;
  return titledCache.get(key) ?? titledCache.remember(key, { ...core, title });
}

function compileCore(expression: string): CompiledCondition {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expression);
  } catch (err) {
    const offset = (err as { location?: { start?: { offset?: number } } }).location?.start?.offset ?? 0;
    throw new ConditionSyntaxError(`syntax error in condition: ${(err as Error).message}`, offset);
  }
  const attributes = new Set<string>();
  collect(parsed.expr, attributes, new Set(), (parsed.sourceInfo?.positions ?? {}) as Record<string, number>);
  const folded: Record<string, CelInput> = {};
  foldConstants(parsed.expr, folded);
  const constants = Object.keys(folded).length ? folded : NO_CONSTANTS;
  const root = buildNode(parsed.expr);
  const parts = root.kind === 'and' || root.kind === 'or' ? root.children.length : 1;
  const compiled: CompiledCondition = {
    expression,
    attributes: [...attributes].sort(),
    statements: statementSpans(expression, root.kind === 'and' ? '&&' : root.kind === 'or' ? '||' : undefined, parts),
    root,
    constants,
  };
  return cache.remember(expression, compiled);
}

// ---------------------------------------------------------------------------------------------------------

function timestampOf(v: unknown): Timestamp {
  if (v instanceof Date) return timestampFromDate(v);
  if (typeof v !== 'string') throw new Error('expected an RFC 3339 string');
  return fromJson(TimestampSchema, v);
}

/** Context value -> CEL input: request.time becomes a Timestamp, destination.port an int. */
function toCel(path: string, v: unknown): CelInput | CelResult {
  if (path === 'request.time') return timestampOf(v);
  if (path === 'destination.port' && typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v as CelInput;
  if (v !== null && typeof v === 'object') return new Map(Object.entries(v)) as CelInput;
  return v as CelInput;
}

type Activation = Record<string, CelInput | CelResult>;

/** The CEL value of one attribute; a CEL error value bound to a variable is returned wherever the variable is read. */
function celValue(path: string, ctx: ConditionContext): CelInput | CelResult {
  const v = Object.hasOwn(ctx.values, path) ? ctx.values[path] : undefined;
  if (v === undefined) return ctx.unknown.has(path) ? unknownAttribute(path) : unavailableAttribute(path);
  try {
    return toCel(path, v);
  } catch (err) {
    return celError(`invalid value for ${path}: ${(err as Error).message}`);
  }
}

/** Attributes read through functions (tags, api.getAttribute, compute.*), not bound as variables. */
const viaFunctions = (path: string) => path === TAGS_ATTRIBUTE || path.startsWith(API_ATTRIBUTE_PREFIX) || path.startsWith('compute.');

// A request evaluates many conditions against one context: each attribute is converted on first read and kept
// with the context, so request.time is parsed once per request, not once per condition.
function bindings(c: CompiledCondition, ctx: ConditionContext): Activation {
  const request = (ctx.celValues ??= Object.create(null) as Activation);
  for (const path of c.attributes) if (!viaFunctions(path) && !(path in request)) request[path] = celValue(path, ctx);
  if (c.constants === NO_CONSTANTS) return request;
  // The condition's own variables: its attributes and its folded constants, in one flat record (a record with
  // the request's as prototype would turn that one into a slow prototype object on every request).
  const own = Object.create(null) as Activation;
  for (const path of c.attributes) if (path in request) own[path] = request[path]!;
  return Object.assign(own, c.constants);
}

/** Every message inside a (possibly merged) CEL error. */
function messages(err: unknown, out: string[] = []): string[] {
  if (Array.isArray(err)) {
    for (const e of err) messages(e, out);
  } else if (err instanceof Error) {
    out.push(err.message);
    if (err.cause !== undefined) messages(err.cause, out);
  }
  return out;
}

function leafOutcome(v: CelResult): Outcome {
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (isCelError(v)) {
    const all = [...new Set(messages(v))];
    const missing = new Set(all.filter((m) => m.startsWith(UNKNOWN_MARK)).map((m) => m.slice(UNKNOWN_MARK.length)));
    if (missing.size > 0) return { kind: 'unknown', missing };
    return { kind: 'error', errors: all };
  }
  return { kind: 'error', errors: ['condition is not a boolean expression'] };
}

function evalNode(n: ConditionNode, b: Record<string, CelInput | CelResult>): Outcome {
  switch (n.kind) {
    case 'leaf':
      return leafOutcome(n.run(b));
    case 'not': {
      const o = evalNode(n.child, b);
      return o.kind === 'bool' ? { kind: 'bool', value: !o.value } : o;
    }
    default:
      return combine(
        n.kind,
        n.children.map((c) => evalNode(c, b)),
      );
  }
}

/** && / || over outcomes: the decisive value wins, then unknown (missing merged), then error, else the neutral value. */
function combine(op: 'and' | 'or', outcomes: Outcome[]): Outcome {
  const decisive = op === 'or';
  if (outcomes.some((o) => o.kind === 'bool' && o.value === decisive)) return { kind: 'bool', value: decisive };
  const unknown = outcomes.filter((o): o is Extract<Outcome, { kind: 'unknown' }> => o.kind === 'unknown');
  if (unknown.length > 0) return { kind: 'unknown', missing: new Set(unknown.flatMap((o) => [...o.missing])) };
  const errors = outcomes.flatMap((o) => (o.kind === 'error' ? o.errors : []));
  if (errors.length > 0) return { kind: 'error', errors };
  return { kind: 'bool', value: !decisive };
}

function state({ start, end }: { start: number; end: number }, o: Outcome): ConditionState {
  if (o.kind === 'bool') return { start, end, value: o.value };
  if (o.kind === 'unknown') return { start, end, unknown: true };
  return { start, end, errors: o.errors };
}

/** Evaluates a compiled condition against one request. Never throws. */
export function evaluateCondition(c: CompiledCondition, ctx: ConditionContext): ConditionResult {
  const previous = active;
  active = ctx;
  try {
    const b = bindings(c, ctx);
    const parts = c.root.kind === 'and' || c.root.kind === 'or' ? c.root.children : [c.root];
    const outcomes = parts.map((p) => evalNode(p, b));
    const overall = c.root.kind === 'and' || c.root.kind === 'or' ? combine(c.root.kind, outcomes) : outcomes[0]!;
    const states = outcomes.map((o, i) => state(c.statements[i] ?? { start: 0, end: c.expression.length }, o));
    if (overall.kind === 'bool') return { value: overall.value, states, missing: [], errors: [] };
    if (overall.kind === 'unknown') return { value: 'unknown', states, missing: [...overall.missing].sort(), errors: [] };
    return { value: false, states, missing: [], errors: overall.errors };
  } finally {
    active = previous;
  }
}
