/**
 * The wildcard matcher behind Action, Resource, StringLike and ArnLike: `*` is any run (empty included), `?` is
 * exactly one character, and patterns come from users, so matching must stay linear (no backtracking).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
 */
import { describe, expect, it } from 'vitest';
import { compileGlob, compileGlobParts, globMatch, globParts, hasWildcard } from '../../src/core/glob.js';

const match = (pattern: string, text: string) => globMatch(compileGlob(pattern), text);

describe('globParts', () => {
  it('splits literals from wildcards', () => {
    expect(globParts('s3:Get*Obj?ct')).toEqual(['s3:Get', { wildcard: '*' }, 'Obj', { wildcard: '?' }, 'ct']);
  });

  it('returns no parts for the empty pattern', () => {
    expect(globParts('')).toEqual([]);
  });
});

describe('globMatch: literals', () => {
  it('matches a literal only against the identical text', () => {
    expect(match('s3:GetObject', 's3:GetObject')).toBe(true);
    expect(match('s3:GetObject', 's3:GetObjectAcl')).toBe(false);
    expect(match('s3:GetObject', 's3:GetObjec')).toBe(false);
    expect(match('s3:GetObject', 'xs3:GetObject')).toBe(false);
  });

  it('is case-sensitive by default (StringLike compares case-sensitively)', () => {
    expect(match('Finance', 'finance')).toBe(false);
  });

  it('treats regex metacharacters as plain text', () => {
    expect(match('a.b+c(d)', 'a.b+c(d)')).toBe(true);
    expect(match('a.b', 'axb')).toBe(false);
  });
});

describe('globMatch: empty pattern and empty text', () => {
  it('the empty pattern matches only the empty text', () => {
    expect(match('', '')).toBe(true);
    expect(match('', 'a')).toBe(false);
  });

  it('a star matches the empty text, a question mark does not', () => {
    expect(match('*', '')).toBe(true);
    expect(match('**', '')).toBe(true);
    expect(match('?', '')).toBe(false);
    expect(match('a*', '')).toBe(false);
  });
});

describe('globMatch: *', () => {
  it('a lone star matches anything', () => {
    expect(match('*', 'arn:aws:s3:::bucket/key')).toBe(true);
    expect(compileGlob('*').matchesAll).toBe(true);
    expect(compileGlob('a*').matchesAll).toBe(false);
  });

  it('leading star anchors the rest at the end', () => {
    expect(match('*Object', 's3:GetObject')).toBe(true);
    expect(match('*Object', 's3:GetObjectAcl')).toBe(false);
    expect(match('*Object', 'Object')).toBe(true);
  });

  it('trailing star anchors the rest at the start', () => {
    expect(match('s3:Get*', 's3:GetObject')).toBe(true);
    expect(match('s3:Get*', 's3:Get')).toBe(true);
    expect(match('s3:Get*', 's3:PutObject')).toBe(false);
  });

  it('middle star matches any run, the empty run included', () => {
    expect(match('s3:*Object', 's3:GetObject')).toBe(true);
    expect(match('a*b', 'ab')).toBe(true);
    expect(match('a*b', 'axxxb')).toBe(true);
    expect(match('a*b', 'axxxbc')).toBe(false);
  });

  it('matches slashes and colons (StringLike has no segment rule)', () => {
    expect(match('home/*', 'home/alice/docs/x.txt')).toBe(true);
    expect(match('arn:*:bucket', 'arn:aws:s3:::bucket')).toBe(true);
  });

  it('prefix and suffix may not overlap', () => {
    expect(match('ab*ba', 'aba')).toBe(false);
    expect(match('ab*ba', 'abba')).toBe(true);
  });

  it('middle pieces must appear in order and before the suffix', () => {
    expect(match('*a*b*', 'xaxbx')).toBe(true);
    expect(match('*a*b*', 'xbxax')).toBe(false);
    // The middle piece 'c' may not be taken from inside the anchored suffix 'c'.
    expect(match('a*c*c', 'ac')).toBe(false);
    expect(match('a*c*c', 'acc')).toBe(true);
  });

  it('finds a later occurrence when the first one is too early', () => {
    expect(match('*ab*abc', 'ababc')).toBe(true);
    expect(match('*aab', 'aaab')).toBe(true);
  });
});

describe('globMatch: ?', () => {
  it('matches exactly one character', () => {
    expect(match('s3:Get?bject', 's3:GetObject')).toBe(true);
    expect(match('a?c', 'ac')).toBe(false);
    expect(match('a?c', 'abbc')).toBe(false);
    expect(match('???', 'abc')).toBe(true);
    expect(match('???', 'abcd')).toBe(false);
  });

  it('combines with stars in every position', () => {
    expect(match('?*', 'a')).toBe(true);
    expect(match('?*', '')).toBe(false);
    expect(match('*?', 'ab')).toBe(true);
    expect(match('a*?c*d', 'axcyd')).toBe(true);
    expect(match('a*b?d*e', 'a__b_d__e')).toBe(true);
    expect(match('a*b?d*e', 'a__b__d__e')).toBe(false);
  });

  it('a ? in a middle piece keeps searching after a partial hit', () => {
    expect(match('*x?z*', 'xaaxbz')).toBe(true);
    expect(match('*x?z*', 'xaaxb')).toBe(false);
  });
});

describe('compileGlob case-insensitive', () => {
  it('lower-cases the pattern, so lower-cased text matches', () => {
    const g = compileGlob('IAM:List*', true);
    expect(globMatch(g, 'iam:listaccesskeys')).toBe(true);
    expect(globMatch(g, 'iam:getuser')).toBe(false);
    expect(g.source).toBe('IAM:List*');
  });

  it('is not case-insensitive unless asked', () => {
    expect(globMatch(compileGlob('IAM:List*'), 'iam:listaccesskeys')).toBe(false);
  });
});

describe('compileGlobParts with literal wildcard characters', () => {
  // Policy-variable escapes ${*} and ${?} reach the matcher as string parts: they are literal characters.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars
  it("a string '*' part matches only a literal '*'", () => {
    const g = compileGlobParts(['*']);
    expect(globMatch(g, '*')).toBe(true);
    expect(globMatch(g, 'a')).toBe(false);
    expect(globMatch(g, '')).toBe(false);
    expect(g.matchesAll).toBe(false);
  });

  it("a string '?' part matches only a literal '?'", () => {
    const g = compileGlobParts(['a?b']);
    expect(globMatch(g, 'a?b')).toBe(true);
    expect(globMatch(g, 'axb')).toBe(false);
  });

  it('mixes literal stars with real wildcards', () => {
    const g = compileGlobParts(['a*', { wildcard: '*' }, 'b']);
    expect(globMatch(g, 'a*xyzb')).toBe(true);
    expect(globMatch(g, 'a*b')).toBe(true);
    expect(globMatch(g, 'axyzb')).toBe(false);
  });

  it('keeps the source text for explanations', () => {
    expect(compileGlobParts(['x', { wildcard: '?' }, 'y']).source).toBe('x?y');
    expect(compileGlobParts(['x'], 'given').source).toBe('given');
  });
});

describe('hasWildcard', () => {
  it('detects * and ?', () => {
    expect(hasWildcard('a*')).toBe(true);
    expect(hasWildcard('a?')).toBe(true);
    expect(hasWildcard('abc')).toBe(false);
  });
});

describe('linear time on hostile patterns', () => {
  // A backtracking matcher (or a RegExp) takes exponential or quadratic time here; the test timeout is the guard.
  const aaa = 'a'.repeat(100_000);

  it("10,000 stars against 100,000 characters", () => {
    const g = compileGlob('*'.repeat(10_000));
    expect(globMatch(g, aaa)).toBe(true);
    expect(globMatch(compileGlob('*'.repeat(10_000) + 'b'), aaa)).toBe(false);
  });

  it("'a*' x 5,000 + 'b' against 100,000 'a' characters", () => {
    const pattern = 'a*'.repeat(5_000) + 'b';
    expect(globMatch(compileGlob(pattern), aaa)).toBe(false);
    expect(globMatch(compileGlob(pattern), aaa + 'b')).toBe(true);
  });

  it("'*a' x 5,000 + '*b' against 100,000 'a' characters", () => {
    const pattern = '*a'.repeat(5_000) + '*b';
    expect(globMatch(compileGlob(pattern), aaa)).toBe(false);
    expect(globMatch(compileGlob(pattern), aaa + 'b')).toBe(true);
    // Needs more 'a's than the text has.
    expect(globMatch(compileGlob('*a'.repeat(5_000) + '*'), 'a'.repeat(4_999))).toBe(false);
  });
});
