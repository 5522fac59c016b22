/**
 * `iamsim collect aws` as a user runs it: the built binary (dist/, `npm test` builds it first), its
 * credentials from the environment through the SDK's default chain, every call sent to the fake AWS
 * (test/fakes/aws.ts) with --endpoint-url; then `iamsim check` on what it wrote. The machine's own AWS
 * configuration is kept out of the child: no AWS_* variable is inherited and the shared files point nowhere.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectReport } from '../../src/collect/collector.js';
import { estateFromFixtures, startFakeAws, type FakeAws, type FakeAwsOptions } from '../fakes/aws.js';
import { testApp } from '../helpers/app.js';
import { projectRoot as root, runCli, type CliRun } from '../helpers/cli.js';

const ESTATE = join(root, 'fixtures', 'aws', 'estate');
const ROLE = 'iamsim-reader';
const DEV = '333333333333';

/** What the collected estate must answer: grants read from IAM and resource policies, an SCP, an S3 guardrail. */
const EXPECTATIONS = `version: 1
must:
  - name: the deployer role uploads release artifacts
    provider: aws
    principal: arn:aws:sts::222222222222:assumed-role/deployer/ci-pipeline-4711
    action: s3:PutObject
    resource: arn:aws:s3:::prod-artifacts/releases/app-1.4.2.zip
    context: {aws:RequestedRegion: eu-west-1}
  - name: the app decrypts with the prod key
    provider: aws
    principal: arn:aws:sts::222222222222:assumed-role/app/i-0a1b2c3d4e5f67890
    action: kms:Decrypt
    resource: arn:aws:kms:eu-west-1:222222222222:key/3f6c2a1e-8b4d-4e7a-9c5f-0d1e2f3a4b5c
mustNot:
  - name: no account leaves the organization, by the root's SCP
    provider: aws
    principal: arn:aws:iam::333333333333:role/OrganizationAccountAccessRole
    action: organizations:LeaveOrganization
    resource: "*"
    because: {layer: scp, policy: DenyLeaveOrg}
  - name: no anonymous reads of the public assets bucket
    provider: aws
    principal: anonymous
    action: s3:GetObject
    resource: arn:aws:s3:::prod-public-assets/img/logo.png
    because: {layer: s3_block_public_access}
`;

let tmp: string;
const fakes: FakeAws[] = [];
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'iamsim-collect-aws-cli-'));
  await writeFile(join(tmp, 'access.yaml'), EXPECTATIONS);
});
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  await rm(tmp, { recursive: true, force: true });
});

/** The built binary, with the fake's access key in the environment and nothing else of AWS's. */
function iamsim(args: string[], fake: FakeAws, more: Record<string, string> = {}): Promise<CliRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const env = {
    ...inherited,
    AWS_ACCESS_KEY_ID: fake.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: fake.credentials.secretAccessKey,
    AWS_CONFIG_FILE: join(tmp, 'no-such-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmp, 'no-such-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    IAMSIM_DATA_DIR: join(tmp, 'data'),
    NO_COLOR: '1',
    ...more,
  };
  return runCli(args, { cwd: tmp, env });
}

async function collect(name: string, options: FakeAwsOptions = {}, extra: string[] = [], env: Record<string, string> = {}) {
  const fake = await startFakeAws(estateFromFixtures(ESTATE), { roleName: ROLE, pageSize: 2, ...options });
  fakes.push(fake);
  const out = join(tmp, name);
  const run = await iamsim(['collect', 'aws', '--out', out, '--endpoint-url', fake.endpoint, '--region', 'eu-west-1', '--regions', 'eu-west-1', '--assume-role-name', ROLE, '--concurrency', '4', ...extra], fake, env);
  const report = JSON.parse(await readFile(join(out, 'collect-report.json'), 'utf8')) as CollectReport;
  return { fake, out, run, report, files: (await readdir(out)).sort() };
}

describe('iamsim collect aws (the built binary)', () => {
  it('collects the organization with the environment\'s credentials, exits 0, and `iamsim check` passes on the result', async () => {
    const r = await collect('ok', { throttleOnce: ['iam:GetAccountAuthorizationDetails'] });
    expect(r.run.code, r.run.stderr).toBe(0);
    expect(r.files).toEqual(['collect-report.json', 'iam-111111111111.json', 'iam-222222222222.json', `iam-${DEV}.json`, 'organizations.json', 'resources-111111111111.json', 'resources-222222222222.json', `resources-${DEV}.json`]);
    expect(r.report).toMatchObject({ provider: 'aws', failures: [], retries: 3 });
    expect(r.report.files.map((f) => f.name).sort()).toEqual(r.files.filter((f) => f !== 'collect-report.json'));
    expect(r.run.stderr).toContain(`collected aws: ${r.report.files.length} files in ${r.out}, ${r.report.calls} calls, 3 retried after throttling`);
    // The starting key is the one from the environment; --regions and --region reached every client.
    expect(r.fake.calls.find((c) => c.action === 'GetCallerIdentity')).toMatchObject({ account: '111111111111', region: 'eu-west-1' });
    expect(new Set(r.fake.calls.map((c) => c.region))).toEqual(new Set(['eu-west-1']));
    // S3 Control too reached the endpoint as given (not <account>.<endpoint host>).
    expect(r.fake.calls.filter((c) => c.service === 's3control').map((c) => c.params.AccountId).sort()).toEqual(['111111111111', '222222222222', DEV]);

    const check = await iamsim(['check', '--snapshot', r.out, '--expect', join(tmp, 'access.yaml')], r.fake);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('all 4 expectations passed');
  });

  it('exits 1 when an account\'s role cannot be assumed, naming the failure on stderr and in collect-report.json', async () => {
    const r = await collect('denied', { denyAssume: [DEV] });
    expect(r.run.code, r.run.stderr).toBe(1);
    expect(r.report.failures).toEqual([expect.objectContaining({ target: DEV, call: 'sts:AssumeRole', code: 'AccessDenied' })]);
    expect(r.run.stderr).toContain('1 calls failed');
    expect(r.run.stderr).toContain(`! ${DEV} sts:AssumeRole: AccessDenied: ${r.report.failures[0]!.message}`);
    // What could be read is still written.
    expect(r.files).toEqual(['collect-report.json', 'iam-111111111111.json', 'iam-222222222222.json', 'organizations.json', 'resources-111111111111.json', 'resources-222222222222.json']);
  });

  it('uploads what it collected to a server with --server, as the active snapshot', async () => {
    const server = await testApp({ withFixtures: false, token: 'collect-token' });
    try {
      const url = await server.app.listen({ port: 0, host: '127.0.0.1' });
      const r = await collect('uploaded', {}, ['--server', url, '--name', 'collected'], { IAMSIM_TOKEN: 'collect-token' });
      expect(r.run.code, r.run.stderr).toBe(0);
      const id = /uploaded snapshot ([0-9a-f]{32})/.exec(r.run.stdout)?.[1];
      expect(id).toBeDefined();
      const active = await server.snapshots.resolve('active');
      expect(active.meta).toMatchObject({ id, name: 'collected', providers: ['aws'] });
    } finally {
      await server.close();
    }
  });
});
