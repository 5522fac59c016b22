/**
 * Condition operators in three-valued logic (true | false | 'unknown').
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
import { describe, expect, it } from 'vitest';
import type { Tri } from '../../src/core/decision.js';
import { compileCondition, evaluateCondition, parseOperator } from '../../providers/aws/conditions.js';
import { buildContext, type ContextView, type RequestContext } from '../../providers/aws/context.js';
import { parseCaller, type Caller } from '../../providers/aws/principal.js';

const ALICE = 'arn:aws:iam::111122223333:user/alice';

function caller(principal = ALICE): Caller {
  const c = parseCaller(principal);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

/** Context for an IAM user; keys the request does not give are unknown unless `unknownIsAbsent`. */
function ctx(given: RequestContext = {}, unknownIsAbsent = false, principal = ALICE): ContextView {
  return buildContext({ caller: caller(principal), viaVpcEndpoint: false }, given, unknownIsAbsent);
}

/** Evaluates `{ operator: { key: values } }` against a context. */
function evaluate(operator: string, key: string, values: string | string[], view: ContextView, variables = true): Tri {
  const parsed = parseOperator(operator);
  if (!parsed.ok) throw new Error(parsed.message);
  const c = compileCondition(operator, parsed, key, Array.isArray(values) ? values : [values], variables);
  return evaluateCondition(c, view).result;
}

/** Shorthand: one key given in the request. */
const on = (operator: string, values: string | string[], requestValue: RequestContext[string], key = 'test:Key') =>
  evaluate(operator, key, values, ctx({ [key]: requestValue }));

describe('parseOperator', () => {
  it('parses set qualifiers and IfExists', () => {
    const p = parseOperator('ForAnyValue:StringNotLikeIfExists');
    expect(p.ok).toBe(true);
    if (p.ok) {
      expect(p.set).toBe('any');
      expect(p.ifExists).toBe(true);
      expect(p.spec.family).toBe('stringLike');
      expect(p.spec.negated).toBe(true);
    }
  });

  it('matches operator names case-insensitively', () => {
    for (const name of ['stringequals', 'STRINGEQUALS', 'forallvalues:stringlikeifexists', 'FORANYVALUE:ArnLike']) {
      expect(parseOperator(name).ok, name).toBe(true);
    }
    expect(on('stringequals', 'a', 'a')).toBe(true);
    expect(on('NUMERICLESSTHAN', '10', '5')).toBe(true);
  });

  it('rejects unknown operators', () => {
    // Access Analyzer rejects an unknown operator; the spec treats it as a policy error.
    for (const name of ['StringEqual', 'StringMatches', 'IfExists', 'ForSomeValues:StringEquals', 'ForAnyValue:', '', 'StringEqualsIfExists2']) {
      expect(parseOperator(name).ok, name).toBe(false);
    }
  });

  it('rejects Null with IfExists or a set operator', () => {
    expect(parseOperator('Null').ok).toBe(true);
    expect(parseOperator('NullIfExists').ok).toBe(false);
    expect(parseOperator('ForAnyValue:Null').ok).toBe(false);
  });
});

describe('String operators', () => {
  it('StringEquals is exact and case-sensitive', () => {
    expect(on('StringEquals', 'Finance', 'Finance')).toBe(true);
    expect(on('StringEquals', 'Finance', 'finance')).toBe(false);
    expect(on('StringEquals', 'Fin*', 'Finance')).toBe(false);
  });

  it('StringNotEquals', () => {
    expect(on('StringNotEquals', 'Finance', 'HR')).toBe(true);
    expect(on('StringNotEquals', 'Finance', 'Finance')).toBe(false);
  });

  it('StringEqualsIgnoreCase / StringNotEqualsIgnoreCase', () => {
    expect(on('StringEqualsIgnoreCase', 'FINANCE', 'finance')).toBe(true);
    expect(on('StringEqualsIgnoreCase', 'FINANCE', 'hr')).toBe(false);
    expect(on('StringNotEqualsIgnoreCase', 'FINANCE', 'finance')).toBe(false);
    expect(on('StringNotEqualsIgnoreCase', 'FINANCE', 'hr')).toBe(true);
  });

  it('StringLike / StringNotLike use * and ?, case-sensitively', () => {
    expect(on('StringLike', 'home/*', 'home/alice/x')).toBe(true);
    expect(on('StringLike', 'home/?', 'home/ab')).toBe(false);
    expect(on('StringLike', 'Home/*', 'home/alice')).toBe(false);
    expect(on('StringNotLike', 'home/*', 'tmp/x')).toBe(true);
    expect(on('StringNotLike', 'home/*', 'home/x')).toBe(false);
  });

  it('several values are OR for positive operators', () => {
    expect(on('StringEquals', ['a', 'b', 'c'], 'b')).toBe(true);
    expect(on('StringEquals', ['a', 'b', 'c'], 'd')).toBe(false);
  });
});

describe('Numeric operators', () => {
  it('compare integers and decimals', () => {
    expect(on('NumericEquals', '10', '10.0')).toBe(true);
    expect(on('NumericEquals', '10', '11')).toBe(false);
    expect(on('NumericNotEquals', '10', '11')).toBe(true);
    expect(on('NumericNotEquals', '10', '10')).toBe(false);
    expect(on('NumericLessThan', '10', '9.5')).toBe(true);
    expect(on('NumericLessThan', '10', '10')).toBe(false);
    expect(on('NumericLessThanEquals', '10', '10')).toBe(true);
    expect(on('NumericLessThanEquals', '10', '10.01')).toBe(false);
    expect(on('NumericGreaterThan', '10', '11')).toBe(true);
    expect(on('NumericGreaterThan', '10', '10')).toBe(false);
    expect(on('NumericGreaterThanEquals', '10', '10')).toBe(true);
    expect(on('NumericGreaterThanEquals', '10', '-10')).toBe(false);
  });

  it('compares numerically, not as text', () => {
    expect(on('NumericLessThan', '100', '9')).toBe(true);
  });

  it('accepts numbers given as JSON numbers in the request', () => {
    expect(on('NumericEquals', '3', 3)).toBe(true);
  });

  it('an unparsable number never matches a positive operator', () => {
    expect(on('NumericEquals', '10', 'ten')).toBe(false);
    expect(on('NumericEquals', 'ten', '10')).toBe(false);
    expect(on('NumericGreaterThan', '1', '0x10')).toBe(false);
  });
});

describe('Date operators', () => {
  it('compare W3C ISO 8601 dates', () => {
    const at = (op: string, policy: string, req: string) => on(op, policy, req, 'aws:CurrentTime');
    expect(at('DateEquals', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')).toBe(true);
    expect(at('DateEquals', '2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z')).toBe(false);
    expect(at('DateNotEquals', '2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z')).toBe(true);
    expect(at('DateNotEquals', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')).toBe(false);
    expect(at('DateLessThan', '2024-01-01T00:00:00Z', '2023-12-31T23:59:59Z')).toBe(true);
    expect(at('DateLessThan', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')).toBe(false);
    expect(at('DateLessThanEquals', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')).toBe(true);
    expect(at('DateLessThanEquals', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')).toBe(false);
    expect(at('DateGreaterThan', '2024-01-01T00:00:00Z', '2024-06-01T12:00:00Z')).toBe(true);
    expect(at('DateGreaterThan', '2024-01-01T00:00:00Z', '2023-06-01T12:00:00Z')).toBe(false);
    expect(at('DateGreaterThanEquals', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')).toBe(true);
    expect(at('DateGreaterThanEquals', '2024-01-01T00:00:00Z', '2023-12-31T23:59:59Z')).toBe(false);
  });

  it('honours time-zone offsets in ISO dates', () => {
    expect(on('DateEquals', '2024-01-01T00:00:00Z', '2024-01-01T01:00:00+01:00', 'aws:CurrentTime')).toBe(true);
  });

  it('compare epoch seconds, also against ISO dates', () => {
    // 1704067200 = 2024-01-01T00:00:00Z
    expect(on('DateGreaterThan', '1704067200', '1704067201', 'aws:EpochTime')).toBe(true);
    expect(on('DateGreaterThan', '1704067200', '1704067199', 'aws:EpochTime')).toBe(false);
    expect(on('DateEquals', '2024-01-01T00:00:00Z', '1704067200', 'aws:EpochTime')).toBe(true);
    expect(on('DateEquals', '1704067200', '2024-01-01T00:00:00Z', 'aws:CurrentTime')).toBe(true);
  });

  it('an unparsable date never matches', () => {
    expect(on('DateLessThan', '2024-01-01T00:00:00Z', 'yesterday', 'aws:CurrentTime')).toBe(false);
    expect(on('DateLessThan', 'soon', '2023-01-01T00:00:00Z', 'aws:CurrentTime')).toBe(false);
  });
});

describe('Bool', () => {
  it('matches true/false case-insensitively', () => {
    expect(on('Bool', 'true', 'true', 'aws:MultiFactorAuthPresent')).toBe(true);
    expect(on('Bool', 'true', 'TRUE', 'aws:MultiFactorAuthPresent')).toBe(true);
    expect(on('Bool', 'true', true, 'aws:MultiFactorAuthPresent')).toBe(true);
    expect(on('Bool', 'true', 'false', 'aws:MultiFactorAuthPresent')).toBe(false);
  });

  it('reads the derived default aws:SecureTransport = true', () => {
    expect(evaluate('Bool', 'aws:SecureTransport', 'false', ctx())).toBe(false);
    expect(evaluate('Bool', 'aws:SecureTransport', 'true', ctx())).toBe(true);
  });
});

describe('BinaryEquals', () => {
  it('compares the base64 value byte for byte', () => {
    expect(on('BinaryEquals', 'QmluYXJ5VmFsdWU=', 'QmluYXJ5VmFsdWU=')).toBe(true);
    expect(on('BinaryEquals', 'QmluYXJ5VmFsdWU=', 'qmluyxj5vmfsdwu=')).toBe(false);
  });
});

describe('IpAddress / NotIpAddress', () => {
  const ip = (op: string, policy: string | string[], req: string) => on(op, policy, req, 'aws:SourceIp');

  it('IPv4 CIDR', () => {
    expect(ip('IpAddress', '203.0.113.0/24', '203.0.113.7')).toBe(true);
    expect(ip('IpAddress', '203.0.113.0/24', '203.0.114.7')).toBe(false);
    expect(ip('NotIpAddress', '203.0.113.0/24', '198.51.100.1')).toBe(true);
    expect(ip('NotIpAddress', '203.0.113.0/24', '203.0.113.200')).toBe(false);
  });

  it('a bare address is a /32', () => {
    expect(ip('IpAddress', '203.0.113.7', '203.0.113.7')).toBe(true);
    expect(ip('IpAddress', '203.0.113.7', '203.0.113.8')).toBe(false);
  });

  it('IPv6', () => {
    expect(ip('IpAddress', '2001:db8::/32', '2001:db8:1234::1')).toBe(true);
    expect(ip('IpAddress', '2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(ip('NotIpAddress', '2001:db8::/32', '2001:db9::1')).toBe(true);
  });

  it('an IPv4 block never contains an IPv6 address', () => {
    expect(ip('IpAddress', '0.0.0.0/0', '2001:db8::1')).toBe(false);
  });

  it('an invalid request address never matches', () => {
    expect(ip('IpAddress', '0.0.0.0/0', 'not-an-ip')).toBe(false);
  });
});

describe('Arn operators', () => {
  const arn = (op: string, policy: string | string[], req: string) => on(op, policy, req, 'aws:SourceArn');
  const value = 'arn:aws:sns:us-east-1:123456789012:topic-a';

  it('ArnEquals and ArnLike are the same per-segment match', () => {
    for (const op of ['ArnEquals', 'ArnLike']) {
      expect(arn(op, 'arn:aws:sns:*:123456789012:topic-*', value), op).toBe(true);
      expect(arn(op, 'arn:aws:sns:*:999999999999:topic-*', value), op).toBe(false);
    }
  });

  it('ArnNotEquals / ArnNotLike', () => {
    for (const op of ['ArnNotEquals', 'ArnNotLike']) {
      expect(arn(op, 'arn:aws:sns:*:999999999999:*', value), op).toBe(true);
      expect(arn(op, 'arn:aws:sns:*:123456789012:*', value), op).toBe(false);
    }
  });

  it("ArnLike '*' does not cross ':' where StringLike does (doc example)", () => {
    const pattern = 'arn:aws:someservice:*:111122223333:finance/*';
    const v = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';
    expect(arn('ArnLike', pattern, v)).toBe(false);
    expect(arn('StringLike', pattern, v)).toBe(true);
  });
});

describe('Null', () => {
  it('"true" holds when the key is absent', () => {
    expect(evaluate('Null', 'aws:TokenIssueTime', 'true', ctx({ 'aws:TokenIssueTime': null }))).toBe(true);
    expect(evaluate('Null', 'aws:TokenIssueTime', 'true', ctx({ 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }))).toBe(false);
  });

  it('"false" holds when the key is present', () => {
    expect(evaluate('Null', 'aws:TokenIssueTime', 'false', ctx({ 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }))).toBe(true);
    expect(evaluate('Null', 'aws:TokenIssueTime', 'false', ctx({ 'aws:TokenIssueTime': null }))).toBe(false);
  });

  it('an empty list counts as null', () => {
    expect(evaluate('Null', 'aws:TagKeys', 'true', ctx({ 'aws:TagKeys': [] }))).toBe(true);
  });

  it('is unknown when the key is unknown', () => {
    expect(evaluate('Null', 'aws:TokenIssueTime', 'true', ctx())).toBe('unknown');
  });
});

describe('missing and unknown keys', () => {
  const absent = ctx({ 'test:Key': null });

  it('positive operators are false on a missing key', () => {
    for (const op of ['StringEquals', 'StringLike', 'NumericEquals', 'DateEquals', 'Bool', 'IpAddress', 'ArnLike', 'BinaryEquals']) {
      expect(evaluate(op, 'test:Key', 'x', absent), op).toBe(false);
    }
  });

  it('negated operators are true on a missing key', () => {
    for (const op of ['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'NumericNotEquals', 'DateNotEquals', 'NotIpAddress', 'ArnNotEquals', 'ArnNotLike']) {
      expect(evaluate(op, 'test:Key', 'x', absent), op).toBe(true);
    }
  });

  it('IfExists is true on a missing key, and evaluates normally when present', () => {
    expect(evaluate('StringEqualsIfExists', 'test:Key', 'x', absent)).toBe(true);
    expect(evaluate('NumericLessThanIfExists', 'test:Key', '5', absent)).toBe(true);
    expect(on('StringEqualsIfExists', 'x', 'y')).toBe(false);
    expect(on('StringEqualsIfExists', 'x', 'x')).toBe(true);
  });

  it('a key the request did not give is unknown, even with IfExists', () => {
    expect(evaluate('StringEquals', 'test:Other', 'x', ctx())).toBe('unknown');
    expect(evaluate('StringNotEquals', 'test:Other', 'x', ctx())).toBe('unknown');
    expect(evaluate('StringEqualsIfExists', 'test:Other', 'x', ctx())).toBe('unknown');
  });

  it('with unknownIsAbsent the same key is missing', () => {
    expect(evaluate('StringEquals', 'test:Other', 'x', ctx({}, true))).toBe(false);
    expect(evaluate('StringNotEquals', 'test:Other', 'x', ctx({}, true))).toBe(true);
  });

  it('condition key names are case-insensitive', () => {
    expect(evaluate('IpAddress', 'AWS:sourceIP', '10.0.0.0/8', ctx({ 'aws:SourceIp': '10.1.2.3' }))).toBe(true);
  });
});

describe('negated operators with several values (NOR)', () => {
  // "not equal to any": the request value must differ from every policy value.
  it('StringNotEquals', () => {
    expect(on('StringNotEquals', ['a', 'b'], 'a')).toBe(false);
    expect(on('StringNotEquals', ['a', 'b'], 'b')).toBe(false);
    expect(on('StringNotEquals', ['a', 'b'], 'c')).toBe(true);
  });

  it('StringNotLike and NotIpAddress', () => {
    expect(on('StringNotLike', ['a*', 'b*'], 'bx')).toBe(false);
    expect(on('StringNotLike', ['a*', 'b*'], 'cx')).toBe(true);
    expect(on('NotIpAddress', ['10.0.0.0/8', '192.168.0.0/16'], '192.168.1.1', 'aws:SourceIp')).toBe(false);
    expect(on('NotIpAddress', ['10.0.0.0/8', '192.168.0.0/16'], '172.16.0.1', 'aws:SourceIp')).toBe(true);
  });
});

describe('set operators', () => {
  const tags = (v: RequestContext[string]) => ctx({ 'aws:TagKeys': v });

  it('ForAnyValue: true when at least one request value matches', () => {
    expect(evaluate('ForAnyValue:StringEquals', 'aws:TagKeys', ['env', 'team'], tags(['cost', 'team']))).toBe(true);
    expect(evaluate('ForAnyValue:StringEquals', 'aws:TagKeys', ['env', 'team'], tags(['cost', 'owner']))).toBe(false);
  });

  it('ForAllValues: true only when every request value matches some policy value', () => {
    expect(evaluate('ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'team'], tags(['env', 'team']))).toBe(true);
    expect(evaluate('ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'team'], tags(['env', 'cost']))).toBe(false);
  });

  it('missing key: ForAllValues is (vacuously) true, ForAnyValue is false', () => {
    const absent = tags(null);
    expect(evaluate('ForAllValues:StringEquals', 'aws:TagKeys', 'env', absent)).toBe(true);
    expect(evaluate('ForAnyValue:StringEquals', 'aws:TagKeys', 'env', absent)).toBe(false);
  });

  it('empty list behaves like a missing key', () => {
    expect(evaluate('ForAllValues:StringEquals', 'aws:TagKeys', 'env', tags([]))).toBe(true);
    expect(evaluate('ForAnyValue:StringEquals', 'aws:TagKeys', 'env', tags([]))).toBe(false);
    expect(evaluate('ForAnyValue:StringEqualsIfExists', 'aws:TagKeys', 'env', tags([]))).toBe(true);
  });

  it('unknown key stays unknown', () => {
    expect(evaluate('ForAllValues:StringEquals', 'aws:TagKeys', 'env', ctx())).toBe('unknown');
    expect(evaluate('ForAnyValue:StringEquals', 'aws:TagKeys', 'env', ctx())).toBe('unknown');
  });

  it('ForAllValues:StringNotLike is true iff no request value matches the pattern', () => {
    // The multi-valued keys page: ForAllValues:StringNotLike aws:TagKeys key1* — no tag key starts with key1.
    const op = 'ForAllValues:StringNotLike';
    expect(evaluate(op, 'aws:TagKeys', 'key1*', tags(['key2', 'other']))).toBe(true);
    expect(evaluate(op, 'aws:TagKeys', 'key1*', tags(['key2', 'key1-a']))).toBe(false);
    expect(evaluate(op, 'aws:TagKeys', 'key1*', tags(null))).toBe(true);
  });

  it('ForAnyValue:StringNotEquals is true iff some request value is outside the policy list', () => {
    const op = 'ForAnyValue:StringNotEquals';
    expect(evaluate(op, 'aws:TagKeys', ['env', 'team'], tags(['env', 'team']))).toBe(false);
    expect(evaluate(op, 'aws:TagKeys', ['env', 'team'], tags(['env', 'cost']))).toBe(true);
    expect(evaluate(op, 'aws:TagKeys', ['env', 'team'], tags(null))).toBe(false);
  });

  it('a set operator on a single-valued key treats it as a one-element set', () => {
    expect(on('ForAnyValue:StringEquals', ['a', 'b'], 'b')).toBe(true);
    expect(on('ForAllValues:StringEquals', ['a', 'b'], 'c')).toBe(false);
  });

  it('a plain operator on a multi-valued key does not match', () => {
    // Undocumented (specs/aws.md 3.3): iam-simulate returns no-match rather than iterating the values.
    expect(evaluate('StringEquals', 'aws:TagKeys', ['env', 'team'], tags(['env', 'team']))).toBe(false);
    expect(evaluate('StringEquals', 'aws:TagKeys', 'env', tags(['env']))).toBe(true);
  });
});

describe('policy variables', () => {
  it('StringEquals resolves ${aws:username}', () => {
    expect(evaluate('StringEquals', 's3:prefix', 'home/${aws:username}', ctx({ 's3:prefix': 'home/alice' }))).toBe(true);
    expect(evaluate('StringEquals', 's3:prefix', 'home/${aws:username}', ctx({ 's3:prefix': 'home/bob' }))).toBe(false);
  });

  it('variable key names are case-insensitive', () => {
    expect(evaluate('StringEquals', 's3:prefix', 'home/${AWS:UserName}', ctx({ 's3:prefix': 'home/alice' }))).toBe(true);
  });

  it('StringLike keeps the wildcards of the policy text around a variable', () => {
    const c = ctx({ 's3:prefix': 'home/alice/photos/' });
    expect(evaluate('StringLike', 's3:prefix', 'home/${aws:username}/*', c)).toBe(true);
    expect(evaluate('StringLike', 's3:prefix', 'home/${aws:username}/*', ctx({ 's3:prefix': 'home/bob/photos/' }))).toBe(false);
  });

  it("a variable's value is literal in StringLike (its '*' is not a wildcard)", () => {
    const c = (prefix: string) => ctx({ 'aws:PrincipalTag/team': 'a*', 's3:prefix': prefix });
    expect(evaluate('StringLike', 's3:prefix', '${aws:PrincipalTag/team}', c('a*'))).toBe(true);
    expect(evaluate('StringLike', 's3:prefix', '${aws:PrincipalTag/team}', c('abc'))).toBe(false);
  });

  it('ArnLike resolves variables', () => {
    const c = (v: string) => ctx({ 'aws:SourceArn': v });
    expect(evaluate('ArnLike', 'aws:SourceArn', 'arn:aws:iam::111122223333:user/${aws:username}', c(ALICE))).toBe(true);
    expect(evaluate('ArnLike', 'aws:SourceArn', 'arn:aws:iam::111122223333:user/${aws:username}', c('arn:aws:iam::111122223333:user/bob'))).toBe(false);
  });

  it("a default value is used when the key is missing: ${aws:PrincipalTag/team, 'x'}", () => {
    const value = "${aws:PrincipalTag/team, 'x'}";
    const missingTag = (team: string) => ctx({ 'aws:PrincipalTag/team': null, 'test:Key': team });
    expect(evaluate('StringEquals', 'test:Key', value, missingTag('x'))).toBe(true);
    expect(evaluate('StringEquals', 'test:Key', value, missingTag('y'))).toBe(false);
    // When the tag is present its value wins over the default.
    const tagged = (team: string) => ctx({ 'aws:PrincipalTag/team': 'blue', 'test:Key': team });
    expect(evaluate('StringEquals', 'test:Key', value, tagged('blue'))).toBe(true);
    expect(evaluate('StringEquals', 'test:Key', value, tagged('x'))).toBe(false);
  });

  it('a default cannot decide an unknown key', () => {
    expect(evaluate('StringEquals', 'test:Key', "${aws:PrincipalTag/team, 'x'}", ctx({ 'test:Key': 'x' }))).toBe('unknown');
  });

  it('a missing variable without default: positive operators false, negated operators true', () => {
    // The variables page: the value is treated as null.
    const c = ctx({ 'aws:PrincipalTag/team': null, 'test:Key': 'anything' });
    expect(evaluate('StringEquals', 'test:Key', '${aws:PrincipalTag/team}', c)).toBe(false);
    expect(evaluate('StringLike', 'test:Key', '*${aws:PrincipalTag/team}', c)).toBe(false);
    expect(evaluate('StringNotEquals', 'test:Key', '${aws:PrincipalTag/team}', c)).toBe(true);
    expect(evaluate('StringNotLike', 'test:Key', '*${aws:PrincipalTag/team}', c)).toBe(true);
  });

  it('escapes ${*}, ${?} and ${$} are literal characters', () => {
    expect(on('StringEquals', 'a${*}b', 'a*b')).toBe(true);
    expect(on('StringLike', 'a${*}', 'a*')).toBe(true);
    expect(on('StringLike', 'a${*}', 'abc')).toBe(false);
    expect(on('StringLike', 'a${?}', 'ab')).toBe(false);
    expect(on('StringLike', 'a${?}', 'a?')).toBe(true);
    expect(on('StringEquals', 'cost${$}', 'cost$')).toBe(true);
  });

  it('an escaped star stays literal in ArnLike', () => {
    const c = (v: string) => ctx({ 'aws:SourceArn': v });
    expect(evaluate('ArnLike', 'aws:SourceArn', 'arn:aws:s3:::bucket/${*}', c('arn:aws:s3:::bucket/*'))).toBe(true);
    expect(evaluate('ArnLike', 'aws:SourceArn', 'arn:aws:s3:::bucket/${*}', c('arn:aws:s3:::bucket/key'))).toBe(false);
  });

  it('are not resolved in Numeric values', () => {
    // The variables page lists String, ARN (and Bool) operators only.
    expect(evaluate('NumericEquals', 'test:Key', '${test:N}', ctx({ 'test:N': '5', 'test:Key': '5' }))).toBe(false);
  });

  it('are literal text when disabled (Version 2008-10-17)', () => {
    const c = (v: string) => ctx({ 's3:prefix': v });
    expect(evaluate('StringEquals', 's3:prefix', 'home/${aws:username}', c('home/${aws:username}'), false)).toBe(true);
    expect(evaluate('StringEquals', 's3:prefix', 'home/${aws:username}', c('home/alice'), false)).toBe(false);
    // Wildcards still work under 2008-10-17; the escape is not an escape there.
    expect(evaluate('StringLike', 's3:prefix', 'home/*', c('home/alice'), false)).toBe(true);
    expect(evaluate('StringLike', 's3:prefix', 'a${*}', c('a${xyz}'), false)).toBe(true);
  });
});
