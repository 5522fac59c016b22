/**
 * The comparison operators of Azure Policy conditions, applied to one selected value.
 * https://learn.microsoft.com/azure/governance/policy/concepts/definition-structure-policy-rule#conditions
 * String comparisons ignore case except match / notMatch; like takes `*` only (linear, no RegExp); a missing
 * value fails every positive operator, so negated operators hold for it.
 */
import { compileGlobParts, globMatch, type Glob, type GlobPart } from '../../src/core/glob.js';
import { BoundedMap } from '../../src/core/bounded.js';
import { getProperty, isObj } from './policy-aliases.js';

/** A failed evaluation (type mismatch, template error): Azure treats it as an implicit deny. */
export class PolicyEvalError extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
  }
}

export const OPERATORS = [
  'equals', 'notEquals', 'like', 'notLike', 'match', 'matchInsensitively', 'notMatch', 'notMatchInsensitively',
  'contains', 'notContains', 'in', 'notIn', 'containsKey', 'notContainsKey', 'less', 'lessOrEquals', 'greater',
  'greaterOrEquals', 'exists',
] as const;
export type OpName = (typeof OPERATORS)[number];
export const OP_BY_LOWER = new Map<string, OpName>(OPERATORS.map((o) => [o.toLowerCase(), o]));
const NEGATED: Partial<Record<OpName, OpName>> = {
  notEquals: 'equals', notLike: 'like', notMatch: 'match', notMatchInsensitively: 'matchInsensitively',
  notContains: 'contains', notIn: 'in', notContainsKey: 'containsKey',
};

const normLocation = (v: unknown): unknown =>
  typeof v === 'string' ? v.replaceAll(' ', '').toLowerCase() : Array.isArray(v) ? v.map(normLocation) : v;

const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Equality as policy conditions use it: strings ignore case; scalars of different types compare as text. */
function looseEquals(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null) && a !== undefined;
  if (isScalar(a) && isScalar(b)) return String(a).toLowerCase() === String(b).toLowerCase();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => looseEquals(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => looseEquals(a[k], getProperty(b, k)));
  }
  return false;
}

const likeCache = new BoundedMap<string, Glob>(1000);

/** like: `*` is the only wildcard, case-insensitive, matched in linear time. */
function likeMatch(value: string, pattern: string): boolean {
  let glob = likeCache.get(pattern);
  if (!glob) {
    const parts: GlobPart[] = [];
    pattern
      .toLowerCase()
      .split('*')
      .forEach((text, i) => {
        if (i > 0) parts.push({ wildcard: '*' });
        if (text) parts.push(text);
      });
    glob = compileGlobParts(parts, pattern);
    likeCache.set(pattern, glob);
  }
  return globMatch(glob, value.toLowerCase());
}

/** match: `#` a digit, `?` a letter, `.` any character, anything else itself; the whole value. */
function patternMatch(value: string, pattern: string, ignoreCase: boolean): boolean {
  if (value.length !== pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const c = value[i]!;
    if (p === '#') {
      if (c < '0' || c > '9') return false;
    } else if (p === '?') {
      if (c.toLowerCase() === c.toUpperCase()) return false;
    } else if (p !== '.' && (ignoreCase ? p.toLowerCase() !== c.toLowerCase() : p !== c)) return false;
  }
  return true;
}

function ordered(a: unknown, b: unknown, op: string, pointer: string): number {
  const num = (x: unknown) => (typeof x === 'string' && /^-?\d+(\.\d+)?$/.test(x) ? Number(x) : x);
  const x = typeof b === 'number' ? num(a) : a;
  const y = typeof a === 'number' ? num(b) : b;
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'string' && typeof y === 'string') {
    const l = x.toLowerCase();
    const r = y.toLowerCase();
    return l < r ? -1 : l > r ? 1 : 0;
  }
  // "if the property type doesn't match the condition type, an error is thrown"
  throw new PolicyEvalError(`'${op}' cannot compare ${typeof x} with ${typeof y}`, pointer);
}

export function testCondition(op: OpName, actual: unknown, expected: unknown, location: boolean, pointer: string): boolean {
  const positive = NEGATED[op];
  if (positive) return !testCondition(positive, actual, expected, location, pointer);
  const a = location ? normLocation(actual) : actual;
  const e = location ? normLocation(expected) : expected;
  const missing = a === undefined || a === null;
  switch (op) {
    case 'exists':
      return !missing === (e === true || (typeof e === 'string' && e.toLowerCase() === 'true'));
    case 'equals':
      return !missing && looseEquals(a, e);
    case 'in':
      if (!Array.isArray(e)) throw new PolicyEvalError(`'in' expects an array, not ${typeof e}`, pointer);
      return !missing && e.some((x) => looseEquals(a, x));
    case 'like':
      if (typeof e !== 'string') throw new PolicyEvalError("'like' expects a string pattern", pointer);
      return isScalar(a) && likeMatch(String(a), e);
    case 'match':
    case 'matchInsensitively':
      if (typeof e !== 'string') throw new PolicyEvalError(`'${op}' expects a string pattern`, pointer);
      return isScalar(a) && patternMatch(String(a), e, op === 'matchInsensitively');
    case 'contains':
      if (typeof a === 'string') return a.toLowerCase().includes(String(e).toLowerCase());
      return Array.isArray(a) && a.some((x) => looseEquals(x, e));
    case 'containsKey': {
      if (!isObj(a)) return false;
      const key = String(e).toLowerCase();
      return Object.keys(a).some((k) => k.toLowerCase() === key);
    }
    case 'less':
      return !missing && ordered(a, e, op, pointer) < 0;
    case 'lessOrEquals':
      return !missing && ordered(a, e, op, pointer) <= 0;
    case 'greater':
      return !missing && ordered(a, e, op, pointer) > 0;
    case 'greaterOrEquals':
      return !missing && ordered(a, e, op, pointer) >= 0;
    default:
      throw new PolicyEvalError(`operator '${op}' is not implemented`, pointer);
  }
}
