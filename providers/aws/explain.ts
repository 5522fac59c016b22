/**
 * Turns an evaluation into the common answer: decision, reason, the AccessDenied message as AWS words
 * it, causes, the layer trace, missing context and near misses.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
import type { Cause, Decision, LayerTrace, LayerVerdict, MissingContext, NearMiss, PolicyRef, PolicyTrace, StatementRef, Tri } from '../../src/core/decision.js';
import type { Block, Evaluation, LevelRun } from './evaluate.js';
import { isKept, newTrace, sourceOf, type Hit, type LayerName, type Run } from './layers.js';
import { matchStatement } from './match.js';
import type { PolicyUse } from './request.js';

/** The policy type as AccessDenied messages name it. */
const MESSAGE_NAMES: Partial<Record<LayerName, string>> = {
  identity: 'identity-based policy',
  resource: 'resource-based policy',
  permissions_boundary: 'permissions boundary',
  session: 'session policy',
  scp: 'service control policy',
  rcp: 'resource control policy',
  vpc_endpoint: 'VPC endpoint policy',
};

const LAYER_ORDER: LayerName[] = ['scp', 'rcp', 'vpc_endpoint', 'resource', 'identity', 'permissions_boundary', 'session', 's3_block_public_access', 'service_rule'];

/** Services whose protocol returns AccessDenied; EC2 says UnauthorizedOperation; JSON services AccessDeniedException. */
const ACCESS_DENIED = new Set(['s3', 'iam', 'sts', 'sns', 'sqs', 'cloudformation', 'autoscaling', 'elasticloadbalancing', 'rds', 'ses', 'elasticache', 'redshift', 'cloudwatch', 'elasticbeanstalk', 'sdb', 'cloudsearch']);

function errorCode(service: string): string {
  if (service === 'ec2') return 'UnauthorizedOperation';
  return ACCESS_DENIED.has(service) ? 'AccessDenied' : 'AccessDeniedException';
}

function statementRef(h: Hit, source = sourceOf(h.use, h.st)): StatementRef {
  const ref: StatementRef = { index: h.st.index, source };
  if (h.st.sid !== undefined && h.st.sid !== '') ref.sid = h.st.sid;
  return ref;
}

function policyRef(use: PolicyUse): PolicyRef {
  return use.ref;
}

const KIND_LABEL: Partial<Record<LayerName, string>> = { scp: 'SCP', rcp: 'RCP', permissions_boundary: 'permissions boundary', session: 'session policy', vpc_endpoint: 'endpoint policy' };

/** "SCP DenyOutsideEU attached to ou-ab12 (Workloads), statement 2 (Sid DenyAll), fixtures/aws/org.json line 41" */
function label(h: Hit, src = sourceOf(h.use, h.st)): string {
  const ref = h.use.ref;
  const kind = KIND_LABEL[h.layer];
  const attached = ref.attachedTo && (h.layer === 'scp' || h.layer === 'rcp' || h.use.file) ? ` attached to ${ref.attachedTo}` : '';
  const st = `statement ${h.st.index}${h.st.sid ? ` (Sid ${h.st.sid})` : ''}`;
  const where = src.line === undefined ? '' : src.file === 'request' ? `, line ${src.line} of its text` : `, ${src.file} line ${src.line}`;
  return `${kind ? `${kind} ` : ''}${ref.name}${attached}, ${st}${where}`;
}

function hitCause(kind: Cause['kind'], h: Hit, why: string): Cause {
  const c: Cause = { kind, layer: h.layer, policy: policyRef(h.use), statement: statementRef(h), why };
  if (h.level !== undefined && (h.layer === 'scp' || h.layer === 'rcp')) c.level = h.level;
  return c;
}

function blockCause(b: Block): Cause {
  const c: Cause = { kind: b.kind, layer: b.layer, why: b.why };
  if (b.use) c.policy = policyRef(b.use);
  if (b.hit) c.statement = statementRef(b.hit);
  if (b.level !== undefined) c.level = b.level;
  return c;
}

function uniqueKeys(keys: string[]): string[] {
  const seen = new Map<string, string>();
  for (const k of keys) if (!seen.has(k.toLowerCase())) seen.set(k.toLowerCase(), k);
  return [...seen.values()];
}

function conditionWhy(h: Hit): string {
  const keys = uniqueKeys(h.out.unknownKeys);
  return keys.length ? ` if its condition on ${keys.join(', ')} holds` : '';
}

function message(ev: Evaluation, layer: LayerName, explicit: boolean): string {
  const { req } = ev;
  const head = `User: ${req.caller.display} is not authorized to perform: ${req.action} on resource: ${req.resource}`;
  if (layer === 'service_rule' && req.caller.kind === 'root' && req.service === 'sts') return 'Roles may not be assumed by root accounts.';
  if (layer === 's3_block_public_access') return `${head} because public access to the bucket is blocked by the S3 Block Public Access setting RestrictPublicBuckets`;
  if (layer === 'service_rule') return `${head} because AWS reserves this operation`;
  const name = MESSAGE_NAMES[layer]!;
  return explicit ? `${head} with an explicit deny in ${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name}` : `${head} because no ${name} allows the ${req.action} action`;
}

function firstByLayer(hits: Hit[]): Hit {
  return [...hits].sort((a, b) => LAYER_ORDER.indexOf(a.layer) - LAYER_ORDER.indexOf(b.layer))[0]!;
}

function verdictOf(run: Run | undefined, denied: boolean): LayerVerdict {
  if (!run) return 'not_applicable';
  if (denied) return 'deny';
  return run.allowed === true ? 'allow' : run.allowed === 'unknown' ? 'unknown' : 'no_match';
}

/** The summary traces of kept lists of policies: made once, frozen, and shared by the answers. */
const keptTraces = new WeakMap<readonly PolicyUse[], PolicyTrace[]>();

function policyTraces(run: Run, full: boolean): PolicyTrace[] {
  if (full && run.traces) return run.uses.map((use, i) => ({ policy: policyRef(use), statements: run.traces![i]! }));
  const kept = isKept(run.uses);
  let traces = kept ? keptTraces.get(run.uses) : undefined;
  if (traces) return traces;
  traces = run.uses.map((use) => ({ policy: policyRef(use) }));
  if (kept) keptTraces.set(run.uses, (traces = deepFreeze(traces)));
  return traces;
}

const keptLevelTraces = new WeakMap<readonly LevelRun[], LayerTrace>();

function levelsTrace(layer: 'scp' | 'rcp' | 'vpc_endpoint', lv: readonly LevelRun[], deniedBy: ReadonlySet<string>, full: boolean): LayerTrace {
  const levels = lv.map(({ target, run }) => ({ target, verdict: verdictOf(run, deniedBy.has(`${layer}|${target}`) || run.denies.some((h) => h.out.applies === true)), policies: policyTraces(run, full) }));
  const verdict: LayerVerdict = levels.some((l) => l.verdict === 'deny') ? 'deny' : levels.some((l) => l.verdict === 'no_match') ? 'no_match' : levels.some((l) => l.verdict === 'unknown') ? 'unknown' : 'allow';
  return { layer, verdict, note: layer === 'vpc_endpoint' ? 'every endpoint policy on the path must allow' : 'every level, root first, must allow', levels };
}

/** Freezes a trace shared by many answers, so that no caller can change it for the others. */
function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

function layerTraces(ev: Evaluation, full: boolean): LayerTrace[] {
  const out: LayerTrace[] = [];
  const deniedBy = new Set(ev.denies.filter((h) => h.out.applies === true).map((h) => `${h.layer}|${h.level ?? ''}`));
  for (const layer of LAYER_ORDER) {
    const applies = ev.applies[layer];
    if (layer === 'service_rule' || layer === 's3_block_public_access') {
      if (applies === true) {
        const t: LayerTrace = { layer, verdict: layer === 's3_block_public_access' && ev.bpaBlocked.length === 0 ? 'allow' : 'deny' };
        t.note = layer === 'service_rule' ? ev.block?.why ?? '' : ev.bpaBlocked.length ? 'the bucket policy is public: its grants to this caller are ignored' : 'the bucket policy is public, but the caller is in the owner account or an AWS service';
        out.push(t);
      }
      continue;
    }
    if (applies !== true) {
      out.push({ layer, verdict: 'not_applicable', note: String(applies) });
      continue;
    }
    if (layer === 'scp' || layer === 'rcp' || layer === 'vpc_endpoint') {
      const lv = ev.levels[layer]!;
      // Kept runs of a snapshot's levels give the same trace every time (their targets differ, so only their own denies count).
      const kept = !full && isKept(lv);
      let trace = kept ? keptLevelTraces.get(lv) : undefined;
      if (!trace) {
        trace = levelsTrace(layer, lv, deniedBy, full);
        if (kept) keptLevelTraces.set(lv, (trace = deepFreeze(trace)));
      }
      out.push(trace);
      continue;
    }
    const run = ev.runs[layer]!;
    out.push({ layer, verdict: verdictOf(run, run.denies.some((h) => h.out.applies === true)), policies: policyTraces(run, full) });
  }
  return out;
}

function missingContext(hits: Hit[]): MissingContext[] {
  const byKey = new Map<string, MissingContext>();
  for (const h of hits) {
    for (const key of uniqueKeys(h.out.unknownKeys)) {
      let m = byKey.get(key.toLowerCase());
      if (!m) byKey.set(key.toLowerCase(), (m = { key, usedBy: [] }));
      m.usedBy.push({ layer: h.layer, policy: h.use.ref.name, statement: statementRef(h) });
    }
  }
  return [...byKey.values()];
}

const NEAR_MISS_LAYERS: LayerName[] = ['identity', 'resource', 'permissions_boundary', 'session'];
const MAX_NEAR_MISSES = 10;

function nearMisses(ev: Evaluation): NearMiss[] {
  const misses: Hit[] = [];
  for (const layer of NEAR_MISS_LAYERS) misses.push(...(ev.runs[layer]?.misses ?? []));
  for (const lv of [ev.levels.scp, ev.levels.vpc_endpoint]) for (const l of lv ?? []) if (l.run.allowed === false) misses.push(...l.run.misses);
  const env = ev.env;
  return misses.slice(0, MAX_NEAR_MISSES).map((h) => {
    const t = newTrace(h.use, h.st);
    matchStatement(h.st, env, h.use.kind, t);
    const failed: string[] = [];
    const why: string[] = [];
    if (t.resource.matched === false) {
      failed.push('resource');
      why.push(t.resource.detail ?? '');
    }
    if (t.principal && t.principal.matched === false) {
      failed.push('principal');
      why.push(t.principal.detail ?? '');
    }
    for (const c of t.conditions) {
      if (c.result !== false) continue;
      failed.push('condition');
      why.push(`${c.operator} ${c.key} ${JSON.stringify(c.values)} is false${c.requestValues ? ` for ${JSON.stringify(c.requestValues)}` : ' (the key is absent)'}`);
    }
    return { layer: h.layer, policy: policyRef(h.use), statement: statementRef(h, t.source), failed: [...new Set(failed)], why: `${label(h, t.source)} allows ${ev.req.action}, but ${why.join('; ')}` };
  });
}

function tri(t: Tri): string {
  return t === 'unknown' ? 'depends on context' : String(t);
}

export function explain(ev: Evaluation, full: boolean): Decision {
  const { req } = ev;
  const definite = ev.denies.filter((h) => h.out.applies === true);
  const openDenies = ev.denies.filter((h) => h.out.applies === 'unknown');
  const layers = layerTraces(ev, full);
  const what = `${req.caller.display} → ${req.action} on ${req.resource}`;

  if (definite.length) {
    const first = firstByLayer(definite);
    return {
      provider: 'aws',
      decision: 'denied',
      reason: 'explicit_deny',
      error: { status: 403, code: errorCode(req.service), message: message(ev, first.layer, true) },
      summary: `Denied: ${label(first)} explicitly denies ${what}${definite.length > 1 ? ` (and ${definite.length - 1} more deny statement${definite.length > 2 ? 's' : ''})` : ''}.`,
      causes: definite.map((h) => hitCause('explicit_deny', h, `Deny statement matches the action, resource${h.out.principal && h.use.kind !== 'identity' ? ', principal' : ''} and conditions`)),
      missingContext: [],
      nearMisses: [],
      layers,
      warnings: req.warnings,
    };
  }
  if (ev.allow === false) {
    const b = ev.block!;
    const guardrail = b.kind === 'blocked_by_guardrail';
    return {
      provider: 'aws',
      decision: 'denied',
      reason: guardrail ? 'guardrail' : 'no_grant',
      error: { status: 403, code: errorCode(req.service), message: message(ev, b.layer, false) },
      summary: `Denied: ${what}: ${b.why}${b.level !== undefined ? ` (level ${b.level})` : b.use ? ` (${b.use.ref.name})` : ''}.`,
      causes: [blockCause(b)],
      missingContext: [],
      nearMisses: nearMisses(ev),
      layers,
      warnings: req.warnings,
    };
  }
  if (ev.allow === true && openDenies.length === 0) {
    const causes = ev.grants.map((h) => hitCause('grant', h, `Allow statement matches the action, resource${h.layer === 'resource' ? ', principal' : ''} and conditions`));
    if (ev.rootGrant) causes.unshift({ kind: 'grant', layer: 'identity', why: 'the account root user has full access to its own account' });
    const lead = causes[0]?.statement && ev.grants[0] ? label(ev.grants[0]) : 'the account root user';
    return {
      provider: 'aws',
      decision: 'allowed',
      reason: 'allowed',
      error: { status: 200, code: null, message: null },
      summary: `Allowed: ${lead} grants ${what}, and no policy denies it.`,
      causes,
      missingContext: [],
      nearMisses: [],
      layers,
      warnings: req.warnings,
    };
  }
  // Conditional: the answer depends on keys the request did not give.
  const open = [...openDenies, ...ev.openAllows];
  const pessimistic = openDenies.length ? message(ev, firstByLayer(openDenies).layer, true) : message(ev, firstByLayer(ev.openAllows.length ? ev.openAllows : [openDenies[0]!]).layer, false);
  const keys = uniqueKeys(open.flatMap((h) => h.out.unknownKeys));
  return {
    provider: 'aws',
    decision: 'conditional',
    reason: openDenies.length ? 'explicit_deny' : ev.openAllows.some((h) => h.layer === 'identity' || h.layer === 'resource') ? 'no_grant' : 'guardrail',
    error: { status: 403, code: errorCode(req.service), message: pessimistic },
    summary: `Conditional: ${what} depends on ${keys.join(', ')}, which the request did not give (grant: ${tri(ev.allow)}; ${openDenies.length} deny statement${openDenies.length === 1 ? '' : 's'} open).`,
    causes: [
      ...openDenies.map((h) => hitCause('explicit_deny', h, `denies${conditionWhy(h)}`)),
      ...ev.openAllows.map((h) => hitCause('grant', h, `grants${conditionWhy(h)}`)),
    ],
    missingContext: missingContext(open),
    nearMisses: nearMisses(ev),
    layers,
    warnings: req.warnings,
  };
}
