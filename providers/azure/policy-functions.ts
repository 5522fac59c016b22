/**
 * ARM template expressions inside policy rules (`"[concat(resourceGroup().name, '*')]"`): parsed once at
 * compile time, evaluated per request. Functions: the common ARM template functions plus the policy-only
 * ones (field, current, requestContext, policy, addDays, ipRangeContains, utcNow).
 * https://learn.microsoft.com/azure/governance/policy/concepts/definition-structure-policy-rule#policy-functions
 * A function that fails makes the policy evaluation fail, which Azure treats as an implicit deny.
 */
import { getProperty, isObj } from './policy-aliases.js';

export class TemplateError extends Error {
  constructor(
    message: string,
    /** Offset in the expression text (compile errors). */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

export type Expr =
  | { readonly k: 'lit'; readonly v: string | number }
  | { readonly k: 'call'; readonly name: string; readonly args: readonly Expr[] }
  | { readonly k: 'get'; readonly target: Expr; readonly key: Expr };

/** What the functions can see. */
export interface TemplateScope {
  parameter(name: string): unknown;
  field(name: string): unknown;
  current(name?: string): unknown;
  resourceGroup(): unknown;
  subscription(): unknown;
  requestContext(): unknown;
  policy(): unknown;
  now(): Date;
}

/** A string is an expression when it is wrapped in [ ] and does not start with `[[` (the escape). */
export function isTemplate(s: string): boolean {
  return s.length >= 2 && s.startsWith('[') && !s.startsWith('[[') && s.endsWith(']');
}

/** The literal a `[[...` string stands for. */
export function unescapeLiteral(s: string): string {
  return s.startsWith('[[') ? s.slice(1) : s;
}

// ---------------------------------------------------------------------------------------------- parser

const NOT_IN_POLICY = new Set(
  [
    'copyIndex', 'dateTimeAdd', 'dateTimeFromEpoch', 'dateTimeToEpoch', 'deployment', 'environment', 'extensionResourceId',
    'lambda', 'managementGroup', 'newGuid', 'pickZones', 'providers', 'reference', 'resourceId', 'subscriptionResourceId',
    'tenantResourceId', 'tenant', 'variables',
  ].map((n) => n.toLowerCase()),
);
const MAX_DEPTH = 64; // "Nested policy functions depth: 64"

/** Parses `[expr]` (the brackets included). */
export function parseTemplate(source: string): Expr {
  return new ExprParser(source).parseAll();
}

class ExprParser {
  private i = 1;

  constructor(private readonly s: string) {}

  parseAll(): Expr {
    const e = this.expr(0);
    this.ws();
    if (this.i !== this.s.length - 1) throw new TemplateError(`unexpected '${this.s[this.i]}' in expression`, this.i);
    return e;
  }

  private ws() {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t' || this.s[this.i] === '\n' || this.s[this.i] === '\r') this.i++;
  }

  private fail(what: string): never {
    const at = this.i >= this.s.length - 1 ? 'end of expression' : `'${this.s[this.i]}'`;
    throw new TemplateError(`expected ${what}, found ${at}`, this.i);
  }

  private expr(depth: number): Expr {
    if (depth > MAX_DEPTH) throw new TemplateError('functions nested too deeply', this.i);
    this.ws();
    let e = this.primary(depth);
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === '.') {
        this.i++;
        this.ws();
        const name = this.identifier();
        if (!name) this.fail('a property name');
        e = { k: 'get', target: e, key: { k: 'lit', v: name } };
      } else if (c === '[' && this.i < this.s.length - 1) {
        this.i++;
        const key = this.expr(depth + 1);
        this.ws();
        if (this.s[this.i] !== ']') this.fail("']'");
        this.i++;
        e = { k: 'get', target: e, key };
      } else return e;
    }
  }

  private identifier(): string {
    const start = this.i;
    while (this.i < this.s.length - 1 && /[A-Za-z0-9_$]/.test(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }

  private primary(depth: number): Expr {
    const c = this.s[this.i];
    if (c === "'") {
      let v = '';
      for (this.i++; ; this.i++) {
        if (this.i >= this.s.length - 1) throw new TemplateError('unterminated string literal', this.i);
        if (this.s[this.i] === "'") {
          if (this.s[this.i + 1] !== "'") break;
          this.i++;
        }
        v += this.s[this.i];
      }
      this.i++;
      return { k: 'lit', v };
    }
    if (c !== undefined && /[-0-9]/.test(c)) {
      const start = this.i;
      if (c === '-') this.i++;
      while (/[0-9]/.test(this.s[this.i] ?? '')) this.i++;
      const text = this.s.slice(start, this.i);
      if (text === '-') this.fail('a number');
      return { k: 'lit', v: Number(text) };
    }
    const start = this.i;
    const name = this.identifier();
    if (!name) this.fail('a function call, a string or a number');
    const lower = name.toLowerCase();
    if (NOT_IN_POLICY.has(lower) || lower.startsWith('list')) {
      throw new TemplateError(`function '${name}' is not available in policy rules`, start);
    }
    if (!FUNCTIONS.has(lower)) throw new TemplateError(`unknown or unsupported template function '${name}'`, start);
    this.ws();
    if (this.s[this.i] !== '(') this.fail(`'(' after ${name}`);
    this.i++;
    const args: Expr[] = [];
    this.ws();
    if (this.s[this.i] === ')') this.i++;
    else {
      for (;;) {
        args.push(this.expr(depth + 1));
        this.ws();
        if (this.s[this.i] === ',') this.i++;
        else if (this.s[this.i] === ')') {
          this.i++;
          break;
        } else this.fail("',' or ')'");
      }
    }
    const [min, max] = FUNCTIONS.get(lower)!.arity;
    if (args.length < min || args.length > max) {
      throw new TemplateError(`${name}() takes ${min === max ? min : `${min} to ${max === Infinity ? 'any number of' : max}`} arguments, not ${args.length}`, start);
    }
    return { k: 'call', name: lower, args };
  }
}

// ---------------------------------------------------------------------------------------------- evaluation

type Fn = (args: unknown[], scope: TemplateScope) => unknown;
interface FunctionDef {
  arity: readonly [number, number];
  /** Lazy functions get their arguments unevaluated (if). */
  fn: Fn;
}

export function evalTemplate(e: Expr, scope: TemplateScope): unknown {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'get': {
      const target = evalTemplate(e.target, scope);
      const key = evalTemplate(e.key, scope);
      if (Array.isArray(target)) {
        if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= target.length) {
          throw new TemplateError(`index ${JSON.stringify(key)} is out of range of an array of ${target.length}`);
        }
        return target[key];
      }
      const value = typeof key === 'string' ? getProperty(target, key) : undefined;
      if (value === undefined) throw new TemplateError(`the property '${String(key)}' does not exist`);
      return value;
    }
    case 'call': {
      if (e.name === 'if') {
        const cond = evalTemplate(e.args[0]!, scope);
        if (typeof cond !== 'boolean') throw new TemplateError('if() expects a boolean condition');
        return evalTemplate(e.args[cond ? 1 : 2]!, scope);
      }
      return FUNCTIONS.get(e.name)!.fn(e.args.map((a) => evalTemplate(a, scope)), scope);
    }
  }
}

const kind = (v: unknown) => (v === null || v === undefined ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function str(v: unknown, fn: string): string {
  if (typeof v !== 'string') throw new TemplateError(`${fn}() expects a string, not ${kind(v)}`);
  return v;
}

function int(v: unknown, fn: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TemplateError(`${fn}() expects an integer, not ${kind(v)}`);
  return v;
}

function arr(v: unknown, fn: string): unknown[] {
  if (!Array.isArray(v)) throw new TemplateError(`${fn}() expects an array, not ${kind(v)}`);
  return v;
}

/** ARM equals(): deep equality; object keys compared case-insensitively. */
function deepEquals(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEquals(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => deepEquals(a[k], getProperty(b, k)));
  }
  return a === b;
}

function compareValues(a: unknown, b: unknown, fn: string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError(`${fn}() compares two integers or two strings, not ${kind(a)} and ${kind(b)}`);
}

function toStringValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** yyyy-MM-ddTHH:mm:ss.fffffffZ, the format utcNow() and addDays() return. */
function utcString(d: Date): string {
  return `${d.toISOString().slice(0, 23)}0000Z`;
}

function ipv4(text: string): number {
  const parts = text.trim().split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new TemplateError(`ipRangeContains(): '${text}' is not an IPv4 address (IPv6 is not supported by the simulator)`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** [first, last] of a single address, a CIDR block or a `start-end` range. */
function ipRange(text: string): [number, number] {
  const dash = text.indexOf('-');
  if (dash !== -1) return [ipv4(text.slice(0, dash)), ipv4(text.slice(dash + 1))];
  const slash = text.indexOf('/');
  if (slash === -1) {
    const a = ipv4(text);
    return [a, a];
  }
  const bits = Number(text.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new TemplateError(`ipRangeContains(): bad prefix length in '${text}'`);
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipv4(text.slice(0, slash)) / size) * size;
  return [start, start + size - 1];
}

const ANY = Infinity;
const FUNCTIONS = new Map<string, FunctionDef>(
  Object.entries({
    parameters: { arity: [1, 1], fn: ([n], s) => s.parameter(str(n, 'parameters')) },
    field: { arity: [1, 1], fn: ([n], s) => s.field(str(n, 'field')) },
    current: { arity: [0, 1], fn: ([n], s) => s.current(n === undefined ? undefined : str(n, 'current')) },
    resourcegroup: { arity: [0, 0], fn: (_, s) => s.resourceGroup() },
    subscription: { arity: [0, 0], fn: (_, s) => s.subscription() },
    requestcontext: { arity: [0, 0], fn: (_, s) => s.requestContext() },
    policy: { arity: [0, 0], fn: (_, s) => s.policy() },
    utcnow: { arity: [0, 0], fn: (_, s) => utcString(s.now()) },
    adddays: {
      arity: [2, 2],
      fn: ([d, n]) => {
        const ms = Date.parse(str(d, 'addDays'));
        if (Number.isNaN(ms)) throw new TemplateError(`addDays(): '${String(d)}' is not a date-time`);
        return utcString(new Date(ms + int(n, 'addDays') * 86_400_000));
      },
    },
    iprangecontains: {
      arity: [2, 2],
      fn: ([range, target]) => {
        const [a0, a1] = ipRange(str(range, 'ipRangeContains'));
        const [b0, b1] = ipRange(str(target, 'ipRangeContains'));
        return a0 <= b0 && b1 <= a1;
      },
    },
    if: { arity: [3, 3], fn: () => undefined }, // evaluated lazily in evalTemplate
    and: { arity: [1, ANY], fn: (args) => args.every((a) => bool(a, 'and')) },
    or: { arity: [1, ANY], fn: (args) => args.some((a) => bool(a, 'or')) },
    not: { arity: [1, 1], fn: ([a]) => !bool(a, 'not') },
    true: { arity: [0, 0], fn: () => true },
    false: { arity: [0, 0], fn: () => false },
    null: { arity: [0, 0], fn: () => null },
    bool: {
      arity: [1, 1],
      fn: ([a]) => {
        if (typeof a === 'boolean') return a;
        if (typeof a === 'number') return a !== 0;
        const t = str(a, 'bool').toLowerCase();
        if (t !== 'true' && t !== 'false') throw new TemplateError(`bool(): '${t}' is not a boolean`);
        return t === 'true';
      },
    },
    equals: { arity: [2, 2], fn: ([a, b]) => deepEquals(a, b) },
    less: { arity: [2, 2], fn: ([a, b]) => compareValues(a, b, 'less') < 0 },
    lessorequals: { arity: [2, 2], fn: ([a, b]) => compareValues(a, b, 'lessOrEquals') <= 0 },
    greater: { arity: [2, 2], fn: ([a, b]) => compareValues(a, b, 'greater') > 0 },
    greaterorequals: { arity: [2, 2], fn: ([a, b]) => compareValues(a, b, 'greaterOrEquals') >= 0 },
    concat: {
      arity: [1, ANY],
      fn: (args) => (args.every(Array.isArray) ? (args as unknown[][]).flat() : args.map(toStringValue).join('')),
    },
    tolower: { arity: [1, 1], fn: ([a]) => str(a, 'toLower').toLowerCase() },
    toupper: { arity: [1, 1], fn: ([a]) => str(a, 'toUpper').toUpperCase() },
    trim: { arity: [1, 1], fn: ([a]) => str(a, 'trim').trim() },
    string: { arity: [1, 1], fn: ([a]) => toStringValue(a) },
    int: {
      arity: [1, 1],
      fn: ([a]) => {
        const n = typeof a === 'number' ? a : Number(str(a, 'int'));
        if (!Number.isFinite(n)) throw new TemplateError(`int(): '${String(a)}' is not a number`);
        return Math.trunc(n);
      },
    },
    json: {
      arity: [1, 1],
      fn: ([a]) => {
        try {
          return JSON.parse(str(a, 'json'));
        } catch {
          throw new TemplateError('json(): the argument is not valid JSON');
        }
      },
    },
    createarray: { arity: [0, ANY], fn: (args) => args },
    array: { arity: [1, 1], fn: ([a]) => (Array.isArray(a) ? a : [a]) },
    empty: {
      arity: [1, 1],
      fn: ([a]) => a === null || a === undefined || a === '' || (Array.isArray(a) ? a.length === 0 : isObj(a) && Object.keys(a).length === 0),
    },
    length: {
      arity: [1, 1],
      fn: ([a]) => {
        if (typeof a === 'string' || Array.isArray(a)) return a.length;
        if (isObj(a)) return Object.keys(a).length;
        throw new TemplateError(`length() expects a string, an array or an object, not ${kind(a)}`);
      },
    },
    contains: {
      arity: [2, 2],
      fn: ([c, item]) => {
        // ARM: strings case-sensitive, object keys case-insensitive, arrays by equality.
        if (typeof c === 'string') return c.includes(toStringValue(item));
        if (Array.isArray(c)) return c.some((x) => deepEquals(x, item));
        if (isObj(c)) return getProperty(c, toStringValue(item)) !== undefined;
        throw new TemplateError(`contains() expects a string, an array or an object, not ${kind(c)}`);
      },
    },
    split: {
      arity: [2, 2],
      fn: ([s, d]) => {
        const text = str(s, 'split');
        const delims = Array.isArray(d) ? d.map((x) => str(x, 'split')) : [str(d, 'split')];
        let parts = [text];
        for (const delim of delims) if (delim !== '') parts = parts.flatMap((p) => p.split(delim));
        return parts;
      },
    },
    join: { arity: [2, 2], fn: ([a, d]) => arr(a, 'join').map(toStringValue).join(str(d, 'join')) },
    first: { arity: [1, 1], fn: ([a]) => (typeof a === 'string' ? a.slice(0, 1) : arr(a, 'first')[0]) },
    last: { arity: [1, 1], fn: ([a]) => (typeof a === 'string' ? a.slice(-1) : arr(a, 'last').at(-1)) },
    take: { arity: [2, 2], fn: ([a, n]) => (typeof a === 'string' ? a : arr(a, 'take')).slice(0, Math.max(0, int(n, 'take'))) },
    skip: { arity: [2, 2], fn: ([a, n]) => (typeof a === 'string' ? a : arr(a, 'skip')).slice(Math.max(0, int(n, 'skip'))) },
    substring: {
      arity: [1, 3],
      fn: ([s, start, len]) => {
        const text = str(s, 'substring');
        const from = start === undefined ? 0 : int(start, 'substring');
        const count = len === undefined ? text.length - from : int(len, 'substring');
        if (from < 0 || count < 0 || from + count > text.length) {
          throw new TemplateError(`substring(): start ${from} and length ${count} are outside '${text}'`);
        }
        return text.slice(from, from + count);
      },
    },
    replace: { arity: [3, 3], fn: ([s, a, b]) => str(s, 'replace').split(str(a, 'replace')).join(str(b, 'replace')) },
    // ARM's startsWith/endsWith/indexOf/lastIndexOf ignore case.
    startswith: { arity: [2, 2], fn: ([s, p]) => str(s, 'startsWith').toLowerCase().startsWith(str(p, 'startsWith').toLowerCase()) },
    endswith: { arity: [2, 2], fn: ([s, p]) => str(s, 'endsWith').toLowerCase().endsWith(str(p, 'endsWith').toLowerCase()) },
    indexof: { arity: [2, 2], fn: ([s, p]) => str(s, 'indexOf').toLowerCase().indexOf(str(p, 'indexOf').toLowerCase()) },
    lastindexof: { arity: [2, 2], fn: ([s, p]) => str(s, 'lastIndexOf').toLowerCase().lastIndexOf(str(p, 'lastIndexOf').toLowerCase()) },
    coalesce: { arity: [1, ANY], fn: (args) => args.find((a) => a !== null && a !== undefined) ?? null },
    union: {
      arity: [1, ANY],
      fn: (args) => {
        if (args.every(Array.isArray)) {
          const out: unknown[] = [];
          for (const x of (args as unknown[][]).flat()) if (!out.some((y) => deepEquals(x, y))) out.push(x);
          return out;
        }
        if (args.every(isObj)) return Object.assign({}, ...args);
        throw new TemplateError('union() expects all arrays or all objects');
      },
    },
    tryget: {
      arity: [2, ANY],
      fn: ([obj, ...keys]) => {
        let v: unknown = obj;
        for (const k of keys) {
          if (Array.isArray(v)) v = typeof k === 'number' ? v[k] : undefined;
          else v = typeof k === 'string' ? getProperty(v, k) : undefined;
          if (v === undefined) return null;
        }
        return v;
      },
    },
  } satisfies Record<string, FunctionDef>),
);

function bool(v: unknown, fn: string): boolean {
  if (typeof v !== 'boolean') throw new TemplateError(`${fn}() expects booleans, not ${kind(v)}`);
  return v;
}
