/**
 * The CI gate through the HTTP API: POST /v1/checks and /v1/diff against the bundled estate, every response
 * checked against openapi.yaml; bad expectations, overlays and plans answered 4xx with a pointer; the
 * bearer token when the server has one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/api/spec.js';
import { appForFile, testApp } from '../helpers/app.js';
import { call } from '../helpers/contract.js';

const { app, json } = appForFile();

const accessYaml = () => readFileSync(join(projectRoot, 'fixtures', 'ci', 'access.yaml'), 'utf8');
const ALICE = 'arn:aws:iam::222222222222:user/alice';
const drop = { name: 'alice drops tables', provider: 'aws', principal: ALICE, action: 'dynamodb:DeleteTable', resource: 'arn:aws:dynamodb:eu-west-1:222222222222:table/orders' };
const grant = { name: 'let-alice-clean-up', attachment: 'identity', target: ALICE, document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:DeleteTable', Resource: '*' }] } };

describe('POST /v1/checks', () => {
  it('checks the bundled access.yaml against the active snapshot: every result passes, lines cited', async () => {
    const r = await json('POST', '/v1/checks', { expectationsText: accessYaml(), expectationsFile: 'fixtures/ci/access.yaml' });
    expect(r.status).toBe(200);
    expect(r.body.summary.failed, JSON.stringify(r.body.results.filter((x: { status: string }) => x.status !== 'passed'), null, 1).slice(0, 3000)).toBe(0);
    expect(r.body.summary.errors).toBe(0);
    expect(r.body.results.every((x: { location: { line?: number } }) => typeof x.location.line === 'number')).toBe(true);
    expect(new Set(r.body.results.map((x: { provider: string }) => x.provider))).toEqual(new Set(['aws', 'gcp', 'azure']));
  });

  it('asks the candidate an overlay makes, and cites the overlay item', async () => {
    const r = await json('POST', '/v1/checks', { expectations: { mustNot: [drop] }, overlay: { aws: { add: [grant] } } });
    expect(r.status).toBe(200);
    expect(r.body.results[0]).toMatchObject({ status: 'failed', actual: 'allowed', finding: { changedBy: [{ provider: 'aws', pointer: '/add/0' }] } });
    expect(r.body.changes.source).toBe('overlay');
  });

  it('answers 400 with a pointer for a bad expectation, overlay or body', async () => {
    const bad = await json('POST', '/v1/checks', { expectations: { must: [{ ...drop, expect: 'maybe' }] } });
    expect(bad).toMatchObject({ status: 400, body: { pointer: '/expectations/must/0/expect' } });
    const text = await json('POST', '/v1/checks', { expectationsText: 'must:\n  - name: x\n    provider: aws\n' });
    expect(text).toMatchObject({ status: 400, body: { file: 'access.yaml', pointer: '/must/0/principal', line: 2 } });
    const overlay = await json('POST', '/v1/checks', { expectations: { must: [drop] }, overlay: { aws: { add: [{ ...grant, attachment: 'sideways' }] } } });
    expect(overlay).toMatchObject({ status: 400, body: { pointer: '/overlay/aws/add/0/attachment' } });
    const both = await json('POST', '/v1/checks', { expectations: {}, overlay: { aws: { remove: ['p-eu7r4x2m'] } }, terraformPlan: { resource_changes: [] } });
    expect(both).toMatchObject({ status: 400, body: { pointer: '/terraformPlan' } });
    const neither = await json('POST', '/v1/checks', { overlay: { aws: { remove: ['p-eu7r4x2m'] } } });
    expect(neither.status).toBe(400);
    const unknownPolicy = await json('POST', '/v1/checks', { expectations: { must: [drop] }, overlay: { aws: { remove: ['p-nope'] } } });
    expect(unknownPolicy).toMatchObject({ status: 404, body: { pointer: '/overlay/aws/remove/0' } });
    const proto = await call(app(), { method: 'POST', url: '/v1/checks', headers: { 'content-type': 'application/json' }, payload: '{"expectations": {"__proto__": {"must": []}}}' });
    expect(proto.status).toBe(400);
  });

  it('answers 404 for an unknown snapshot', async () => {
    const r = await json('POST', '/v1/checks', { snapshot: 'no-such-ref', expectations: { must: [drop] } });
    expect(r.status).toBe(404);
  });
});

describe('POST /v1/diff', () => {
  it('lists the new access an overlay creates, with both explanations', async () => {
    const r = await json('POST', '/v1/diff', { overlay: { aws: { add: [grant] } }, expectations: { must: [drop] }, probes: false });
    expect(r.status).toBe(200);
    expect(r.body.questions).toBe(1);
    expect(r.body.entries).toHaveLength(1);
    const e = r.body.entries[0];
    expect(e).toMatchObject({ kind: 'new_access', origin: 'expectation', expectation: 'alice drops tables', baseline: { decision: 'denied' }, candidate: { decision: 'allowed' }, changedBy: [{ pointer: '/add/0' }] });
    expect(r.body.summary).toEqual({ newAccess: 1, removedAccess: 0, changed: 0 });
  });

  it('lists removed access when an SCP is added, found by the probe set', async () => {
    const deny = { name: 'NoSqs', attachment: 'scp', target: 'ou-ab12-11111111', document: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'sqs:SendMessage', Resource: '*' }] } };
    const r = await json('POST', '/v1/diff', { overlay: { aws: { add: [deny] } } });
    expect(r.status).toBe(200);
    expect(r.body.questions).toBeGreaterThan(0);
    const alice = r.body.entries.find((e: { question: { principal: string; action: string } }) => e.question.principal === ALICE && e.question.action === 'sqs:SendMessage');
    expect(alice).toMatchObject({ kind: 'removed_access', origin: 'probe', baseline: { decision: 'allowed' }, candidate: { decision: 'denied', reason: 'explicit_deny' } });
    expect(r.body.summary.newAccess).toBe(0);
  });

  it('cites the removed policy a lost grant came from', async () => {
    const upload = { name: 'the deployer uploads', provider: 'aws', principal: 'arn:aws:sts::222222222222:assumed-role/deployer/ci-pipeline-4711', action: 's3:PutObject', resource: 'arn:aws:s3:::prod-artifacts/releases/app-1.4.2.zip', context: { 'aws:RequestedRegion': 'eu-west-1' } };
    const r = await json('POST', '/v1/diff', { overlay: { aws: { remove: ['arn:aws:s3:::prod-artifacts#policy'] } }, expectations: { must: [upload] }, probes: false });
    expect(r.status).toBe(200);
    expect(r.body.entries).toMatchObject([{ kind: 'removed_access', baseline: { decision: 'allowed' }, candidate: { decision: 'denied' }, changedBy: [{ provider: 'aws', pointer: '/remove/0' }] }]);
  });

  it('needs changes', async () => {
    expect((await json('POST', '/v1/diff', { probes: true })).status).toBe(400);
  });
});

describe('a server with IAMSIM_TOKEN', () => {
  it('answers 401 without the bearer token, and serves /healthz and /docs without one', async () => {
    const s = await testApp({ token: 's3cret', withFixtures: false });
    try {
      const no = await call(s.app, { method: 'POST', url: '/v1/checks', headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect(no).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
      const wrong = await call(s.app, { method: 'GET', url: '/v1/snapshots', headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const upload = await call(s.app, { method: 'POST', url: '/v1/snapshots', headers: { 'content-type': 'application/json' }, payload: '{"files":[]}' });
      expect(upload).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
      const ok = await call(s.app, { method: 'GET', url: '/v1/snapshots', headers: { authorization: 'Bearer s3cret' } });
      expect(ok.status).toBe(200);
      expect((await call(s.app, { method: 'GET', url: '/healthz' })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
