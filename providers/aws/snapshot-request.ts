/**
 * A request against a snapshot: the principal, its groups, boundary, the SCPs on its account's path, the
 * resource's policy, owner and RCPs are all found in the estate; an overlay changes policies for this
 * request only.
 */
import type { Warning } from '../../src/core/decision.js';
import type { PrincipalNode } from '../../src/core/graph.js';
import { notFound } from '../../src/core/close-match.js';
import { InputError } from '../../src/core/problem.js';
import { arnProblem } from './arn.js';
import { buildContext, known, oneFact, type ContextFacts, type Facts, type RequestContext } from './context.js';
import type { AccountFacts, AwsEstate, Holding, Overlay, ResourceView } from './estate.js';
import type { PolicyKind, PolicyUse } from './policy.js';
import { makeCaller, type Caller } from './principal.js';
import {
  actionAndResource, callerOf, inlinePolicyUse, regionOf, resourcePolicyType, sessionAllowed,
  type ActionAndResource, type AwsRequest, type PolicyInput, type SimulateOptions,
} from './request.js';
import { lookupTable } from '../../src/core/lookup-table.js';

export interface OverlayInput {
  add?: { name?: string; attachment: 'identity' | 'boundary' | 'scp' | 'rcp' | 'resource' | 'trust'; target: string; document: unknown }[];
  replace?: { id: string; document: unknown }[];
  remove?: string[];
}

export interface AwsSnapshotBody {
  provider: 'aws';
  snapshot?: string;
  principal: string;
  sessionIssuer?: string;
  action: string;
  resource: string;
  resourceAccount?: string;
  context?: RequestContext;
  policies?: { session?: PolicyInput };
  overlay?: OverlayInput;
  options?: SimulateOptions;
}

const ATTACHMENT_KIND: Record<string, PolicyKind> = lookupTable({ identity: 'identity', boundary: 'permissions_boundary', scp: 'scp', rcp: 'rcp', resource: 'resource', trust: 'resource' });

function parseOverlay(estate: AwsEstate, input: OverlayInput | undefined, warnings: Warning[]): Overlay | undefined {
  if (!input) return undefined;
  const g = estate.snapshot.graph;
  const removed = new Set<string>();
  const replaced = new Map<string, (attachment: string, attachedTo: string) => PolicyUse>();
  const added = new Map<string, PolicyUse[]>();
  (input.remove ?? []).forEach((id, i) => {
    if (!g.policy(id)) throw notFound(`/overlay/remove/${i}`, 'policy', id, g.data.policies.map((p) => p.id));
    removed.add(id);
  });
  (input.replace ?? []).forEach((r, i) => {
    const node = g.policy(r.id);
    if (!node) throw notFound(`/overlay/replace/${i}/id`, 'policy', r.id, g.data.policies.map((p) => p.id));
    const uses = new Map<string, PolicyUse>();
    for (const a of g.attachmentsOf(r.id)) {
      const kind = ATTACHMENT_KIND[a.kind];
      if (kind && !uses.has(a.kind)) uses.set(a.kind, inlinePolicyUse(kind, { name: node.name, document: r.document }, `/overlay/replace/${i}`, node.name, 'overlay', warnings));
    }
    replaced.set(r.id, (attachment, attachedTo) => ({ ...uses.get(attachment)!, ref: { ...uses.get(attachment)!.ref, id: r.id, attachedTo } }));
  });
  (input.add ?? []).forEach((a, i) => {
    const use = inlinePolicyUse(ATTACHMENT_KIND[a.attachment]!, { name: a.name ?? `overlay-${i}`, document: a.document }, `/overlay/add/${i}`, `overlay-${i}`, 'overlay', warnings, a.target);
    const key = `${a.attachment}\u0000${a.target}`;
    added.set(key, [...(added.get(key) ?? []), use]);
  });
  return { removed, replaced, added, warnings };
}

interface Resolved {
  caller: Caller;
  node?: PrincipalNode;
  /** The user or role whose identity policies and boundary apply. */
  holder?: PrincipalNode;
}

function resolvePrincipal(estate: AwsEstate, body: AwsSnapshotBody, warnings: Warning[]): Resolved {
  const parsed = callerOf(body.principal, body.sessionIssuer);
  if (typeof parsed === 'string') throw new InputError('invalid_arn', '/principal', parsed);
  const caller = makeCaller(parsed.kind, parsed.display, parsed.partition, parsed.account, parsed.name, parsed);
  if (caller.kind === 'anonymous' || caller.kind === 'service' || caller.kind === 'web_identity' || caller.kind === 'root') return { caller };
  const account = caller.account!;
  const candidates = () => [...estate.principals.values()].filter((p) => p.scope === account && p.kind !== 'group').map((p) => p.id);
  if (caller.kind === 'user') {
    const node = estate.principals.get(caller.arn!);
    if (node?.kind === 'user') return { caller, node, holder: node };
  } else if (caller.kind === 'role_session') {
    const role = estate.roleByName.get(`${account}/${caller.name}`);
    if (role) {
      caller.parentArn = role.id;
      caller.serviceLinked = role.attrs?.serviceLinked === true || caller.serviceLinked;
      return { caller, node: role, holder: role };
    }
  } else if (caller.kind === 'federated_user') {
    if (!body.sessionIssuer) throw new InputError('invalid_request', '/sessionIssuer', 'a federated user needs sessionIssuer: the IAM user that called GetFederationToken');
    const user = estate.principals.get(body.sessionIssuer);
    if (user?.kind !== 'user') throw notFound('/sessionIssuer', 'user', body.sessionIssuer, candidates());
    return { caller, holder: user };
  }
  if (!estate.account(account)) {
    warnings.push({ code: 'principal_outside_snapshot', pointer: '/principal', message: `account ${account} is not in the snapshot: the principal's identity policies, boundary and SCPs are unknown and taken to allow, so the answer is what the resource's side allows` });
    caller.outsideSnapshot = true;
    return { caller };
  }
  if (body.options?.acceptUnknownPrincipal) {
    warnings.push({ code: 'principal_not_in_snapshot', pointer: '/principal', message: `${body.principal} is not in the snapshot: answered as a principal with no policies of its own` });
    return { caller };
  }
  throw notFound('/principal', 'principal', body.principal, candidates());
}

interface ResourceFacts {
  view?: ResourceView;
  account?: string;
  policy?: PolicyUse;
}

function resolveResource(estate: AwsEstate, body: AwsSnapshotBody, ar: ActionAndResource, caller: Caller, overlay: Overlay | undefined): ResourceFacts {
  const g = estate.snapshot.graph;
  const { service, named } = ar;
  const arn = ar.arn;
  if (!arn) return caller.account ? { account: caller.account } : {};
  const trust = service === 'sts' && ar.actionName.startsWith('assumerole') && arn.resource.startsWith('role/');
  if (trust) {
    const role = estate.principals.get(named) ?? estate.roleByName.get(`${arn.account}/${arn.resource.slice(arn.resource.lastIndexOf('/') + 1)}`);
    if (!role) {
      if (estate.knowsAccount(arn.account)) throw notFound('/resource', 'role', named, [...estate.principals.values()].filter((p) => p.kind === 'role').map((p) => p.id));
      return { account: arn.account };
    }
    const out: ResourceFacts = { account: role.scope! };
    const policy = estate.resourcePolicy(role.id, 'trust', overlay);
    if (policy) out.policy = policy;
    return out;
  }
  // An S3 object is governed by its bucket's policy and owner.
  const slash = service === 's3' ? arn.resource.indexOf('/') : -1;
  const bucket = slash !== -1 ? `arn:${arn.partition}:s3:::${arn.resource.slice(0, slash)}` : undefined;
  let node = g.scope(named);
  if (!node?.resource) node = bucket !== undefined ? g.scope(bucket) : undefined;
  if (node?.resource) {
    const view = estate.resourceView(node, overlay);
    const out: ResourceFacts = { view, account: node.parent! };
    if (view.policy) out.policy = view.policy;
    return out;
  }
  const resources = () => g.data.scopes.filter((s) => s.resource).map((s) => s.id);
  if (service === 's3' && !body.resourceAccount) throw notFound('/resource', 'bucket', bucket ?? named, resources());
  if (service === 'kms' && arn.resource.startsWith('key/') && estate.knowsAccount(arn.account)) throw notFound('/resource', 'KMS key', named, resources());
  return { account: body.resourceAccount ?? (arn.account || undefined) };
}

/** The snapshot's accounts of the caller and of the resource, when it holds them. */
interface Accounts {
  principal: AccountFacts | undefined;
  resource: AccountFacts | undefined;
}

const PRINCIPAL_TAGS = ['aws:principaltag/'];
const RESOURCE_TAGS = ['aws:resourcetag/'];
const ALL_TAGS = [...PRINCIPAL_TAGS, ...RESOURCE_TAGS];

/** Facts the snapshot knows about the principal and the resource, for condition keys (each map is kept by the estate). */
function contextFacts(r: Resolved, held: Holding | undefined, res: ResourceFacts, accounts: Accounts): Pick<ContextFacts, 'extras' | 'completePrefixes'> {
  const extras: Facts[] = [];
  const holder = r.holder;
  if (holder && held) {
    extras.push(held.tags);
    const uid = holder.attrs?.uniqueId;
    if (typeof uid === 'string' && holder === r.node) {
      if (holder.kind === 'user') extras.push(oneFact('aws:userid', known([uid])));
      else if (r.caller.sessionName) extras.push(oneFact('aws:userid', known([`${uid}:${r.caller.sessionName}`])));
    }
  }
  if (accounts.principal && r.caller.kind !== 'anonymous' && r.caller.kind !== 'service') extras.push(accounts.principal.principalOrg);
  if (accounts.resource) extras.push(accounts.resource.resourceOrg);
  if (res.view) extras.push(res.view.tags);
  return { extras, completePrefixes: holder ? (res.view ? ALL_TAGS : PRINCIPAL_TAGS) : res.view ? RESOURCE_TAGS : [] };
}

/** A resource policy named for the request's kind (bucket policy, key policy, trust policy); kept in `named` when given. */
function typedAs(use: PolicyUse, type: string, named: Map<string, PolicyUse> | undefined): PolicyUse {
  let out = named?.get(type);
  if (!out) {
    out = { ...use, ref: { ...use.ref, type } };
    named?.set(type, out);
  }
  return out;
}

export function buildSnapshotRequest(estate: AwsEstate, body: AwsSnapshotBody): AwsRequest {
  const warnings: Warning[] = [];
  if (body.sessionIssuer !== undefined) {
    const problem = arnProblem(body.sessionIssuer);
    if (problem) throw new InputError('invalid_arn', '/sessionIssuer', problem);
  }
  const ar = actionAndResource(body, warnings);
  const overlay = parseOverlay(estate, body.overlay, warnings);
  const r = resolvePrincipal(estate, body, warnings);
  const { caller } = r;
  const res = resolveResource(estate, body, ar, caller, overlay);
  if (!res.view && !res.policy && ar.named !== '*' && ['sqs', 'sns', 'lambda', 'secretsmanager', 'ecr'].includes(ar.service)) {
    warnings.push({ code: 'resource_not_in_snapshot', pointer: '/resource', message: `${ar.named} is not in the snapshot: evaluated as having no resource policy` });
  }
  if (body.policies?.session && !sessionAllowed(caller)) {
    throw new InputError('invalid_request', '/policies/session', 'session policies apply only to role sessions and federated users');
  }
  const held = r.holder ? estate.holderPolicies(r.holder, overlay) : undefined;
  const accounts: Accounts = { principal: caller.account ? estate.account(caller.account) : undefined, resource: res.account ? estate.account(res.account) : undefined };
  const facts = contextFacts(r, held, res, accounts);
  const options: SimulateOptions = {
    ...body.options,
    principalAccountIsManagement: estate.isManagement(caller.account),
    resourceAccountIsManagement: estate.isManagement(res.account),
    blockPublicAccess: res.view?.restrictPublic === true,
    awsManagedKey: res.view?.node.attrs?.keyManager === 'AWS',
  };
  const reqWarnings = [...warnings];
  const ctxFacts: ContextFacts = { caller, resourceAccount: res.account, region: regionOf(ar), viaVpcEndpoint: false, extras: facts.extras, completePrefixes: facts.completePrefixes };
  // Every field is set: one object shape for the evaluator, whatever the request.
  return {
    caller,
    service: ar.service,
    actionName: ar.actionName,
    actionKey: ar.actionKey,
    action: ar.action,
    resource: ar.resource,
    resourceParts: ar.resourceParts,
    ctx: buildContext(ctxFacts, body.context, options.missingContext === 'absent'),
    identity: held?.identity ?? [],
    vpce: [],
    resourcePolicy: res.policy && typedAs(res.policy, resourcePolicyType(ar.service, ar.actionName), res.view?.named),
    boundary: held?.boundary,
    session: body.policies?.session && inlinePolicyUse('session', body.policies.session, '/policies/session', 'session-policy', 'session', reqWarnings, caller.arn),
    scps: accounts.principal && (overlay ? estate.levels('scp', caller.account!, overlay) : accounts.principal.scps),
    rcps: accounts.resource && (overlay ? estate.levels('rcp', res.account!, overlay) : accounts.resource.rcps),
    resourceAccount: res.account || undefined,
    options,
    warnings: reqWarnings,
  };
}
