/**
 * One account's resource policies (docs/aws-inputs.md section 3): each resource with its owning account
 * and the answers of the APIs that carry its policy, unchanged, under the APIs' names; and the account's
 * own S3 Block Public Access setting. A resource is
 * written only when every call for it succeeded ("no policy" answers count as success): a bucket whose
 * policy could not be read would otherwise look as if it had none.
 */
import { DescribeRepositoriesCommand, ECRClient, GetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { GetPolicyCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { GetBucketPolicyCommand, GetBucketTaggingCommand, GetPublicAccessBlockCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { GetResourcePolicyCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetTopicAttributesCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Collector } from '../../src/collect/collector.js';
import { listAll, read, type AwsClients, type Session } from './collect-clients.js';

export interface ResourceEntry {
  Arn: string;
  Account: string;
  [api: string]: unknown;
}

type Answer = object | null | undefined;

/** The entry for a resource, or undefined when a call failed; null answers ("none configured") are left out. */
function entry(Arn: string | undefined, Account: string, answers: Record<string, Answer>): ResourceEntry | undefined {
  if (!Arn || Object.values(answers).some((a) => a === undefined)) return undefined;
  const out: ResourceEntry = { Arn, Account };
  for (const [api, a] of Object.entries(answers)) if (a) out[api] = a;
  return out;
}

/** Each listed item turned into an entry, in list order, failed ones left out. */
async function each<T>(items: Promise<T[]>, one: (item: T) => Promise<ResourceEntry | undefined>): Promise<ResourceEntry[]> {
  const entries = await Promise.all((await items).map(one));
  return entries.filter((e) => e !== undefined);
}

/**
 * Buckets the account owns, with their policy, Block Public Access configuration and tags; each asked in
 * the bucket's own region.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetPublicAccessBlock.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketTagging.html
 */
export function collectBuckets(c: Collector, clients: AwsClients, s: Session): Promise<ResourceEntry[]> {
  const s3 = clients.get(S3Client, s, clients.home, 's3');
  const buckets = listAll(c, s.account, 's3:ListBuckets', (ContinuationToken) => s3.send(new ListBucketsCommand({ MaxBuckets: 1000, ContinuationToken })), (r) => r.Buckets, (r) => r.ContinuationToken);
  return each(buckets, async ({ Name: Bucket, BucketRegion }) => {
    if (!Bucket) return undefined;
    const Arn = `arn:${s.partition}:s3:::${Bucket}`;
    const at = clients.get(S3Client, s, BucketRegion ?? clients.home, 's3');
    const target = `${s.account}/${Arn}`;
    const ExpectedBucketOwner = s.account;
    const [policy, block, tags] = await Promise.all([
      read(c, target, 's3:GetBucketPolicy', ['NoSuchBucketPolicy'], () => at.send(new GetBucketPolicyCommand({ Bucket, ExpectedBucketOwner }))),
      read(c, target, 's3:GetPublicAccessBlock', ['NoSuchPublicAccessBlockConfiguration'], () => at.send(new GetPublicAccessBlockCommand({ Bucket, ExpectedBucketOwner }))),
      read(c, target, 's3:GetBucketTagging', ['NoSuchTagSet'], () => at.send(new GetBucketTaggingCommand({ Bucket, ExpectedBucketOwner }))),
    ]);
    return entry(Arn, s.account, { GetBucketPolicy: policy, GetPublicAccessBlock: block, GetBucketTagging: tags });
  });
}

export interface AccountPublicAccessBlock {
  Account: string;
  GetPublicAccessBlock: object;
}

/**
 * The account's own S3 Block Public Access configuration, which applies to every bucket it owns together
 * with the bucket's: [] when none is set (NoSuchPublicAccessBlockConfiguration), undefined when the call failed.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html
 */
export async function collectAccountPublicAccessBlock(c: Collector, clients: AwsClients, s: Session): Promise<AccountPublicAccessBlock[] | undefined> {
  const s3control = clients.get(S3ControlClient, s, clients.home, 's3-control');
  const got = await read(c, s.account, 's3control:GetPublicAccessBlock', ['NoSuchPublicAccessBlockConfiguration'], () => s3control.send(new GetAccountPublicAccessBlockCommand({ AccountId: s.account })));
  return got === undefined ? undefined : got ? [{ Account: s.account, GetPublicAccessBlock: got }] : [];
}

/** The regional services' resources and their policies, in one region. */
export async function collectRegion(c: Collector, clients: AwsClients, s: Session, region: string): Promise<ResourceEntry[]> {
  const found = await Promise.all([keys, queues, topics, functions, secrets, repositories].map((f) => f(c, clients, s, region)));
  return found.flat();
}

type Regional = (c: Collector, clients: AwsClients, s: Session, region: string) => Promise<ResourceEntry[]>;

/**
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeys.html
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html (KeyManager: AWS managed keys)
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html
 */
const keys: Regional = (c, clients, s, region) => {
  const kms = clients.get(KMSClient, s, region);
  const list = listAll(c, `${s.account}/${region}`, 'kms:ListKeys', (Marker) => kms.send(new ListKeysCommand({ Marker })), (r) => r.Keys, (r) => (r.Truncated ? r.NextMarker : undefined));
  return each(list, async ({ KeyId, KeyArn }) => {
    const target = `${s.account}/${KeyArn}`;
    const [policy, described] = await Promise.all([
      read(c, target, 'kms:GetKeyPolicy', [], () => kms.send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' }))),
      read(c, target, 'kms:DescribeKey', [], () => kms.send(new DescribeKeyCommand({ KeyId }))),
    ]);
    return entry(KeyArn, s.account, { GetKeyPolicy: policy, DescribeKey: described });
  });
};

/**
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
 */
const queues: Regional = (c, clients, s, region) => {
  const sqs = clients.get(SQSClient, s, region);
  const list = listAll(c, `${s.account}/${region}`, 'sqs:ListQueues', (NextToken) => sqs.send(new ListQueuesCommand({ MaxResults: 1000, NextToken })), (r) => r.QueueUrls, (r) => r.NextToken);
  return each(list, async (QueueUrl) => {
    const got = await read(c, `${s.account}/${QueueUrl}`, 'sqs:GetQueueAttributes', [], () => sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy', 'QueueArn'] })));
    return entry(got?.Attributes?.QueueArn, s.account, { GetQueueAttributes: got });
  });
};

/**
 * https://docs.aws.amazon.com/sns/latest/api/API_ListTopics.html
 * https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html
 */
const topics: Regional = (c, clients, s, region) => {
  const sns = clients.get(SNSClient, s, region);
  const list = listAll(c, `${s.account}/${region}`, 'sns:ListTopics', (NextToken) => sns.send(new ListTopicsCommand({ NextToken })), (r) => r.Topics, (r) => r.NextToken);
  return each(list, async ({ TopicArn }) => {
    const got = await read(c, `${s.account}/${TopicArn}`, 'sns:GetTopicAttributes', [], () => sns.send(new GetTopicAttributesCommand({ TopicArn })));
    return entry(TopicArn, s.account, { GetTopicAttributes: got });
  });
};

/**
 * Unqualified functions only: versions and aliases have policies of their own, not collected.
 * https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
 * https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html
 */
const functions: Regional = (c, clients, s, region) => {
  const lambda = clients.get(LambdaClient, s, region);
  const list = listAll(c, `${s.account}/${region}`, 'lambda:ListFunctions', (Marker) => lambda.send(new ListFunctionsCommand({ Marker, MaxItems: 50 })), (r) => r.Functions, (r) => r.NextMarker);
  return each(list, async ({ FunctionName, FunctionArn }) => {
    const got = await read(c, `${s.account}/${FunctionArn}`, 'lambda:GetPolicy', ['ResourceNotFoundException'], () => lambda.send(new GetPolicyCommand({ FunctionName })));
    return entry(FunctionArn, s.account, { GetPolicy: got });
  });
};

/**
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetResourcePolicy.html
 */
const secrets: Regional = (c, clients, s, region) => {
  const sm = clients.get(SecretsManagerClient, s, region);
  const list = listAll(c, `${s.account}/${region}`, 'secretsmanager:ListSecrets', (NextToken) => sm.send(new ListSecretsCommand({ NextToken, MaxResults: 100 })), (r) => r.SecretList, (r) => r.NextToken);
  return each(list, async ({ ARN }) => {
    const got = await read(c, `${s.account}/${ARN}`, 'secretsmanager:GetResourcePolicy', [], () => sm.send(new GetResourcePolicyCommand({ SecretId: ARN })));
    return entry(ARN, s.account, { GetResourcePolicy: got });
  });
};

/**
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetRepositoryPolicy.html
 */
const repositories: Regional = (c, clients, s, region) => {
  const ecr = clients.get(ECRClient, s, region);
  const list = listAll(c, `${s.account}/${region}`, 'ecr:DescribeRepositories', (nextToken) => ecr.send(new DescribeRepositoriesCommand({ nextToken, maxResults: 1000 })), (r) => r.repositories, (r) => r.nextToken);
  return each(list, async ({ repositoryArn, repositoryName, registryId }) => {
    const got = await read(c, `${s.account}/${repositoryArn}`, 'ecr:GetRepositoryPolicy', ['RepositoryPolicyNotFoundException'], () => ecr.send(new GetRepositoryPolicyCommand({ repositoryName, registryId })));
    return entry(repositoryArn, s.account, { GetRepositoryPolicy: got });
  });
};
