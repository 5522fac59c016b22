/**
 * One account's IAM: GetAccountAuthorizationDetails, every page, merged and with its URL-encoded policy
 * documents decoded, as `aws iam get-account-authorization-details` prints it; then GetPolicy and
 * GetPolicyVersion for each managed policy a user, group or role references that the export lacks (the
 * API reference does not say which AWS managed policies it lists; one used only as a permissions boundary
 * can be missing), so the loader never falls back to a packaged, possibly older, copy.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicy.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicyVersion.html
 */
import {
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  type GetAccountAuthorizationDetailsResponse,
  type ManagedPolicyDetail,
} from '@aws-sdk/client-iam';
import type { Collector } from '../../src/collect/collector.js';
import { read, type AwsClients, type Session } from './collect-clients.js';
import { readDocument } from './load.js';

type Obj = Record<string, unknown>;
type Page = Omit<GetAccountAuthorizationDetailsResponse, '$metadata' | 'IsTruncated' | 'Marker'>;

/** Every entity type the call can return, asked for explicitly. */
const FILTERS = ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'] as const;
const LISTS = ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'] as const;

export async function collectIam(c: Collector, clients: AwsClients, s: Session): Promise<void> {
  const iam = clients.get(IAMClient, s);
  const pages = await c.pages(s.account, 'iam:GetAccountAuthorizationDetails', async (Marker) => {
    const r = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: [...FILTERS], Marker }));
    return { items: [r], next: r.IsTruncated ? r.Marker : undefined };
  });
  if (!pages) return;
  const out: Required<Page> = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };
  for (const p of pages) for (const k of LISTS) (out[k] as unknown[]).push(...(p[k] ?? []));
  out.Policies.push(...(await missingPolicies(c, iam, s, out)));
  const file = `iam-${s.account}.json`;
  c.add(file, decodeDocuments(out, (where) => c.warn(`${file}: ${where} is neither JSON nor URL-encoded JSON; it is written as returned`)));
}

/** Managed policies that users, groups and roles reference but the export does not hold. */
async function missingPolicies(c: Collector, iam: IAMClient, s: Session, out: Required<Page>): Promise<ManagedPolicyDetail[]> {
  const have = new Set(out.Policies.map((p) => p.Arn));
  const wanted = new Set<string>();
  for (const e of [...out.UserDetailList, ...out.GroupDetailList, ...out.RoleDetailList]) {
    for (const a of e.AttachedManagedPolicies ?? []) if (a.PolicyArn) wanted.add(a.PolicyArn);
    const boundary = 'PermissionsBoundary' in e ? e.PermissionsBoundary?.PermissionsBoundaryArn : undefined;
    if (boundary) wanted.add(boundary);
  }
  const found = await Promise.all(
    [...wanted].filter((arn) => !have.has(arn)).map(async (PolicyArn) => {
      const got = await read(c, s.account, 'iam:GetPolicy', [], () => iam.send(new GetPolicyCommand({ PolicyArn })));
      const policy = got?.Policy;
      if (!policy?.DefaultVersionId) return undefined;
      const version = await read(c, s.account, 'iam:GetPolicyVersion', [], () => iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId: policy.DefaultVersionId })));
      if (!version?.PolicyVersion) return undefined;
      // A GetAccountAuthorizationDetails policy entry: GetPolicy's fields and the default version.
      const { Tags: _, ...detail } = policy;
      return { ...detail, PolicyVersionList: [version.PolicyVersion] } as ManagedPolicyDetail;
    }),
  );
  return found.filter((p): p is ManagedPolicyDetail => p !== undefined);
}

/** The keys under which IAM answers carry a policy document, URL-encoded (RFC 3986) on the wire. */
const DOCUMENT_KEYS = new Set(['PolicyDocument', 'AssumeRolePolicyDocument', 'Document']);

/** A copy with every policy document decoded to an object, as the AWS CLI prints them. */
function decodeDocuments(v: unknown, bad: (where: string) => void, where = ''): unknown {
  if (Array.isArray(v)) return v.map((x, i) => decodeDocuments(x, bad, `${where}/${i}`));
  if (v === null || typeof v !== 'object' || v instanceof Date) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    const at = `${where}/${k}`;
    if (DOCUMENT_KEYS.has(k) && typeof x === 'string') {
      try {
        out[k] = readDocument(x, '', at).document;
      } catch {
        bad(at);
        out[k] = x;
      }
    } else out[k] = decodeDocuments(x, bad, at);
  }
  return out;
}
