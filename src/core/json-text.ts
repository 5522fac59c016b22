/**
 * A strict JSON parser (RFC 8259) that remembers where each value starts, so an answer can point at the
 * line and column of a statement in a policy that came as text. It also rejects what JSON.parse lets
 * through but we must not accept: duplicate keys, prototype-polluting keys and excessive nesting.
 */
import { InputError, pointerToken } from './problem.js';
import { FORBIDDEN_KEYS, MAX_DEPTH } from './limits.js';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedText {
  value: unknown;
  /** Line and column (1-based) where the value at this pointer starts, if any. */
  locate(pointer: string): Position | undefined;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

class Parser {
  private i = 0;
  readonly offsets = new Map<string, number>();
  constructor(private readonly s: string) {}

  parseDocument(): unknown {
    this.ws();
    const v = this.value('', 0);
    this.ws();
    if (this.i < this.s.length) this.fail('', 'unexpected text after the JSON value');
    return v;
  }

  private lineStarts: number[] | undefined;

  position(offset: number): Position {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let k = 0; k < this.s.length; k++) if (this.s.charCodeAt(k) === 0x0a) this.lineStarts.push(k + 1);
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  }

  fail(pointer: string, message: string, code: 'malformed_json' | 'too_deep' | 'forbidden_key' = 'malformed_json'): never {
    const e = new InputError(code, pointer, message);
    const pos = this.position(this.i);
    e.line = pos.line;
    e.column = pos.column;
    throw e;
  }

  private ws(): void {
    while (this.i < this.s.length && WS.has(this.s.charCodeAt(this.i))) this.i++;
  }

  private value(pointer: string, depth: number): unknown {
    this.offsets.set(pointer, this.i);
    const c = this.s[this.i];
    // The same bound as guardJson: no object or array at depth MAX_DEPTH or deeper.
    if ((c === '{' || c === '[') && depth >= MAX_DEPTH) this.fail(pointer, `nesting deeper than ${MAX_DEPTH} levels`, 'too_deep');
    if (c === '{') return this.object(pointer, depth);
    if (c === '[') return this.array(pointer, depth);
    if (c === '"') return this.string(pointer);
    if (c === 't') return this.literal(pointer, 'true', true);
    if (c === 'f') return this.literal(pointer, 'false', false);
    if (c === 'n') return this.literal(pointer, 'null', null);
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number(pointer);
    return this.fail(pointer, c === undefined ? 'unexpected end of text' : `unexpected character '${c}'`);
  }

  private literal<T>(pointer: string, word: string, v: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail(pointer, `expected '${word}'`);
    this.i += word.length;
    return v;
  }

  private number(pointer: string): number {
    const start = this.i;
    const s = this.s;
    if (s[this.i] === '-') this.i++;
    if (s[this.i] === '0') this.i++;
    else if (s[this.i]! >= '1' && s[this.i]! <= '9') while (s[this.i]! >= '0' && s[this.i]! <= '9') this.i++;
    else this.fail(pointer, 'invalid number');
    if (s[this.i] === '.') {
      this.i++;
      if (!(s[this.i]! >= '0' && s[this.i]! <= '9')) this.fail(pointer, 'invalid number');
      while (s[this.i]! >= '0' && s[this.i]! <= '9') this.i++;
    }
    if (s[this.i] === 'e' || s[this.i] === 'E') {
      this.i++;
      if (s[this.i] === '+' || s[this.i] === '-') this.i++;
      if (!(s[this.i]! >= '0' && s[this.i]! <= '9')) this.fail(pointer, 'invalid number');
      while (s[this.i]! >= '0' && s[this.i]! <= '9') this.i++;
    }
    return Number(s.slice(start, this.i));
  }

  private string(pointer: string): string {
    const s = this.s;
    this.i++;
    let out = '';
    let runStart = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail(pointer, 'unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        out += s.slice(runStart, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail(pointer, 'control character in string');
      if (c === 0x5c) {
        out += s.slice(runStart, this.i);
        const e = s[this.i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          this.i += 2;
        } else if (e === 'u') {
          const hex = s.slice(this.i + 2, this.i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(pointer, 'invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 6;
        } else this.fail(pointer, 'invalid escape');
        runStart = this.i;
      } else this.i++;
    }
  }

  private array(pointer: string, depth: number): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(`${pointer}/${out.length}`, depth + 1));
      this.ws();
      const c = this.s[this.i];
      if (c === ',') this.i++;
      else if (c === ']') {
        this.i++;
        return out;
      } else this.fail(`${pointer}/${out.length}`, "expected ',' or ']'");
    }
  }

  private object(pointer: string, depth: number): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail(pointer, 'expected a property name');
      const key = this.string(pointer);
      const child = `${pointer}/${pointerToken(key)}`;
      if (FORBIDDEN_KEYS.has(key)) this.fail(child, `the key '${key}' is not allowed`, 'forbidden_key');
      if (Object.prototype.hasOwnProperty.call(out, key)) this.fail(child, `duplicate key '${key}'`);
      this.ws();
      if (this.s[this.i] !== ':') this.fail(child, "expected ':'");
      this.i++;
      this.ws();
      out[key] = this.value(child, depth + 1);
      this.ws();
      const c = this.s[this.i];
      if (c === ',') this.i++;
      else if (c === '}') {
        this.i++;
        return out;
      } else this.fail(pointer, "expected ',' or '}'");
    }
  }
}

/** Parses JSON text; errors are InputErrors with the pointer reached and the line/column. */
export function parseJsonText(text: string): ParsedText {
  const p = new Parser(text);
  const value = p.parseDocument();
  return {
    value,
    locate(pointer) {
      const off = p.offsets.get(pointer);
      return off === undefined ? undefined : p.position(off);
    },
  };
}

/** Offset just past the JSON value that starts at i (the text is known to be valid JSON). */
function skipValue(s: string, i: number): number {
  let depth = 0;
  do {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      i++;
      while (s.charCodeAt(i) !== 0x22) i += s.charCodeAt(i) === 0x5c ? 2 : 1;
      i++;
    } else {
      if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) depth--;
      i++;
      if (depth === 0 && c !== 0x7d && c !== 0x5d) {
        // a scalar: run to the next delimiter
        while (i < s.length && !/[\s,\]}]/.test(s[i]!)) i++;
        return i;
      }
    }
  } while (depth > 0 && i < s.length);
  return i;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && WS.has(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Finds line and column of JSON pointers in one valid JSON text, for explanations that point into large
 * uploaded files without parsing them again. The members of each container on a looked-up path are indexed
 * on first use, and line starts once, so repeated lookups cost the depth of the path, not the file's size.
 */
export class JsonTextIndex {
  private readonly members = new Map<number, Map<string, number> | number[]>();
  private lineStarts?: number[];

  constructor(private readonly text: string) {}

  /** Offsets of the members of the object or array starting at i: by key, or by index. */
  private membersAt(start: number): Map<string, number> | number[] | undefined {
    const known = this.members.get(start);
    if (known) return known;
    const text = this.text;
    let i = start;
    let out: Map<string, number> | number[];
    if (text[i] === '{') {
      out = new Map();
      i = skipWs(text, i + 1);
      while (text[i] === '"') {
        const end = skipValue(text, i);
        const key = JSON.parse(text.slice(i, end)) as string;
        i = skipWs(text, skipWs(text, end) + 1);
        if (!out.has(key)) out.set(key, i);
        i = skipWs(text, skipValue(text, i));
        if (text[i] === ',') i = skipWs(text, i + 1);
      }
    } else if (text[i] === '[') {
      out = [];
      i = skipWs(text, i + 1);
      while (i < text.length && text[i] !== ']') {
        out.push(i);
        i = skipWs(text, skipValue(text, i));
        if (text[i] === ',') i = skipWs(text, i + 1);
      }
    } else return undefined;
    this.members.set(start, out);
    return out;
  }

  /** Offset where the value at the pointer starts, if there is one. */
  offset(pointer: string): number | undefined {
    if (pointer !== '' && !pointer.startsWith('/')) return undefined;
    let i: number | undefined = skipWs(this.text, 0);
    if (pointer === '') return i;
    for (const raw of pointer.slice(1).split('/')) {
      const tok = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const m = this.membersAt(i);
      if (m instanceof Map) i = m.get(tok);
      // RFC 6901: an array index is 0 or a number without leading zeros.
      else if (m && /^(0|[1-9]\d*)$/.test(tok)) i = m[Number(tok)];
      else return undefined;
      if (i === undefined) return undefined;
    }
    return i;
  }

  locate(pointer: string): Position | undefined {
    const i = this.offset(pointer);
    if (i === undefined) return undefined;
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let k = this.text.indexOf('\n'); k !== -1; k = this.text.indexOf('\n', k + 1)) this.lineStarts.push(k + 1);
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: i - starts[lo]! + 1 };
  }
}

/** Line and column of the value at a JSON pointer in valid JSON text (one lookup; see JsonTextIndex). */
export function locatePointer(text: string, pointer: string): Position | undefined {
  return new JsonTextIndex(text).locate(pointer);
}
