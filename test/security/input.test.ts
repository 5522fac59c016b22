/**
 * Bad input gets a 4xx application/problem+json naming the offending field by JSON pointer: never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { testApp, type TestApp } from '../helpers/app.js';
import { call } from '../helpers/contract.js';

let t: TestApp;
let app: FastifyInstance;
beforeAll(async () => {
  t = await testApp({ bodyLimit: 64 * 1024, withFixtures: false });
  app = t.app;
});
afterAll(() => t.close());

const base = {
  provider: 'aws',
  principal: 'arn:aws:iam::111122223333:user/alice',
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::b/k',
  resourceAccount: '111122223333',
  policies: {},
};

function withStatement(statement: Record<string, unknown>) {
  return { ...base, policies: { identity: [{ name: 'p', document: { Version: '2012-10-17', Statement: [statement] } }] } };
}

async function post(payload: unknown, url = '/v1/simulate') {
  return call(app, { method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
}

function expectProblem(r: Awaited<ReturnType<typeof post>>, status: number, code: string, pointer: string) {
  expect(r.type).toContain('application/problem+json');
  expect({ status: r.status, code: r.body.code, pointer: r.body.pointer }).toEqual({ status, code, pointer });
}

describe('bad input', () => {
  it('malformed JSON: 400 with line and column', async () => {
    const r = await post('{"provider": "aws",\n  "principal": oops}');
    expectProblem(r, 400, 'malformed_json', '/principal');
    expect({ line: r.body.line, column: r.body.column }).toEqual({ line: 2, column: 16 });
  });

  it('an empty body is malformed', async () => {
    expectProblem(await post(''), 400, 'malformed_json', '');
  });

  it('unknown top-level field', async () => {
    expectProblem(await post({ ...base, principle: 'x' }), 400, 'invalid_request', '/principle');
  });

  it('unknown option', async () => {
    expectProblem(await post({ ...base, options: { explian: 'full' } }), 400, 'invalid_request', '/options/explian');
  });

  it('missing required field', async () => {
    const { action: _drop, ...rest } = base;
    expectProblem(await post(rest), 400, 'invalid_request', '/action');
  });

  it('Action together with NotAction', async () => {
    const r = await post(withStatement({ Effect: 'Allow', Action: 's3:*', NotAction: 'iam:*', Resource: '*' }));
    expectProblem(r, 400, 'invalid_policy', '/policies/identity/0/document/Statement/0');
  });

  it('a bad Effect', async () => {
    const r = await post(withStatement({ Effect: 'allow', Action: 's3:*', Resource: '*' }));
    expectProblem(r, 400, 'invalid_policy', '/policies/identity/0/document/Statement/0/Effect');
  });

  it('an unknown condition operator', async () => {
    const r = await post(withStatement({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEqualz: { 'aws:username': 'a' } } }));
    expectProblem(r, 400, 'invalid_policy', '/policies/identity/0/document/Statement/0/Condition/StringEqualz');
  });

  it.each(['Constructor', '__Proto__', 'ForAnyValue:HasOwnProperty', 'ToString'])('an operator named like an object property (%s)', async (operator) => {
    const r = await post(withStatement({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { [operator]: { 'aws:username': 'a' } } }));
    expectProblem(r, 400, 'invalid_policy', `/policies/identity/0/document/Statement/0/Condition/${operator}`);
  });

  it('Principal in an identity policy', async () => {
    const r = await post(withStatement({ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }));
    expectProblem(r, 400, 'invalid_policy', '/policies/identity/0/document/Statement/0/Principal');
  });

  it('an unknown statement element', async () => {
    const r = await post(withStatement({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condtion: {} }));
    expectProblem(r, 400, 'invalid_policy', '/policies/identity/0/document/Statement/0/Condtion');
  });

  it('an invalid policy given as text points at its line and column', async () => {
    const text = '{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Permit", "Action": "s3:*", "Resource": "*"}]\n}';
    const r = await post({ ...base, policies: { identity: [{ name: 'p', document: text }] } });
    expectProblem(r, 400, 'invalid_policy', '/policies/identity/0/document/Statement/0/Effect');
    expect({ line: r.body.line, column: r.body.column }).toEqual({ line: 4, column: 15 });
  });

  it('a duplicate key in a policy given as text', async () => {
    const text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "*", "Resource": "*"}]}';
    expectProblem(await post({ ...base, policies: { identity: [{ name: 'p', document: text }] } }), 400, 'malformed_json', '/policies/identity/0/document/Statement/0/Effect');
  });

  it('a bad ARN', async () => {
    expectProblem(await post({ ...base, resource: 'arn:aws:s3' }), 400, 'invalid_arn', '/resource');
    expectProblem(await post({ ...base, principal: 'arn:aws:iam::12345:user/x' }), 400, 'invalid_arn', '/principal');
  });

  it('an S3 ARN without resourceAccount', async () => {
    const { resourceAccount: _drop, ...rest } = base;
    expectProblem(await post(rest), 400, 'invalid_request', '/resourceAccount');
  });

  it('a session policy for an IAM user', async () => {
    const r = await post({ ...base, policies: { identity: [], session: { document: { Version: '2012-10-17', Statement: [] } } } });
    expectProblem(r, 400, 'invalid_request', '/policies/session');
  });

  it('an oversized body: 413', async () => {
    const r = await post({ ...base, context: { 'aws:SourceIp': 'x'.repeat(70 * 1024) } });
    expectProblem(r, 413, 'body_too_large', '');
  });

  it('very deep nesting', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const r = await post(`{"provider":"aws","context":{"k":${deep}}}`);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('too_deep');
    expect(r.body.pointer.startsWith('/context/k/0/0')).toBe(true);
  });

  it('__proto__ and constructor keys', async () => {
    expectProblem(await post(`{"provider":"aws","context":{"__proto__":{"x":"1"}}}`), 400, 'forbidden_key', '/context/__proto__');
    expectProblem(await post(`{"provider":"aws","context":{"constructor":"x"}}`), 400, 'forbidden_key', '/context/constructor');
    const text = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"__proto__":"x"}}}]}';
    expectProblem(await post({ ...base, policies: { identity: [{ name: 'p', document: text }] } }), 400, 'forbidden_key', '/policies/identity/0/document/Statement/0/Condition/StringEquals/__proto__');
  });

  it('an unsupported media type: 415', async () => {
    const r = await call(app, { method: 'POST', url: '/v1/simulate', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expectProblem(r, 415, 'unsupported_media_type', '');
  });

  it('an unknown route: 404 problem', async () => {
    const r = await call(app, { method: 'GET', url: '/v1/nothing' });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('not_found');
  });

  it('wildcards are matched in linear time: 10,000 stars against a long resource', async () => {
    const stars = '*'.repeat(10_000);
    const r = await post({
      ...base,
      resource: `arn:aws:s3:::${'a'.repeat(1500)}/k`,
      policies: { identity: [{ name: 'p', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: `s3:${stars}Get${stars}`, Resource: `arn:aws:s3:::${'a*'.repeat(3000)}b` }] } }] },
    });
    expect(r.status).toBe(200);
    expect(r.body.decision).toBe('denied');
  });
});

describe('batch', () => {
  it('one bad item gets its own problem; the others are answered', async () => {
    const r = await post({ requests: [base, { ...base, principal: 'nobody' }, { ...base, action: 'bad action' }] }, '/v1/simulate:batch');
    expect(r.status).toBe(200);
    const [a, b, c] = r.body.results;
    expect(a.decision).toBe('denied');
    expect({ index: b.index, code: b.code, pointer: b.pointer }).toEqual({ index: 1, code: 'invalid_arn', pointer: '/principal' });
    expect({ index: c.index, code: c.code, pointer: c.pointer }).toEqual({ index: 2, code: 'invalid_request', pointer: '/action' });
  });

  it('a bad envelope fails the whole batch', async () => {
    expectProblem(await post({ requests: [] }, '/v1/simulate:batch'), 400, 'invalid_request', '/requests');
    expectProblem(await post({ requests: [base], extra: 1 }, '/v1/simulate:batch'), 400, 'invalid_request', '/extra');
  });
});
