/**
 * Terraform plans (fixtures/ci/terraform/aws-*.plan.json) read against the bundled AWS estate: the overlay,
 * its sources, the changes and unknowns the reader reports, and what the overlay does to real answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { projectRoot, validateComponent } from '../../src/api/spec.js';
import type { PlanOverlay, TerraformChange, TerraformPlan } from '../../src/core/ci.js';
import type { Cause, Decision } from '../../src/core/decision.js';
import { InputError } from '../../src/core/problem.js';
import { loadSnapshot, type Snapshot } from '../../src/index.js';
import { aws } from '../../providers/aws/index.js';

let snapshot: Snapshot;

beforeAll(async () => {
  snapshot = loadSnapshot(await fixtureFiles('fixtures/aws/estate'), 'fixtures');
});

function readPlan(name: string): TerraformPlan {
  return JSON.parse(readFileSync(join(projectRoot, 'fixtures', 'ci', 'terraform', `${name}.plan.json`), 'utf8')) as TerraformPlan;
}

/** What the gate does: the plan's managed changes of the AWS types, in plan order. */
function read(plan: TerraformPlan): PlanOverlay {
  const types: readonly string[] = aws.ci.terraformTypes;
  const mine = (plan.resource_changes ?? []).filter((c) => c.mode === 'managed' && types.includes(c.type));
  return aws.ci.fromTerraform(mine, plan, snapshot);
}

function ask(overlay: Record<string, unknown> | undefined, principal: string, action: string, resource: string, context?: Record<string, unknown>): Decision {
  const body: Record<string, unknown> = { provider: 'aws', principal, action, resource, options: { explain: 'full' } };
  if (context) body.context = context;
  if (overlay) body.overlay = overlay;
  return aws.simulateIn(snapshot, body);
}

/** The decisive causes, reduced to what a test names. */
function causes(d: Decision) {
  return d.causes.map((c: Cause) => ({
    kind: c.kind,
    layer: c.layer,
    ...(c.policy ? { policy: c.policy.name, id: c.policy.id, file: c.policy.source?.file, pointer: c.policy.source?.pointer } : {}),
    ...(c.statement?.sid ? { sid: c.statement.sid } : {}),
    ...(c.level ? { level: c.level } : {}),
  }));
}

function change(plan: TerraformPlan, address: string): TerraformChange {
  return plan.resource_changes!.find((c) => c.address === address)!;
}

const EU = { 'aws:RequestedRegion': 'eu-west-1' };
const DEPLOYER = 'arn:aws:iam::222222222222:role/deployer';

describe('aws-deploy.plan.json', () => {
  let plan: TerraformPlan;
  let out: PlanOverlay;
  beforeAll(() => {
    plan = readPlan('aws-deploy');
    out = read(plan);
  });

  it('reports each IAM change, the unknown it could not trace, and where each overlay item came from', () => {
    expect(out.changes).toEqual([
      { address: 'aws_iam_policy.deploy_artifacts', type: 'aws_iam_policy', actions: ['create'], summary: 'creates managed policy deploy-artifacts' },
      { address: 'aws_iam_policy.developers_base', type: 'aws_iam_policy', actions: ['update'], summary: 'changes the document of managed policy DevelopersBase, attached to 1 principal' },
      { address: 'aws_iam_role.deployer', type: 'aws_iam_role', actions: ['update'], summary: 'changes the trust policy of role deployer' },
      { address: 'aws_iam_role_policy.app_events', type: 'aws_iam_role_policy', actions: ['create'], summary: 'adds inline policy app-events to role app' },
      { address: 'aws_iam_role_policy_attachment.deployer_artifacts', type: 'aws_iam_role_policy_attachment', actions: ['create'], summary: 'attaches policy deploy-artifacts to role deployer' },
      { address: 'aws_iam_role_policy_attachment.org_access_admin', type: 'aws_iam_role_policy_attachment', actions: ['delete'], summary: 'detaches policy AdministratorAccess from role OrganizationAccountAccessRole' },
      { address: 'aws_iam_user_policy_attachment.dave_s3_read', type: 'aws_iam_user_policy_attachment', actions: ['create'], summary: 'attaches policy AmazonS3ReadOnlyAccess to user dave' },
      { address: 'aws_iam_user_policy.bob_read_prod', type: 'aws_iam_user_policy', actions: ['delete'], summary: 'removes inline policy read-prod-buckets from user bob' },
      { address: 'aws_s3_bucket_policy.public_assets', type: 'aws_s3_bucket_policy', actions: ['update'], summary: 'changes the bucket policy of prod-public-assets' },
    ]);
    expect(out.unknowns).toEqual([
      { address: 'aws_iam_role_policy.app_events', path: 'policy', effect: 'the document is known only after apply: inline policy app-events is left out' },
    ]);
    expect(out.warnings).toEqual([]);
    expect(out.sources).toEqual({
      '/add/0': ['aws_iam_role_policy_attachment.deployer_artifacts', 'aws_iam_policy.deploy_artifacts'],
      '/replace/0': ['aws_iam_policy.developers_base'],
      '/replace/1': ['aws_iam_role.deployer'],
      '/remove/0': ['aws_iam_role_policy_attachment.org_access_admin'],
      '/add/2': ['aws_iam_user_policy_attachment.dave_s3_read'],
      '/remove/1': ['aws_iam_user_policy.bob_read_prod'],
      '/replace/2': ['aws_s3_bucket_policy.public_assets'],
    });
    const o = out.overlay as { add: { name: string; attachment: string; target: string }[]; replace: { id: string }[]; remove: string[] };
    expect(o.add.map(({ name, attachment, target }) => ({ name, attachment, target }))).toEqual([
      { name: 'deploy-artifacts', attachment: 'identity', target: DEPLOYER },
      { name: 'AdministratorAccess', attachment: 'identity', target: 'arn:aws:iam::111111111111:group/admins' },
      { name: 'AmazonS3ReadOnlyAccess', attachment: 'identity', target: 'arn:aws:iam::222222222222:user/dave' },
    ]);
    expect(o.replace.map((r) => r.id)).toEqual([
      'arn:aws:iam::222222222222:policy/DevelopersBase',
      `${DEPLOYER}#trust`,
      'arn:aws:s3:::prod-public-assets#policy',
    ]);
    expect(o.remove).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess', 'arn:aws:iam::333333333333:user/bob#read-prod-buckets']);
    expect(() => validateComponent('AwsOverlay', out.overlay)).not.toThrow();
  });

  it('attaches a policy the plan creates, whose ARN is known only after apply, through the configuration reference', () => {
    const before = ask(undefined, DEPLOYER, 's3:ListBucket', 'arn:aws:s3:::prod-artifacts', EU);
    expect(before.decision).toBe('denied');
    expect(causes(before)).toEqual([{ kind: 'missing_grant', layer: 'identity' }]);
    const after = ask(out.overlay, DEPLOYER, 's3:ListBucket', 'arn:aws:s3:::prod-artifacts', EU);
    expect(after.decision).toBe('allowed');
    expect(causes(after)).toEqual([{ kind: 'grant', layer: 'identity', policy: 'deploy-artifacts', id: '/overlay/add/0', file: 'request', pointer: '/overlay/add/0/document', sid: 'ListArtifacts' }]);
  });

  it('rewrites an updated managed policy for every principal it is attached to (replace keeps its id)', () => {
    for (const user of ['dave', 'alice']) {
      const arn = `arn:aws:iam::222222222222:user/${user}`;
      expect(ask(undefined, arn, 'sqs:DeleteMessage', 'arn:aws:sqs:eu-west-1:222222222222:jobs').decision).toBe('denied');
      const after = ask(out.overlay, arn, 'sqs:DeleteMessage', 'arn:aws:sqs:eu-west-1:222222222222:jobs');
      expect(after.decision).toBe('allowed');
      expect(causes(after)).toEqual([{ kind: 'grant', layer: 'identity', policy: 'DevelopersBase', id: 'arn:aws:iam::222222222222:policy/DevelopersBase', file: 'request', pointer: '/overlay/replace/0/document', sid: 'JobsQueueConsume' }]);
    }
  });

  it('a trust policy without the external ID condition lets the dev ci role in without it', () => {
    const ci = 'arn:aws:sts::333333333333:assumed-role/ci/AWSCodeBuild-5c3f0a1e';
    const noId = { 'sts:ExternalId': null };
    const before = ask(undefined, ci, 'sts:AssumeRole', DEPLOYER, noId);
    expect(before.decision).toBe('denied');
    expect(causes(before)).toEqual([expect.objectContaining({ kind: 'missing_grant', layer: 'resource', policy: `${DEPLOYER} trust policy` })]);
    const after = ask(out.overlay, ci, 'sts:AssumeRole', DEPLOYER, noId);
    expect(after.decision).toBe('allowed');
    expect(causes(after)).toContainEqual({ kind: 'grant', layer: 'resource', policy: `${DEPLOYER} trust policy`, id: `${DEPLOYER}#trust`, file: 'request', pointer: '/overlay/replace/1/document', sid: 'TrustDevCiRole' });
  });

  it('detaching a policy from one of its two principals keeps it on the other, citing no change there', () => {
    const oaar = 'arn:aws:iam::333333333333:role/OrganizationAccountAccessRole';
    expect(ask(undefined, oaar, 'iam:CreateUser', 'arn:aws:iam::333333333333:user/intruder').decision).toBe('allowed');
    const gone = ask(out.overlay, oaar, 'iam:CreateUser', 'arn:aws:iam::333333333333:user/intruder');
    expect(gone.decision).toBe('denied');
    expect(causes(gone)).toEqual([{ kind: 'missing_grant', layer: 'identity' }]);
    const carol = ask(out.overlay, 'arn:aws:iam::111111111111:user/carol', 'iam:CreateUser', 'arn:aws:iam::111111111111:user/intruder');
    expect(carol.decision).toBe('allowed');
    expect(causes(carol)).toEqual([{ kind: 'grant', layer: 'identity', policy: 'AdministratorAccess', id: '/overlay/add/1', file: 'request', pointer: '/overlay/add/1/document' }]);
    expect(out.sources['/add/1']).toBeUndefined();
  });

  it('attaches an AWS managed policy the snapshot does not hold, from the managed-policy package', () => {
    const dave = 'arn:aws:iam::222222222222:user/dave';
    const object = 'arn:aws:s3:::prod-artifacts/releases/app-1.4.2.zip';
    expect(causes(ask(undefined, dave, 's3:GetObject', object, EU))).toEqual([{ kind: 'missing_grant', layer: 'identity' }]);
    const after = ask(out.overlay, dave, 's3:GetObject', object, EU);
    expect(after.decision).toBe('allowed');
    expect(causes(after)).toEqual([expect.objectContaining({ kind: 'grant', layer: 'identity', policy: 'AmazonS3ReadOnlyAccess', id: '/overlay/add/2' })]);
  });

  it('a deleted inline policy no longer grants: the identity side now fails first', () => {
    const bob = 'arn:aws:iam::333333333333:user/bob';
    const object = 'arn:aws:s3:::prod-artifacts/releases/app-1.4.2.zip';
    const before = ask(undefined, bob, 's3:GetObject', object, EU);
    expect(before.decision).toBe('denied');
    expect(causes(before)).toEqual([expect.objectContaining({ kind: 'missing_grant', layer: 'resource' })]);
    expect(causes(ask(out.overlay, bob, 's3:GetObject', object, EU))).toEqual([{ kind: 'missing_grant', layer: 'identity' }]);
  });

  it('a public write statement added to a bucket policy serves the owner account, and Block Public Access stops the public', () => {
    const alice = 'arn:aws:iam::222222222222:user/alice';
    const upload = 'arn:aws:s3:::prod-public-assets/uploads/logo.png';
    expect(ask(undefined, alice, 's3:PutObject', upload, EU).decision).toBe('denied');
    const after = ask(out.overlay, alice, 's3:PutObject', upload, EU);
    expect(after.decision).toBe('allowed');
    expect(causes(after)).toEqual([{ kind: 'grant', layer: 'resource', policy: 'arn:aws:s3:::prod-public-assets policy', id: 'arn:aws:s3:::prod-public-assets#policy', file: 'request', pointer: '/overlay/replace/2/document', sid: 'PublicWrite' }]);
    const anonymous = ask(out.overlay, 'anonymous', 's3:PutObject', upload, EU);
    expect(anonymous.decision).toBe('denied');
    expect(causes(anonymous)).toEqual([expect.objectContaining({ kind: 'blocked_by_guardrail', layer: 's3_block_public_access', sid: 'PublicWrite' })]);
  });

  it('leaves out the inline policy whose document is known only after apply', () => {
    const targets = (out.overlay!.add as { target: string }[]).map((a) => a.target);
    expect(targets).not.toContain('arn:aws:iam::222222222222:role/app');
  });
});

describe('aws-guardrails.plan.json', () => {
  let out: PlanOverlay;
  beforeAll(() => {
    out = read(readPlan('aws-guardrails'));
  });

  it('reports the SCP and key policy changes, skips the tag policy, and reports the target known only after apply', () => {
    expect(out.changes).toEqual([
      { address: 'aws_organizations_policy.deny_key_deletion', type: 'aws_organizations_policy', actions: ['create'], summary: 'creates SCP DenyKeyDeletion' },
      { address: 'aws_organizations_policy_attachment.deny_key_deletion_workloads', type: 'aws_organizations_policy_attachment', actions: ['create'], summary: 'attaches SCP DenyKeyDeletion to ou-ab12-11111111 (Workloads)' },
      { address: 'aws_organizations_policy.deny_outside_eu', type: 'aws_organizations_policy', actions: ['update'], summary: 'changes the content of SCP DenyOutsideEU, attached to 1 target' },
      { address: 'aws_organizations_policy_attachment.leave_org_root', type: 'aws_organizations_policy_attachment', actions: ['delete'], summary: 'detaches SCP DenyLeaveOrg from r-ab12 (Root)' },
      { address: 'aws_kms_key.app_data', type: 'aws_kms_key', actions: ['update'], summary: 'changes the key policy of arn:aws:kms:eu-west-1:222222222222:key/3f6c2a1e-8b4d-4e7a-9c5f-0d1e2f3a4b5c' },
      { address: 'aws_organizations_policy_attachment.experiments_eu', type: 'aws_organizations_policy_attachment', actions: ['create'], summary: 'attaches SCP DenyOutsideEU to a target known only after apply' },
    ]);
    expect(out.unknowns).toEqual([
      { address: 'aws_organizations_policy_attachment.experiments_eu', path: 'target_id', effect: 'the target is known only after apply: this attachment is left out' },
    ]);
    expect(out.warnings).toEqual([]);
    expect(out.sources).toEqual({
      '/add/0': ['aws_organizations_policy_attachment.deny_key_deletion_workloads', 'aws_organizations_policy.deny_key_deletion'],
      '/replace/0': ['aws_organizations_policy.deny_outside_eu'],
      '/remove/0': ['aws_organizations_policy_attachment.leave_org_root'],
      '/replace/1': ['aws_kms_key.app_data'],
    });
    expect(out.overlay).toMatchObject({ add: [{ name: 'DenyKeyDeletion', attachment: 'scp', target: 'ou-ab12-11111111' }], remove: ['p-lv0rg9k3'] });
    expect(() => validateComponent('AwsOverlay', out.overlay)).not.toThrow();
  });

  it('a new SCP attached through its id known only after apply denies key deletion in the Workloads OU', () => {
    const keyAdmin = 'arn:aws:iam::222222222222:role/key-admin';
    const key = 'arn:aws:kms:eu-west-1:222222222222:key/3f6c2a1e-8b4d-4e7a-9c5f-0d1e2f3a4b5c';
    expect(ask(undefined, keyAdmin, 'kms:ScheduleKeyDeletion', key).decision).toBe('allowed');
    const after = ask(out.overlay, keyAdmin, 'kms:ScheduleKeyDeletion', key);
    expect(after.decision).toBe('denied');
    expect(causes(after)).toEqual([{ kind: 'explicit_deny', layer: 'scp', policy: 'DenyKeyDeletion', id: '/overlay/add/0', file: 'request', pointer: '/overlay/add/0/document', sid: 'DenyKeyDeletion', level: 'ou-ab12-11111111' }]);
  });

  it('an SCP update that allows one more region lifts its deny there', () => {
    const runner = 'arn:aws:iam::222222222222:role/ci-runner';
    const queue = 'arn:aws:sqs:eu-north-1:222222222222:orders-eu';
    expect(causes(ask(undefined, runner, 'sqs:SendMessage', queue))).toEqual([
      { kind: 'explicit_deny', layer: 'scp', policy: 'DenyOutsideEU', id: 'p-eu7r4x2m', file: 'fixtures/aws/estate/org.json', pointer: '/Policies/1/Content', sid: 'DenyAllOutsideEU', level: 'ou-ab12-11111111' },
    ]);
    const after = ask(out.overlay, runner, 'sqs:SendMessage', queue);
    expect(after.decision).toBe('allowed');
    expect(causes(after)).toEqual([expect.objectContaining({ kind: 'grant', layer: 'identity', policy: 'PowerUserAccess' })]);
  });

  it('detaching the only attachment of an SCP removes it', () => {
    const oaar = 'arn:aws:iam::333333333333:role/OrganizationAccountAccessRole';
    expect(causes(ask(undefined, oaar, 'organizations:LeaveOrganization', '*'))).toEqual([expect.objectContaining({ kind: 'explicit_deny', layer: 'scp', policy: 'DenyLeaveOrg', level: 'r-ab12' })]);
    const after = ask(out.overlay, oaar, 'organizations:LeaveOrganization', '*');
    expect(after.decision).toBe('allowed');
    expect(causes(after)).toEqual([expect.objectContaining({ kind: 'grant', layer: 'identity', policy: 'AdministratorAccess' })]);
  });

  it('a key policy statement naming a role grants it in the key account', () => {
    const key = 'arn:aws:kms:eu-west-1:222222222222:key/3f6c2a1e-8b4d-4e7a-9c5f-0d1e2f3a4b5c';
    expect(ask(undefined, DEPLOYER, 'kms:Decrypt', key).decision).toBe('denied');
    const after = ask(out.overlay, DEPLOYER, 'kms:Decrypt', key);
    expect(after.decision).toBe('allowed');
    expect(causes(after)).toEqual([{ kind: 'grant', layer: 'resource', policy: `${key} policy`, id: `${key}#policy`, file: 'request', pointer: '/overlay/replace/1/document', sid: 'AllowDeployerDecrypt' }]);
  });
});

describe('plan values the reader cannot take as they are', () => {
  it('a policy document that is not JSON is an input error at its place in the plan', () => {
    const plan = readPlan('aws-deploy');
    (change(plan, 'aws_iam_policy.developers_base').change.after as Record<string, unknown>).policy = '{"Version": "2012-10-17", "Statement": [';
    const e = (() => {
      try {
        read(plan);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(InputError);
    expect(e).toMatchObject({ code: 'invalid_policy', pointer: '/resource_changes/1/change/after/policy' });
  });

  it('a document IAM would reject is an input error too', () => {
    const plan = readPlan('aws-deploy');
    (change(plan, 'aws_s3_bucket_policy.public_assets').change.after as Record<string, unknown>).policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}';
    expect(() => read(plan)).toThrow(expect.objectContaining({ code: 'invalid_policy', pointer: '/resource_changes/8/change/after/policy' }));
  });

  it('a policy ARN known only after apply that the configuration does not trace to a policy of the plan is reported', () => {
    const plan = readPlan('aws-deploy');
    const cfg = (plan.configuration as { root_module: { resources: { address: string; expressions: Record<string, unknown> }[] } }).root_module.resources;
    cfg.find((r) => r.address === 'aws_iam_role_policy_attachment.deployer_artifacts')!.expressions.policy_arn = { references: ['data.aws_iam_policy.shared.arn', 'data.aws_iam_policy.shared'] };
    const out = read(plan);
    expect(out.unknowns).toContainEqual({ address: 'aws_iam_role_policy_attachment.deployer_artifacts', path: 'policy_arn', effect: 'the policy is known only after apply: this attachment is left out' });
    expect((out.overlay!.add as { target: string }[]).map((a) => a.target)).not.toContain(DEPLOYER);
    expect(Object.values(out.sources).flat()).not.toContain('aws_iam_role_policy_attachment.deployer_artifacts');
  });

  it('a replaced attachment moves the policy: off the old role, onto the new one', () => {
    const plan = readPlan('aws-deploy');
    const moved: TerraformChange = {
      address: 'aws_iam_role_policy_attachment.power',
      mode: 'managed',
      type: 'aws_iam_role_policy_attachment',
      name: 'power',
      change: {
        actions: ['delete', 'create'],
        before: { id: 'ci-runner-20220530', role: 'ci-runner', policy_arn: 'arn:aws:iam::aws:policy/PowerUserAccess' },
        after: { role: 'deployer', policy_arn: 'arn:aws:iam::aws:policy/PowerUserAccess' },
        after_unknown: { id: true },
      },
    };
    const out = aws.ci.fromTerraform([moved], { ...plan, resource_changes: [...plan.resource_changes!, moved] }, snapshot);
    expect(out.changes).toEqual([{ address: 'aws_iam_role_policy_attachment.power', type: 'aws_iam_role_policy_attachment', actions: ['delete', 'create'], summary: 'detaches policy PowerUserAccess from role ci-runner and attaches policy PowerUserAccess to role deployer' }]);
    expect(out.overlay).toMatchObject({ remove: ['arn:aws:iam::aws:policy/PowerUserAccess'], add: [{ name: 'PowerUserAccess', attachment: 'identity', target: DEPLOYER }] });
    expect(out.sources).toEqual({ '/remove/0': ['aws_iam_role_policy_attachment.power'], '/add/0': ['aws_iam_role_policy_attachment.power'] });
    expect(ask(out.overlay, 'arn:aws:iam::222222222222:role/ci-runner', 'sqs:SendMessage', 'arn:aws:sqs:eu-west-1:222222222222:jobs').decision).toBe('denied');
    expect(ask(out.overlay, DEPLOYER, 'sqs:SendMessage', 'arn:aws:sqs:eu-west-1:222222222222:jobs').decision).toBe('allowed');
  });

  it('aws_iam_policy_attachment applies the difference between what AWS holds and the configured lists', () => {
    const exclusive: TerraformChange = {
      address: 'aws_iam_policy_attachment.power_users',
      mode: 'managed',
      type: 'aws_iam_policy_attachment',
      name: 'power_users',
      change: {
        actions: ['update'],
        before: { id: 'power-users', name: 'power-users', policy_arn: 'arn:aws:iam::aws:policy/PowerUserAccess', roles: ['ci-runner'], users: [], groups: [] },
        after: { id: 'power-users', name: 'power-users', policy_arn: 'arn:aws:iam::aws:policy/PowerUserAccess', roles: ['deployer'], users: ['dave'], groups: [] },
        after_unknown: { roles: [false], users: [false], groups: [] },
      },
    };
    const out = aws.ci.fromTerraform([exclusive], { format_version: '1.2', resource_changes: [exclusive] }, snapshot);
    expect(out.changes[0]!.summary).toBe('attaches policy PowerUserAccess to user dave, role deployer and detaches policy PowerUserAccess from role ci-runner');
    expect(out.overlay).toEqual({
      add: [
        expect.objectContaining({ attachment: 'identity', target: 'arn:aws:iam::222222222222:user/dave' }),
        expect.objectContaining({ attachment: 'identity', target: DEPLOYER }),
      ],
      remove: ['arn:aws:iam::aws:policy/PowerUserAccess'],
    });
  });

  it('a deleted role can no longer be assumed, and what it held grants it nothing', () => {
    const plan = readPlan('aws-deploy');
    const runner = change(plan, 'aws_iam_role.ci_runner');
    const deleted: TerraformChange = { ...runner, change: { ...runner.change, actions: ['delete'], after: null, after_unknown: {} } };
    const out = aws.ci.fromTerraform([deleted], plan, snapshot);
    expect(out.changes).toEqual([{ address: 'aws_iam_role.ci_runner', type: 'aws_iam_role', actions: ['delete'], summary: 'deletes role ci-runner' }]);
    expect(out.overlay).toEqual({ remove: ['arn:aws:iam::222222222222:role/ci-runner#trust', 'arn:aws:iam::aws:policy/PowerUserAccess'] });
    expect(out.sources).toEqual({ '/remove/0': ['aws_iam_role.ci_runner'], '/remove/1': ['aws_iam_role.ci_runner'] });
    expect(ask(undefined, 'codebuild.amazonaws.com', 'sts:AssumeRole', 'arn:aws:iam::222222222222:role/ci-runner').decision).toBe('allowed');
    const assume = ask(out.overlay, 'codebuild.amazonaws.com', 'sts:AssumeRole', 'arn:aws:iam::222222222222:role/ci-runner');
    expect(causes(assume)).toEqual([{ kind: 'missing_grant', layer: 'resource' }]);
  });

  it('aws_iam_role: exclusive inline policies and managed policy ARNs, one traced to a new policy, and the boundary', () => {
    const app = 'arn:aws:iam::222222222222:role/app';
    const common = { arn: app, name: 'app', assume_role_policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}' };
    const role: TerraformChange = {
      address: 'aws_iam_role.app',
      mode: 'managed',
      type: 'aws_iam_role',
      name: 'app',
      change: {
        actions: ['update'],
        before: { ...common, inline_policy: [{ name: 'app-runtime', policy: '{}' }], managed_policy_arns: [], permissions_boundary: 'arn:aws:iam::222222222222:policy/app-boundary' },
        after: { ...common, inline_policy: [], permissions_boundary: '' },
        after_unknown: { inline_policy: [], managed_policy_arns: true },
      },
    };
    const queuePolicy: TerraformChange = {
      address: 'aws_iam_policy.queue',
      mode: 'managed',
      type: 'aws_iam_policy',
      name: 'queue',
      change: {
        actions: ['create'],
        before: null,
        after: { name: 'queue-admin', path: '/', policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:DeleteQueue","Resource":"*"}]}' },
        after_unknown: { arn: true, id: true },
      },
    };
    const plan: TerraformPlan = {
      format_version: '1.2',
      resource_changes: [queuePolicy, role],
      configuration: { root_module: { resources: [{ address: 'aws_iam_role.app', expressions: { inline_policy: [{}], managed_policy_arns: { references: ['aws_iam_policy.queue.arn', 'aws_iam_policy.queue'] } } }] } },
    };
    const out = aws.ci.fromTerraform([queuePolicy, role], plan, snapshot);
    expect(out.changes.map((c) => c.summary)).toEqual([
      'creates managed policy queue-admin',
      'sets the inline policies of role app to 0 policies and changes the managed policies attached to role app and removes the permissions boundary of role app',
    ]);
    expect(out.unknowns).toEqual([{ address: 'aws_iam_role.app', path: 'managed_policy_arns', effect: 'the managed policy ARNs are known only after apply: the policies this plan creates are attached, and none is detached' }]);
    expect(out.overlay).toEqual({
      add: [expect.objectContaining({ name: 'queue-admin', attachment: 'identity', target: app })],
      remove: [`${app}#app-runtime`, 'arn:aws:iam::222222222222:policy/app-boundary'],
    });
    expect(out.sources).toEqual({ '/add/0': ['aws_iam_role.app', 'aws_iam_policy.queue'], '/remove/0': ['aws_iam_role.app'], '/remove/1': ['aws_iam_role.app'] });
    // Without its boundary, the new policy's grant is the whole answer.
    expect(ask(undefined, app, 'sqs:DeleteQueue', 'arn:aws:sqs:eu-west-1:222222222222:jobs').decision).toBe('denied');
    expect(causes(ask(out.overlay, app, 'sqs:DeleteQueue', 'arn:aws:sqs:eu-west-1:222222222222:jobs'))).toEqual([{ kind: 'grant', layer: 'identity', policy: 'queue-admin', id: '/overlay/add/0', file: 'request', pointer: '/overlay/add/0/document' }]);
  });

  it('a principal the snapshot lacks is warned about and left out', () => {
    const ghost: TerraformChange = {
      address: 'aws_iam_role_policy_attachment.ghost',
      mode: 'managed',
      type: 'aws_iam_role_policy_attachment',
      name: 'ghost',
      change: { actions: ['create'], before: null, after: { role: 'ghost', policy_arn: 'arn:aws:iam::aws:policy/AdministratorAccess' }, after_unknown: { id: true } },
    };
    const out = aws.ci.fromTerraform([ghost], { format_version: '1.2', resource_changes: [ghost] }, snapshot);
    expect(out.warnings).toEqual([{ address: 'aws_iam_role_policy_attachment.ghost', message: 'role ghost is not in the snapshot (the plan may create it, and the snapshot cannot hold new principals): this change is left out' }]);
    expect(out.overlay).toBeUndefined();
    expect(out.sources).toEqual({});
  });
});
