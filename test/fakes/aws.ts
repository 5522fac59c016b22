/**
 * A fake AWS on 127.0.0.1 for the collector's tests, speaking each service's wire protocol as the SDK
 * clients (3.1164) speak it, so the real clients are pointed at it with their `endpoint` option:
 *   IAM, STS, SNS           AWS Query: form-encoded POST, XML answers, <ErrorResponse> errors
 *   Organizations, KMS,     AWS JSON 1.1 (SQS: 1.0): POST with X-Amz-Target, JSON answers with epoch-second
 *   Secrets Manager, ECR,     timestamps, {"__type"} errors
 *   SQS
 *   S3                      REST XML, path-style (/bucket?policy), <Error> errors
 *   S3 Control              REST XML under /v20180820/, the account in x-amz-account-id, <ErrorResponse> errors
 *                             (signed as service s3; the collector sends it to the endpoint as given,
 *                             where the SDK's own rules would put the account in front of the host)
 *   Lambda                  REST JSON (/2015-03-31/functions/...), x-amzn-ErrorType errors
 * The service, region and caller come from the SigV4 Authorization header (signatures are not checked):
 * the starting access key is the estate's caller, and AssumeRole mints a key per account. Every list is
 * paged at `pageSize` items, GetAccountAuthorizationDetails documents are URL-encoded as IAM sends them,
 * and only read calls exist: anything else is answered InvalidAction and logged for the tests to see.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { managedPolicyFromPackage } from '../../providers/aws/load.js';

type Obj = Record<string, unknown>;

export interface FakeAwsEstate {
  /** The identity of the starting access key. */
  caller: { account: string; arn: string };
  /** Per account, the entities and managed policies GetAccountAuthorizationDetails returns. */
  iam: Record<string, { UserDetailList: Obj[]; GroupDetailList: Obj[]; RoleDetailList: Obj[]; Policies: Obj[] }>;
  /** Managed policies GetPolicy serves that GetAccountAuthorizationDetails leaves out, by ARN. */
  heldBack: Record<string, Obj>;
  /** The Organizations export the Organizations API answers from (docs/aws-inputs.md section 2). */
  org?: Obj;
  /** Resource entries as docs/aws-inputs.md section 3 writes them: the APIs answer from these. */
  resources: Obj[];
  /** Per account, its own S3 Block Public Access configuration (S3 Control GetPublicAccessBlock). */
  accountBlocks: Record<string, Obj>;
  bucketRegion: string;
}

export interface FakeAwsOptions {
  pageSize?: number;
  /** The role name AssumeRole accepts in every account. */
  roleName?: string;
  /** Accounts whose role denies AssumeRole. */
  denyAssume?: string[];
  /** `service:Action`: the first such request of each account is throttled. */
  throttleOnce?: string[];
}

export interface FakeCall {
  service: string;
  action: string;
  account: string;
  region: string;
  params: Obj;
}

export interface FakeAws {
  endpoint: string;
  /** The starting credentials, as the collector's `credentials` option takes them. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  calls: FakeCall[];
  /** Calls answered with a throttling error. */
  throttled: FakeCall[];
  close(): Promise<void>;
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The estate under fixtures/aws/estate, as the fake serves it. */
export function estateFromFixtures(dir: string): FakeAwsEstate {
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown;
  const iam: FakeAwsEstate['iam'] = {};
  let org: Obj | undefined;
  const resources: Obj[] = [];
  const accountBlocks: Record<string, Obj> = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const v = read(f);
    if (isObj(v) && Array.isArray(v.Roots)) org = v;
    else if (isObj(v) && Array.isArray(v.ResourcePolicies)) {
      resources.push(...(v.ResourcePolicies as Obj[]));
      for (const a of (v.AccountPublicAccessBlocks as Obj[] | undefined) ?? []) accountBlocks[String(a.Account)] = (a.GetPublicAccessBlock as Obj).PublicAccessBlockConfiguration as Obj;
    }
    else
      for (const page of (Array.isArray(v) ? v : [v]) as Obj[]) {
        const first = ['UserDetailList', 'GroupDetailList', 'RoleDetailList'].flatMap((k) => (page[k] as Obj[] | undefined) ?? [])[0];
        const account = String(first?.Arn ?? '').split(':')[4] ?? '';
        const into = (iam[account] ??= { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] });
        for (const k of ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'] as const) into[k].push(...((page[k] as Obj[] | undefined) ?? []));
      }
  }
  const management = String((org?.Organization as Obj | undefined)?.MasterAccountId ?? Object.keys(iam)[0]);
  return { caller: { account: management, arn: `arn:aws:iam::${management}:user/collector` }, iam, heldBack: {}, ...(org ? { org } : {}), resources, accountBlocks, bucketRegion: 'eu-west-1' };
}

class Fault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface Ctx {
  account: string;
  arn: string;
  region: string;
  endpoint: string;
}

type Handler = (p: Obj, ctx: Ctx) => unknown;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Query and S3 XML: lists as <member> items (or a named item), maps as <entry><key/><value/></entry>. */
function xml(v: unknown, item = 'member'): string {
  if (Array.isArray(v)) return v.map((x) => `<${item}>${xml(x)}</${item}>`).join('');
  if (v instanceof Map) return [...v].map(([k, x]) => `<entry><key>${esc(String(k))}</key><value>${xml(x)}</value></entry>`).join('');
  if (v instanceof Date) return v.toISOString();
  if (isObj(v)) return Object.entries(v).filter(([, x]) => x !== undefined && x !== null).map(([k, x]) => `<${k}>${xml(x)}</${k}>`).join('');
  return esc(String(v));
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** AWS JSON answers: timestamps in epoch seconds. */
const epochs = (v: unknown): unknown =>
  v instanceof Date ? v.getTime() / 1000
  : typeof v === 'string' && ISO.test(v) ? Date.parse(v) / 1000
  : Array.isArray(v) ? v.map(epochs)
  : isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, epochs(x)]))
  : v;

/** A policy document as IAM puts it on the wire: RFC 3986 URL-encoded JSON text. */
function encoded(doc: unknown): string {
  if (typeof doc === 'string') return doc.trimStart().startsWith('{') ? encodeURIComponent(doc) : doc;
  return encodeURIComponent(JSON.stringify(doc));
}

const DOCUMENT_KEYS = new Set(['PolicyDocument', 'AssumeRolePolicyDocument', 'Document']);
const onWire = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(onWire) : isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, DOCUMENT_KEYS.has(k) ? encoded(x) : onWire(x)])) : v;

/** One page of `items`: tokens are `p<offset>`. */
function page<T>(items: T[], token: unknown, max: unknown, size: number): { items: T[]; next?: string } {
  if (token !== undefined && token !== '' && !/^p\d+$/.test(String(token))) throw new Fault('InvalidInput', `bad pagination token ${String(token)}`);
  const start = token ? Number(String(token).slice(1)) : 0;
  const n = Math.min(size, Number(max) > 0 ? Number(max) : Infinity);
  return { items: items.slice(start, start + n), ...(start + n < items.length ? { next: `p${start + n}` } : {}) };
}

const arnParts = (arn: string) => {
  const [, partition, service, region, account, ...rest] = arn.split(':');
  return { partition, service, region, account, resource: rest.join(':') };
};

export async function startFakeAws(estate: FakeAwsEstate, options: FakeAwsOptions = {}): Promise<FakeAws> {
  const size = options.pageSize ?? 2;
  const roleName = options.roleName ?? 'iamsim-reader';
  const keys = new Map<string, { account: string; arn: string }>([['AKIDSTARTING', estate.caller]]);
  const calls: FakeCall[] = [];
  const throttled: FakeCall[] = [];
  const seen = new Set<string>();

  const owned = (service: string, ctx: Ctx, regional = true) =>
    estate.resources.filter((r) => {
      const a = arnParts(String(r.Arn));
      return a.service === service && (r.Account ?? a.account) === ctx.account && (!regional || a.region === ctx.region);
    });
  const find = (service: string, ctx: Ctx, test: (r: Obj) => boolean, code: string) => {
    const r = owned(service, ctx, service !== 's3').find(test);
    if (!r) throw new Fault(code, 'The resource does not exist', 404);
    return r;
  };
  const lastName = (arn: unknown) => String(arn).split(/[:/]/).pop() ?? '';
  const managedPolicy = (ctx: Ctx, arn: unknown): Obj => {
    const own = estate.iam[ctx.account]?.Policies.find((p) => p.Arn === arn) ?? estate.heldBack[String(arn)];
    if (own) return own;
    const packaged = managedPolicyFromPackage(String(arn));
    if (!packaged) throw new Fault('NoSuchEntity', `Policy ${String(arn)} does not exist or is not attachable.`, 404);
    const v = String(packaged.attrs?.version);
    return { PolicyName: packaged.name, PolicyId: `ANPA${packaged.name.toUpperCase().slice(0, 16)}`, Arn: arn, Path: '/', DefaultVersionId: v, IsAttachable: true, PolicyVersionList: [{ Document: packaged.document, VersionId: v, IsDefaultVersion: true }] };
  };
  const org = () => {
    if (!estate.org) throw new Fault('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
    return estate.org;
  };
  /** Only the management account lists the organization. */
  const management = (ctx: Ctx) => {
    const o = org();
    if ((o.Organization as Obj | undefined)?.MasterAccountId !== ctx.account) throw new Fault('AccessDeniedException', 'You don\'t have permissions to access this resource.');
    return o;
  };
  const children = (list: unknown, p: Obj) => ((list as Obj[] | undefined) ?? []).filter((x) => x.ParentId === p.ParentId).map(({ ParentId: _, ...x }) => x);
  const orgPolicy = (p: Obj) => {
    const found = ((org().Policies as Obj[] | undefined) ?? []).find((x) => (x.PolicySummary as Obj).Id === p.PolicyId);
    if (!found) throw new Fault('PolicyNotFoundException', `We can't find a policy with the PolicyId that you specified.`);
    return found;
  };
  const queueUrl = (ctx: Ctx, arn: unknown) => `${ctx.endpoint}/${ctx.account}/${lastName(arn)}`;

  const handlers: Record<string, Handler> = {
    'sts:GetCallerIdentity': (_, ctx) => ({ UserId: 'AIDACOLLECTOR', Account: ctx.account, Arn: ctx.arn }),
    'sts:AssumeRole': (p, ctx) => {
      const { account, resource } = arnParts(String(p.RoleArn));
      if (resource !== `role/${roleName}` || !estate.iam[account] || options.denyAssume?.includes(account)) {
        throw new Fault('AccessDenied', `User: ${ctx.arn} is not authorized to perform: sts:AssumeRole on resource: ${String(p.RoleArn)}`, 403);
      }
      const key = `ASIA${account}${keys.size}`;
      const arn = `arn:aws:sts::${account}:assumed-role/${roleName}/${String(p.RoleSessionName)}`;
      keys.set(key, { account, arn });
      return { Credentials: { AccessKeyId: key, SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 3_600_000) }, AssumedRoleUser: { AssumedRoleId: `AROA${account}:${String(p.RoleSessionName)}`, Arn: arn } };
    },
    'iam:GetAccountAuthorizationDetails': (p, ctx) => {
      const iam = estate.iam[ctx.account] ?? { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };
      const filters = Object.entries(p).filter(([k]) => k.startsWith('Filter.member.')).map(([, v]) => v);
      const want = (f: string) => filters.length === 0 || filters.includes(f);
      const items: [string, Obj][] = [
        ...(want('User') ? iam.UserDetailList.map((x) => ['UserDetailList', x] as [string, Obj]) : []),
        ...(want('Group') ? iam.GroupDetailList.map((x) => ['GroupDetailList', x] as [string, Obj]) : []),
        ...(want('Role') ? iam.RoleDetailList.map((x) => ['RoleDetailList', x] as [string, Obj]) : []),
        ...iam.Policies.filter((x) => want(String(x.Arn).includes(':iam::aws:policy/') ? 'AWSManagedPolicy' : 'LocalManagedPolicy')).map((x) => ['Policies', x] as [string, Obj]),
      ];
      const got = page(items, p.Marker, p.MaxItems, size);
      const out: Obj = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };
      for (const [k, x] of got.items) (out[k] as Obj[]).push(onWire(x) as Obj);
      return { ...out, IsTruncated: got.next !== undefined, ...(got.next ? { Marker: got.next } : {}) };
    },
    'iam:GetPolicy': (p, ctx) => {
      const { PolicyVersionList: _, ...policy } = managedPolicy(ctx, p.PolicyArn);
      return { Policy: policy };
    },
    'iam:GetPolicyVersion': (p, ctx) => {
      const version = ((managedPolicy(ctx, p.PolicyArn).PolicyVersionList as Obj[] | undefined) ?? []).find((v) => v.VersionId === p.VersionId);
      if (!version) throw new Fault('NoSuchEntity', `Policy ${String(p.PolicyArn)} version ${String(p.VersionId)} does not exist.`, 404);
      return { PolicyVersion: onWire(version) };
    },
    'organizations:DescribeOrganization': () => ({ Organization: org().Organization }),
    'organizations:ListRoots': (p, ctx) => {
      const got = page((management(ctx).Roots as Obj[]) ?? [], p.NextToken, p.MaxResults, size);
      return { Roots: got.items, NextToken: got.next };
    },
    'organizations:ListOrganizationalUnitsForParent': (p, ctx) => {
      const got = page(children(management(ctx).OrganizationalUnits, p), p.NextToken, p.MaxResults, size);
      return { OrganizationalUnits: got.items, NextToken: got.next };
    },
    'organizations:ListAccountsForParent': (p, ctx) => {
      const got = page(children(management(ctx).Accounts, p), p.NextToken, p.MaxResults, size);
      return { Accounts: got.items, NextToken: got.next };
    },
    'organizations:ListPolicies': (p, ctx) => {
      const summaries = ((management(ctx).Policies as Obj[] | undefined) ?? []).map((x) => x.PolicySummary as Obj).filter((s) => s.Type === p.Filter);
      const got = page(summaries, p.NextToken, p.MaxResults, size);
      return { Policies: got.items, NextToken: got.next };
    },
    'organizations:DescribePolicy': (p, ctx) => {
      management(ctx);
      const { PolicySummary, Content } = orgPolicy(p);
      return { Policy: { PolicySummary, Content } };
    },
    'organizations:ListTargetsForPolicy': (p, ctx) => {
      management(ctx);
      const got = page((orgPolicy(p).Targets as Obj[] | undefined) ?? [], p.NextToken, p.MaxResults, size);
      return { Targets: got.items, NextToken: got.next };
    },
    's3:ListBuckets': (p, ctx) => {
      const got = page(owned('s3', ctx, false), p['continuation-token'], p['max-buckets'], size);
      const buckets = got.items.map((b) => ({ Name: lastName(b.Arn), CreationDate: '2024-01-02T03:04:05.000Z', BucketRegion: estate.bucketRegion }));
      return `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>canonical-${ctx.account}</ID></Owner><Buckets>${xml(buckets, 'Bucket')}</Buckets>${got.next ? `<ContinuationToken>${got.next}</ContinuationToken>` : ''}</ListAllMyBucketsResult>`;
    },
    's3:GetBucketPolicy': (p, ctx) => {
      const policy = (bucket(ctx, p).GetBucketPolicy as Obj | undefined)?.Policy;
      if (policy === undefined) throw new Fault('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
      return String(policy);
    },
    's3:GetPublicAccessBlock': (p, ctx) => {
      const cfg = (bucket(ctx, p).GetPublicAccessBlock as Obj | undefined)?.PublicAccessBlockConfiguration;
      if (!cfg) throw new Fault('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', 404);
      return `<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${xml(cfg)}</PublicAccessBlockConfiguration>`;
    },
    's3:GetBucketTagging': (p, ctx) => {
      const tags = (bucket(ctx, p).GetBucketTagging as Obj | undefined)?.TagSet;
      if (!tags) throw new Fault('NoSuchTagSet', 'The TagSet does not exist', 404);
      return `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${xml(tags, 'Tag')}</TagSet></Tagging>`;
    },
    's3control:GetPublicAccessBlock': (p, ctx) => {
      if (p.AccountId !== ctx.account) throw new Fault('AccessDenied', 'Access Denied', 403);
      const cfg = estate.accountBlocks[ctx.account];
      if (!cfg) throw new Fault('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', 404);
      return `<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">${xml(cfg)}</PublicAccessBlockConfiguration>`;
    },
    'kms:ListKeys': (p, ctx) => {
      const got = page(owned('kms', ctx), p.Marker, p.Limit, size);
      return { Keys: got.items.map((k) => ({ KeyId: lastName(k.Arn), KeyArn: k.Arn })), Truncated: got.next !== undefined, ...(got.next ? { NextMarker: got.next } : {}) };
    },
    'kms:GetKeyPolicy': (p, ctx) => ({ PolicyName: 'default', Policy: (key(ctx, p).GetKeyPolicy as Obj).Policy }),
    'kms:DescribeKey': (p, ctx) => key(ctx, p).DescribeKey,
    'sqs:ListQueues': (p, ctx) => {
      const got = page(owned('sqs', ctx), p.NextToken, p.MaxResults, size);
      return { QueueUrls: got.items.map((q) => queueUrl(ctx, q.Arn)), NextToken: got.next };
    },
    'sqs:GetQueueAttributes': (p, ctx) => {
      const q = find('sqs', ctx, (r) => queueUrl(ctx, r.Arn) === p.QueueUrl, 'QueueDoesNotExist');
      const all: Obj = { QueueArn: q.Arn, ...((q.GetQueueAttributes as Obj | undefined)?.Attributes as Obj | undefined) };
      const names = (p.AttributeNames as string[] | undefined) ?? [];
      return { Attributes: names.includes('All') ? all : Object.fromEntries(Object.entries(all).filter(([k]) => names.includes(k))) };
    },
    'sns:ListTopics': (p, ctx) => {
      const got = page(owned('sns', ctx), p.NextToken, undefined, size);
      return { Topics: got.items.map((t) => ({ TopicArn: t.Arn })), NextToken: got.next };
    },
    'sns:GetTopicAttributes': (p, ctx) => {
      const t = find('sns', ctx, (r) => r.Arn === p.TopicArn, 'NotFound');
      return { Attributes: new Map(Object.entries({ TopicArn: t.Arn, Owner: ctx.account, ...((t.GetTopicAttributes as Obj | undefined)?.Attributes as Obj | undefined) })) };
    },
    'lambda:ListFunctions': (p, ctx) => {
      const got = page(owned('lambda', ctx), p.Marker, p.MaxItems, size);
      return { Functions: got.items.map((f) => ({ FunctionName: lastName(f.Arn), FunctionArn: f.Arn, Runtime: 'nodejs20.x' })), NextMarker: got.next };
    },
    'lambda:GetPolicy': (p, ctx) => {
      const f = find('lambda', ctx, (r) => lastName(r.Arn) === p.FunctionName || r.Arn === p.FunctionName, 'ResourceNotFoundException');
      if (!f.GetPolicy) throw new Fault('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
      return f.GetPolicy;
    },
    'secretsmanager:ListSecrets': (p, ctx) => {
      const got = page(owned('secretsmanager', ctx), p.NextToken, p.MaxResults, size);
      return { SecretList: got.items.map((s) => ({ ARN: s.Arn, Name: lastName(s.Arn).replace(/-[A-Za-z0-9]{6}$/, '') })), NextToken: got.next };
    },
    'secretsmanager:GetResourcePolicy': (p, ctx) => {
      const s = find('secretsmanager', ctx, (r) => r.Arn === p.SecretId, 'ResourceNotFoundException');
      return { ARN: s.Arn, Name: lastName(s.Arn).replace(/-[A-Za-z0-9]{6}$/, ''), ...(s.GetResourcePolicy as Obj | undefined) };
    },
    'ecr:DescribeRepositories': (p, ctx) => {
      const got = page(owned('ecr', ctx), p.nextToken, p.maxResults, size);
      return { repositories: got.items.map((r) => ({ repositoryArn: r.Arn, registryId: ctx.account, repositoryName: lastName(r.Arn) })), nextToken: got.next };
    },
    'ecr:GetRepositoryPolicy': (p, ctx) => {
      const r = find('ecr', ctx, (x) => lastName(x.Arn) === p.repositoryName, 'RepositoryNotFoundException');
      if (!r.GetRepositoryPolicy) throw new Fault('RepositoryPolicyNotFoundException', 'Repository policy does not exist', 400);
      return r.GetRepositoryPolicy;
    },
  };
  function bucket(ctx: Ctx, p: Obj): Obj {
    const b = estate.resources.find((r) => r.Arn === `arn:aws:s3:::${String(p.Bucket)}`);
    if (!b) throw new Fault('NoSuchBucket', 'The specified bucket does not exist', 404);
    if (b.Account !== ctx.account) throw new Fault('AccessDenied', 'Access Denied', 403);
    return b;
  }
  function key(ctx: Ctx, p: Obj): Obj {
    return find('kms', ctx, (r) => r.Arn === p.KeyId || lastName(r.Arn) === p.KeyId, 'NotFoundException');
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => respond(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** What the request asks: the protocol decides where the action and its parameters are. */
  function parse(req: IncomingMessage, text: string, service: string): { action: string; params: Obj } {
    const url = new URL(req.url ?? '/', endpoint);
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') return { action: target.slice(target.indexOf('.') + 1), params: text ? (JSON.parse(text) as Obj) : {} };
    if (service === 's3control') {
      const action = req.method === 'GET' && url.pathname === '/v20180820/configuration/publicAccessBlock' ? 'GetPublicAccessBlock' : `${req.method} ${url.pathname}`;
      return { action, params: { AccountId: req.headers['x-amz-account-id'] } };
    }
    if (service === 's3') {
      const [, bucketName] = url.pathname.split('/');
      const params: Obj = { ...Object.fromEntries(url.searchParams), Bucket: decodeURIComponent(bucketName ?? '') };
      const sub = ['policy', 'publicAccessBlock', 'tagging'].find((k) => url.searchParams.has(k));
      const action = !bucketName ? 'ListBuckets' : sub === 'policy' ? 'GetBucketPolicy' : sub === 'publicAccessBlock' ? 'GetPublicAccessBlock' : sub === 'tagging' ? 'GetBucketTagging' : `${req.method} ${url.pathname}`;
      return { action, params };
    }
    if (service === 'lambda') {
      const m = /^\/2015-03-31\/functions(?:\/([^/]+)\/policy)?\/?$/.exec(url.pathname);
      const params: Obj = Object.fromEntries(url.searchParams);
      if (m?.[1]) return { action: 'GetPolicy', params: { ...params, FunctionName: decodeURIComponent(m[1]) } };
      return { action: m ? 'ListFunctions' : `${req.method} ${url.pathname}`, params };
    }
    const form = Object.fromEntries(new URLSearchParams(text));
    return { action: String(form.Action ?? ''), params: form };
  }

  function respond(req: IncomingMessage, res: ServerResponse, text: string): void {
    const auth = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '');
    // S3 Control signs as s3: its API lives under its own version prefix.
    const service = req.url?.startsWith('/v20180820/') ? 's3control' : (auth?.[3] ?? '');
    const protocol = req.headers['x-amz-target'] ? 'json' : service === 's3' || service === 's3control' ? service : service === 'lambda' ? 'rest-json' : 'query';
    let call: FakeCall | undefined;
    try {
      const who = keys.get(auth?.[1] ?? '');
      if (!who) throw new Fault('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
      const { action, params } = parse(req, text, service);
      call = { service, action, account: who.account, region: auth?.[2] ?? '', params };
      calls.push(call);
      const name = `${service}:${action}`;
      const handler = handlers[name];
      if (!handler) throw new Fault('InvalidAction', `${name} is not a read call this fake serves`);
      if (options.throttleOnce?.includes(name) && !seen.has(`${name}/${who.account}`)) {
        seen.add(`${name}/${who.account}`);
        throttled.push(call);
        throw throttle(protocol, service);
      }
      send(res, protocol, service, action, handler(params, { ...who, region: call.region, endpoint }));
    } catch (e) {
      const f = e instanceof Fault ? e : new Fault('InternalFailure', String(e), 500);
      fail(res, protocol, service, f);
    }
  }

  function throttle(protocol: string, service: string): Fault {
    if (protocol === 's3' || protocol === 's3control') return new Fault('SlowDown', 'Please reduce your request rate.', 503);
    if (protocol === 'rest-json' || service === 'organizations') return new Fault('TooManyRequestsException', 'Rate exceeded', 429);
    return new Fault(protocol === 'query' ? 'Throttling' : 'ThrottlingException', 'Rate exceeded');
  }

  function send(res: ServerResponse, protocol: string, service: string, action: string, result: unknown): void {
    if (protocol === 'json') {
      res.writeHead(200, { 'content-type': `application/x-amz-json-${service === 'sqs' ? '1.0' : '1.1'}` }).end(JSON.stringify(epochs(result)));
    } else if (protocol === 'rest-json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    } else if (protocol === 's3' || protocol === 's3control') {
      res.writeHead(200, { 'content-type': action === 'GetBucketPolicy' ? 'application/json' : 'application/xml' }).end(String(result));
    } else {
      res.writeHead(200, { 'content-type': 'text/xml' }).end(`<${action}Response xmlns="${NAMESPACES[service] ?? ''}"><${action}Result>${xml(result)}</${action}Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>`);
    }
  }

  function fail(res: ServerResponse, protocol: string, service: string, f: Fault): void {
    if (protocol === 'json') {
      const headers: Record<string, string> = { 'content-type': `application/x-amz-json-${service === 'sqs' ? '1.0' : '1.1'}` };
      if (service === 'sqs') headers['x-amzn-query-error'] = `${f.code};Sender`;
      res.writeHead(f.status, headers).end(JSON.stringify({ __type: f.code, message: f.message }));
    } else if (protocol === 'rest-json') {
      res.writeHead(f.status, { 'content-type': 'application/json', 'x-amzn-errortype': f.code }).end(JSON.stringify({ Type: 'User', message: f.message }));
    } else if (protocol === 's3') {
      res.writeHead(f.status, { 'content-type': 'application/xml' }).end(`<Error><Code>${f.code}</Code><Message>${esc(f.message)}</Message><RequestId>fake</RequestId></Error>`);
    } else if (protocol === 's3control') {
      res.writeHead(f.status, { 'content-type': 'application/xml' }).end(`<ErrorResponse><Error><Code>${f.code}</Code><Message>${esc(f.message)}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`);
    } else {
      res.writeHead(f.status, { 'content-type': 'text/xml' }).end(`<ErrorResponse xmlns="${NAMESPACES[service] ?? ''}"><Error><Type>Sender</Type><Code>${f.code}</Code><Message>${esc(f.message)}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`);
    }
  }

  return {
    endpoint,
    credentials: { accessKeyId: 'AKIDSTARTING', secretAccessKey: 'secret' },
    calls,
    throttled,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((e) => (e ? reject(e) : resolve()));
    }),
  };
}

const NAMESPACES: Record<string, string> = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  sns: 'http://sns.amazonaws.com/doc/2010-03-31/',
};
