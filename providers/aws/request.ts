/**
 * Turns a validated POST /v1/simulate body into the evaluator's request: the caller, the action, the
 * resource, the context and the compiled policies, each remembering where in the body it came from.
 */
import type { PolicyRef, Warning } from '../../src/core/decision.js';
import { InputError } from '../../src/core/problem.js';
import { arnProblem, parseArn, type Arn } from './arn.js';
import { BoundedMap } from '../../src/core/bounded.js';
import { partsOf, type ArnParts } from './arn-pattern.js';
import { actionName, actionStatus, isWildcardOnly, type ActionStatus } from './catalog.js';
import { buildContext, type ContextView, type RequestContext } from './context.js';
import { compiledPolicy } from './policy-cache.js';
import type { CompiledPolicy, PolicyKind, PolicyUse } from './policy.js';

export type { PolicyUse } from './policy.js';
import { makeCaller, parseCaller, type Caller } from './principal.js';

export interface Level {
  target: string;
  policies: PolicyUse[];
}

export interface SimulateOptions {
  principalAccountIsManagement?: boolean;
  resourceAccountIsManagement?: boolean;
  blockPublicAccess?: boolean;
  awsManagedKey?: boolean;
  missingContext?: 'unknown' | 'absent';
  /** Snapshot mode: a principal the snapshot lacks is answered as one with no policies, not a 404. */
  acceptUnknownPrincipal?: boolean;
  explain?: 'summary' | 'full';
}

export interface PolicyInput {
  name?: string;
  document: unknown;
}
interface LevelInput {
  target: string;
  policies: PolicyInput[];
}

export interface AwsSimulateBody {
  provider: 'aws';
  principal: string;
  sessionIssuer?: string;
  action: string;
  resource: string;
  resourceAccount?: string;
  context?: RequestContext;
  policies?: {
    identity?: PolicyInput[];
    resource?: PolicyInput;
    permissionsBoundary?: PolicyInput;
    session?: PolicyInput;
    scps?: LevelInput[];
    rcps?: LevelInput[];
    vpcEndpoint?: PolicyInput[];
  };
  options?: SimulateOptions;
}

export interface AwsRequest {
  caller: Caller;
  service: string;
  actionName: string;
  /** `${service}:${actionName}`, one string per action: the key of the action indexes. */
  actionKey: string;
  /** The action as AWS spells it, e.g. s3:GetObject. */
  action: string;
  /** The resource the request is authorized against ('*' for wildcard-only actions). */
  resource: string;
  resourceParts: ArnParts;
  resourceAccount?: string;
  ctx: ContextView;
  identity: PolicyUse[];
  resourcePolicy?: PolicyUse;
  boundary?: PolicyUse;
  session?: PolicyUse;
  scps?: Level[];
  rcps?: Level[];
  vpce: PolicyUse[];
  options: SimulateOptions;
  warnings: Warning[];
}

const ACTION_RE = /^([A-Za-z0-9-]+):([A-Za-z0-9_-]+)$/;

export function resourcePolicyType(service: string, actionName: string): string {
  if (service === 'sts' && actionName.startsWith('assumerole')) return 'role_trust_policy';
  if (service === 'kms') return 'key_policy';
  if (service === 's3') return 'bucket_policy';
  return 'resource_policy';
}

const MAX_CALLERS = 1024;
const callers = new BoundedMap<string, Caller | string>(MAX_CALLERS);

/**
 * Callers are parsed once per principal (a batch asks about the same few principals many times). Role
 * sessions, whose names usually differ from one request to the next, are parsed once per role: a session
 * of the same role differs only in its ARN and session name (the part after the last '/').
 */
export function callerOf(principal: string, sessionIssuer: string | undefined): Caller | string {
  const slash = principal.lastIndexOf('/');
  const session = slash !== -1 && principal.startsWith('arn:') && principal.includes(':assumed-role/');
  const key = `${session ? principal.slice(0, slash) : principal}\u0000${sessionIssuer ?? ''}`;
  const c = callers.get(key);
  if (c === undefined) {
    const parsed = parseCaller(principal, sessionIssuer);
    // An error names the principal it is about: it is kept for that principal alone.
    return session && typeof parsed === 'string' ? parsed : callers.remember(key, parsed);
  }
  if (!session || typeof c === 'string') return c;
  return makeCaller('role_session', principal, c.partition, c.account, c.name, { arn: principal, parentArn: c.parentArn, sessionName: principal.slice(slash + 1), serviceLinked: c.serviceLinked });
}

export interface ActionAndResource {
  service: string;
  actionName: string;
  actionKey: string;
  action: string;
  /** The resource authorized against: '*' for wildcard-only actions. */
  resource: string;
  /** `resource` split into its ARN parts. */
  resourceParts: ArnParts;
  /** The resource as the request named it. */
  named: string;
  /** `named` split, unless it is '*'. */
  arn?: Arn;
  /** The account in the resource ARN, if it carries one. */
  arnAccount?: string;
}

/** What the catalogue says about an action as a request spells it. */
interface ActionFacts {
  service: string;
  name: string;
  key: string;
  action: string;
  status: ActionStatus;
  wildcardOnly: boolean;
}

const MAX_ACTIONS = 1024;
const actions = new BoundedMap<string, ActionFacts>(MAX_ACTIONS);

function actionFacts(given: string): ActionFacts {
  const seen = actions.get(given);
  if (seen) return seen;
  const m = ACTION_RE.exec(given);
  if (!m) throw new InputError('invalid_request', '/action', `'${given}' is not an action: use service:ActionName without wildcards`);
  const service = m[1]!.toLowerCase();
  const name = m[2]!.toLowerCase();
  const facts = { service, name, key: `${service}:${name}`, action: `${service}:${actionName(service, name) ?? m[2]}`, status: actionStatus(service, name), wildcardOnly: isWildcardOnly(service, name) };
  return actions.remember(given, facts);
}

/** Reads the action and the resource of a request body (the same in custom and snapshot simulation). */
export function actionAndResource(body: { action: string; resource: string }, warnings: Warning[]): ActionAndResource {
  const { service, name, key, action, status, wildcardOnly } = actionFacts(body.action);
  if (status !== 'known') {
    warnings.push({ code: status, pointer: '/action', message: status === 'unknown_service' ? `'${service}' is not a known AWS service prefix` : `'${body.action}' is not a known action of ${service}` });
  }
  const out: ActionAndResource = { service, actionName: name, actionKey: key, action, resource: body.resource, resourceParts: null, named: body.resource };
  if (body.resource !== '*') {
    const arn = parseArn(body.resource);
    if (typeof arn === 'string') throw new InputError('invalid_arn', '/resource', arn);
    out.arn = arn;
    if (arn.account && arn.account !== 'aws') out.arnAccount = arn.account;
    if (wildcardOnly) {
      warnings.push({ code: 'wildcard_only_action', pointer: '/resource', message: `${action} does not take a resource: AWS authorizes it against "*"` });
      out.resource = '*';
    } else out.resourceParts = partsOf(arn);
  }
  return out;
}

/** A policy given in the request body (custom simulation, a session policy, an overlay document). */
export function inlinePolicyUse(kind: PolicyKind, input: PolicyInput, pointer: string, name: string, policyType: string, warnings: Warning[], attachedTo?: string): PolicyUse {
  const docPointer = `${pointer}/document`;
  let compiled: CompiledPolicy;
  try {
    compiled = compiledPolicy(kind, input.document);
  } catch (e) {
    throw e instanceof InputError ? e.under(docPointer) : e;
  }
  for (const w of compiled.warnings) warnings.push({ ...w, pointer: docPointer + (w.pointer ?? '') });
  const ref: PolicyRef = { id: pointer, name: input.name ?? name, type: policyType, source: { file: 'request', pointer: docPointer } };
  if (attachedTo) ref.attachedTo = attachedTo;
  return { kind, ref, compiled, docPointer };
}

export function sessionAllowed(caller: Caller): boolean {
  return caller.kind === 'role_session' || caller.kind === 'federated_user';
}

export function buildRequest(body: AwsSimulateBody): AwsRequest {
  const warnings: Warning[] = [];
  if (body.sessionIssuer !== undefined) {
    const problem = arnProblem(body.sessionIssuer);
    if (problem) throw new InputError('invalid_arn', '/sessionIssuer', problem);
  }
  const caller = callerOf(body.principal, body.sessionIssuer);
  if (typeof caller === 'string') throw new InputError('invalid_arn', '/principal', caller);
  if (caller.roleWithoutSession) {
    warnings.push({ code: 'role_as_principal', pointer: '/principal', message: 'a role ARN was given as the principal: it is evaluated as a session of the role' });
  }
  const ar = actionAndResource(body, warnings);
  if (ar.named !== '*' && !ar.arnAccount && body.resourceAccount === undefined) {
    throw new InputError('invalid_request', '/resourceAccount', `the resource ARN carries no account: give resourceAccount, the 12-digit account that owns it`);
  }
  const resourceAccount = body.resourceAccount ?? ar.arnAccount ?? (ar.named === '*' ? caller.account : undefined);

  const p = body.policies ?? {};
  const options = body.options ?? {};
  const type = resourcePolicyType(ar.service, ar.actionName);
  const use = (kind: PolicyKind, input: PolicyInput, pointer: string, name: string, policyType: string, attachedTo?: string) =>
    inlinePolicyUse(kind, input, pointer, name, policyType, warnings, attachedTo);
  const principalName = caller.kind === 'role_session' ? caller.parentArn : caller.kind === 'federated_user' ? caller.parentArn ?? caller.arn : caller.arn;
  const levels = (kind: 'scp' | 'rcp', list: LevelInput[] | undefined, key: string) =>
    list?.map((lvl, i) => ({
      target: lvl.target,
      policies: lvl.policies.map((pi, j) => use(kind, pi, `/policies/${key}/${i}/policies/${j}`, `${kind}-${i}-${j}`, kind, lvl.target)),
    }));

  if (p.session && !sessionAllowed(caller)) {
    throw new InputError('invalid_request', '/policies/session', 'session policies apply only to role sessions and federated users');
  }
  const req: AwsRequest = {
    caller,
    service: ar.service,
    actionName: ar.actionName,
    actionKey: ar.actionKey,
    action: ar.action,
    resource: ar.resource,
    resourceParts: ar.resourceParts,
    ctx: buildContext(
      { caller, resourceAccount, region: regionOf(ar), viaVpcEndpoint: (p.vpcEndpoint?.length ?? 0) > 0 },
      body.context,
      options.missingContext === 'absent',
    ),
    identity: (p.identity ?? []).map((pi, i) => use('identity', pi, `/policies/identity/${i}`, `identity-${i}`, 'identity', principalName)),
    vpce: (p.vpcEndpoint ?? []).map((pi, i) => use('vpc_endpoint', pi, `/policies/vpcEndpoint/${i}`, `vpce-${i}`, 'vpc_endpoint')),
    // Every field is set, in this order (policies compile, and warn, in it): one object shape for the evaluator.
    resourcePolicy: p.resource && use('resource', p.resource, '/policies/resource', type, type, ar.named),
    boundary: p.permissionsBoundary && use('permissions_boundary', p.permissionsBoundary, '/policies/permissionsBoundary', 'permissions-boundary', 'permissions_boundary', principalName),
    session: p.session && use('session', p.session, '/policies/session', 'session-policy', 'session', caller.arn),
    scps: levels('scp', p.scps, 'scps'),
    rcps: levels('rcp', p.rcps, 'rcps'),
    resourceAccount: resourceAccount || undefined,
    options,
    warnings,
  };
  return req;
}

/** aws:RequestedRegion: the named ARN's region, or us-east-1 for IAM and other global endpoints. */
export function regionOf(ar: ActionAndResource): string | undefined {
  if (ar.service === 'iam' || ar.service === 'organizations') return 'us-east-1';
  return ar.arn?.region || undefined;
}
