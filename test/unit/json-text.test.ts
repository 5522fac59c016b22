/**
 * Strict JSON (RFC 8259) with positions, and the input bounds checked on every body. Policies are JSON; IAM
 * rejects duplicate keys in a statement (specs/aws.md section 2), and the service must not accept keys that reach
 * an object's prototype or nesting that could exhaust the stack.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
import { describe, expect, it } from 'vitest';
import { guardJson } from '../../src/core/json-guard.js';
import { parseJsonText } from '../../src/core/json-text.js';
import { MAX_DEPTH } from '../../src/core/limits.js';
import { InputError } from '../../src/core/problem.js';

/** Runs fn and returns the InputError it throws. */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

const nested = (n: number, inner = '') => '['.repeat(n) + inner + ']'.repeat(n);

describe('parseJsonText: values', () => {
  it('parses every JSON type like JSON.parse', () => {
    const text = '{"s":"a\\"b\\\\c\\/\\n\\u00e9","n":-1.5e3,"z":0,"t":true,"f":false,"x":null,"a":[1,[],{}]}';
    expect(parseJsonText(text).value).toEqual(JSON.parse(text));
  });

  it('allows whitespace around the document', () => {
    expect(parseJsonText(' \n\t{"a" : [ 1 , 2 ] }\r\n').value).toEqual({ a: [1, 2] });
  });

  it('rejects what JSON does not allow', () => {
    for (const text of ['', '{', '{"a":1,}', '[1,]', "{'a':1}", '{a:1}', '01', '1.', '.5', '+1', '-', '1e', 'NaN', 'tru', '"abc', '"a\tb"', '"\\x"', '"\\u12g4"', '[1 2]', '{"a" 1}', '{} {}', '// c\n1']) {
      const e = inputError(() => parseJsonText(text));
      expect(e.code, JSON.stringify(text)).toBe('malformed_json');
    }
  });
});

describe('parseJsonText: positions', () => {
  const text = ['{', '  "Version": "2012-10-17",', '  "Statement": [', '    {"Effect": "Allow"},', '    {', '      "a/b": {"m~n": 7}', '    }', '  ]', '}'].join('\n');
  const parsed = parseJsonText(text);

  it('locates the value at a pointer (1-based line and column)', () => {
    expect(parsed.locate('')).toEqual({ line: 1, column: 1 });
    expect(parsed.locate('/Version')).toEqual({ line: 2, column: 14 });
    expect(parsed.locate('/Statement')).toEqual({ line: 3, column: 16 });
    expect(parsed.locate('/Statement/0')).toEqual({ line: 4, column: 5 });
    expect(parsed.locate('/Statement/0/Effect')).toEqual({ line: 4, column: 16 });
    expect(parsed.locate('/Statement/1')).toEqual({ line: 5, column: 5 });
  });

  it('escapes ~ and / in pointer tokens (RFC 6901)', () => {
    expect(parsed.locate('/Statement/1/a~1b')).toEqual({ line: 6, column: 14 });
    expect(parsed.locate('/Statement/1/a~1b/m~0n')).toEqual({ line: 6, column: 22 });
  });

  it('returns undefined for a pointer that names nothing', () => {
    expect(parsed.locate('/Statement/2')).toBeUndefined();
    expect(parsed.locate('/Nope')).toBeUndefined();
  });

  it('skips leading whitespace for the root position', () => {
    expect(parseJsonText('\n\n   [1]').locate('')).toEqual({ line: 3, column: 4 });
  });
});

describe('parseJsonText: malformed JSON carries line and column', () => {
  it('points at the bad literal', () => {
    const e = inputError(() => parseJsonText('{\n  "a": tru\n}'));
    expect(e.code).toBe('malformed_json');
    expect(e.pointer).toBe('/a');
    expect([e.line, e.column]).toEqual([2, 8]);
  });

  it('points at an unexpected character', () => {
    const e = inputError(() => parseJsonText('[\n  1,\n  @\n]'));
    expect(e.pointer).toBe('/1');
    expect([e.line, e.column]).toEqual([3, 3]);
  });

  it('points at the text after the value', () => {
    const e = inputError(() => parseJsonText('{}\n  x'));
    expect([e.line, e.column]).toEqual([2, 3]);
  });
});

describe('parseJsonText: duplicate keys', () => {
  it('rejects a duplicate key with its pointer and position', () => {
    const e = inputError(() => parseJsonText('{\n  "a": 1,\n  "a": 2\n}'));
    expect(e.code).toBe('malformed_json');
    expect(e.pointer).toBe('/a');
    expect(e.message).toContain("duplicate key 'a'");
    expect(e.line).toBe(3);
    // On the second "a" (columns 3-5) or just after it.
    expect(e.column).toBeGreaterThanOrEqual(3);
    expect(e.column).toBeLessThanOrEqual(6);
  });

  it('rejects a duplicate Effect inside a statement', () => {
    const e = inputError(() => parseJsonText('{"Statement":[{"Effect":"Allow","Effect":"Deny"}]}'));
    expect(e.pointer).toBe('/Statement/0/Effect');
  });

  it('allows the same key in different objects', () => {
    expect(parseJsonText('[{"a":1},{"a":2}]').value).toEqual([{ a: 1 }, { a: 2 }]);
  });
});

describe('parseJsonText: forbidden keys', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('rejects %s with its pointer', (key) => {
    const e = inputError(() => parseJsonText(`{"Statement": [{"Condition": {"${key}": {}}}]}`));
    expect(e.code).toBe('forbidden_key');
    expect(e.pointer).toBe(`/Statement/0/Condition/${key}`);
    expect(e.line).toBe(1);
  });

  it('allows the same words as values', () => {
    expect(parseJsonText('{"a":"__proto__"}').value).toEqual({ a: '__proto__' });
  });
});

describe('parseJsonText: depth', () => {
  it(`accepts ${MAX_DEPTH} levels of nesting`, () => {
    expect(() => parseJsonText(nested(MAX_DEPTH))).not.toThrow();
    expect(() => parseJsonText(nested(MAX_DEPTH, '1'))).not.toThrow();
  });

  it('rejects nesting over the limit with too_deep', () => {
    const e = inputError(() => parseJsonText(nested(MAX_DEPTH + 1, '1')));
    expect(e.code).toBe('too_deep');
    // The pointer names the first container that is too deep, as guardJson does.
    expect(e.pointer).toBe('/0'.repeat(MAX_DEPTH));
    expect(inputError(() => parseJsonText(nested(10_000))).code).toBe('too_deep');
  });

  it(`rejects ${MAX_DEPTH + 1} nested empty containers, as guardJson does`, () => {
    // MAX_DEPTH is "the deepest nesting accepted anywhere in a body or a policy document" (limits.ts): a policy
    // given as text is only checked by parseJsonText, so both checks must draw the line at the same place.
    expect(inputError(() => guardJson(JSON.parse(nested(MAX_DEPTH + 1)))).code).toBe('too_deep');
    expect(inputError(() => parseJsonText(nested(MAX_DEPTH + 1))).code).toBe('too_deep');
  });
});

describe('guardJson', () => {
  it('accepts an ordinary body', () => {
    expect(() => guardJson(JSON.parse('{"policies":[{"Statement":[{"Effect":"Allow"}]}]}'))).not.toThrow();
    expect(() => guardJson(JSON.parse(nested(MAX_DEPTH, '1')))).not.toThrow();
  });

  it('rejects depth over the limit with the pointer of the first value too deep', () => {
    const e = inputError(() => guardJson(JSON.parse(`{"a":${nested(MAX_DEPTH)}}`)));
    expect(e.code).toBe('too_deep');
    expect(e.pointer).toBe('/a' + '/0'.repeat(MAX_DEPTH - 1));
  });

  it('does not overflow the stack on very deep input', () => {
    expect(inputError(() => guardJson(JSON.parse(nested(100_000)))).code).toBe('too_deep');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('rejects an own key %s with its pointer', (key) => {
    // JSON.parse makes "__proto__" an own property; an object literal would set the prototype instead.
    const body = JSON.parse(`{"x/y":[{"ok":1,"${key}":{"polluted":true}}]}`);
    const e = inputError(() => guardJson(body));
    expect(e.code).toBe('forbidden_key');
    expect(e.pointer).toBe(`/x~1y/0/${key}`);
  });

  it('rejects too many values with 413 and the pointer of the first value over the limit', () => {
    const e = inputError(() => guardJson(JSON.parse('{"a":[1,2,3]}'), 4));
    expect(e.code).toBe('too_large');
    expect(e.status).toBe(413);
    expect(e.pointer).toBe('/a/2');
    expect(() => guardJson(JSON.parse('{"a":[1,2,3]}'), 5)).not.toThrow();
  });
});
