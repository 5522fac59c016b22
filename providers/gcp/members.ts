/**
 * Principal identifiers in allow policies (v1 `user:`, `group:`, ...), deny policies (v2 `principal://`,
 * `principalSet://`) and the caller of a request, parsed once into one form and matched against a caller.
 * https://cloud.google.com/iam/docs/principal-identifiers
 */

export type BasicRole = 'owner' | 'editor' | 'viewer';

export type Member =
  | { kind: 'user' | 'serviceAccount' | 'group'; email: string }
  | { kind: 'domain'; domain: string }
  | { kind: 'customer'; id: string }
  | { kind: 'allUsers' | 'allAuthenticatedUsers' }
  /** A tombstone of a deleted principal: matches nothing. */
  | { kind: 'deleted'; of: string }
  /** Cloud Storage convenience values: whoever holds roles/owner|editor|viewer on the project. */
  | { kind: 'projectRole'; role: BasicRole; project: string }
  /** One federated (workforce / workload pool) identity, by its full `principal://` identifier. */
  | { kind: 'principal'; uri: string }
  /** A set in a workforce or workload pool: `*`, `group/G`, `attribute.NAME/VALUE`, `namespace/NS`, ... */
  | { kind: 'poolSet'; pool: string; selector: string; value: string }
  /** All service accounts (or service agents) of the projects in a resource-manager subtree. */
  | { kind: 'saSet'; node: string; agents: boolean }
  | { kind: 'unsupported'; text: string };

const POOL_SUBJECT = /^principal:\/\/(iam\.googleapis\.com\/(?:projects\/[^/]+\/)?locations\/[^/]+\/(?:workforcePools|workloadIdentityPools)\/[^/]+)\/subject\/(.+)$/;
const POOL_SET = /^principalSet:\/\/(iam\.googleapis\.com\/(?:projects\/[^/]+\/)?locations\/[^/]+\/(?:workforcePools|workloadIdentityPools)\/[^/]+)\/(\*|group\/.+|attribute\.[^/]+\/.+|namespace\/.+|kubernetes\.cluster\/.+)$/;
const SA_SET = /^principalSet:\/\/cloudresourcemanager\.googleapis\.com\/((?:projects|folders|organizations)\/[^/]+)\/type\/(ServiceAccount|ServiceAgent)$/;

const lower = (s: string) => s.toLowerCase();

/** Parses one member identifier, v1 or v2 form. */
export function parseMember(text: string): Member {
  if (text.startsWith('deleted:')) return { kind: 'deleted', of: text.slice(8) };
  if (text === 'allUsers' || text === 'principalSet://goog/public:all') return { kind: 'allUsers' };
  if (text === 'allAuthenticatedUsers') return { kind: 'allAuthenticatedUsers' };
  const colon = text.indexOf(':');
  const prefix = colon > 0 ? text.slice(0, colon) : '';
  const rest = text.slice(colon + 1);
  switch (prefix) {
    case 'user':
    case 'serviceAccount':
    case 'group':
      return { kind: prefix, email: lower(rest) };
    case 'domain':
      return { kind: 'domain', domain: lower(rest) };
    case 'projectOwner':
      return { kind: 'projectRole', role: 'owner', project: rest };
    case 'projectEditor':
      return { kind: 'projectRole', role: 'editor', project: rest };
    case 'projectViewer':
      return { kind: 'projectRole', role: 'viewer', project: rest };
  }
  if (text.startsWith('principal://goog/subject/')) return { kind: 'user', email: lower(text.slice(25)) };
  if (text.startsWith('principal://iam.googleapis.com/projects/-/serviceAccounts/')) return { kind: 'serviceAccount', email: lower(text.slice(58)) };
  if (text.startsWith('principalSet://goog/group/')) return { kind: 'group', email: lower(text.slice(26)) };
  if (text.startsWith('principalSet://goog/cloudIdentityCustomerId/')) return { kind: 'customer', id: text.slice(44) };
  const sa = SA_SET.exec(text);
  if (sa) return { kind: 'saSet', node: `//cloudresourcemanager.googleapis.com/${sa[1]}`, agents: sa[2] === 'ServiceAgent' };
  if (POOL_SUBJECT.test(text)) return { kind: 'principal', uri: text };
  const set = POOL_SET.exec(text);
  if (set) {
    const sel = set[2]!;
    const slash = sel.indexOf('/');
    return { kind: 'poolSet', pool: set[1]!, selector: slash < 0 ? '*' : sel.slice(0, slash), value: slash < 0 ? '' : sel.slice(slash + 1) };
  }
  return { kind: 'unsupported', text };
}

export type CallerKind = 'user' | 'serviceAccount' | 'federated' | 'anonymous';

/** The caller of a request, with what the estate knows about it. */
export interface Caller {
  /** As the request named it. */
  text: string;
  kind: CallerKind;
  /** The graph principal id: `user:a@x`, `serviceAccount:s@p.iam.gserviceaccount.com`, a `principal://` URI. */
  id: string;
  email?: string;
  /** Groups the caller belongs to, transitively, as graph ids (`group:eng@example.com`, pool group sets). */
  groups: ReadonlySet<string>;
  /** The Cloud Identity customer of the caller's domain, when known. */
  customerId?: string;
  /** For a service account: the full names of its project and the project's ancestors. */
  projectChain?: readonly string[];
  /** A Google-managed service agent (service-N@gcp-sa-...). */
  serviceAgent?: boolean;
  /** For a federated identity: the pool and the subject. */
  pool?: string;
  subject?: string;
}

export type Membership = 'MATCHED' | 'NOT_MATCHED' | 'UNKNOWN';

export interface MemberCheck {
  membership: Membership;
  /** How the member matched or why not, in words. */
  why: string;
  /** Matched through allUsers / allAuthenticatedUsers (which public access prevention disables). */
  public: boolean;
}

/** What matching needs from the estate besides the caller. */
export interface MemberContext {
  /** The customer id owning a domain, when the estate maps it. */
  customerOfDomain(domain: string): string | undefined;
  /** Does the caller hold roles/<role> on the project (for projectOwner: and friends)? */
  holdsBasicRole(project: string, role: BasicRole): boolean;
  /** The canonical full name of a CRM node (project numbers to ids). */
  canonicalNode(name: string): string;
}

/**
 * Does the member include the caller? No words here: most checks of a request are never shown, so a check's
 * words (`describe`) are built only when an answer shows them.
 */
export function memberMatches(m: Member, caller: Caller, ctx: MemberContext): boolean {
  switch (m.kind) {
    case 'allUsers':
      return true;
    case 'allAuthenticatedUsers':
      // https://cloud.google.com/iam/docs/principals-overview#all-authenticated-users: federated identities are not included.
      return caller.kind === 'user' || caller.kind === 'serviceAccount';
    case 'deleted':
    case 'unsupported':
      return false;
    case 'user':
    case 'serviceAccount':
      return caller.kind === m.kind && caller.email === m.email;
    case 'group':
      return caller.groups.has(groupId(m));
    case 'domain': {
      if (caller.kind !== 'user' || !caller.email) return false;
      const want = ctx.customerOfDomain(m.domain);
      // The customer that owns the domain decides when both customers are known; else the email's domain.
      if (want !== undefined && caller.customerId !== undefined) return want === caller.customerId;
      return caller.email.slice(caller.email.lastIndexOf('@') + 1) === m.domain;
    }
    case 'customer':
      return caller.kind === 'user' && caller.customerId === m.id;
    case 'projectRole':
      return ctx.holdsBasicRole(m.project, m.role);
    case 'principal':
      return caller.kind === 'federated' && caller.text === m.uri;
    case 'poolSet':
      if (caller.kind !== 'federated' || caller.pool !== m.pool) return false;
      if (m.selector === '*') return true;
      if (m.selector === 'namespace') return caller.subject?.startsWith(`ns/${m.value}/`) ?? false;
      return caller.groups.has(poolSetKey(m));
    case 'saSet':
      if (caller.kind !== 'serviceAccount' || (m.agents && !caller.serviceAgent)) return false;
      return caller.projectChain?.includes(ctx.canonicalNode(m.node)) ?? false;
  }
}

/** A bound group's graph id, made once per parsed member (not once per check). */
const groupIds = new WeakMap<Member, string>();
function groupId(m: Extract<Member, { email: string }>): string {
  let id = groupIds.get(m);
  if (id === undefined) groupIds.set(m, (id = `group:${m.email}`));
  return id;
}

const poolSetKey = (m: Extract<Member, { kind: 'poolSet' }>) => `principalSet://${m.pool}/${m.selector}/${m.value}`;

/** How a member matched the caller, or why not, in words. */
function describe(m: Member, caller: Caller, ctx: MemberContext, matched: boolean): string {
  const not = matched ? '' : 'not ';
  switch (m.kind) {
    case 'allUsers':
      return 'allUsers includes everyone, signed in or not';
    case 'allAuthenticatedUsers':
      if (matched) return 'allAuthenticatedUsers includes every Google account and service account';
      return caller.kind === 'anonymous' ? 'the caller is not signed in' : 'allAuthenticatedUsers excludes workforce and workload identity federation identities';
    case 'deleted':
      return `${m.of} was deleted: a deleted principal's binding matches nobody, even a new account with the same email`;
    case 'unsupported':
      return `${m.text} is not a principal identifier iamsim can match`;
    case 'user':
    case 'serviceAccount':
      return `the caller is ${not}${m.kind}:${m.email}`;
    case 'group':
      return `the caller is ${not}a member of group ${m.email}`;
    case 'domain': {
      if (caller.kind !== 'user' || !caller.email) return `domain:${m.domain} covers the accounts of a Cloud Identity or Workspace customer; the caller is not one`;
      const want = ctx.customerOfDomain(m.domain);
      if (want !== undefined && caller.customerId !== undefined) return matched ? `the caller's domain belongs to customer ${want}, which owns ${m.domain}` : `the caller's customer ${caller.customerId} does not own ${m.domain}`;
      return `the caller's email is ${not}in ${m.domain}`;
    }
    case 'customer':
      return matched ? `the caller belongs to Cloud Identity customer ${m.id}` : `the caller does not belong to Cloud Identity customer ${m.id}`;
    case 'projectRole':
      return `the caller ${matched ? 'holds' : 'does not hold'} roles/${m.role} on project ${m.project}`;
    case 'principal':
      return `the caller is ${not}${m.uri}`;
    case 'poolSet':
      if (caller.kind !== 'federated' || caller.pool !== m.pool) return `the caller is not an identity of ${m.pool}`;
      if (m.selector === '*') return `the caller is an identity of ${m.pool}`;
      if (m.selector === 'namespace') return `the caller's Kubernetes namespace is ${not}${m.value}`;
      return matched ? `the caller is in ${poolSetKey(m)}` : `the caller is not in ${poolSetKey(m)} (as far as the snapshot's group memberships tell)`;
    case 'saSet':
      if (caller.kind !== 'serviceAccount' || (m.agents && !caller.serviceAgent)) return `the caller is not a ${m.agents ? 'service agent' : 'service account'}`;
      return `the caller's project is ${not}in ${ctx.canonicalNode(m.node)}`;
  }
}

/** A check whose words are built only when an answer shows them. */
class Check implements MemberCheck {
  private text: string | undefined;
  readonly membership: Membership;
  readonly public: boolean;
  constructor(
    private readonly member: Member,
    private readonly caller: Caller,
    private readonly ctx: MemberContext,
    matched: boolean,
  ) {
    this.membership = matched ? 'MATCHED' : 'NOT_MATCHED';
    this.public = matched && (member.kind === 'allUsers' || member.kind === 'allAuthenticatedUsers');
  }
  get why(): string {
    return (this.text ??= describe(this.member, this.caller, this.ctx, this.membership === 'MATCHED'));
  }
}

export function matchMember(m: Member, caller: Caller, ctx: MemberContext): MemberCheck {
  return new Check(m, caller, ctx, memberMatches(m, caller, ctx));
}

/** The graph id of a caller or group member written in any accepted form (a bare email is a user or service account). */
export function principalId(text: string): string {
  const m = parseMember(text);
  switch (m.kind) {
    case 'user':
    case 'serviceAccount':
    case 'group':
      return `${m.kind}:${m.email}`;
    case 'principal':
      return m.uri;
    case 'poolSet':
      return poolSetKey(m);
    default:
      if (/^[^@\s:]+@[^@\s]+$/.test(text)) return isServiceAccountEmail(text) ? `serviceAccount:${lower(text)}` : `user:${lower(text)}`;
      return text;
  }
}

export function isServiceAccountEmail(email: string): boolean {
  return /\.gserviceaccount\.com$/i.test(email);
}

/**
 * The project of a service account email: `name@PROJECT.iam.gserviceaccount.com`, the App Engine default
 * `PROJECT@appspot.gserviceaccount.com`, the Compute default `NUMBER-compute@developer.gserviceaccount.com`,
 * and service agents `service-NUMBER@gcp-sa-*.iam.gserviceaccount.com`.
 * https://cloud.google.com/iam/docs/service-account-types
 */
export function serviceAccountProject(email: string): { project: string; agent: boolean } | undefined {
  const e = lower(email);
  let m = /^service-(\d+)@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$/.exec(e);
  if (m) return { project: m[1]!, agent: true };
  m = /^(\d+)@cloudservices\.gserviceaccount\.com$/.exec(e);
  if (m) return { project: m[1]!, agent: true };
  m = /^(\d+)-compute@developer\.gserviceaccount\.com$/.exec(e);
  if (m) return { project: m[1]!, agent: false };
  m = /^([a-z0-9-]+)@appspot\.gserviceaccount\.com$/.exec(e);
  if (m) return { project: m[1]!, agent: false };
  m = /^[^@]+@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(e);
  if (m && !m[1]!.startsWith('gcp-sa-')) return { project: m[1]!, agent: false };
  return undefined;
}
