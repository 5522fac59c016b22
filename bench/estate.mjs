// A large synthetic AWS estate in the native formats (docs/aws-inputs.md), for npm run bench.
// Scale 1: 50 accounts, 5,000 roles, 20,000 policy attachments, 500 SCP statements, 1,000 bucket policies.
// Everything grows linearly with the scale.

const pad = (n, w) => String(n).padStart(w, '0');
const accountId = (a) => `4${pad(a, 11)}`;
const doc = (Statement) => ({ Version: '2012-10-17', Statement });
const services = ['s3', 'dynamodb', 'sqs', 'sns', 'kms', 'lambda', 'logs', 'ec2'];

export function estateShape(scale) {
  return { accounts: 50 * scale, roles: 5000 * scale, attachments: 20000 * scale, scpStatements: 500 * scale, buckets: 1000 * scale };
}

function managedPolicy(a, p) {
  const svc = services[p % services.length];
  return doc(
    Array.from({ length: 4 }, (_, s) => ({
      Sid: `S${s}`,
      Effect: s === 3 ? 'Deny' : 'Allow',
      Action: s === 3 ? [`${svc}:Delete*`] : [`${svc}:Get*`, `${svc}:List*`, `${services[(p + s) % services.length]}:Describe*`],
      Resource: s === 3 ? `arn:aws:s3:::bucket-${accountId(a)}-${p % 20}/protected/*` : s === 0 ? `arn:aws:s3:::bucket-${accountId(a)}-*` : '*',
      ...(s === 1 ? { Condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } } } : {}),
    })),
  );
}

/** The files of the estate at the given scale: one IAM export per account, the org, the resource policies. */
export function generateEstate(scale = 1) {
  const shape = estateShape(scale);
  const policiesPerAccount = 40;
  const rolesPerAccount = shape.roles / shape.accounts;
  const perRole = shape.attachments / shape.roles;
  const files = [];
  const ous = Array.from({ length: 5 * scale }, (_, o) => ({ Id: `ou-ab12-${pad(o, 8)}`, Arn: `arn:aws:organizations::400000000000:ou/o-bench/ou-ab12-${pad(o, 8)}`, Name: `OU ${o}`, ParentId: 'r-ab12' }));
  const accounts = Array.from({ length: shape.accounts }, (_, a) => ({ Id: accountId(a), Arn: `arn:aws:organizations::400000000000:account/o-bench/${accountId(a)}`, Name: `account-${a}`, Email: `a${a}@example.com`, Status: 'ACTIVE', ParentId: a === 0 ? 'r-ab12' : ous[a % ous.length].Id }));
  const full = JSON.stringify(doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]));
  const scpPolicies = [{ PolicySummary: { Id: 'p-FullAWSAccess', Name: 'FullAWSAccess', Type: 'SERVICE_CONTROL_POLICY', AwsManaged: true }, Content: full, Targets: [{ TargetId: 'r-ab12', Type: 'ROOT' }, ...ous.map((o) => ({ TargetId: o.Id, Type: 'ORGANIZATIONAL_UNIT' })), ...accounts.map((a) => ({ TargetId: a.Id, Type: 'ACCOUNT' }))] }];
  for (let p = 0; p < shape.scpStatements / 10; p++) {
    const statements = Array.from({ length: 10 }, (_, s) => ({ Sid: `Deny${p}x${s}`, Effect: 'Deny', Action: [`${services[(p + s) % services.length]}:Delete${s}*`], Resource: '*', Condition: { StringNotEquals: { 'aws:PrincipalTag/team': `team-${s}` } } }));
    scpPolicies.push({ PolicySummary: { Id: `p-scp${pad(p, 6)}`, Name: `guardrail-${p}`, Type: 'SERVICE_CONTROL_POLICY', AwsManaged: false }, Content: JSON.stringify(doc(statements)), Targets: [{ TargetId: ous[p % ous.length].Id, Type: 'ORGANIZATIONAL_UNIT' }] });
  }
  files.push({
    name: 'org.json',
    text: JSON.stringify({
      Organization: { Id: 'o-bench', MasterAccountId: accountId(0), FeatureSet: 'ALL' },
      Roots: [{ Id: 'r-ab12', Name: 'Root', PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }, { Type: 'RESOURCE_CONTROL_POLICY', Status: 'ENABLED' }] }],
      OrganizationalUnits: ous,
      Accounts: accounts,
      Policies: scpPolicies,
    }),
  });
  const resources = [];
  for (let a = 0; a < shape.accounts; a++) {
    const acct = accountId(a);
    const Policies = Array.from({ length: policiesPerAccount }, (_, p) => ({
      PolicyName: `app-${p}`, PolicyId: `ANPA${acct}${pad(p, 5)}`, Arn: `arn:aws:iam::${acct}:policy/app-${p}`, Path: '/', DefaultVersionId: 'v1',
      PolicyVersionList: [{ Document: managedPolicy(a, p), VersionId: 'v1', IsDefaultVersion: true }],
    }));
    const RoleDetailList = Array.from({ length: rolesPerAccount }, (_, r) => ({
      Path: '/', RoleName: `role-${r}`, RoleId: `AROA${acct}${pad(r, 5)}`, Arn: `arn:aws:iam::${acct}:role/role-${r}`,
      AssumeRolePolicyDocument: doc([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]),
      RolePolicyList: [], Tags: [{ Key: 'team', Value: `team-${r % 10}` }],
      AttachedManagedPolicies: Array.from({ length: perRole }, (_, k) => ({ PolicyName: `app-${(r + k * 7) % policiesPerAccount}`, PolicyArn: `arn:aws:iam::${acct}:policy/app-${(r + k * 7) % policiesPerAccount}` })),
    }));
    files.push({ name: `iam-${acct}.json`, text: JSON.stringify({ UserDetailList: [], GroupDetailList: [], RoleDetailList, Policies }) });
    for (let b = 0; b < shape.buckets / shape.accounts; b++) {
      resources.push({
        Arn: `arn:aws:s3:::bucket-${acct}-${b}`, Account: acct,
        GetBucketPolicy: { Policy: JSON.stringify(doc([
          { Sid: 'DenyInsecure', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `arn:aws:s3:::bucket-${acct}-${b}/*`, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
          { Sid: 'Reader', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${acct}:role/role-${b}` }, Action: ['s3:GetObject', 's3:ListBucket'], Resource: [`arn:aws:s3:::bucket-${acct}-${b}`, `arn:aws:s3:::bucket-${acct}-${b}/*`] },
        ])) },
      });
    }
  }
  files.push({ name: 'resources.json', text: JSON.stringify({ ResourcePolicies: resources }) });
  return files;
}

/** Requests against the estate: role sessions reading and deleting in buckets of their account. */
export function estateRequests(scale, n) {
  const shape = estateShape(scale);
  const rolesPerAccount = shape.roles / shape.accounts;
  const bucketsPerAccount = shape.buckets / shape.accounts;
  return Array.from({ length: n }, (_, i) => {
    const acct = accountId(i % shape.accounts);
    return {
      provider: 'aws',
      principal: `arn:aws:sts::${acct}:assumed-role/role-${(i * 13) % rolesPerAccount}/s${i}`,
      action: i % 3 === 0 ? 's3:DeleteObject' : 's3:GetObject',
      resource: `arn:aws:s3:::bucket-${acct}-${i % bucketsPerAccount}/data/${i}.csv`,
      context: { 'aws:RequestedRegion': 'eu-west-1' },
    };
  });
}
