/**
 * The AWS collector against a fake AWS (test/fakes/aws.ts) that serves the bundled estate
 * (fixtures/aws/estate) over the services' real wire protocols, with the SDK clients pointed at it by
 * their `endpoint` option: every page, throttling then success, an account whose role cannot be assumed,
 * URL-encoded documents, and the round trip (collect, import the directory, simulate).
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectAws, type AwsCollectOptions } from '../../providers/aws/collect.js';
import { readInputs } from '../../src/cli/inputs.js';
import { Collector, type CollectReport } from '../../src/collect/collector.js';
import { loadSnapshot, simulate, type Snapshot } from '../../src/index.js';
import { estateFromFixtures, startFakeAws, type FakeAws, type FakeAwsEstate, type FakeAwsOptions } from '../fakes/aws.js';
import { checkScenario, readScenario, scenarioFiles } from '../helpers/scenario.js';

type Obj = Record<string, unknown>;

const root = join(import.meta.dirname, '..', '..');
const ESTATE = join(root, 'fixtures', 'aws', 'estate');
const PROD = '222222222222';
const DEV = '333333333333';
const APP_BOUNDARY = `arn:aws:iam::${PROD}:policy/app-boundary`;
const ROLE = 'iamsim-reader';
const doc = (...Statement: Obj[]) => JSON.stringify({ Version: '2012-10-17', Statement });

/** Resources beyond the bundled estate, for the services it has none of. */
const EXTRA: Obj[] = [
  { Arn: `arn:aws:lambda:eu-west-1:${PROD}:function:resize`, Account: PROD, GetPolicy: { RevisionId: 'r1', Policy: doc({ Sid: 'DevInvokes', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${DEV}:user/bob` }, Action: 'lambda:InvokeFunction', Resource: `arn:aws:lambda:eu-west-1:${PROD}:function:resize` }) } },
  { Arn: `arn:aws:lambda:eu-west-1:${PROD}:function:thumbnail`, Account: PROD },
  { Arn: `arn:aws:secretsmanager:eu-west-1:${PROD}:secret:db-AbCdEf`, Account: PROD, GetResourcePolicy: { ResourcePolicy: doc({ Sid: 'NoDevelopers', Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${PROD}:user/alice` }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }) } },
  { Arn: `arn:aws:ecr:us-east-1:${PROD}:repository/app`, Account: PROD, GetRepositoryPolicy: { registryId: PROD, repositoryName: 'app', policyText: doc({ Sid: 'DevPulls', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${DEV}:root` }, Action: 'ecr:BatchGetImage' }) } },
  { Arn: 'arn:aws:s3:::dev-scratch', Account: DEV },
  // Public by its own policy, with no Block Public Access of its own: the account's setting decides.
  { Arn: 'arn:aws:s3:::dev-public-site', Account: DEV, GetBucketPolicy: { Policy: doc({ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::dev-public-site/*' }) } },
];

/** The bundled estate, plus EXTRA, with app-boundary left out of GetAccountAuthorizationDetails as a boundary-only policy can be. */
function fakeEstate(): FakeAwsEstate {
  const e = estateFromFixtures(ESTATE);
  e.resources.push(...EXTRA);
  const policies = e.iam[PROD]!.Policies;
  e.heldBack[APP_BOUNDARY] = policies.splice(policies.findIndex((p) => p.Arn === APP_BOUNDARY), 1)[0]!;
  return e;
}

let tmp: string;
const fakes: FakeAws[] = [];
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'iamsim-collect-aws-'));
});
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  await rm(tmp, { recursive: true, force: true });
});

async function run(name: string, estate: FakeAwsEstate, fakeOptions: FakeAwsOptions, options: AwsCollectOptions = {}) {
  const fake = await startFakeAws(estate, { roleName: ROLE, ...fakeOptions });
  fakes.push(fake);
  const c = new Collector('aws', { baseDelayMs: 1 });
  await collectAws(c, { endpoint: fake.endpoint, credentials: fake.credentials, region: 'us-east-1', regions: ['eu-west-1', 'us-east-1'], assumeRoleName: ROLE, ...options });
  const out = join(tmp, name);
  const report = await c.write(out);
  const json = async (f: string) => JSON.parse(await readFile(join(out, f), 'utf8')) as Obj;
  return { fake, out, report, json, files: (await readdir(out)).sort() };
}

const fixture = async (f: string) => JSON.parse(await readFile(join(ESTATE, f), 'utf8')) as unknown;
const names = (list: unknown, key: string) => ((list as Obj[]) ?? []).map((x) => x[key]).sort();
/** Timestamps compared as instants: the SDK writes `...Z` where the CLI prints `...+00:00`. */
const instants = (v: unknown): unknown => JSON.parse(JSON.stringify(v), (_, x: unknown) => (typeof x === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$/.test(x) ? Date.parse(x) : x));

describe('collect aws: the whole organization', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run('org', fakeEstate(), {
      pageSize: 2,
      throttleOnce: ['iam:GetAccountAuthorizationDetails', 'organizations:ListAccountsForParent', 's3:GetBucketPolicy', 'kms:GetKeyPolicy', 'sqs:GetQueueAttributes', 'sns:ListTopics', 'lambda:ListFunctions', 'sts:AssumeRole', 's3control:GetPublicAccessBlock'],
    });
  });

  it('reads every account of the organization, retrying throttled calls, with no failure', () => {
    expect(r.report.failures).toEqual([]);
    expect(r.fake.throttled.length).toBeGreaterThanOrEqual(8);
    expect(r.report.retries).toBe(r.fake.throttled.length);
    expect(r.files).toEqual(['collect-report.json', 'iam-111111111111.json', `iam-${PROD}.json`, `iam-${DEV}.json`, 'organizations.json', 'resources-111111111111.json', `resources-${PROD}.json`, `resources-${DEV}.json`]);
    // The caller's own account is read with the starting credentials; the others through the named role.
    expect(new Set(r.fake.calls.filter((c) => c.action === 'AssumeRole').map((c) => c.params.RoleArn))).toEqual(new Set([PROD, DEV].map((a) => `arn:aws:iam::${a}:role/${ROLE}`)));
  });

  it('only reads: every call is a List, Get or Describe (and AssumeRole)', () => {
    const actions = new Set(r.fake.calls.map((c) => `${c.service}:${c.action}`));
    // Every service was asked, so the loop below checks them all.
    expect(new Set(r.fake.calls.map((c) => c.service))).toEqual(new Set(['sts', 'iam', 'organizations', 's3', 's3control', 'kms', 'sqs', 'sns', 'lambda', 'secretsmanager', 'ecr']));
    for (const a of actions) expect(a).toMatch(/^[a-z0-9]+:(List|Get|Describe)[A-Za-z]+$|^sts:AssumeRole$/);
  });

  it('follows every page of GetAccountAuthorizationDetails with all filters, and decodes the URL-encoded documents', async () => {
    const gaad = r.fake.calls.filter((c) => c.action === 'GetAccountAuthorizationDetails' && c.account === PROD);
    expect(gaad.length).toBeGreaterThan(5);
    expect(Object.entries(gaad[0]!.params).filter(([k]) => k.startsWith('Filter.member.')).map(([, v]) => v).sort()).toEqual(['AWSManagedPolicy', 'Group', 'LocalManagedPolicy', 'Role', 'User']);
    const [mine, theirs] = [await r.json(`iam-${PROD}.json`), (await fixture(`iam-${PROD}.json`)) as Obj[]];
    for (const k of ['UserDetailList', 'GroupDetailList', 'RoleDetailList'] as const) {
      expect(names(mine[k], 'Arn')).toEqual(names(theirs.flatMap((p) => p[k] as Obj[]), 'Arn'));
    }
    const dev = await r.json(`iam-${DEV}.json`);
    const ci = (dev.RoleDetailList as Obj[]).find((x) => x.RoleName === 'ci')!;
    const original = ((await fixture(`iam-${DEV}.json`)) as Obj).RoleDetailList as Obj[];
    expect(typeof ci.AssumeRolePolicyDocument).toBe('object');
    expect(ci.AssumeRolePolicyDocument).toEqual(JSON.parse(decodeURIComponent(original.find((x) => x.RoleName === 'ci')!.AssumeRolePolicyDocument as string)));
    for (const p of mine.Policies as Obj[]) for (const v of p.PolicyVersionList as Obj[]) expect(typeof v.Document).toBe('object');
  });

  it('fetches managed policies the export lacks (a boundary-only policy, an AWS managed one) with GetPolicyVersion', async () => {
    const fetched = r.fake.calls.filter((c) => c.action === 'GetPolicyVersion' && c.account === PROD).map((c) => c.params.PolicyArn).sort();
    expect(fetched).toEqual([APP_BOUNDARY, 'arn:aws:iam::aws:policy/ReadOnlyAccess']);
    const policies = (await r.json(`iam-${PROD}.json`)).Policies as Obj[];
    const boundary = policies.find((p) => p.Arn === APP_BOUNDARY)!;
    expect(boundary).toMatchObject({ PolicyName: 'app-boundary', DefaultVersionId: expect.any(String), PolicyVersionList: [{ IsDefaultVersion: true, Document: { Statement: expect.any(Array) } }] });
  });

  it('assembles the Organizations export: tree, accounts under their parents, SCPs and RCPs with targets', async () => {
    const [mine, theirs] = [await r.json('organizations.json'), (await fixture('org.json')) as Obj];
    expect((mine.Organization as Obj).MasterAccountId).toBe('111111111111');
    const byId = (v: unknown) => Object.fromEntries(((v as Obj[]) ?? []).map((x) => [x.Id, x.ParentId]));
    expect(byId(mine.OrganizationalUnits)).toEqual(byId(theirs.OrganizationalUnits));
    expect(byId(mine.Accounts)).toEqual(byId(theirs.Accounts));
    const policies = (v: unknown) => Object.fromEntries(((v as Obj[]) ?? []).map((p) => [(p.PolicySummary as Obj).Id, { content: p.Content, targets: names(p.Targets, 'TargetId') }]));
    expect(policies(mine.Policies)).toEqual(policies(theirs.Policies));
  });

  it('writes each resource with its owner and policy: S3 in every region, the regional services in each region asked', async () => {
    const entries = (await Promise.all(r.files.filter((f) => f.startsWith('resources-')).map(async (f) => (await r.json(f)).ResourcePolicies as Obj[]))).flat();
    const byArn = new Map(entries.map((e) => [e.Arn, e]));
    const bundled = ((await fixture('resources.json')) as Obj).ResourcePolicies as Obj[];
    for (const want of [...bundled, ...EXTRA]) {
      const got = byArn.get(want.Arn);
      expect(got, String(want.Arn)).toBeDefined();
      expect(got!.Account).toBe(want.Account);
      for (const api of ['GetBucketPolicy', 'GetPublicAccessBlock', 'GetBucketTagging', 'GetKeyPolicy', 'DescribeKey']) if (want[api]) expect(instants(got![api]), `${String(want.Arn)} ${api}`).toEqual(instants(want[api]));
      for (const api of ['GetQueueAttributes', 'GetTopicAttributes', 'GetPolicy', 'GetResourcePolicy', 'GetRepositoryPolicy']) if (want[api]) expect(got![api], `${String(want.Arn)} ${api}`).toMatchObject(want[api] as Obj);
    }
    // No policy is an answer, not a failure: the function and the bucket are written without one.
    expect(byArn.get(`arn:aws:lambda:eu-west-1:${PROD}:function:thumbnail`)).toEqual({ Arn: `arn:aws:lambda:eu-west-1:${PROD}:function:thumbnail`, Account: PROD });
    expect(byArn.get('arn:aws:s3:::dev-scratch')).toEqual({ Arn: 'arn:aws:s3:::dev-scratch', Account: DEV });
    expect(entries.length).toBe(bundled.length + EXTRA.length);
  });

  it('writes each account\'s own S3 Block Public Access setting, asked of S3 Control for that account', async () => {
    const bundled = ((await fixture('resources.json')) as Obj).AccountPublicAccessBlocks as Obj[];
    expect(bundled.map((a) => a.Account)).toEqual([DEV]);
    expect((await r.json(`resources-${DEV}.json`)).AccountPublicAccessBlocks).toEqual(bundled);
    // No configuration is an answer (NoSuchPublicAccessBlockConfiguration), written as none.
    for (const account of ['111111111111', PROD]) expect((await r.json(`resources-${account}.json`)).AccountPublicAccessBlocks).toEqual([]);
    const asked = r.fake.calls.filter((c) => c.service === 's3control');
    // Each account's first call is throttled, then retried.
    expect(asked.map((c) => c.account).sort()).toEqual(['111111111111', '111111111111', PROD, PROD, DEV, DEV]);
    expect(r.fake.throttled.filter((c) => c.service === 's3control')).toHaveLength(3);
    for (const c of asked) expect(c.params.AccountId).toBe(c.account);
  });

  describe('round trip: the collected directory imports and answers as the bundled estate does', () => {
    let snapshot: Snapshot;
    beforeAll(async () => {
      snapshot = loadSnapshot(await readInputs([r.out]), 'collected');
    });

    for (const file of scenarioFiles(join(root, 'fixtures', 'aws', 'snapshot-scenarios'))) {
      const s = readScenario(file);
      it(s.name, () => checkScenario(s, simulate(s.request, snapshot)));
    }

    it('answers from the policies of the services the bundled estate lacks', () => {
      const denied = simulate({ provider: 'aws', principal: `arn:aws:iam::${PROD}:user/alice`, action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:eu-west-1:${PROD}:secret:db-AbCdEf` }, snapshot);
      expect(denied).toMatchObject({ decision: 'denied', reason: 'explicit_deny' });
      expect(denied.causes).toMatchObject([{ kind: 'explicit_deny', layer: 'resource', policy: { name: `arn:aws:secretsmanager:eu-west-1:${PROD}:secret:db-AbCdEf policy` }, statement: { sid: 'NoDevelopers' } }]);
      const invoke = simulate({ provider: 'aws', principal: `arn:aws:iam::${DEV}:user/bob`, action: 'lambda:InvokeFunction', resource: `arn:aws:lambda:eu-west-1:${PROD}:function:resize` }, snapshot);
      // Cross-account: the function policy grants bob, but his own account must allow the call too.
      expect(invoke).toMatchObject({ decision: 'denied', reason: 'no_grant', causes: [{ kind: 'missing_grant', layer: 'identity' }] });
      expect(invoke.layers.find((l) => l.layer === 'resource')).toMatchObject({ verdict: 'allow', policies: [{ policy: { name: `arn:aws:lambda:eu-west-1:${PROD}:function:resize policy` } }] });
    });
  });
});

describe('collect aws: the account-level S3 Block Public Access setting', () => {
  // Without the organization (whose RCP would deny anonymous callers first), the account's setting decides.
  it('blocks an anonymous read of a bucket that is public by its own policy and has no setting of its own', async () => {
    const r = await run('account-bpa', fakeEstate(), {}, { organization: false, accounts: [DEV] });
    expect(r.report.failures).toEqual([]);
    const site = ((await r.json(`resources-${DEV}.json`)).ResourcePolicies as Obj[]).find((e) => e.Arn === 'arn:aws:s3:::dev-public-site');
    expect(site?.GetPublicAccessBlock).toBeUndefined();
    const snapshot = loadSnapshot(await readInputs([r.out]), 'collected');
    const got = simulate({ provider: 'aws', principal: 'anonymous', action: 's3:GetObject', resource: 'arn:aws:s3:::dev-public-site/index.html' }, snapshot);
    expect(got).toMatchObject({ decision: 'denied', reason: 'guardrail' });
    expect(got.causes).toMatchObject([{ kind: 'blocked_by_guardrail', layer: 's3_block_public_access', policy: { name: 'arn:aws:s3:::dev-public-site policy' }, statement: { sid: 'PublicRead' } }]);
    expect(got.causes).toHaveLength(1);
  });
});

describe('collect aws: failures are recorded, the rest is kept', () => {
  it('an account whose role cannot be assumed is a failure in collect-report.json; the other accounts are collected', async () => {
    const r = await run('denied', fakeEstate(), { denyAssume: [DEV] });
    expect(r.report.failures).toEqual([expect.objectContaining({ target: DEV, call: 'sts:AssumeRole', code: 'AccessDenied', attempts: 1 })]);
    expect(r.report.failures[0]!.message).toContain(`arn:aws:iam::${DEV}:role/${ROLE}`);
    expect(r.files).toEqual(['collect-report.json', 'iam-111111111111.json', `iam-${PROD}.json`, 'organizations.json', 'resources-111111111111.json', `resources-${PROD}.json`]);
    const onDisk = JSON.parse(await readFile(join(r.out, 'collect-report.json'), 'utf8')) as CollectReport;
    expect(onDisk.failures).toEqual(r.report.failures);
  });

  it('a member account cannot list the organization: recorded, and the explicit accounts are still read', async () => {
    const estate = fakeEstate();
    estate.caller = { account: PROD, arn: `arn:aws:iam::${PROD}:user/alice` };
    const r = await run('member', estate, {}, { accounts: [PROD, DEV] });
    expect(r.report.failures.map((f) => [f.target, f.call, f.code])).toEqual([[PROD, 'organizations:ListRoots', 'AccessDeniedException']]);
    expect(r.report.warnings.some((w) => w.includes('SCPs and RCPs are not collected'))).toBe(true);
    expect(r.files).toEqual(['collect-report.json', `iam-${PROD}.json`, `iam-${DEV}.json`, `resources-${PROD}.json`, `resources-${DEV}.json`]);
  });

  it('without a role name only the caller\'s account is read, and a named other account is skipped with a warning', async () => {
    const r = await run('single', fakeEstate(), {}, { assumeRoleName: undefined, organization: false, accounts: ['111111111111', DEV] });
    expect(r.report.failures).toEqual([]);
    expect(r.files).toEqual(['collect-report.json', 'iam-111111111111.json', 'resources-111111111111.json']);
    expect(r.report.warnings.some((w) => w.includes(`account ${DEV} is skipped`))).toBe(true);
    expect(r.fake.calls.some((c) => c.service === 'organizations' || c.action === 'AssumeRole')).toBe(false);
  });
});
