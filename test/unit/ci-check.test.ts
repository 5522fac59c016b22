/**
 * The check engine on the bundled estates: must / mustNot results with their decisive causes, locations
 * in the expectations file, `because`, errors per entry, invariants over principal sets, and a candidate
 * overlay whose items the failing decisions cite.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { candidateFromOverlays } from '../../src/ci/candidate.js';
import { invariantPrincipals, runCheck } from '../../src/ci/check.js';
import { parseExpectations } from '../../src/ci/expectations.js';
import { InputError } from '../../src/core/problem.js';
import { buildSnapshot, type Snapshot } from '../../src/core/snapshot.js';
import { providers } from '../../src/all-providers.js';

let snap: Snapshot;
beforeAll(async () => {
  snap = buildSnapshot(await fixtureFiles(), Object.values(providers), { createdAt: '2026-12-02T00:00:00Z' });
});

const DEPLOYER = 'arn:aws:sts::222222222222:assumed-role/deployer/ci-pipeline-4711';
const ARTIFACT = 'arn:aws:s3:::prod-artifacts/releases/app-1.4.2.zip';

const YAML = `version: 1
must:
  - name: deployer uploads artifacts
    provider: aws
    principal: ${DEPLOYER}
    action: s3:PutObject
    resource: ${ARTIFACT}
    context: {aws:RequestedRegion: eu-west-1}
  - name: alice drops tables
    provider: aws
    principal: arn:aws:iam::222222222222:user/alice
    action: dynamodb:DeleteTable
    resource: arn:aws:dynamodb:eu-west-1:222222222222:table/orders
mustNot:
  - name: no EC2 outside the EU
    provider: aws
    principal: arn:aws:iam::222222222222:user/alice
    action: ec2:DescribeInstances
    resource: "*"
    context: {aws:RequestedRegion: us-east-1}
    because: {layer: scp, policy: DenyOutsideEU}
  - name: no EC2 outside the EU, wrong cause
    provider: aws
    principal: arn:aws:iam::222222222222:user/alice
    action: ec2:DescribeInstances
    resource: "*"
    context: {aws:RequestedRegion: us-east-1}
    because: {layer: identity}
  - name: nobody named
    provider: aws
    principal: arn:aws:iam::222222222222:user/nobody
    action: s3:GetObject
    resource: ${ARTIFACT}
`;

describe('must and mustNot', () => {
  it('passes, fails with the full explanation, checks because, and reports an unknown principal as an error', () => {
    const report = runCheck(snap, parseExpectations(YAML, 'access.yaml'));
    const [upload, drop, eu, euWrong, nobody] = report.results;
    expect(upload).toMatchObject({ status: 'passed', kind: 'must', expected: 'allowed', actual: 'allowed', location: { file: 'access.yaml', pointer: '/must/0', line: 3, column: 5 } });
    expect(drop).toMatchObject({ status: 'failed', expected: 'allowed', actual: 'denied', location: { line: 9 } });
    expect(drop!.finding!.decision.causes).toMatchObject([{ kind: 'missing_grant', layer: 'identity' }]);
    // A failure carries the full explanation: the layer trace lists statements.
    expect(drop!.finding!.decision.layers.some((l) => (l.policies ?? []).some((p) => (p.statements ?? []).length > 0))).toBe(true);
    expect(eu).toMatchObject({ status: 'passed', kind: 'mustNot', actual: 'denied' });
    expect(eu!.message).toMatch(/^denied as expected \(explicit deny \(scp\): scp DenyOutsideEU/);
    expect(eu!.finding).toBeUndefined();
    expect(euWrong).toMatchObject({ status: 'failed', actual: 'denied' });
    expect(euWrong!.message).toContain('not because of identity');
    expect(nobody).toMatchObject({ status: 'error', problem: { status: 404, pointer: '/mustNot/2/principal' } });
    expect(report.summary).toEqual({ total: 5, passed: 2, failed: 2, errors: 1 });
  });

  it('asks the candidate: an overlay that detaches the SCP fails the mustNot and cites no overlay item', () => {
    const exps = parseExpectations(YAML, 'access.yaml');
    const candidate = candidateFromOverlays({ aws: { remove: ['p-eu7r4x2m'] } }, snap, '/overlay');
    const report = runCheck(snap, exps, { candidate });
    expect(report.results[2]).toMatchObject({ status: 'failed', actual: 'allowed' });
    expect(report.changes).toMatchObject({ source: 'overlay', changes: [{ actions: ['delete'] }] });
  });

  it('cites the overlay item that grants forbidden access', () => {
    const exps = parseExpectations('mustNot:\n  - {name: no dropping, provider: aws, principal: "arn:aws:iam::222222222222:user/alice", action: "dynamodb:DeleteTable", resource: "arn:aws:dynamodb:eu-west-1:222222222222:table/orders"}\n', 'access.yaml');
    const add = { name: 'let-alice-clean-up', attachment: 'identity', target: 'arn:aws:iam::222222222222:user/alice', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:DeleteTable', Resource: '*' }] } };
    const candidate = candidateFromOverlays({ aws: { add: [add] } }, snap, '/overlay');
    const drop = runCheck(snap, exps, { candidate }).results[0]!;
    expect(drop).toMatchObject({ kind: 'mustNot', status: 'failed', actual: 'allowed' });
    expect(drop.finding!.changedBy).toEqual([{ provider: 'aws', pointer: '/add/0' }]);
  });
});

describe('the expectations file', () => {
  it('names the line of a YAML syntax error', () => {
    expect(() => parseExpectations('must:\n  - name: x\n   bad: [', 'access.yaml')).toThrow(expect.objectContaining({ name: 'InputError', file: 'access.yaml', line: 3 }));
  });

  it('names the offending field by pointer, line and column', () => {
    const text = 'version: 1\nmust:\n  - name: x\n    provider: aws\n    principal: p\n    action: a\n    resource: r\n    expct: allowed\n';
    expect(() => parseExpectations(text, 'access.yaml')).toThrow(expect.objectContaining({ pointer: '/must/0/expct', line: 8, column: 12 }));
  });

  it('rejects __proto__ keys and alias bombs', () => {
    expect(() => parseExpectations('must:\n  - {name: x, provider: aws, principal: p, action: a, resource: r, context: {__proto__: 1}}\n', 'a.yaml')).toThrow(InputError);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    expect(() => parseExpectations(bomb, 'a.yaml')).toThrow(InputError);
  });

  it('requires one kind of invariant', () => {
    const text = 'invariants:\n  - {name: x, provider: aws, actions: [s3:GetObject], resources: [r]}\n';
    expect(() => parseExpectations(text, 'a.yaml')).toThrow(expect.objectContaining({ pointer: '/invariants/0', line: 2, message: expect.stringContaining('exactly one of allowOnly') }));
  });
});

describe('invariants', () => {
  it('asks every principal outside allowOnly, and lists the violations with full explanations', () => {
    const all = snap.providers.get('aws')!.ci.principals(snap, 'all');
    expect(all.length).toBeGreaterThan(5);
    const inv = { name: 'only the deployer writes releases', provider: 'aws' as const, actions: ['s3:PutObject'], resources: [ARTIFACT], context: { 'aws:RequestedRegion': 'eu-west-1' }, allowOnly: ['arn:aws:*:*:*role/deployer*'] };
    const asked = invariantPrincipals(snap, inv);
    expect(asked.length).toBeLessThan(all.length);
    expect(asked.some((p) => p.includes('deployer'))).toBe(false);
    const report = runCheck(snap, { file: 'a.yaml', doc: { invariants: [inv] }, locate: (pointer) => ({ file: 'a.yaml', pointer }) });
    const r = report.results[0]!;
    expect(r.questions).toBe(asked.length);
    // ci-runner's PowerUserAccess writes the bucket too (fixtures/aws/snapshot-scenarios): a violation.
    expect(r.status).toBe('failed');
    const runner = r.violations!.find((v) => v.question.principal.includes('ci-runner'));
    expect(runner?.decision.causes.some((c) => c.kind === 'grant' && c.policy?.name === 'PowerUserAccess')).toBe(true);
  });

  it('noPublicAccess asks the anonymous caller', () => {
    const inv = { name: 'no public reads', provider: 'aws' as const, actions: ['s3:GetObject'], resources: ['arn:aws:s3:::prod-public-assets/img/logo.png'], noPublicAccess: true as const };
    const report = runCheck(snap, { file: 'a.yaml', doc: { invariants: [inv] }, locate: (pointer) => ({ file: 'a.yaml', pointer }) });
    expect(report.results[0]).toMatchObject({ status: 'passed', actual: 'denied' });
    expect(report.results[0]!.questions).toBeGreaterThan(0);
  });
});
