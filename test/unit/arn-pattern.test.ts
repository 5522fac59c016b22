/**
 * ARN patterns (Resource element, ArnLike/ArnEquals): the six colon-separated parts are matched one by one, so a
 * wildcard in the first five never crosses a ':'.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
import { describe, expect, it } from 'vitest';
import { compileGlob, globMatch, globParts } from '../../src/core/glob.js';
import { arnPatternMatches, compileArnPattern } from '../../providers/aws/arn-pattern.js';

const arnMatch = (pattern: string, value: string) => arnPatternMatches(compileArnPattern(globParts(pattern)), value);

describe('segment rules', () => {
  it("the doc example: '*' in the region does not swallow the account and part of the resource", () => {
    // From the ARN condition operators page: StringLike matches this value, ArnLike does not.
    const pattern = 'arn:aws:someservice:*:111122223333:finance/*';
    const value = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';
    expect(arnMatch(pattern, value)).toBe(false);
    expect(globMatch(compileGlob(pattern), value)).toBe(true);
  });

  it("'*' in a segment matches that whole segment", () => {
    expect(arnMatch('arn:aws:someservice:*:111122223333:finance/*', 'arn:aws:someservice:us-east-2:111122223333:finance/document.txt')).toBe(true);
    expect(arnMatch('arn:aws:ec2:*:*:instance/*', 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc')).toBe(true);
  });

  it("'*' in a segment also matches an empty segment (S3 ARNs have no region or account)", () => {
    expect(arnMatch('arn:aws:s3:*:*:bucket/*', 'arn:aws:s3:::bucket/key')).toBe(true);
  });

  it('an empty segment in the pattern matches only an empty segment', () => {
    expect(arnMatch('arn:aws:s3:::bucket', 'arn:aws:s3:::bucket')).toBe(true);
    expect(arnMatch('arn:aws:s3:::bucket', 'arn:aws:s3:us-east-1::bucket')).toBe(false);
  });

  it("'?' matches one character inside a segment, never the ':' separator", () => {
    expect(arnMatch('arn:aws:ec2:us-east-?:*:*', 'arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1')).toBe(true);
    expect(arnMatch('arn:aws:ec2:us-east-?:*:*', 'arn:aws:ec2:us-east-10:123456789012:vpc/vpc-1')).toBe(false);
    // 'us?east' cannot take the ':' between region and account.
    expect(arnMatch('arn:aws:ec2:*-east-1?123456789012:*', 'arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1')).toBe(false);
  });

  it('each of the first five segments is checked', () => {
    const value = 'arn:aws:ec2:us-east-1:123456789012:instance/i-1';
    expect(arnMatch('arn:aws:ec2:us-east-1:123456789012:instance/*', value)).toBe(true);
    expect(arnMatch('arn:aws-cn:ec2:us-east-1:123456789012:instance/*', value)).toBe(false);
    expect(arnMatch('arn:aws:s3:us-east-1:123456789012:instance/*', value)).toBe(false);
    expect(arnMatch('arn:aws:ec2:us-west-2:123456789012:instance/*', value)).toBe(false);
    expect(arnMatch('arn:aws:ec2:us-east-1:210987654321:instance/*', value)).toBe(false);
  });
});

describe('the resource part', () => {
  it("may hold further ':' and '/', and '*' there crosses both", () => {
    const value = 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:log-stream:2024/01/01';
    expect(arnMatch('arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/*', value)).toBe(true);
    expect(arnMatch('arn:aws:logs:us-east-1:123456789012:log-group:*:log-stream:*', value)).toBe(true);
    expect(arnMatch('arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/*', value)).toBe(false);
  });

  it('a literal resource with colons must match exactly', () => {
    const value = 'arn:aws:lambda:us-east-1:123456789012:function:my-fn:prod';
    expect(arnMatch('arn:aws:lambda:us-east-1:123456789012:function:my-fn:prod', value)).toBe(true);
    expect(arnMatch('arn:aws:lambda:us-east-1:123456789012:function:my-fn', value)).toBe(false);
  });
});

describe('short patterns and trailing stars', () => {
  // The Resource page: "If the * wildcard is the last character of a resource ARN segment, it can expand to match
  // beyond colon boundaries", so arn:aws:ec2:* stands for arn:aws:ec2:*:*:*.
  it("a short pattern ending with '*' covers the remaining segments", () => {
    expect(arnMatch('arn:aws:ec2:*', 'arn:aws:ec2:us-east-1:123456789012:instance/i-1')).toBe(true);
    expect(arnMatch('arn:aws:ec2:*', 'arn:aws:s3:::bucket')).toBe(false);
  });

  it('a trailing star inside a segment expands as well', () => {
    expect(arnMatch('arn:aws:ec2:us-*', 'arn:aws:ec2:us-east-1:123456789012:instance/i-1')).toBe(true);
    expect(arnMatch('arn:aws:ec2:us-*', 'arn:aws:ec2:eu-west-1:123456789012:instance/i-1')).toBe(false);
  });

  it("a segment ending in '*' may also cover the following segments in the middle of a pattern", () => {
    expect(arnMatch('arn:aws:ec2:*:instance/*', 'arn:aws:ec2:us-east-1:123456789012:instance/i-1')).toBe(true);
    expect(arnMatch('arn:aws:ec2:*:instance/*', 'arn:aws:ec2:us-east-1:123456789012:volume/vol-1')).toBe(false);
  });

  it("a short pattern without a trailing '*' never matches an ARN", () => {
    expect(arnMatch('arn:aws:ec2:us-east-1', 'arn:aws:ec2:us-east-1:123456789012:instance/i-1')).toBe(false);
    expect(arnMatch('arn:aws:ec2:*1:instance/*', 'arn:aws:ec2:us-east-1:123456789012:instance/i-1')).toBe(false);
  });
});

describe("the pattern '*'", () => {
  it('matches every ARN, non-ARN values and the resource "*" itself', () => {
    const p = compileArnPattern(globParts('*'));
    expect(arnPatternMatches(p, 'arn:aws:s3:::bucket')).toBe(true);
    expect(arnPatternMatches(p, '*')).toBe(true);
    expect(arnPatternMatches(p, 'not-an-arn')).toBe(true);
  });

  it('an ARN pattern does not match the resource "*"', () => {
    expect(arnMatch('arn:aws:s3:::*', '*')).toBe(false);
  });
});

describe('case sensitivity', () => {
  // The Resource page: resource names (e.g. IAM user names in ARNs) are case-sensitive.
  it('compares ARNs case-sensitively', () => {
    expect(arnMatch('arn:aws:iam::123456789012:user/Alice', 'arn:aws:iam::123456789012:user/alice')).toBe(false);
    expect(arnMatch('arn:aws:s3:::Bucket/*', 'arn:aws:s3:::bucket/key')).toBe(false);
    expect(arnMatch('arn:aws:iam::123456789012:user/Alice', 'arn:aws:iam::123456789012:user/Alice')).toBe(true);
  });
});

describe('literal wildcard characters', () => {
  // ${*} in a policy value resolves to a string part '*', which must stay literal in the resource part.
  it("a string '*' part matches only '*'", () => {
    const p = compileArnPattern(['arn:aws:s3:::bucket/', '*']);
    expect(arnPatternMatches(p, 'arn:aws:s3:::bucket/*')).toBe(true);
    expect(arnPatternMatches(p, 'arn:aws:s3:::bucket/key')).toBe(false);
  });
});

describe('non-ARN values', () => {
  it('a non-ARN pattern is matched as a plain glob against non-ARN values', () => {
    expect(arnMatch('foo*', 'foobar')).toBe(true);
    expect(arnMatch('foo*', 'bar')).toBe(false);
  });

  it('an ARN pattern never matches a value with fewer than six parts', () => {
    expect(arnMatch('arn:aws:ec2:*', 'arn:aws:ec2')).toBe(false);
  });
});
