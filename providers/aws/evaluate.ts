/**
 * The AWS decision: explicit denies in every policy type first, then the guardrails (RCPs, SCPs, VPC
 * endpoint policies, service rules), then the grant path (identity, resource policy, boundary, session).
 * specs/aws.md 1.3 gives the algorithm; the documentation pages are named where each rule is applied.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 */
import type { Tri } from '../../src/core/decision.js';
import { supportsRcp } from './catalog.js';
import { anyApplies, isKept, keep, NO_HITS, runLayer, sameForAction, type Hit, type LayerName, type Run } from './layers.js';
import type { RequestEnv } from './match.js';
import type { PrincipalHow } from './principal.js';
import { compilePolicy } from './policy.js';
import { isPublicPolicy, isPublicStatement } from './public-policy.js';
import type { AwsRequest, Level, PolicyUse } from './request.js';

export function and(...xs: Tri[]): Tri {
  let out: Tri = true;
  for (const x of xs) {
    if (x === false) return false;
    if (x === 'unknown') out = 'unknown';
  }
  return out;
}

export function or(...xs: Tri[]): Tri {
  let out: Tri = false;
  for (const x of xs) {
    if (x === true) return true;
    if (x === 'unknown') out = 'unknown';
  }
  return out;
}

/** A layer that blocks: the cause when the answer is no. */
export interface Block {
  layer: LayerName;
  kind: 'missing_grant' | 'blocked_by_guardrail';
  use?: PolicyUse;
  level?: string;
  hit?: Hit;
  why: string;
}

/** One factor of the answer: its value, what blocks when it is false, and what is open when unknown. */
interface Factor {
  value: Tri;
  block: Block;
  open: Hit[];
}

export interface LevelRun {
  target: string;
  run: Run;
}

export interface Evaluation {
  req: AwsRequest;
  env: RequestEnv;
  sameAccount: boolean;
  applies: Record<LayerName, boolean | string>;
  runs: Partial<Record<LayerName, Run>>;
  levels: { scp?: LevelRun[]; rcp?: LevelRun[]; vpc_endpoint?: LevelRun[] };
  denies: Hit[];
  /** Overall grant (before explicit denies). */
  allow: Tri;
  block?: Block;
  openAllows: Hit[];
  grants: Hit[];
  rootGrant: boolean;
  bpaBlocked: Hit[];
}

// RCPFullAWSAccess is attached to every root, OU and account once RCPs are enabled, and cannot be detached.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
const RCP_FULL_ACCESS = compilePolicy('rcp', {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }],
});

function implicitRcp(target: string): PolicyUse {
  return {
    kind: 'rcp',
    compiled: RCP_FULL_ACCESS,
    docPointer: '',
    ref: { id: `RCPFullAWSAccess@${target}`, name: 'RCPFullAWSAccess', type: 'rcp', attachedTo: target, implicit: true },
  };
}

const TRUST_ACTIONS = new Set(['assumerole', 'assumerolewithsaml', 'assumerolewithwebidentity', 'tagsession', 'setsourceidentity', 'setcontext']);

function hasIdentityPolicies(kind: string): boolean {
  return kind === 'user' || kind === 'role_session' || kind === 'federated_user';
}

/** https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html (what SCPs do not affect) */
function scpApplies(req: AwsRequest): boolean | string {
  if (!req.scps) return 'no SCPs were given';
  if (req.options.principalAccountIsManagement) return 'the management account is not affected by SCPs';
  if (!hasIdentityPolicies(req.caller.kind) && req.caller.kind !== 'root') return 'SCPs apply only to IAM principals of member accounts';
  if (req.caller.serviceLinked) return 'service-linked roles are not affected by SCPs';
  return true;
}

/** https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html (what RCPs do not affect) */
function rcpApplies(req: AwsRequest): boolean | string {
  if (!req.rcps) return 'no RCPs were given';
  if (req.options.resourceAccountIsManagement) return 'resources of the management account are not affected by RCPs';
  if (!supportsRcp(req.service)) return `${req.service} does not support RCPs`;
  if (req.caller.serviceLinked) return 'calls by service-linked roles are not affected by RCPs';
  if (req.service === 'kms' && req.options.awsManagedKey) return 'AWS managed KMS keys are not affected by RCPs';
  if (req.service === 'kms' && req.actionName === 'retiregrant') return 'kms:RetireGrant is not affected by RCPs';
  return true;
}

function levelUses(layer: 'scp' | 'rcp', lvl: Level): readonly PolicyUse[] {
  return layer === 'rcp' ? [implicitRcp(lvl.target), ...lvl.policies] : lvl.policies;
}

/** For a level a snapshot keeps: its policies as run, and its runs by action when they are the same for every request. */
interface KeptLevel {
  uses: readonly PolicyUse[];
  runs: Map<string, LevelRun | null>;
}
const keptLevels = new WeakMap<Level, KeptLevel>();
/** For an account's levels: their runs by action when each level's is the same for every request. */
const keptPaths = new WeakMap<readonly Level[], Map<string, LevelRun[] | null>>();
const MAX_KEPT_RUNS = 256;

/** A kept level's run; itself kept when it is the same for every request with the action. */
function keptRun(layer: 'scp' | 'rcp', lvl: Level, env: RequestEnv): LevelRun {
  let kept = keptLevels.get(lvl);
  if (!kept) keptLevels.set(lvl, (kept = { uses: keep(levelUses(layer, lvl)), runs: new Map() }));
  const seen = kept.runs.get(env.actionKey);
  if (seen) return seen;
  const levelRun = { target: lvl.target, run: runLayer(layer, kept.uses, env, false, lvl.target) };
  if (seen === undefined && kept.runs.size < MAX_KEPT_RUNS) kept.runs.set(env.actionKey, sameForAction(kept.uses, env) ? keep(levelRun) : null);
  return levelRun;
}

function keptPathRuns(layer: 'scp' | 'rcp', levels: readonly Level[], env: RequestEnv): LevelRun[] {
  let runs = keptPaths.get(levels);
  if (!runs) keptPaths.set(levels, (runs = new Map()));
  const seen = runs.get(env.actionKey);
  if (seen) return seen;
  const out = levels.map((lvl) => keptRun(layer, lvl, env));
  if (seen === undefined && runs.size < MAX_KEPT_RUNS) runs.set(env.actionKey, out.every(isKept) ? keep(out) : null);
  return out;
}

function runLevels(layer: 'scp' | 'rcp', levels: Level[], env: RequestEnv, full: boolean): LevelRun[] {
  if (!full && isKept(levels)) return keptPathRuns(layer, levels, env);
  return levels.map((lvl) => ({ target: lvl.target, run: runLayer(layer, levelUses(layer, lvl), env, full, lvl.target) }));
}

/** Each level (root first) must allow; the first that does not is the block. */
function levelsFactor(layer: 'scp' | 'rcp' | 'vpc_endpoint', levels: LevelRun[]): Factor {
  const open: Hit[] = [];
  let value: Tri = true;
  for (const { target, run } of levels) {
    if (run.allowed === false) {
      const use = layer === 'vpc_endpoint' ? run.uses[0] : undefined;
      const why = layer === 'vpc_endpoint' ? 'no statement of the endpoint policy allows the request' : `no statement attached to ${target} allows the request`;
      const block: Block = { layer, kind: 'blocked_by_guardrail', why };
      if (use) block.use = use;
      else block.level = target;
      return { value: false, block, open: [] };
    }
    if (run.allowed === 'unknown') {
      value = 'unknown';
      open.push(...run.allows.filter((h) => h.out.applies === 'unknown'));
    }
  }
  return { value, block: { layer, kind: 'blocked_by_guardrail', why: '' }, open };
}

function layerFactor(layer: LayerName, value: Tri, hits: Hit[], block: Omit<Block, 'layer'>): Factor {
  return { value, block: { layer, ...block }, open: value === 'unknown' ? hits.filter((h) => h.out.applies === 'unknown') : [] };
}

/** Service rules outside policies. */
function serviceRule(req: AwsRequest): Block | undefined {
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html: root user credentials cannot assume roles.
  if (req.caller.kind === 'root' && req.service === 'sts' && req.actionName.startsWith('assumerole')) {
    return { layer: 'service_rule', kind: 'missing_grant', why: 'the root user cannot assume roles (Roles may not be assumed by root accounts)' };
  }
  // AWS managed key aliases (alias/aws/...) are reserved for AWS.
  // https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html
  if (req.service === 'kms' && /^(create|delete|update)alias$/.test(req.actionName) && /:alias\/aws\//.test(req.resource)) {
    return { layer: 'service_rule', kind: 'missing_grant', why: 'aliases that begin with alias/aws/ are reserved for AWS managed keys' };
  }
  return undefined;
}

export function evaluate(req: AwsRequest, full: boolean): Evaluation {
  const c = req.caller;
  const env: RequestEnv = { caller: c, service: req.service, actionName: req.actionName, actionKey: req.actionKey, resource: req.resource, resourceParts: req.resourceParts, ctx: req.ctx, hasBoundary: !!req.boundary && hasIdentityPolicies(c.kind) };
  const sameAccount = c.account !== undefined && c.account === req.resourceAccount;
  const isSession = c.kind === 'role_session' || c.kind === 'federated_user';
  const applies: Evaluation['applies'] = {
    scp: scpApplies(req),
    rcp: rcpApplies(req),
    vpc_endpoint: req.vpce.length ? true : 'the request does not go through a VPC endpoint',
    resource: req.resourcePolicy ? true : 'no resource-based policy was given',
    identity: c.kind === 'root' ? 'the root user has every permission in its own account and no identity-based policies' : c.outsideSnapshot ? `account ${c.account} is not in the snapshot: its identity-based policies are taken to allow` : hasIdentityPolicies(c.kind) ? true : `a ${c.kind.replace('_', ' ')} has no identity-based policies`,
    permissions_boundary: !req.boundary ? 'no permissions boundary' : hasIdentityPolicies(c.kind) ? true : 'the caller cannot have a permissions boundary',
    session: isSession ? (req.session ? true : c.kind === 'federated_user' ? 'a federated user without a session policy has no permissions' : 'no session policy') : 'not a session',
    s3_block_public_access: 'not an S3 request with RestrictPublicBuckets on',
    service_rule: 'no service rule applies',
  };
  const runs: Evaluation['runs'] = {};
  const levels: Evaluation['levels'] = {};
  if (applies.scp === true) levels.scp = runLevels('scp', req.scps!, env, full);
  if (applies.rcp === true) levels.rcp = runLevels('rcp', req.rcps!, env, full);
  if (applies.vpc_endpoint === true) levels.vpc_endpoint = req.vpce.map((u) => ({ target: u.ref.name, run: runLayer('vpc_endpoint', [u], env, full) }));
  if (applies.resource === true) runs.resource = runLayer('resource', [req.resourcePolicy!], env, full);
  if (applies.identity === true) runs.identity = runLayer('identity', req.identity, env, full);
  if (applies.permissions_boundary === true) runs.permissions_boundary = runLayer('permissions_boundary', [req.boundary!], env, full);
  if (applies.session === true) runs.session = runLayer('session', [req.session!], env, full);

  // 1. Explicit deny anywhere is final (all of them are reported).
  const denies: Hit[] = [];
  for (const lv of [levels.scp, levels.rcp, levels.vpc_endpoint]) for (const l of lv ?? []) denies.push(...l.run.denies);
  for (const layer of ['resource', 'identity', 'permissions_boundary', 'session'] as const) denies.push(...(runs[layer]?.denies ?? []));

  // 2. Guardrails: RCPs, SCPs, endpoint policies, service rules.
  const factors: Factor[] = [];
  if (levels.rcp) factors.push(levelsFactor('rcp', levels.rcp));
  if (levels.scp) factors.push(levelsFactor('scp', levels.scp));
  if (levels.vpc_endpoint) factors.push(levelsFactor('vpc_endpoint', levels.vpc_endpoint));
  const rule = serviceRule(req);
  if (rule) {
    applies.service_rule = true;
    factors.push({ value: false, block: rule, open: [] });
  }

  // 3. The grant path.
  const grant = grantPath(req, runs, sameAccount, applies);
  factors.push(...grant.factors);

  const ev: Evaluation = {
    req, env, sameAccount, applies, runs, levels, denies,
    allow: and(...factors.map((f) => f.value)),
    openAllows: [],
    grants: grant.grants,
    rootGrant: grant.rootGrant,
    bpaBlocked: grant.bpaBlocked,
  };
  const blocking = factors.find((f) => f.value === false);
  if (blocking) ev.block = blocking.block;
  else ev.openAllows = factors.filter((f) => f.value === 'unknown').flatMap((f) => f.open);
  return ev;
}

/** The hits that apply or may apply. */
function trueHits(hs: Hit[] | undefined): Hit[] {
  return hs?.length ? hs.filter((h) => h.out.applies !== false) : NO_HITS;
}

/** The hits that surely apply. */
function trueOf(hs: Hit[]): Hit[] {
  return hs.length ? hs.filter((h) => h.out.applies === true) : NO_HITS;
}

/** The resource-policy allows that name the caller in one of these ways. */
function byHow(hits: Hit[], how: PrincipalHow, or?: PrincipalHow): Hit[] {
  return hits.length ? hits.filter((h) => h.out.how === how || (or !== undefined && h.out.how === or)) : NO_HITS;
}

interface GrantPath {
  factors: Factor[];
  grants: Hit[];
  rootGrant: boolean;
  bpaBlocked: Hit[];
}

/**
 * Identity, boundary, session and resource policy, combined as specs/aws.md 1.3 and the table in 1.6:
 * which principal a resource-policy Allow names decides what its grant overrides.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-basics
 */
function grantPath(req: AwsRequest, runs: Evaluation['runs'], sameAccount: boolean, applies: Evaluation['applies']): GrantPath {
  const c = req.caller;
  let rbpAllows = trueHits(runs.resource?.allows);
  let bpaBlocked = NO_HITS;

  // S3 Block Public Access, RestrictPublicBuckets: a public bucket policy serves only AWS service principals
  // and principals of the bucket owner's account; every other grant in it is ignored.
  if (req.options.blockPublicAccess && req.service === 's3' && req.resourcePolicy) {
    applies.s3_block_public_access = isPublicPolicy(req.resourcePolicy.compiled)
      ? true
      : 'the bucket policy is not public';
    if (applies.s3_block_public_access === true && !sameAccount && c.kind !== 'service') {
      bpaBlocked = rbpAllows;
      rbpAllows = NO_HITS;
    }
  }
  const direct = byHow(rbpAllows, 'wildcard', 'direct');
  const via = byHow(rbpAllows, 'via_parent');
  const account = byHow(rbpAllows, 'account');
  const gDirect = anyApplies(direct);
  const gVia = anyApplies(via);
  const gAccount = anyApplies(account);

  const resourceBlock = (): Omit<Block, 'layer'> => {
    if (bpaBlocked.length) return { kind: 'blocked_by_guardrail', use: req.resourcePolicy!, hit: bpaBlocked.find((h) => isPublicStatement(h.st)) ?? bpaBlocked[0]!, why: 'RestrictPublicBuckets limits a public bucket policy to AWS service principals and the bucket owner\'s account' };
    const b: Omit<Block, 'layer'> = { kind: 'missing_grant', why: req.resourcePolicy ? 'no statement of the resource-based policy allows the caller' : 'no resource-based policy was given, and this request needs one' };
    if (req.resourcePolicy) b.use = req.resourcePolicy;
    return b;
  };
  const resourceFactor = (value: Tri, hits: Hit[]): Factor =>
    layerFactor(bpaBlocked.length ? 's3_block_public_access' : 'resource', value, hits, resourceBlock());

  // Callers outside IAM: only the resource policy can grant.
  if (c.kind === 'anonymous' || c.kind === 'service' || c.kind === 'web_identity') {
    return { factors: [resourceFactor(gDirect, direct)], grants: direct.filter((h) => h.out.applies === true), rootGrant: false, bpaBlocked };
  }

  const idHits = trueHits(runs.identity?.allows);
  const id: Tri = c.kind === 'root' || c.outsideSnapshot ? true : anyApplies(idHits);
  const pbHits = trueHits(runs.permissions_boundary?.allows);
  const pb: Tri = runs.permissions_boundary ? anyApplies(pbHits) : true;
  const spHits = trueHits(runs.session?.allows);
  // A federated user's session policy is required; a role session without one keeps the role's permissions.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
  const sp: Tri = runs.session ? anyApplies(spHits) : c.kind === 'federated_user' ? false : true;

  const identityF = (value: Tri, hits: Hit[]) => layerFactor('identity', value, hits, { kind: 'missing_grant', why: 'no identity-based policy allows the request' });
  // The boundary's and the session policy's factors, made only where a branch needs them.
  const pbF = () => layerFactor('permissions_boundary', pb, pbHits, { kind: 'blocked_by_guardrail', use: req.boundary!, why: 'the permissions boundary does not allow the request' });
  const spF = () => {
    const spBlock: Omit<Block, 'layer'> = { kind: 'blocked_by_guardrail', why: runs.session ? 'the session policy does not allow the request' : 'a federated user without a session policy has no permissions' };
    if (req.session) spBlock.use = req.session;
    return layerFactor('session', sp, spHits, spBlock);
  };
  const rootGrant = c.kind === 'root';

  const trustMode = req.service === 'sts' && TRUST_ACTIONS.has(req.actionName) && req.resource.includes(':role/');
  const keyMode = req.service === 'kms';
  if (!sameAccount) {
    // Cross-account: the principal's account and the resource's account must both allow.
    const g = or(gDirect, gVia, gAccount);
    return {
      factors: [identityF(id, idHits), pbF(), spF(), resourceFactor(g, [...direct, ...via, ...account])],
      grants: [...trueOf(idHits), ...trueOf([...direct, ...via, ...account])],
      rootGrant,
      bpaBlocked,
    };
  }
  if (trustMode || keyMode) {
    // Role trust policies and KMS key policies must allow even in the same account; an account principal
    // delegates to IAM policies. A caller's boundary must allow AssumeRole even when the trust names it.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
    const pbTrust: Tri = trustMode && runs.permissions_boundary ? pb : true;
    const viaPath = or(gVia, and(gAccount, id));
    const value = or(and(gDirect, pbTrust), and(viaPath, pb, sp));
    const grants = [...trueOf(direct), ...trueOf(via), ...(id === true ? [...trueOf(account), ...trueOf(idHits)] : [])];
    if (value !== false) {
      const open = value === 'unknown' ? [...direct, ...via, ...account, ...idHits, ...pbHits, ...spHits].filter((h) => h.out.applies === 'unknown') : [];
      return { factors: [{ value, block: { layer: 'resource', kind: 'missing_grant', why: '' }, open }], grants, rootGrant: false, bpaBlocked };
    }
    const any = or(gDirect, gVia, gAccount);
    let f: Factor;
    if (any === false) f = resourceFactor(false, []);
    else if (gDirect !== false && pbTrust === false) f = pbF();
    else if (viaPath === false) f = identityF(false, []);
    else f = pb === false ? pbF() : spF();
    return { factors: [f], grants: [], rootGrant: false, bpaBlocked };
  }
  // Same account: identity path, or a resource-policy grant that stands in for it.
  const left = or(id, gVia);
  const value = or(gDirect, and(left, pb, sp));
  if (value === false) {
    const f = left === false ? identityF(false, []) : pb === false ? pbF() : spF();
    return { factors: [f], grants: [], rootGrant: false, bpaBlocked };
  }
  const grants = [...trueOf(direct), ...(and(left, pb, sp) === true ? [...trueOf(idHits), ...trueOf(via)] : [])];
  const open = value === 'unknown' ? [...direct, ...via, ...idHits, ...pbHits, ...spHits].filter((h) => h.out.applies === 'unknown') : [];
  return { factors: [{ value, block: { layer: 'identity', kind: 'missing_grant', why: '' }, open }], grants, rootGrant: rootGrant && and(left, pb, sp) === true, bpaBlocked };
}
