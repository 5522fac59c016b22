/**
 * locatePointer walks only the path of a JSON pointer through JSON text, skipping everything else; it must
 * give exactly what the full parser (parseJsonText(...).locate) gives, which is the reference, for every
 * pointer of a document, and nothing for a pointer that names no value.
 * https://www.rfc-editor.org/rfc/rfc6901 (JSON Pointer)
 */
import { describe, expect, it } from 'vitest';
import { JsonTextIndex, locatePointer, parseJsonText } from '../../src/core/json-text.js';
import { pointerToken } from '../../src/core/problem.js';

/** Every pointer of a value: the root, then each member and element, depth first. */
function pointers(value: unknown, at = ''): string[] {
  const out = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pointers(v, `${at}/${i}`)));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pointers(v, `${at}/${pointerToken(k)}`));
  return out;
}

/**
 * Checks locatePointer against the reference for every pointer of the text, and one JsonTextIndex reused
 * for all of them in reverse order (so its cached members serve later lookups); returns how many were checked.
 */
function agreesEverywhere(text: string): number {
  const ref = parseJsonText(text);
  const all = pointers(ref.value);
  for (const p of all) {
    const want = ref.locate(p);
    expect(want, `reference has ${JSON.stringify(p)}`).toBeDefined();
    expect(locatePointer(text, p), `pointer ${JSON.stringify(p)} in ${JSON.stringify(text.slice(0, 80))}`).toEqual(want);
  }
  const index = new JsonTextIndex(text);
  for (const p of [...all].reverse()) expect(index.locate(p), `reused index, pointer ${JSON.stringify(p)}`).toEqual(ref.locate(p));
  return all.length;
}

// Keys that need pointer escapes (~0, ~1), or that look like escapes once decoded, or are empty.
const trickyKeys = {
  'a/b': 1,
  'm~n': 2,
  '~1': 3,
  '~01': 4,
  '/': 5,
  '~': 6,
  '': { '': [0] },
  'x/~y': { '~/': 'z' },
};

// Strings whose content looks like JSON structure: a skipper that ignores string boundaries goes astray.
const trickyStrings = {
  quote: 'say "hi"',
  braces: '{"not":"a key"}',
  brackets: '[1,2,]',
  commas: ',,,',
  backslashEnd: 'ends with \\',
  backslashQuote: '\\"',
  colon: 'a: b',
  newline: 'line1\nline2',
  after: { reached: true },
};

const unicode = {
  café: 'crème brûlée',
  '日本': ['東京', { '大阪': 'é' }],
  '😀': { '👍': [1, '🎉'] },
  mixed: 'a😀b',
  next: 'after the surrogates',
};

const numbers = { ints: [0, -0, 7, -12, 1234567890], fracs: [0.5, -0.25, 3.14159], exps: [1e21, 1e-7, -2.5e-10], last: 42 };

const nested = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'A', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': ['x', 'y'] } } },
    { Sid: 'B', Effect: 'Deny', NotAction: 'iam:*', Resource: ['arn:aws:s3:::b/*'] },
    [],
    {},
    [[[], [{}]], [[1]]],
    null,
    true,
    false,
  ],
  Empty: { a: {}, b: [], c: '' },
};

const documents: Record<string, unknown> = { trickyKeys, trickyStrings, unicode, numbers, nested, topArray: [[1, [2, [3]]], { k: [{ k: 'k' }] }] };

describe('locatePointer agrees with parseJsonText for every pointer', () => {
  for (const [name, doc] of Object.entries(documents)) {
    it(`${name}, compact`, () => {
      expect(agreesEverywhere(JSON.stringify(doc))).toBeGreaterThan(3);
    });
    it(`${name}, pretty-printed`, () => {
      expect(agreesEverywhere(JSON.stringify(doc, null, 2))).toBeGreaterThan(3);
    });
    it(`${name}, tab-indented with CRLF line ends`, () => {
      // \r must not count as a line break in either, and tabs count as one column each.
      expect(agreesEverywhere(JSON.stringify(doc, null, '\t').replace(/\n/g, '\r\n'))).toBeGreaterThan(3);
    });
  }

  it('hand-written text: spaces around colons and commas, escapes in keys, leading whitespace', () => {
    // Keys written with escapes (\u00e9, \", \/, \\) are matched by their decoded value.
    const text = ' \n {  "caf\\u00e9" :  1 ,\n"q\\"k" : { "x" : [ 1 ,2 , { "\\/" : null } ] } ,\r\n\t"b\\\\" : "v\\"}" , "last":[ ] }\n';
    expect(agreesEverywhere(text)).toBe(10);
    // And the decoded pointers land where the values are.
    expect(locatePointer(text, '/café')).toEqual({ line: 2, column: 20 });
    expect(locatePointer(text, '/q"k/x/2/~1')).toEqual(parseJsonText(text).locate('/q"k/x/2/~1'));
  });

  it('scalar documents: the root is the only pointer', () => {
    for (const text of ['1', ' -2.5e3 ', '"s"', '\n\ntrue', 'null', '"{[\\""']) expect(agreesEverywhere(text)).toBe(1);
  });

  it('randomly generated documents, compact and pretty', () => {
    // A fixed-seed generator: reproducible, and it reaches shapes nobody thought to write by hand.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = ['a', 'b', '/', '~', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'é', '😀', '0', '1'];
    const str = () => Array.from({ length: rand(5) }, () => alphabet[rand(alphabet.length)]).join('');
    const gen = (depth: number): unknown => {
      const k = depth > 3 ? rand(4) : rand(7);
      if (k === 0) return str();
      if (k === 1) return rand(2) ? rand(1000) - 500 : (rand(100000) - 50000) / 1000;
      if (k === 2) return [true, false, null][rand(3)];
      if (k === 3) return rand(3) === 0 ? 1e-9 * rand(10) : str();
      if (k === 4) return Array.from({ length: rand(4) }, () => gen(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = rand(4); i > 0; i--) o[str()] = gen(depth + 1);
      return o;
    };
    let checked = 0;
    for (let n = 0; n < 200; n++) {
      const doc = { root: gen(0), tail: [gen(1)] };
      checked += agreesEverywhere(JSON.stringify(doc));
      checked += agreesEverywhere(JSON.stringify(doc, null, 1));
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

describe('locatePointer: pointers that name no value', () => {
  const text = JSON.stringify({ a: { b: [10, 20, { c: 'x' }] }, e: [], o: {}, s: 'str', n: 5, 'k/1': 1 }, null, 2);

  it('missing keys', () => {
    // Including a key that appears only as a string value, and one that exists only at another level.
    for (const p of ['/x', '/a/x', '/a/b/2/d', '/str', '/c', '/o/a', '/k/1', '/A']) {
      expect(parseJsonText(text).locate(p), p).toBeUndefined();
      expect(locatePointer(text, p), p).toBeUndefined();
    }
  });

  it('out-of-range and non-numeric array indexes', () => {
    for (const p of ['/a/b/3', '/a/b/100', '/e/0', '/a/b/-', '/a/b/-1', '/a/b/x', '/a/b/1.0', '/a/b/ 1', '/a/b/']) {
      expect(parseJsonText(text).locate(p), p).toBeUndefined();
      expect(locatePointer(text, p), p).toBeUndefined();
    }
  });

  it('array indexes with leading zeros are not indexes (RFC 6901 section 4)', () => {
    // RFC 6901: array-index = %x30 / ( %x31-39 *(%x30-39) ); "01" names no element. The reference agrees.
    for (const p of ['/a/b/01', '/a/b/00', '/a/b/002']) {
      expect(parseJsonText(text).locate(p), p).toBeUndefined();
      expect(locatePointer(text, p), p).toBeUndefined();
    }
  });

  it('pointers through scalars', () => {
    for (const p of ['/s/0', '/n/x', '/a/b/0/0', '/a/b/2/c/0']) {
      expect(parseJsonText(text).locate(p), p).toBeUndefined();
      expect(locatePointer(text, p), p).toBeUndefined();
    }
  });

  it('a pointer that does not start with "/" names nothing, even when the document has an empty key', () => {
    // RFC 6901: a non-empty pointer is a sequence of "/" reference-token; "x" is not a pointer, and must not be
    // read as "/" (the empty key) by dropping its first character.
    const withEmpty = '{"":{"y":1}}';
    for (const p of ['x', 'x/y']) {
      expect(parseJsonText(withEmpty).locate(p), p).toBeUndefined();
      expect(locatePointer(withEmpty, p), p).toBeUndefined();
    }
  });
});
