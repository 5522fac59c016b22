/**
 * `iamsim collect aws`: reads an AWS estate with the official SDK clients, read-only, into the files
 * docs/aws-inputs.md describes (docs/collect-aws.md lists the calls and the permissions they need):
 *   iam-<account>.json        GetAccountAuthorizationDetails, as the AWS CLI prints it
 *   organizations.json        the Organizations export, when the credentials can read the organization
 *   resources-<account>.json  resource policies of S3, KMS, SQS, SNS, Lambda, Secrets Manager and ECR, and
 *                             the account's S3 Block Public Access setting
 * Other accounts are read by assuming a named role in each (STS AssumeRole); the starting credentials come
 * from the SDK's default provider chain (environment, profiles, SSO, instance roles) unless given.
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Collector } from '../../src/collect/collector.js';
import { AwsClients, type AwsCredentials, type Session } from './collect-clients.js';
import { collectIam } from './collect-iam.js';
import { collectOrganization, type OrgExport } from './collect-org.js';
import { collectAccountPublicAccessBlock, collectBuckets, collectRegion } from './collect-resources.js';

export interface AwsCollectOptions {
  /** Accounts to read. Default: with `assumeRoleName`, every active account of the organization; else the caller's. */
  accounts?: string[];
  /** Regions of the regional services (KMS, SQS, SNS, Lambda, Secrets Manager, ECR). Default: `region`. */
  regions?: string[];
  /** The role assumed in each account other than the caller's: arn:<partition>:iam::<account>:role/<name>. */
  assumeRoleName?: string;
  /** The session name of those role sessions, as CloudTrail shows it. */
  roleSessionName?: string;
  /** Read AWS Organizations (default true). */
  organization?: boolean;
  /** Region for the global services. Default: the SDK's configured region (AWS_REGION, profile), else us-east-1. */
  region?: string;
  /** One endpoint for every service (a proxy, a test server); S3 is then addressed path-style. */
  endpoint?: string;
  /** Starting credentials; default: the SDK's default provider chain. */
  credentials?: AwsCredentials;
}

/** Refresh an assumed role's credentials this long before they expire. */
const REFRESH_MS = 5 * 60_000;

export async function collectAws(c: Collector, options: AwsCollectOptions = {}): Promise<void> {
  const clients = new AwsClients(options.region ?? (await configuredRegion()) ?? 'us-east-1', options.endpoint);
  try {
    const start: Session = { account: 'default-credentials', partition: 'aws', ...(options.credentials ? { credentials: options.credentials } : {}) };
    // https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html (needs no permission)
    const me = await c.call(start.account, 'sts:GetCallerIdentity', () => clients.get(STSClient, start).send(new GetCallerIdentityCommand({})));
    if (!me?.Account) {
      c.warn('the starting credentials could not be used (see failures): nothing was collected');
      return;
    }
    const caller: Session = { ...start, account: me.Account, partition: me.Arn?.split(':')[1] || 'aws' };
    const org = options.organization === false ? undefined : await collectOrganization(c, clients, caller);
    if (org) c.add('organizations.json', org);
    const regions = options.regions?.length ? [...new Set(options.regions)] : [clients.home];
    await Promise.all(
      targetAccounts(c, options, org, caller.account).map(async (account) => {
        const s = account === caller.account ? caller : await assume(c, clients, caller, account, options);
        if (s) await collectAccount(c, clients, s, regions);
      }),
    );
  } finally {
    clients.destroy();
  }
}

async function collectAccount(c: Collector, clients: AwsClients, s: Session, regions: string[]): Promise<void> {
  const [, buckets, accountBlock, regional] = await Promise.all([
    collectIam(c, clients, s),
    collectBuckets(c, clients, s),
    collectAccountPublicAccessBlock(c, clients, s),
    Promise.all(regions.map((r) => collectRegion(c, clients, s, r))),
  ]);
  c.add(`resources-${s.account}.json`, { ResourcePolicies: [...buckets, ...regional.flat()], ...(accountBlock ? { AccountPublicAccessBlocks: accountBlock } : {}) });
}

function targetAccounts(c: Collector, options: AwsCollectOptions, org: OrgExport | undefined, caller: string): string[] {
  if (options.assumeRoleName && !options.accounts?.length && !org) c.warn(`the organization's accounts are unknown: only the caller's account (${caller}) is read; name the others with --accounts`);
  const wanted = options.accounts?.length
    ? options.accounts
    : options.assumeRoleName && org
      ? org.Accounts.filter((a) => (a.State ?? a.Status ?? 'ACTIVE') === 'ACTIVE' && a.Id).map((a) => a.Id as string)
      : [caller];
  return [...new Set(wanted)].filter((account) => {
    if (account === caller || options.assumeRoleName) return true;
    c.warn(`account ${account} is skipped: reading an account other than the caller's (${caller}) needs --assume-role-name`);
    return false;
  });
}

/**
 * Credentials for a role in another account, refreshed before they expire.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
async function assume(c: Collector, clients: AwsClients, caller: Session, account: string, options: AwsCollectOptions): Promise<Session | undefined> {
  const sts = clients.get(STSClient, caller);
  const RoleArn = `arn:${caller.partition}:iam::${account}:role/${options.assumeRoleName}`;
  const RoleSessionName = options.roleSessionName ?? 'iamsim-collect';
  const fetch = async () => {
    const k = (await sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName }))).Credentials;
    if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error(`AssumeRole on ${RoleArn} answered no credentials`);
    return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey, sessionToken: k.SessionToken, expiration: k.Expiration };
  };
  let current = await c.call(account, 'sts:AssumeRole', fetch);
  if (!current) return undefined;
  const credentials = async () => {
    if (current?.expiration && current.expiration.getTime() - Date.now() < REFRESH_MS) current = await fetch();
    return current!;
  };
  return { account, partition: caller.partition, credentials };
}

/** The region the SDK would use by default (AWS_REGION, the profile's region), if any. */
async function configuredRegion(): Promise<string | undefined> {
  const sts = new STSClient({});
  try {
    return await sts.config.region();
  } catch {
    return undefined;
  } finally {
    sts.destroy();
  }
}
