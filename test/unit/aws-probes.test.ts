/**
 * The questions the CI gate asks about an AWS overlay (probes) and the principals its invariants range over,
 * on the bundled estate: exact sets where they are small, and the real answers they lead to.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { projectRoot } from '../../src/api/spec.js';
import type { Probe, TerraformPlan } from '../../src/core/ci.js';
import { loadSnapshot, type Snapshot } from '../../src/index.js';
import { MAX_PROBES, PROBE_KEY, SENSITIVE } from '../../providers/aws/ci.js';
import { actionName, isWildcardOnly } from '../../providers/aws/catalog.js';
import { aws } from '../../providers/aws/index.js';

let snapshot: Snapshot;

beforeAll(async () => {
  snapshot = loadSnapshot(await fixtureFiles('fixtures/aws/estate'), 'fixtures');
});

const DEPLOYER = 'arn:aws:iam::222222222222:role/deployer';
const OUTSIDE = 'arn:aws:iam::999999999999:root';
const USERS_AND_ROLES = [
  'arn:aws:iam::111111111111:user/carol',
  'arn:aws:iam::222222222222:role/app',
  'arn:aws:iam::222222222222:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing',
  'arn:aws:iam::222222222222:role/ci-runner',
  'arn:aws:iam::222222222222:role/deployer',
  'arn:aws:iam::222222222222:role/key-admin',
  'arn:aws:iam::222222222222:user/alice',
  'arn:aws:iam::222222222222:user/dave',
  'arn:aws:iam::333333333333:role/OrganizationAccountAccessRole',
  'arn:aws:iam::333333333333:role/ci',
  'arn:aws:iam::333333333333:user/bob',
];

function ask(snap: Snapshot, overlay: Record<string, unknown> | undefined, p: Probe) {
  const body: Record<string, unknown> = { provider: 'aws', principal: p.principal, action: p.action, resource: p.resource, context: { 'aws:RequestedRegion': 'eu-west-1', ...p.context } };
  if (overlay) body.overlay = overlay;
  return aws.simulateIn(snap, body);
}

const key = (p: Probe) => `${p.principal} ${p.action} ${p.resource}`;

describe('principals', () => {
  it('all: every user and role of the snapshot, anonymous, and the outsiders (who can call too)', () => {
    expect(aws.ci.principals(snapshot, 'all')).toEqual([...USERS_AND_ROLES, 'anonymous', OUTSIDE].sort());
  });

  it('public: anonymous', () => {
    expect(aws.ci.principals(snapshot, 'public')).toEqual(['anonymous']);
  });

  it('external on an estate whose policies name no outsider: anonymous and an account outside the organization', () => {
    expect(aws.ci.principals(snapshot, 'external')).toEqual(['anonymous', OUTSIDE]);
  });

  it('external: the outsiders resource and trust policies grant to, with their accounts, and web identity providers', async () => {
    const partner = {
      name: 'partner-resources.json',
      text: JSON.stringify({
        ResourcePolicies: [
          {
            Arn: 'arn:aws:sqs:eu-west-1:222222222222:partner-feed',
            Account: '222222222222',
            GetQueueAttributes: {
              Attributes: {
                Policy: JSON.stringify({
                  Version: '2012-10-17',
                  Statement: [
                    { Sid: 'PartnerRead', Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::444455556666:role/feed-reader', '555566667777', 'arn:aws:iam::333333333333:role/ci'] }, Action: 'sqs:ReceiveMessage', Resource: '*' },
                    { Sid: 'GitHub', Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: '*' },
                    { Sid: 'NotAGrant', Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::666677778888:root' }, Action: 'sqs:*', Resource: '*' },
                  ],
                }),
              },
            },
          },
        ],
      }),
    };
    const snap = loadSnapshot([...(await fixtureFiles('fixtures/aws/estate')), partner], 'partner');
    expect(aws.ci.principals(snap, 'external')).toEqual([
      'anonymous',
      'arn:aws:iam::444455556666:role/feed-reader',
      'arn:aws:iam::444455556666:root',
      'arn:aws:iam::555566667777:root',
      OUTSIDE,
      'cognito-identity.amazonaws.com',
    ]);
    // The outside account's root holds every permission of its account, and a named role of an account the
    // snapshot lacks has identity policies taken to allow: only the queue policy and the guardrails of the
    // queue's account decide, so an invariant sees the access the queue policy opens to them.
    const root = ask(snap, undefined, { principal: 'arn:aws:iam::555566667777:root', action: 'sqs:ReceiveMessage', resource: 'arn:aws:sqs:eu-west-1:222222222222:partner-feed' });
    expect(root.decision).toBe('allowed');
    expect(root.causes).toContainEqual(expect.objectContaining({ kind: 'grant', layer: 'resource', statement: expect.objectContaining({ sid: 'PartnerRead' }) }));
    const role = ask(snap, undefined, { principal: 'arn:aws:iam::444455556666:role/feed-reader', action: 'sqs:ReceiveMessage', resource: 'arn:aws:sqs:eu-west-1:222222222222:partner-feed' });
    expect(role.warnings.map((w) => w.code)).toContain('principal_outside_snapshot');
    expect(role.decision).toBe('allowed');
    expect(role.causes).toEqual([expect.objectContaining({ kind: 'grant', layer: 'resource', statement: expect.objectContaining({ sid: 'PartnerRead' }) })]);
    // Not named by the queue policy: nothing on the queue's side lets it in.
    const other = ask(snap, undefined, { principal: 'arn:aws:iam::444455556666:role/other', action: 'sqs:ReceiveMessage', resource: 'arn:aws:sqs:eu-west-1:222222222222:partner-feed' });
    expect(other.causes).toEqual([expect.objectContaining({ kind: 'missing_grant', layer: 'resource' })]);
  });

  it('names every principal the way a simulate body accepts it', () => {
    for (const principal of [...aws.ci.principals(snapshot, 'all'), ...aws.ci.principals(snapshot, 'external')]) {
      const d = ask(snapshot, undefined, { principal, action: 's3:GetObject', resource: 'arn:aws:s3:::prod-public-assets/logo.png' });
      expect(['allowed', 'denied', 'conditional']).toContain(d.decision);
    }
  });
});

describe('probes', () => {
  it('asks only about actions the catalogue knows, each taking a resource, spelled as AWS spells them', () => {
    for (const action of Object.values(SENSITIVE).flat()) {
      const [service, name] = action.split(':') as [string, string];
      expect(actionName(service, name.toLowerCase())).toBe(name);
      expect(isWildcardOnly(service, name.toLowerCase())).toBe(false);
    }
  });

  it('an SCP on an OU: the users and roles under it x the actions it names x the resources it names', () => {
    const overlay = { add: [{ name: 'NoBucketDeletes', attachment: 'scp', target: 'ou-ab12-22222222', document: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }] } }] };
    const sandbox = ['arn:aws:iam::333333333333:role/OrganizationAccountAccessRole', 'arn:aws:iam::333333333333:role/ci', 'arn:aws:iam::333333333333:user/bob'];
    expect(aws.ci.probes(snapshot, overlay)).toEqual(
      sandbox.flatMap((principal) => ['arn:aws:s3:::prod-artifacts', 'arn:aws:s3:::prod-public-assets'].map((resource) => ({ principal, action: 's3:DeleteBucket', resource }))),
    );
  });

  it('an RCP at the root: every caller, outsiders included, x the actions it covers on the resources under it', () => {
    const overlay = { add: [{ name: 'QueuesInOrg', attachment: 'rcp', target: 'r-ab12', document: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: '*' }] } }] };
    const probes = aws.ci.probes(snapshot, overlay);
    const everyone = [...new Set([...aws.ci.principals(snapshot, 'all'), ...aws.ci.principals(snapshot, 'external')])].sort();
    const actions = ['sqs:DeleteMessage', 'sqs:DeleteQueue', 'sqs:ReceiveMessage', 'sqs:SendMessage', 'sqs:SetQueueAttributes'];
    expect(probes).toEqual(everyone.flatMap((principal) => actions.map((action) => ({ principal, action, resource: 'arn:aws:sqs:eu-west-1:222222222222:jobs' }))));
  });

  it('a trust policy naming an outsider asks that outsider too', () => {
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:role/partner' }, Action: 'sts:AssumeRole' }] };
    const probes = aws.ci.probes(snapshot, { replace: [{ id: `${DEPLOYER}#trust`, document: trust }] }).map(key);
    for (const who of ['arn:aws:iam::444455556666:role/partner', 'arn:aws:iam::444455556666:root', 'arn:aws:iam::333333333333:role/ci', 'anonymous', OUTSIDE]) {
      expect(probes).toContain(`${who} sts:AssumeRole ${DEPLOYER}`);
    }
  });

  describe('for the deploy plan', () => {
    let overlay: Record<string, unknown>;
    let probes: Probe[];
    beforeAll(() => {
      const plan = JSON.parse(readFileSync(join(projectRoot, 'fixtures', 'ci', 'terraform', 'aws-deploy.plan.json'), 'utf8')) as TerraformPlan;
      const types: readonly string[] = aws.ci.terraformTypes;
      overlay = aws.ci.fromTerraform(plan.resource_changes!.filter((c) => types.includes(c.type)), plan, snapshot).overlay!;
      probes = aws.ci.probes(snapshot, overlay);
    });

    it('is sorted, without duplicates, and bounded', () => {
      const keys = probes.map((p) => `${p.principal}\u0000${p.action}\u0000${p.resource}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect([...keys].sort()).toEqual(keys);
      expect(probes.length).toBeLessThanOrEqual(MAX_PROBES);
    });

    it('asks about what each change touches', () => {
      const keys = probes.map(key);
      for (const k of [
        `${DEPLOYER} s3:ListBucket arn:aws:s3:::prod-artifacts`,
        `${DEPLOYER} s3:PutObject arn:aws:s3:::prod-artifacts/releases/${PROBE_KEY}`,
        `arn:aws:iam::222222222222:user/dave sqs:DeleteMessage arn:aws:sqs:eu-west-1:222222222222:jobs`,
        `arn:aws:iam::333333333333:role/ci sts:AssumeRole ${DEPLOYER}`,
        `${OUTSIDE} sts:AssumeRole ${DEPLOYER}`,
        `anonymous s3:PutObject arn:aws:s3:::prod-public-assets/uploads/${PROBE_KEY}`,
        `arn:aws:iam::333333333333:role/OrganizationAccountAccessRole s3:DeleteBucket arn:aws:s3:::prod-artifacts`,
        `arn:aws:iam::333333333333:user/bob s3:GetObject arn:aws:s3:::prod-artifacts/${PROBE_KEY}`,
      ]) {
        expect(keys).toContain(k);
      }
      // An identity change asks only its holders: no policy key-admin holds changes, nor does prod-artifacts' own policy.
      expect(probes.filter((p) => p.principal === 'arn:aws:iam::222222222222:role/key-admin' && p.resource.startsWith('arn:aws:s3:::prod-artifacts'))).toEqual([]);
    });

    it('every probe is answered on both sides, and those the plan changes are among them', () => {
      const changed = new Set<string>();
      for (const p of probes) {
        if (ask(snapshot, undefined, p).decision !== ask(snapshot, overlay, p).decision) changed.add(key(p));
      }
      for (const k of [
        `${DEPLOYER} s3:ListBucket arn:aws:s3:::prod-artifacts`,
        `arn:aws:iam::222222222222:user/dave sqs:DeleteMessage arn:aws:sqs:eu-west-1:222222222222:jobs`,
        `arn:aws:iam::222222222222:user/alice s3:PutObject arn:aws:s3:::prod-public-assets/uploads/${PROBE_KEY}`,
        `arn:aws:iam::333333333333:role/OrganizationAccountAccessRole iam:DeleteRole arn:aws:iam::333333333333:role/ci`,
      ]) {
        expect(changed).toContain(k);
      }
      expect(changed).not.toContain(`anonymous s3:PutObject arn:aws:s3:::prod-public-assets/uploads/${PROBE_KEY}`);
    });
  });
});
