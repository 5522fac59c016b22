// Inputs for npm run bench: built from plain loops so the sizes are exact.
const doc = (statements) => ({ Version: '2012-10-17', Statement: statements });
const allowAll = { name: 'FullAWSAccess', document: doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]) };

function identityStatements(p, n) {
  const services = ['s3', 'dynamodb', 'sqs', 'sns', 'kms', 'ec2', 'lambda', 'logs'];
  return Array.from({ length: n }, (_, i) => ({
    Sid: `P${p}S${i}`,
    Effect: i % 7 === 6 ? 'Deny' : 'Allow',
    Action: [`${services[i % services.length]}:Get*`, `${services[(i + 1) % services.length]}:List*`],
    Resource: i % 7 === 6 ? `arn:aws:s3:::secret-${p}/*` : [`arn:aws:s3:::data-${p}-${i}/*`, 'arn:aws:dynamodb:us-east-1:111122223333:table/*'],
    ...(i % 3 === 0 ? { Condition: { StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] }, Bool: { 'aws:SecureTransport': 'true' } } } : {}),
  }));
}

/** 10 identity policies of 8 statements, 3 SCP levels, a bucket policy. */
export function typicalRequest() {
  return {
    provider: 'aws',
    principal: 'arn:aws:sts::111122223333:assumed-role/app/worker-1',
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::data-3-0/reports/2026/11/summary.csv',
    resourceAccount: '111122223333',
    context: { 'aws:SourceIp': '10.1.2.3', 'aws:RequestedRegion': 'us-east-1' },
    policies: {
      identity: Array.from({ length: 10 }, (_, p) => ({ name: `policy-${p}`, document: doc(identityStatements(p, 8)) })),
      resource: {
        name: 'bucket-policy',
        document: doc([
          { Sid: 'DenyInsecure', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::data-3-0/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
          { Sid: 'AppRead', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/app' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::data-3-0/*' },
        ]),
      },
      scps: [
        { target: 'r-ab12', policies: [allowAll] },
        { target: 'ou-ab12-11111111', policies: [allowAll, { name: 'RegionLock', document: doc([{ Sid: 'Regions', Effect: 'Deny', NotAction: ['iam:*', 'sts:*'], Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } } }]) }] },
        { target: '111122223333', policies: [allowAll] },
      ],
    },
  };
}

/** One identity policy set of 200 statements (20 policies x 10). */
export function largeRequest() {
  const r = typicalRequest();
  r.policies.identity = Array.from({ length: 20 }, (_, p) => ({ name: `policy-${p}`, document: doc(identityStatements(p, 10)) }));
  return r;
}

/** n requests sharing the typical policies, over different actions and resources. */
export function batchRequests(n) {
  const base = typicalRequest();
  const actions = ['s3:GetObject', 's3:PutObject', 'dynamodb:GetItem', 's3:ListBucket', 'kms:Decrypt'];
  return Array.from({ length: n }, (_, i) => ({
    ...base,
    action: actions[i % actions.length],
    resource: actions[i % actions.length].startsWith('s3') ? `arn:aws:s3:::data-${i % 10}-${i % 8}/k${i}` : `arn:aws:dynamodb:us-east-1:111122223333:table/t${i}`,
  }));
}

/** What an engineer debugging one AccessDenied typically sends: one identity policy and the bucket policy. */
export function smallRequest() {
  const r = typicalRequest();
  r.policies = { identity: [r.policies.identity[3]], resource: r.policies.resource };
  return r;
}
