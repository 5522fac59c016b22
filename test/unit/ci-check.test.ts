/**
 * The check engine on the bundled estates: must / mustNot results with their decisive causes, locations
 * in the expectations file, `because`, errors per entry, invariants over principal sets, and a candidate
 * overlay whose items the failing decisions cite.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { candidateFromOverlays } from '../../src/ci/candidate.js';
import { invariantPrincipals, runCheck } from '../../src/ci/check.js';
import { runDiff } from '../../src/ci/diff.js';
import { ask } from '../../src/ci/ask.js';
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

  it('fails (not errs) a mustNot on a principal only the candidate grants to', () => {
    const bucket = '//storage.googleapis.com/projects/_/buckets/ex-analytics-curated';
    const policy = { bindings: [{ role: 'roles/storage.objectViewer', members: ['user:eve@evil-example.com'] }] };
    const candidate = candidateFromOverlays({ gcp: { allowPolicies: [{ resource: bucket, policy }] } }, snap, '/overlay');
    const mustNot = [{ name: 'eve reads nothing', provider: 'gcp' as const, principal: 'user:eve@evil-example.com', action: 'storage.objects.get', resource: `${bucket}/objects/a` }];
    const [eve] = runCheck(snap, { file: 'a.yaml', doc: { mustNot }, locate: (pointer) => ({ file: 'a.yaml', pointer }) }, { candidate }).results;
    expect(eve).toMatchObject({ status: 'failed', actual: 'allowed' });
    expect(eve!.finding!.decision.causes).toContainEqual(expect.objectContaining({ kind: 'grant', layer: 'allow', policy: expect.objectContaining({ name: 'roles/storage.objectViewer' }) }));
    expect(eve!.finding!.changedBy).toEqual([{ provider: 'gcp', pointer: '/allowPolicies/0' }]);
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

  // A grant to a principal the baseline does not know is what an invariant is for: the candidate's callers count.
  const violators = (inv: Parameters<typeof invariantPrincipals>[1], overlays: Record<string, unknown>) => {
    const candidate = candidateFromOverlays(overlays, snap, '/overlay');
    const report = runCheck(snap, { file: 'a.yaml', doc: { invariants: [inv] }, locate: (pointer) => ({ file: 'a.yaml', pointer }) }, { candidate });
    expect(runCheck(snap, { file: 'a.yaml', doc: { invariants: [inv] }, locate: (pointer) => ({ file: 'a.yaml', pointer }) }).results[0]!.status).toBe('passed');
    return (report.results[0]!.violations ?? []).map((v) => [v.question.principal, v.changedBy]);
  };

  it('asks the outside accounts and roles a new AWS queue policy names', () => {
    // Outside the snapshot, an account's root and its roles are taken to hold what their account may grant:
    // only the queue's side decides (no RCP covers SQS here).
    const queue = 'arn:aws:sqs:eu-west-1:222222222222:jobs';
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['999988887777', 'arn:aws:iam::555544443333:role/exfil'] }, Action: 'sqs:ReceiveMessage', Resource: queue }] };
    const inv = { name: 'nothing outside reads jobs', provider: 'aws' as const, actions: ['sqs:ReceiveMessage'], resources: [queue], noCrossOrgAccess: true as const };
    expect(violators(inv, { aws: { add: [{ name: 'share', attachment: 'resource', target: queue, document: policy }] } })).toEqual([
      ['arn:aws:iam::555544443333:role/exfil', [{ provider: 'aws', pointer: '/add/0' }]],
      ['arn:aws:iam::999988887777:root', [{ provider: 'aws', pointer: '/add/0' }]],
    ]);
  });

  it('asks a Google user of another organization that a new bucket binding names', () => {
    const policy = { bindings: [{ role: 'roles/storage.objectViewer', members: ['user:eve@evil-example.com', 'domain:rival-example.com'] }] };
    const inv = { name: 'nothing outside reads curated', provider: 'gcp' as const, actions: ['storage.objects.get'], resources: ['//storage.googleapis.com/projects/_/buckets/ex-analytics-curated/objects/2026/11/orders.parquet'], noCrossOrgAccess: true as const };
    expect(violators(inv, { gcp: { allowPolicies: [{ resource: '//storage.googleapis.com/projects/_/buckets/ex-analytics-curated', policy }] } })).toEqual([
      ['user:eve@evil-example.com', [{ provider: 'gcp', pointer: '/allowPolicies/0' }]],
      ['user:someone@rival-example.com', [{ provider: 'gcp', pointer: '/allowPolicies/0' }]],
    ]);
  });

  it('asks an Azure principal the directory export lacks when a new role assignment names it', () => {
    const rg = '/subscriptions/fcacc8bc-5cb8-4382-94bd-4bfc5b2a3d14/resourceGroups/rg-data';
    const stranger = '0d6f3a52-7c1b-4e59-9a8e-2b4c6d8e0f13';
    const assignment = { id: `${rg}/providers/Microsoft.Authorization/roleAssignments/5b0c2f9e-1d7a-4c3b-8e6f-9a2d4b6c8e01`, type: 'Microsoft.Authorization/roleAssignments', name: '5b0c2f9e-1d7a-4c3b-8e6f-9a2d4b6c8e01', properties: { roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635', principalId: stranger, principalType: 'User', scope: rg } };
    const inv = { name: 'only admins assign roles on the data group', provider: 'azure' as const, actions: ['Microsoft.Authorization/roleAssignments/write'], resources: [rg], allowOnly: ['c360c0e7-*', '8540df3b-*'] };
    expect(violators(inv, { azure: { add: [assignment] } })).toEqual([[stranger, [{ provider: 'azure', pointer: '/add/0' }]]]);
  });

  it('noPublicAccess asks the anonymous caller', () => {
    const inv = { name: 'no public reads', provider: 'aws' as const, actions: ['s3:GetObject'], resources: ['arn:aws:s3:::prod-public-assets/img/logo.png'], noPublicAccess: true as const };
    const report = runCheck(snap, { file: 'a.yaml', doc: { invariants: [inv] }, locate: (pointer) => ({ file: 'a.yaml', pointer }) });
    expect(report.results[0]).toMatchObject({ status: 'passed', actual: 'denied' });
    expect(report.results[0]!.questions).toBeGreaterThan(0);
  });
});

describe('diff over principals only the candidate knows', () => {
  it('reports the new access of a Google user a new binding names, the baseline answered as a stranger with no grants', () => {
    const bucket = '//storage.googleapis.com/projects/_/buckets/ex-analytics-curated';
    const object = `${bucket}/objects/2026/11/orders.parquet`;
    const policy = { bindings: [{ role: 'roles/storage.objectViewer', members: ['user:eve@evil-example.com'] }] };
    const candidate = candidateFromOverlays({ gcp: { allowPolicies: [{ resource: bucket, policy }] } }, snap, '/overlay');
    const inv = { name: 'nothing outside reads curated', provider: 'gcp' as const, actions: ['storage.objects.get'], resources: [object], noCrossOrgAccess: true as const };
    const report = runDiff(snap, candidate, { expectations: { file: 'a.yaml', doc: { invariants: [inv] }, locate: (pointer) => ({ file: 'a.yaml', pointer }) } });
    const eve = report.entries.filter((e) => e.question.principal === 'user:eve@evil-example.com');
    expect(eve.map((e) => [e.kind, e.origin, e.question.action, e.question.resource])).toContainEqual(['new_access', 'expectation', 'storage.objects.get', object]);
    expect(eve.some((e) => e.origin === 'probe')).toBe(true);
    const first = eve[0]!;
    expect(first.baseline).toMatchObject({ decision: 'denied', reason: 'no_grant' });
    expect(first.baseline.warnings.map((w) => w.code)).toContain('principal_not_in_snapshot');
    expect(first.candidate.causes).toContainEqual(expect.objectContaining({ kind: 'grant', layer: 'allow', policy: expect.objectContaining({ name: 'roles/storage.objectViewer' }) }));
  });

  it('answers a stranger on each cloud as a principal with no grants of its own, with a warning', () => {
    const strangers = [
      { provider: 'aws', principal: 'arn:aws:iam::222222222222:role/not-yet-created', action: 's3:GetObject', resource: ARTIFACT },
      { provider: 'gcp', principal: 'user:eve@evil-example.com', action: 'storage.objects.get', resource: '//storage.googleapis.com/projects/_/buckets/ex-analytics-curated/objects/a' },
      { provider: 'azure', principal: '0d6f3a52-7c1b-4e59-9a8e-2b4c6d8e0f13', action: 'Microsoft.Resources/subscriptions/resourceGroups/read', resource: '/subscriptions/fcacc8bc-5cb8-4382-94bd-4bfc5b2a3d14/resourceGroups/rg-data' },
    ] as const;
    for (const q of strangers) {
      expect(() => ask(snap, q, undefined, 'summary')).toThrow(expect.objectContaining({ code: 'not_found', pointer: '/principal' }));
      const d = ask(snap, q, undefined, 'summary', true);
      expect([d.decision, d.reason, d.warnings.map((w) => w.code)]).toEqual(['denied', 'no_grant', ['principal_not_in_snapshot']]);
    }
  });

  it('reports the new access a mustNot entry names for a principal only the candidate grants to', () => {
    const bucket = '//storage.googleapis.com/projects/_/buckets/ex-analytics-curated';
    const policy = { bindings: [{ role: 'roles/storage.objectViewer', members: ['user:eve@evil-example.com'] }] };
    const candidate = candidateFromOverlays({ gcp: { allowPolicies: [{ resource: bucket, policy }] } }, snap, '/overlay');
    const mustNot = [{ name: 'eve reads nothing', provider: 'gcp' as const, principal: 'user:eve@evil-example.com', action: 'storage.objects.get', resource: `${bucket}/objects/a` }];
    const report = runDiff(snap, candidate, { probes: false, expectations: { file: 'a.yaml', doc: { mustNot }, locate: (pointer) => ({ file: 'a.yaml', pointer }) } });
    expect(report.entries).toMatchObject([{ kind: 'new_access', origin: 'expectation', expectation: 'eve reads nothing', baseline: { decision: 'denied', reason: 'no_grant' }, changedBy: [{ provider: 'gcp', pointer: '/allowPolicies/0' }] }]);
    expect(report.entries[0]!.candidate.causes).toContainEqual(expect.objectContaining({ kind: 'grant', layer: 'allow', policy: expect.objectContaining({ name: 'roles/storage.objectViewer' }) }));
  });

  it('still fails on a must entry naming a principal nobody knows (a typo is not a stranger)', () => {
    const candidate = candidateFromOverlays({ aws: { remove: ['p-eu7r4x2m'] } }, snap, '/overlay');
    const must = [{ name: 'typo', provider: 'gcp' as const, principal: 'user:ana@exampel.com', action: 'storage.objects.get', resource: '//storage.googleapis.com/projects/_/buckets/ex-analytics-curated/objects/a' }];
    expect(() => runDiff(snap, candidate, { probes: false, expectations: { file: 'a.yaml', doc: { must }, locate: (pointer) => ({ file: 'a.yaml', pointer }) } })).toThrow(expect.objectContaining({ code: 'not_found', pointer: '/expectations/must/0/principal' }));
  });
});
