/**
 * Who is calling, and whether a policy's Principal / NotPrincipal element names them.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
 */
import { isAccountId, splitArn } from './arn.js';

export type CallerKind = 'user' | 'role_session' | 'federated_user' | 'root' | 'service' | 'anonymous' | 'web_identity';

export interface Caller {
  kind: CallerKind;
  /** As AWS prints it in "User: ... is not authorized". */
  display: string;
  partition: string;
  account?: string;
  /** The caller's own ARN (user, session, federated user, root), or the service / identity provider name. */
  arn?: string;
  /** The role (for a session) or IAM user (for a federated user) behind the caller, when known. */
  parentArn?: string;
  /** User name, role name, federated user name, service name or provider name. */
  name: string;
  sessionName?: string;
  serviceLinked: boolean;
  /** The request named a role ARN rather than a session; evaluated as a session of it. */
  roleWithoutSession?: boolean;
  /**
   * Snapshot mode: the caller's account is not in the snapshot, so its identity policies, boundary and SCPs
   * are unknown. They are taken to allow (as an account's root holds every permission of its account), so
   * the answer is what the resource's side allows: the access an outsider could get.
   */
  outsideSnapshot?: boolean;
}

/** How a Principal element named the caller: this decides what a same-account resource-policy grant overrides. */
export type PrincipalHow = 'wildcard' | 'direct' | 'via_parent' | 'account';

const WEB_IDENTITY_PROVIDERS = new Set(['accounts.google.com', 'graph.facebook.com', 'www.amazon.com', 'cognito-identity.amazonaws.com']);

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

const notAPrincipal = (principal: string) =>
  `'${principal}' is not a principal: give an IAM user, role, role-session, federated-user or root ARN, an account id, a service principal (svc.amazonaws.com) or 'anonymous'`;

/** Parses the request's principal. Returns an error message for forms it does not know. */
export function parseCaller(principal: string, sessionIssuer?: string): Caller | string {
  if (principal.startsWith('arn:')) return parseCallerArn(principal, sessionIssuer);
  if (principal === 'anonymous' || principal === '*') return makeCaller('anonymous', 'anonymous', 'aws', undefined, 'anonymous');
  if (WEB_IDENTITY_PROVIDERS.has(principal)) return makeCaller('web_identity', principal, 'aws', undefined, principal, { arn: principal });
  if (/^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/.test(principal)) return makeCaller('service', principal, 'aws', undefined, principal, { arn: principal });
  if (isAccountId(principal)) return parseCallerArn(`arn:aws:iam::${principal}:root`, sessionIssuer);
  return notAPrincipal(principal);
}

/** Every caller has the same fields in the same order: one object shape for the engine's hot paths. */
export function makeCaller(kind: CallerKind, display: string, partition: string, account: string | undefined, name: string, extra: Partial<Caller> = {}): Caller {
  const c: Caller = {
    kind,
    display,
    partition,
    account,
    arn: extra.arn,
    parentArn: extra.parentArn,
    name,
    sessionName: extra.sessionName,
    serviceLinked: extra.serviceLinked ?? false,
    roleWithoutSession: extra.roleWithoutSession,
  } as Caller;
  return c;
}

function parseCallerArn(principal: string, sessionIssuer?: string): Caller | string {
  const arn = splitArn(principal);
  if (!arn || !isAccountId(arn.account) || (arn.service !== 'iam' && arn.service !== 'sts')) return notAPrincipal(principal);
  const { partition, account, resource } = arn;
  const slash = resource.indexOf('/');
  const type = slash === -1 ? resource : resource.slice(0, slash);
  const rest = slash === -1 ? [] : resource.slice(slash + 1).split('/');
  const iam = arn.service === 'iam';
  if (iam && resource === 'root') return makeCaller('root', principal, partition, account, account, { arn: principal });
  if (iam && type === 'user' && rest.length) return makeCaller('user', principal, partition, account, lastSegment(resource), { arn: principal });
  if (iam && (type === 'oidc-provider' || type === 'saml-provider') && rest.length) return makeCaller('web_identity', principal, partition, account, principal, { arn: principal });
  if (iam && type === 'role' && rest.length) {
    const name = lastSegment(resource);
    return makeCaller('role_session', principal, partition, account, name, {
      arn: principal,
      parentArn: principal,
      serviceLinked: rest[0] === 'aws-service-role' || name.startsWith('AWSServiceRoleFor'),
      roleWithoutSession: true,
    });
  }
  if (!iam && type === 'assumed-role' && rest.length === 2) {
    const [name, sessionName] = rest as [string, string];
    const parentArn = sessionIssuer ?? `arn:${partition}:iam::${account}:role/${name}`;
    const issuerPath = splitArn(parentArn)?.resource ?? '';
    return makeCaller('role_session', principal, partition, account, name, {
      arn: principal,
      parentArn,
      sessionName,
      serviceLinked: issuerPath.startsWith('role/aws-service-role/') || name.startsWith('AWSServiceRoleFor'),
    });
  }
  if (!iam && type === 'federated-user' && rest.length === 1) {
    const extra: Partial<Caller> = { arn: principal };
    if (sessionIssuer) extra.parentArn = sessionIssuer;
    return makeCaller('federated_user', principal, partition, account, rest[0]!, extra);
  }
  return `'${principal}' is not a principal ARN this service understands`;
}

/** Every identity the caller has, outermost first: account, then role or user, then the session. */
function identities(c: Caller): string[] {
  if (c.kind === 'anonymous') return [];
  if (c.kind === 'service' || c.kind === 'web_identity') return [c.arn!];
  const out = [`arn:${c.partition}:iam::${c.account}:root`];
  if (c.parentArn && c.parentArn !== c.arn) out.push(c.parentArn);
  if (c.kind !== 'root') out.push(c.arn!);
  return out;
}

/** One value of a Principal element, compiled. */
export interface PrincipalEntry {
  type: 'AWS' | 'Service' | 'Federated' | 'CanonicalUser' | '*';
  value: string;
  /** An AWS value as an ARN, split once: its account, whether it is the account (root), its role name if a role; null if not an ARN. */
  aws?: AwsPrincipalValue | null;
}

interface AwsPrincipalValue {
  account: string;
  root: boolean;
  role: string | undefined;
}

export function principalEntry(type: PrincipalEntry['type'], value: string): PrincipalEntry {
  if (type !== 'AWS') return { type, value };
  // An account id stands for the account's root ARN.
  const arn = isAccountId(value) ? { account: value, resource: 'root' } : splitArn(value);
  const aws = arn ? { account: arn.account, root: arn.resource === 'root', role: arn.resource.startsWith('role/') ? lastSegment(arn.resource) : undefined } : null;
  return { type, value, aws };
}

/** "*" or {"AWS": "*"}: names every caller, anonymous ones included. */
export function namesEveryone(e: PrincipalEntry): boolean {
  return e.type === '*' || (e.type === 'AWS' && e.value === '*');
}

/** How this entry names the caller, or null. */
export function entryMatches(e: PrincipalEntry, c: Caller): PrincipalHow | null {
  if (namesEveryone(e)) return 'wildcard';
  if (e.type === 'Service') return c.kind === 'service' && c.name === e.value ? 'direct' : null;
  if (e.type === 'Federated') return c.kind === 'web_identity' && c.name === e.value ? 'direct' : null;
  if (e.type !== 'AWS' || c.account === undefined) return null;
  // Every AWS entry is made by principalEntry, so `aws` is set (null: not an ARN).
  const a = e.aws;
  if (!a) return null;
  if (a.root) return a.account === c.account ? 'account' : null;
  if (c.parentArn !== undefined) {
    if (c.kind === 'role_session' && a.role !== undefined && isRole(c.parentArn, a.account, a.role)) return 'via_parent';
    if (c.kind === 'federated_user' && e.value === c.parentArn) return 'via_parent';
  }
  return e.value === c.arn ? 'direct' : null;
}

/** Is the ARN the role of this name in this account (whatever its path)? */
function isRole(arn: string, account: string, name: string): boolean {
  const y = splitArn(arn);
  return !!y && y.account === account && y.resource.startsWith('role/') && lastSegment(y.resource) === name;
}

const RANK: Record<PrincipalHow, number> = { wildcard: 3, direct: 2, via_parent: 1, account: 0 };

/** The strongest way any entry names the caller. */
export function principalMatches(entries: readonly PrincipalEntry[], c: Caller): PrincipalHow | null {
  let best: PrincipalHow | null = null;
  for (const e of entries) {
    const how = entryMatches(e, c);
    if (how && (best === null || RANK[how] > RANK[best])) best = how;
  }
  return best;
}

/**
 * NotPrincipal: the caller is excluded only when every identity it has is listed (its account, its role or
 * user, and its session). A caller with a permissions boundary is never excluded by NotPrincipal + Deny.
 */
export function notPrincipalMatches(entries: readonly PrincipalEntry[], c: Caller): boolean {
  if (entries.some(namesEveryone)) return false;
  const ids = identities(c);
  if (ids.length === 0) return true;
  const listed = (id: string) =>
    entries.some((e) => {
      const v = e.type === 'AWS' && isAccountId(e.value) ? `arn:${c.partition}:iam::${e.value}:root` : e.value;
      return v === id || (c.kind === 'role_session' && id === c.parentArn && e.aws?.role !== undefined && isRole(id, e.aws.account, e.aws.role));
    });
  return !ids.every(listed);
}

/** AWS unique ids (AIDA..., AROA...) left in a policy after the user or role was deleted. */
export function isUniqueId(value: string): boolean {
  return /^A[A-Z]{3}[A-Z0-9]{12,}$/.test(value);
}
