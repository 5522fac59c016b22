/**
 * IAM Conditions (CEL) for Google Cloud: compile once, evaluate with UNKNOWN for attributes the caller did not give.
 * Expressions are taken from (or modelled on) the examples in:
 *   https://cloud.google.com/iam/docs/conditions-overview
 *   https://cloud.google.com/iam/docs/conditions-attribute-reference
 *   https://cloud.google.com/iam/docs/conditions-resource-attributes
 *   https://cloud.google.com/iam/docs/tags-access-control
 *   https://cloud.google.com/policy-intelligence/docs/troubleshoot-access
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compileCondition, ConditionSyntaxError, evaluateCondition, type ConditionContext, type ConditionResult } from '../../providers/gcp/cel.js';

function ctx(values: Record<string, unknown> = {}, unknown: string[] = [], tags?: ConditionContext['tags']): ConditionContext {
  return { values, unknown: new Set(unknown), ...(tags ? { tags } : {}) };
}

function evaluate(expression: string, c: ConditionContext = ctx()): ConditionResult {
  return evaluateCondition(compileCondition(expression), c);
}

const value = (expression: string, c?: ConditionContext) => evaluate(expression, c).value;

describe('date and time', () => {
  // conditions-overview / conditions-attribute-reference, "Date/time attributes": temporary access.
  const EXPIRY = "request.time < timestamp('2026-01-01T00:00:00Z')";

  it('grants before the expiry and not after', () => {
    expect(value(EXPIRY, ctx({ 'request.time': '2025-12-31T23:59:59Z' }))).toBe(true);
    expect(value(EXPIRY, ctx({ 'request.time': new Date('2026-01-01T00:00:00Z') }))).toBe(false);
  });

  // conditions-attribute-reference: timestamp + duration arithmetic.
  it('adds durations to timestamps', () => {
    const e = "request.time < timestamp('2026-01-01T00:00:00Z') + duration('3600s')";
    expect(value(e, ctx({ 'request.time': '2026-01-01T00:59:00Z' }))).toBe(true);
    expect(value(e, ctx({ 'request.time': '2026-01-01T01:00:00Z' }))).toBe(false);
    expect(value("request.time - duration('86400s') > timestamp('2025-12-31T00:00:00Z')", ctx({ 'request.time': '2026-01-01T00:00:01Z' }))).toBe(true);
  });

  // conditions-attribute-reference: date('YYYY-MM-DD') is midnight UTC of that day.
  it('date() is midnight UTC', () => {
    expect(value("request.time >= date('2026-01-01')", ctx({ 'request.time': '2026-01-01T00:00:00Z' }))).toBe(true);
    expect(value("request.time >= date('2026-01-01')", ctx({ 'request.time': '2025-12-31T23:59:59Z' }))).toBe(false);
  });

  // conditions-attribute-reference: an invalid literal makes the condition an error, which never grants.
  it('an invalid timestamp or date literal never grants', () => {
    const r = evaluate("request.time < timestamp('next tuesday')", ctx({ 'request.time': '2025-01-01T00:00:00Z' }));
    expect(r.value).toBe(false);
    expect(r.errors.join(' ')).toMatch(/timestamp/);
    expect(value("request.time < date('2026-02-30')", ctx({ 'request.time': '2025-01-01T00:00:00Z' }))).toBe(false);
  });

  // conditions-attribute-reference: business hours in a time zone; getDayOfWeek 0 = Sunday.
  it('reads hours and weekdays in a time zone', () => {
    const e = "request.time.getHours('Europe/Berlin') >= 9 && request.time.getHours('Europe/Berlin') < 17 && request.time.getDayOfWeek('Europe/Berlin') >= 1 && request.time.getDayOfWeek('Europe/Berlin') <= 5";
    expect(value(e, ctx({ 'request.time': '2026-06-03T07:30:00Z' }))).toBe(true); // Wed 09:30 CEST
    expect(value(e, ctx({ 'request.time': '2026-06-03T06:30:00Z' }))).toBe(false); // Wed 08:30 CEST
    expect(value(e, ctx({ 'request.time': '2026-06-06T10:00:00Z' }))).toBe(false); // Saturday
  });

  it('is correct across daylight-saving changes', () => {
    // Europe/Berlin springs forward on 2026-03-29 at 01:00 UTC (02:00 CET -> 03:00 CEST).
    const berlin = (t: string) => evaluate("request.time.getHours('Europe/Berlin') == 1", ctx({ 'request.time': t })).value;
    expect(berlin('2026-03-29T00:30:00Z')).toBe(true); // 01:30 CET
    expect(berlin('2026-03-29T01:30:00Z')).toBe(false); // 03:30 CEST
    expect(value("request.time.getHours('Europe/Berlin') == 3", ctx({ 'request.time': '2026-03-29T01:30:00Z' }))).toBe(true);
    // America/New_York falls back on 2026-11-01 at 06:00 UTC (02:00 EDT -> 01:00 EST): 01:xx happens twice.
    const ny = "request.time.getHours('America/New_York') == 1 && request.time.getDayOfMonth('America/New_York') == 0 && request.time.getMonth('America/New_York') == 10";
    expect(value(ny, ctx({ 'request.time': '2026-11-01T05:30:00Z' }))).toBe(true); // 01:30 EDT
    expect(value(ny, ctx({ 'request.time': '2026-11-01T06:30:00Z' }))).toBe(true); // 01:30 EST
    expect(value(ny, ctx({ 'request.time': '2026-11-01T07:30:00Z' }))).toBe(false); // 02:30 EST
  });

  it('accepts fixed UTC offsets and rejects unknown zones', () => {
    expect(value("request.time.getHours('+05:30') == 5 && request.time.getMinutes('+05:30') == 45", ctx({ 'request.time': '2026-01-01T00:15:00Z' }))).toBe(true);
    expect(value("request.time.getDate('-08:00') == 31", ctx({ 'request.time': '2026-01-01T00:15:00Z' }))).toBe(true);
    const r = evaluate("request.time.getHours('Mars/Olympus') == 1", ctx({ 'request.time': '2026-01-01T01:00:00Z' }));
    expect(r.value).toBe(false);
    expect(r.errors.length).toBeGreaterThan(0);
  });

  describe('does not depend on the server time zone', () => {
    const saved = process.env.TZ;
    afterEach(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });
    it('UTC getters and day of year under TZ=Europe/Berlin', () => {
      process.env.TZ = 'Europe/Berlin';
      // 02:30 UTC on the day Berlin skips 02:00-03:00 local; the library's own getter would answer 3.
      expect(value('request.time.getHours() == 2', ctx({ 'request.time': '2026-03-29T02:30:00Z' }))).toBe(true);
      // 2026-03-30 is day 88 (0-based); counting local days across the DST change would give 87.
      expect(value('request.time.getDayOfYear() == 88', ctx({ 'request.time': '2026-03-30T00:30:00Z' }))).toBe(true);
      expect(value("request.time.getDayOfYear('Europe/Berlin') == 88", ctx({ 'request.time': '2026-03-30T00:30:00Z' }))).toBe(true);
    });
  });
});

describe('resource attributes', () => {
  // conditions-resource-attributes: Cloud Storage names are projects/_/buckets/BUCKET[/objects/OBJECT].
  const PREFIX = "resource.name.startsWith('projects/_/buckets/exampleco-site-assets/')";
  const object = (name: string) => ctx({ 'resource.name': name, 'resource.type': 'storage.googleapis.com/Object', 'resource.service': 'storage.googleapis.com' });

  it('matches bucket and object names by prefix and suffix', () => {
    expect(value(PREFIX, object('projects/_/buckets/exampleco-site-assets/objects/index.html'))).toBe(true);
    expect(value(PREFIX, object('projects/_/buckets/exampleco-site-assets-2/objects/index.html'))).toBe(false);
    expect(value("resource.name.endsWith('.jpg')", object('projects/_/buckets/b/objects/cat.jpg'))).toBe(true);
  });

  it('compares resource.type and resource.service', () => {
    const e = "resource.service == 'storage.googleapis.com' && resource.type == 'storage.googleapis.com/Object'";
    expect(value(e, object('projects/_/buckets/b/objects/a'))).toBe(true);
    expect(value(e, ctx({ 'resource.service': 'storage.googleapis.com', 'resource.type': 'storage.googleapis.com/Bucket' }))).toBe(false);
  });

  // conditions-resource-attributes: a part reading an attribute the service does not provide never grants, but
  // `resource.type != X || ...` still grants for the other types.
  it('an unavailable attribute is an error that only the decisive side of || / && can absorb', () => {
    const guarded = `resource.type != 'storage.googleapis.com/Object' || ${PREFIX}`;
    const topic = ctx({ 'resource.type': 'pubsub.googleapis.com/Topic' });
    const r = evaluate(guarded, topic);
    expect(r.value).toBe(true);
    expect(r.states.map((s) => s.value)).toEqual([true, undefined]);
    expect(r.states[1]!.errors).toEqual(['attribute resource.name is not available for this request']);
    const bare = evaluate(PREFIX, topic);
    expect(bare.value).toBe(false);
    expect(bare.errors).toEqual(['attribute resource.name is not available for this request']);
  });

  // conditions-attribute-reference, extract(): examples on an object name.
  it('extract() takes the text between the template prefix and suffix', () => {
    const name = 'projects/_/buckets/acme-orders-aaa/objects/data_lake/orders/order_date=2019-11-03/aef87g87ae0876';
    const ex = (t: string) => value(`resource.name.extract('${t.split('=>')[0]}') == '${t.split('=>')[1]}'`, ctx({ 'resource.name': name }));
    expect(ex('/order_date={date_str}/=>2019-11-03')).toBe(true);
    expect(ex('buckets/{name}/=>acme-orders-aaa')).toBe(true);
    expect(ex('/orders/{empty}order_date=>')).toBe(true);
    expect(ex('{start}/data_lake=>projects/_/buckets/acme-orders-aaa/objects')).toBe(true);
    expect(ex('orders/{order_date}=>order_date=2019-11-03/aef87g87ae0876')).toBe(true);
    expect(ex('{whole_string}=>' + name)).toBe(true);
    expect(ex('/prefix_not_in_name/{x}=>')).toBe(true);
    expect(value("resource.name.extract('no placeholder') == ''", ctx({ 'resource.name': name }))).toBe(false);
  });
});

describe('request attributes', () => {
  // conditions-attribute-reference, "Access level attributes" (IAP).
  it('checks access levels with in', () => {
    const e = "'accessPolicies/199923665455/accessLevels/CorpNet' in request.auth.access_levels";
    expect(value(e, ctx({ 'request.auth.access_levels': ['accessPolicies/199923665455/accessLevels/CorpNet'] }))).toBe(true);
    expect(value(e, ctx({ 'request.auth.access_levels': ['accessPolicies/199923665455/accessLevels/corpnet'] }))).toBe(false);
  });

  // conditions-attribute-reference, "Destination IP/port attributes" (IAP TCP forwarding).
  it('compares destination ip and port', () => {
    const e = "destination.ip == '14.0.0.1' && destination.port == 22";
    expect(value(e, ctx({ 'destination.ip': '14.0.0.1', 'destination.port': 22 }))).toBe(true);
    expect(value(e, ctx({ 'destination.ip': '14.0.0.1', 'destination.port': 3389 }))).toBe(false);
  });

  // conditions-attribute-reference, "API attributes": role grant limits on setIamPolicy.
  it('api.getAttribute(modifiedGrantsByRole).hasOnly(...)', () => {
    const e = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/compute.admin', 'roles/storage.admin'])";
    const key = 'api.getAttribute:iam.googleapis.com/modifiedGrantsByRole';
    expect(compileCondition(e).attributes).toEqual([key]);
    expect(value(e, ctx({ [key]: ['roles/storage.admin'] }))).toBe(true);
    expect(value(e, ctx({ [key]: ['roles/storage.admin', 'roles/owner'] }))).toBe(false);
    // Not a setIamPolicy call: the attribute is absent, the default [] is used, and [].hasOnly(...) is true.
    expect(value(e, ctx())).toBe(true);
    const r = evaluate(e, ctx({}, [key]));
    expect(r.value).toBe('unknown');
    expect(r.missing).toEqual([key]);
  });
});

// https://cloud.google.com/load-balancing/docs/access-control/iam-conditions : only internal load balancers.
describe('forwarding rules', () => {
  const e = "!compute.isForwardingRuleCreationOperation() || (compute.isForwardingRuleCreationOperation() && compute.matchLoadBalancingSchemes(['INTERNAL', 'INTERNAL_MANAGED', 'INTERNAL_SELF_MANAGED']))";
  const creating = (scheme: string) => ctx({ 'compute.isForwardingRuleCreationOperation': true, 'compute.loadBalancingScheme': scheme });

  it('allows internal schemes and requests that create no forwarding rule', () => {
    expect(value(e, creating('INTERNAL_MANAGED'))).toBe(true);
    expect(value(e, creating('EXTERNAL'))).toBe(false);
    expect(value(e, ctx())).toBe(true);
    expect(compileCondition(e).attributes).toEqual(['compute.isForwardingRuleCreationOperation', 'compute.loadBalancingScheme']);
  });

  it('an unknown scheme on a creation is unknown', () => {
    const r = evaluate(e, ctx({ 'compute.isForwardingRuleCreationOperation': true }, ['compute.loadBalancingScheme']));
    expect(r).toMatchObject({ value: 'unknown', missing: ['compute.loadBalancingScheme'] });
  });
});

describe('tags', () => {
  // https://cloud.google.com/iam/docs/tags-access-control : namespaced key + short value, or ids.
  const tags = { byName: { '123456789012/env': 'prod' }, byId: { 'tagKeys/281478395625645': 'tagValues/281479471286394' } };

  it('matchTag / matchTagId / hasTagKey / hasTagKeyId', () => {
    const c = ctx({}, [], tags);
    expect(value("resource.matchTag('123456789012/env', 'prod')", c)).toBe(true);
    expect(value("resource.matchTag('123456789012/env', 'dev')", c)).toBe(false);
    expect(value("resource.matchTagId('tagKeys/281478395625645', 'tagValues/281479471286394')", c)).toBe(true);
    expect(value("resource.hasTagKey('123456789012/env')", c)).toBe(true);
    expect(value("resource.hasTagKey('123456789012/team')", c)).toBe(false);
    expect(value("resource.hasTagKeyId('tagKeys/281478395625645')", c)).toBe(true);
    expect(compileCondition("resource.hasTagKey('123456789012/env')").attributes).toEqual(['resource.tags']);
  });

  it('no tags means no match; tags marked unknown make the result unknown', () => {
    expect(value("resource.matchTag('123456789012/env', 'prod')", ctx())).toBe(false);
    const r = evaluate("resource.matchTag('123456789012/env', 'prod')", ctx({}, ['resource.tags']));
    expect(r).toMatchObject({ value: 'unknown', missing: ['resource.tags'] });
  });
});

describe('unknown attributes (Troubleshooter: UNKNOWN_CONDITIONAL)', () => {
  const EXPIRY = "request.time < timestamp('2026-01-01T00:00:00Z')";

  it('an unknown attribute makes the result unknown and is listed as missing', () => {
    const r = evaluate(EXPIRY, ctx({}, ['request.time']));
    expect(r).toEqual({ value: 'unknown', missing: ['request.time'], errors: [], states: [{ start: 0, end: EXPIRY.length, unknown: true }] });
  });

  it('false && unknown is false; true || unknown is true; true && unknown stays unknown', () => {
    const c = ctx({ 'resource.type': 'storage.googleapis.com/Bucket' }, ['request.time']);
    expect(value(`resource.type == 'storage.googleapis.com/Object' && ${EXPIRY}`, c)).toBe(false);
    expect(value(`resource.type == 'storage.googleapis.com/Bucket' || ${EXPIRY}`, c)).toBe(true);
    const r = evaluate(`resource.type == 'storage.googleapis.com/Bucket' && ${EXPIRY}`, c);
    expect(r.value).toBe('unknown');
    expect(r.missing).toEqual(['request.time']);
    expect(value(`!(${EXPIRY})`, c)).toBe('unknown');
  });

  it('unknown wins over an error when nothing is decisive (as in cel-go)', () => {
    const r = evaluate(`resource.name.startsWith('x') || ${EXPIRY}`, ctx({}, ['request.time']));
    expect(r.value).toBe('unknown');
    expect(r.missing).toEqual(['request.time']);
    expect(r.states[0]!.errors).toEqual(['attribute resource.name is not available for this request']);
  });
});

describe('evaluation states', () => {
  // troubleshooter.proto ConditionExplanation.EvaluationState: for `a==b || c==d` the first part ends at 4.
  it('gives one state per top-level statement with its character span', () => {
    const e = "  (resource.type == 'storage.googleapis.com/Object' && resource.name.startsWith('projects/_/buckets/b/')) || resource.matchTag('123/env', 'prod') || request.time < timestamp('2026-01-01T00:00:00Z') ";
    const r = evaluate(e, ctx({ 'resource.type': 'storage.googleapis.com/Bucket', 'request.time': '2027-01-01T00:00:00Z' }));
    expect(r.value).toBe(false);
    expect(r.states.map((s) => e.slice(s.start, s.end))).toEqual([
      "(resource.type == 'storage.googleapis.com/Object' && resource.name.startsWith('projects/_/buckets/b/'))",
      "resource.matchTag('123/env', 'prod')",
      "request.time < timestamp('2026-01-01T00:00:00Z')",
    ]);
    expect(r.states.map((s) => s.value)).toEqual([false, false, false]);
  });

  it('ignores operators inside strings and brackets, and outer parentheses', () => {
    const e = "(resource.name == 'a && b' && [1, 2].exists(x, x == 2 || x == 3))";
    const c = compileCondition(e);
    expect(c.statements.map((s) => e.slice(s.start, s.end))).toEqual(["resource.name == 'a && b'", '[1, 2].exists(x, x == 2 || x == 3)']);
    expect(c.attributes).toEqual(['resource.name']);
    expect(evaluateCondition(c, ctx({ 'resource.name': 'a && b' })).value).toBe(true);
  });
});

describe('compilation', () => {
  it('reports a syntax error with its offset', () => {
    const err = (() => {
      try {
        compileCondition("request.time < timestamp('2026-01-01T00:00:00Z') &&");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConditionSyntaxError);
    expect((err as ConditionSyntaxError).offset).toBeGreaterThanOrEqual(0);
    expect((err as ConditionSyntaxError).offset).toBeLessThanOrEqual(51);
    expect(() => compileCondition("'unterminated")).toThrow(ConditionSyntaxError);
  });

  it('rejects functions IAM does not define', () => {
    let offset = -1;
    try {
      compileCondition("resource.name.startsWith('a') && frobnicate(resource.name)");
    } catch (e) {
      offset = (e as ConditionSyntaxError).offset;
    }
    expect(offset).toBe(33);
  });

  it('compiles each distinct expression once', () => {
    const e = "resource.type == 'storage.googleapis.com/Bucket'";
    const a = compileCondition(e);
    expect(compileCondition(e)).toBe(a);
    const titled = compileCondition(e, 'buckets only');
    expect(titled.title).toBe('buckets only');
    expect(compileCondition(e, 'buckets only')).toBe(titled);
    expect(titled.statements).toBe(a.statements);
  });

  it('lists the attributes an expression reads, not comprehension variables', () => {
    const c = compileCondition("request.auth.access_levels.exists(l, l.startsWith('accessPolicies/1/')) && request.time.getHours() < 9 && resource.name.extract('{x}') != ''");
    expect(c.attributes).toEqual(['request.auth.access_levels', 'request.time', 'resource.name']);
  });
});
