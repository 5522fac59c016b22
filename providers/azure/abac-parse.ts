/**
 * Parser for Azure role assignment conditions (ABAC), grammar from
 * https://learn.microsoft.com/azure/role-based-access-control/conditions-format:
 *   cond    := unary ((AND|&&) unary)* | unary ((OR||) unary)*     (mixing needs parentheses)
 *   unary   := (NOT|!) unary | '(' cond ')' | ActionMatches{'p'} | SubOperationMatches{'p'}
 *            | Exists @Source[name] | operand OPERATOR operand
 *   operand := @Source[name] | 'string' | number | GUID | true | false | '{' literal (',' literal)* '}'
 *   OPERATOR:= [ForAnyOfAnyValues: | ForAllOfAnyValues: | ForAnyOfAllValues: | ForAllOfAllValues:] base operator
 * Keywords and operators are case-insensitive (built-in roles write `boolequals`). Literals are typed by the
 * operator once, here, so evaluation only compares.
 */
import { compileGlob, compileGlobParts, type Glob, type GlobPart } from '../../src/core/glob.js';
import { BoundedMap } from '../../src/core/bounded.js';
import { parseGuid } from './ids.js';

export class AbacSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'AbacSyntaxError';
  }
}

export interface AbacCondition {
  readonly text: string;
  /** Attributes the condition reads, as first written (e.g. '@Resource[Microsoft.Storage/...:name]'), once each. */
  readonly attributes: readonly string[];
}

export type ValueType = 'string' | 'numeric' | 'datetime' | 'guid' | 'bool';
export type Quantifier = 'anyOfAny' | 'allOfAny' | 'anyOfAll' | 'allOfAll';
type BaseOp = 'equals' | 'startsWith' | 'like' | 'greaterThan' | 'greaterThanEquals' | 'lessThan' | 'lessThanEquals';

export interface Operator {
  readonly text: string;
  readonly type: ValueType;
  readonly base: BaseOp;
  readonly negated: boolean;
  readonly ignoreCase: boolean;
  readonly quantifier?: Quantifier;
}

/** A typed value: strings (ignore-case operators: lower-cased), integers, booleans, GUIDs (dashed lower case), date keys. */
export type Scalar = string | number | boolean;

export interface AttrRef {
  readonly kind: 'attr';
  /** Canonical lookup key (see attributeKey). */
  readonly key: string;
  /** As written. */
  readonly text: string;
}

export interface LiteralOperand {
  readonly kind: 'lit';
  readonly values: readonly Scalar[];
  /** Compiled patterns for the right side of a Like operator. */
  readonly globs?: readonly Glob[];
}

export type Operand = AttrRef | LiteralOperand;

interface Span {
  readonly start: number;
  readonly end: number;
}

export type AbacNode = Span &
  (
    | { readonly kind: 'and' | 'or'; readonly items: readonly AbacNode[] }
    | { readonly kind: 'not'; readonly item: AbacNode }
    | { readonly kind: 'action' | 'subop'; readonly patterns: readonly Glob[] }
    | { readonly kind: 'exists'; readonly attr: AttrRef }
    | { readonly kind: 'compare'; readonly op: Operator; readonly left: Operand; readonly right: Operand }
  );

export class ParsedAbac implements AbacCondition {
  constructor(
    readonly text: string,
    readonly attributes: readonly string[],
    readonly root: AbacNode,
  ) {}
}

/** Role assignment conditions are limited to 8 KB (Azure RBAC service limits). */
const MAX_CONDITION_LENGTH = 8192;
const MAX_DEPTH = 64;
const SOURCES = new Map(['Resource', 'Request', 'Principal', 'Environment'].map((s) => [s.toLowerCase(), s]));
const KEY_CASE_SENSITIVE = '<$key_case_sensitive$>';

/**
 * The lookup key of an attribute: source and name are case-insensitive, except a blob index tag key marked
 * `<$key_case_sensitive$>` ("tag keys are case-sensitive", storage-auth-abac-attributes).
 * Returns undefined when the text is not `@Source[name]`.
 */
export function attributeKey(text: string): string | undefined {
  const t = text.trim();
  const open = t.indexOf('[');
  if (!t.startsWith('@') || open === -1 || !t.endsWith(']')) return undefined;
  const source = SOURCES.get(t.slice(1, open).trim().toLowerCase());
  const name = t.slice(open + 1, -1).trim();
  if (!source || name === '') return undefined;
  const lower = name.toLowerCase();
  const marker = lower.indexOf(KEY_CASE_SENSITIVE);
  let canonical = lower;
  if (marker !== -1) {
    const colon = lower.lastIndexOf(':', marker);
    canonical = lower.slice(0, colon + 1) + name.slice(colon + 1, marker) + lower.slice(marker);
  }
  return `@${source.toLowerCase()}[${canonical}]`;
}

// ---------------------------------------------------------------------------------------------- tokens

type TokenKind = '(' | ')' | '{' | '}' | ',' | '!' | '&&' | '||' | 'string' | 'attr' | 'word' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

const isWordChar = (c: string) => /[A-Za-z0-9_.:\-]/.test(c);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if ('(){},'.includes(c)) {
      tokens.push({ kind: c as TokenKind, text: c, start, end: ++i });
    } else if (c === '!') {
      tokens.push({ kind: '!', text: c, start, end: ++i });
    } else if ((c === '&' || c === '|') && text[i + 1] === c) {
      i += 2;
      tokens.push({ kind: c === '&' ? '&&' : '||', text: c + c, start, end: i });
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close === -1) throw new AbacSyntaxError('unterminated string literal', start);
      tokens.push({ kind: 'string', text: text.slice(i + 1, close), start, end: close + 1 });
      i = close + 1;
    } else if (c === '@') {
      const close = text.indexOf(']', i);
      const open = text.indexOf('[', i);
      if (open === -1 || close === -1 || close < open) throw new AbacSyntaxError('malformed attribute: expected @Source[name]', start);
      const attr = text.slice(start, close + 1);
      if (!attributeKey(attr)) {
        throw new AbacSyntaxError('unknown attribute source: expected @Resource, @Request, @Principal or @Environment', start);
      }
      tokens.push({ kind: 'attr', text: attr, start, end: close + 1 });
      i = close + 1;
    } else if (isWordChar(c)) {
      while (i < text.length && isWordChar(text[i]!)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), start, end: i });
    } else {
      throw new AbacSyntaxError(`unexpected character '${c}'`, start);
    }
  }
  tokens.push({ kind: 'eof', text: '', start: text.length, end: text.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------- operators

const OPERATORS = new Map<string, Omit<Operator, 'text' | 'quantifier'>>();
function defineOperators(type: ValueType, prefix: string, bases: readonly BaseOp[], ignoreCase: boolean) {
  for (const base of bases) {
    const name = base[0]!.toUpperCase() + base.slice(1);
    const suffix = ignoreCase ? 'ignorecase' : '';
    OPERATORS.set(`${prefix}${name}${suffix}`.toLowerCase(), { type, base, negated: false, ignoreCase });
    if (base === 'equals' || base === 'startsWith' || base === 'like') {
      OPERATORS.set(`${prefix}Not${name}${suffix}`.toLowerCase(), { type, base, negated: true, ignoreCase });
    }
  }
}
const ORDERED: readonly BaseOp[] = ['equals', 'greaterThan', 'greaterThanEquals', 'lessThan', 'lessThanEquals'];
defineOperators('string', 'String', ['equals', 'startsWith', 'like'], false);
defineOperators('string', 'String', ['equals', 'startsWith', 'like'], true);
defineOperators('numeric', 'Numeric', ORDERED, false);
defineOperators('datetime', 'DateTime', ORDERED, false);
defineOperators('guid', 'Guid', ['equals'], false);
defineOperators('bool', 'Bool', ['equals'], false);

const QUANTIFIERS = new Map<string, Quantifier>([
  ['foranyofanyvalues', 'anyOfAny'],
  ['forallofanyvalues', 'allOfAny'],
  ['foranyofallvalues', 'anyOfAll'],
  ['forallofallvalues', 'allOfAll'],
]);

function parseOperator(tok: Token): Operator {
  const lower = tok.text.toLowerCase();
  const colon = lower.indexOf(':');
  const base = OPERATORS.get(colon === -1 ? lower : lower.slice(colon + 1));
  if (!base) throw new AbacSyntaxError(`unknown operator '${tok.text}'`, tok.start);
  if (colon === -1) return { text: tok.text, ...base };
  const quantifier = QUANTIFIERS.get(lower.slice(0, colon));
  if (!quantifier) throw new AbacSyntaxError(`unknown cross-product prefix '${tok.text.slice(0, colon)}'`, tok.start);
  // conditions-format: cross-product operators exist for the String, Numeric and Guid families only.
  if (base.type === 'bool' || base.type === 'datetime') {
    throw new AbacSyntaxError(`'${tok.text}': cross-product operators apply to String, Numeric and Guid operators only`, tok.start);
  }
  return { text: tok.text, ...base, quantifier };
}

// ---------------------------------------------------------------------------------------------- literals

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?Z$/i;

/**
 * A sortable key for a DateTime, keeping the full 100 ns precision of `yyyy-mm-ddThh:mm:ss.fffffffZ`
 * ("Full-precision check", conditions-format). Other ISO forms (offsets) fall back to millisecond precision.
 */
function dateTimeKey(value: string): string | undefined {
  const m = DATETIME.exec(value.trim());
  if (m) {
    const [, y, mo, d, h, mi, s, frac] = m;
    const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!);
    const back = new Date(ms);
    const parts = [back.getUTCMonth() + 1, back.getUTCDate(), back.getUTCHours(), back.getUTCMinutes(), back.getUTCSeconds()];
    if (parts.join() !== [+mo!, +d!, +h!, +mi!, +s!].join()) return undefined;
    return `${y}-${mo}-${d}T${h}:${mi}:${s}.${(frac ?? '').padEnd(7, '0')}`;
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(value.trim())) return undefined;
  const iso = new Date(ms).toISOString(); // yyyy-mm-ddThh:mm:ss.fffZ
  return `${iso.slice(0, 23)}0000`;
}

/** Pattern for StringLike: `*` any run, `?` one character, `\*` and `\?` literal (conditions-format). */
export function likeGlob(pattern: string, ignoreCase: boolean): Glob {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const parts: GlobPart[] = [];
  let text = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\' && (p[i + 1] === '*' || p[i + 1] === '?')) {
      text += p[++i];
    } else if (c === '*' || c === '?') {
      if (text) parts.push(text);
      text = '';
      parts.push({ wildcard: c });
    } else text += c;
  }
  if (text) parts.push(text);
  return compileGlobParts(parts, pattern);
}

/** Converts a value (literal or attribute value) to the operator's type; undefined when it does not fit. */
export function toTyped(value: unknown, op: Operator): Scalar | undefined {
  switch (op.type) {
    case 'string':
      return typeof value === 'string' ? (op.ignoreCase ? value.toLowerCase() : value) : undefined;
    case 'numeric':
      if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
      return typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : undefined;
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value !== 'string') return undefined;
      return value.toLowerCase() === 'true' ? true : value.toLowerCase() === 'false' ? false : undefined;
    case 'guid': {
      if (typeof value !== 'string') return undefined;
      // Role definition ids are accepted in full form too: the GUID is their last segment.
      const slash = value.lastIndexOf('/');
      return parseGuid(slash === -1 ? value : value.slice(slash + 1));
    }
    case 'datetime':
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : `${value.toISOString().slice(0, 23)}0000`;
      return typeof value === 'string' ? dateTimeKey(value) : undefined;
  }
}

// ---------------------------------------------------------------------------------------------- parser

class Parser {
  private pos = 0;
  private readonly attributes = new Map<string, string>();

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  parse(): ParsedAbac {
    const root = this.parseCondition(0);
    const t = this.peek();
    if (t.kind !== 'eof') throw new AbacSyntaxError(`unexpected '${t.text}'`, t.start);
    return new ParsedAbac(this.text, [...this.attributes.values()], root);
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private expect(kind: TokenKind, what: string): Token {
    const t = this.next();
    if (t.kind !== kind) throw new AbacSyntaxError(`expected ${what}, found ${t.kind === 'eof' ? 'end of condition' : `'${t.text}'`}`, t.start);
    return t;
  }

  private logical(t: Token): 'and' | 'or' | undefined {
    if (t.kind === '&&') return 'and';
    if (t.kind === '||') return 'or';
    if (t.kind !== 'word') return undefined;
    const w = t.text.toLowerCase();
    return w === 'and' ? 'and' : w === 'or' ? 'or' : undefined;
  }

  private parseCondition(depth: number): AbacNode {
    const items = [this.parseUnary(depth)];
    let kind: 'and' | 'or' | undefined;
    for (let op = this.logical(this.peek()); op; op = this.logical(this.peek())) {
      const t = this.next();
      // conditions-format, "Grouping and precedence": a AND b OR c is ambiguous; parentheses are required.
      if (kind && kind !== op) throw new AbacSyntaxError('AND and OR mixed without parentheses: the order is ambiguous', t.start);
      kind = op;
      items.push(this.parseUnary(depth));
    }
    if (!kind) return items[0]!;
    return { kind, items, start: items[0]!.start, end: items[items.length - 1]!.end };
  }

  private parseUnary(depth: number): AbacNode {
    if (depth > MAX_DEPTH) throw new AbacSyntaxError('condition nested too deeply', this.peek().start);
    const t = this.peek();
    const word = t.kind === 'word' ? t.text.toLowerCase() : '';
    if (t.kind === '!' || word === 'not') {
      this.next();
      const item = this.parseUnary(depth + 1);
      return { kind: 'not', item, start: t.start, end: item.end };
    }
    if (t.kind === '(') {
      this.next();
      const inner = this.parseCondition(depth + 1);
      const close = this.expect(')', "')'");
      return { ...inner, start: t.start, end: close.end };
    }
    if (word === 'actionmatches' || word === 'suboperationmatches') {
      this.next();
      this.expect('{', "'{'");
      const patterns: Glob[] = [];
      do patterns.push(compileGlob(this.expect('string', 'a quoted pattern').text, true));
      while (this.peek().kind === ',' && this.next());
      const close = this.expect('}', "'}'");
      return { kind: word === 'actionmatches' ? 'action' : 'subop', patterns, start: t.start, end: close.end };
    }
    if (word === 'notexists') throw new AbacSyntaxError("'NotExists' is not an operator: write NOT Exists @Source[name]", t.start);
    if (word === 'exists') {
      this.next();
      const attr = this.attr(this.expect('attr', 'an attribute after Exists'));
      return { kind: 'exists', attr, start: t.start, end: this.tokens[this.pos - 1]!.end };
    }
    return this.parseComparison();
  }

  private attr(t: Token): AttrRef {
    const key = attributeKey(t.text)!;
    if (!this.attributes.has(key)) this.attributes.set(key, t.text);
    return { kind: 'attr', key, text: t.text };
  }

  private parseComparison(): AbacNode {
    const first = this.peek();
    const left = this.operand();
    const opTok = this.next();
    if (opTok.kind !== 'word' || this.logical(opTok)) {
      throw new AbacSyntaxError(`expected an operator, found ${opTok.kind === 'eof' ? 'end of condition' : `'${opTok.text}'`}`, opTok.start);
    }
    const op = parseOperator(opTok);
    const right = this.operand();
    const end = this.tokens[this.pos - 1]!.end;
    return {
      kind: 'compare',
      op,
      left: this.typed(left, op, false),
      right: this.typed(right, op, true),
      start: first.start,
      end,
    };
  }

  private operand(): RawOperand {
    const t = this.next();
    if (t.kind === 'attr') return this.attr(t);
    if (t.kind === 'string' || (t.kind === 'word' && !this.logical(t) && t.text.toLowerCase() !== 'not')) {
      return { kind: 'raw', tokens: [t], start: t.start };
    }
    if (t.kind === '{') {
      const tokens: Token[] = [];
      do {
        const v = this.next();
        if (v.kind !== 'string' && v.kind !== 'word') throw new AbacSyntaxError('expected a value in the set', v.start);
        tokens.push(v);
      } while (this.peek().kind === ',' && this.next());
      this.expect('}', "'}' or ','");
      return { kind: 'raw', tokens, start: t.start };
    }
    throw new AbacSyntaxError(
      `expected an attribute, a value or a condition, found ${t.kind === 'eof' ? 'end of condition' : `'${t.text}'`}`,
      t.start,
    );
  }

  private typed(operand: RawOperand, op: Operator, right: boolean): Operand {
    if (operand.kind === 'attr') return operand;
    // A plain operator compares one value with one value; sets need a cross-product operator.
    if (operand.tokens.length > 1 && !op.quantifier) {
      throw new AbacSyntaxError(`a set of values needs a cross-product operator (ForAnyOfAnyValues:${op.text} ...)`, operand.start);
    }
    const values = operand.tokens.map((t) => {
      // Strings and date-times are quoted; integers and booleans are not; GUIDs may be either (built-ins: bare).
      const quoted = t.kind === 'string';
      const fits = op.type === 'guid' || quoted === (op.type === 'string' || op.type === 'datetime');
      const v = fits ? toTyped(t.text, op) : undefined;
      if (v === undefined) throw new AbacSyntaxError(`'${t.text}' is not a valid ${TYPE_NAMES[op.type]} for ${op.text}`, t.start);
      return v;
    });
    if (right && op.base === 'like') {
      return { kind: 'lit', values, globs: operand.tokens.map((t) => likeGlob(t.text, op.ignoreCase)) };
    }
    return { kind: 'lit', values };
  }
}

type RawOperand = AttrRef | { kind: 'raw'; tokens: Token[]; start: number };

const TYPE_NAMES: Record<ValueType, string> = {
  string: 'quoted string',
  numeric: 'integer',
  datetime: "quoted date-time ('yyyy-mm-ddThh:mm:ss.fffffffZ')",
  guid: 'GUID',
  bool: 'boolean (true or false)',
};

const CACHE_LIMIT = 1024;
const cache = new BoundedMap<string, ParsedAbac>(CACHE_LIMIT);

/**
 * Parses a condition (cached by text). `version` is the conditionVersion: "2.0" (the default and the only
 * version role assignments accept) or "1.0" (seen in one built-in role definition; same syntax).
 */
export function parseAbac(text: string, version?: string): ParsedAbac {
  if (version !== undefined && version !== '2.0' && version !== '1.0') {
    throw new AbacSyntaxError(`unsupported conditionVersion '${version}' (expected "2.0")`, 0);
  }
  const hit = cache.get(text);
  if (hit) return hit;
  if (text.length > MAX_CONDITION_LENGTH) {
    throw new AbacSyntaxError(`condition longer than ${MAX_CONDITION_LENGTH} characters`, MAX_CONDITION_LENGTH);
  }
  if (text.trim() === '') throw new AbacSyntaxError('empty condition', 0);
  const parsed = new Parser(text, tokenize(text)).parse();
  return cache.remember(text, parsed);
}
