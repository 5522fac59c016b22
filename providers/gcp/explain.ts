/**
 * Turns an evaluation into the common answer: decision, reason, the error as Google words it, decisive
 * causes, the layer trace (pab, deny, allow, and org_policy / public_access_prevention when they decide),
 * near misses and missing context.
 * https://cloud.google.com/iam/docs/troubleshooting-access
 */
import type { Cause, CloudError, Decision, LayerTrace, LayerVerdict, MissingContext, NearMiss, PolicyRef, SourceLocation, StatementRef } from '../../src/core/decision.js';
import type { AllowPolicy, DenyPolicy, GcpEstate } from './estate.js';
import type { BindingResult, Evaluation, RuleResult } from './evaluate.js';
import { PAP_SETTING, type Guardrail } from './guardrails.js';
import { firstVersionBlocking, type PabEntry } from './pab.js';
import { aclGrants, type AclEntry } from './acl.js';
import { troubleshooter } from './troubleshooter.js';

const MAX_NEAR_MISSES = 10;

/** The source with its line and column; `at` undefined: as it is (summary traces skip the lookup). */
function located(at: GcpEstate | undefined, s: SourceLocation): SourceLocation {
  return at ? at.located(s) : s;
}

function allowRef(at: GcpEstate, p: AllowPolicy, role: string): PolicyRef {
  return { id: p.id, name: role, type: 'gcp:allow', attachedTo: p.resource, source: located(at, p.source) };
}

function bindingRef(at: GcpEstate, b: BindingResult): StatementRef {
  return { index: b.binding.index, binding: b.binding.role, source: located(at, b.binding.source) };
}

function denyRef(at: GcpEstate | undefined, p: DenyPolicy): PolicyRef {
  return { id: p.name, name: p.id, type: 'gcp:deny', attachedTo: p.attachedTo, source: located(at, p.source) };
}

function ruleRef(at: GcpEstate, r: RuleResult): StatementRef {
  const ref: StatementRef = { index: r.rule.index, source: located(at, r.rule.source) };
  if (r.rule.description !== undefined) ref.rule = r.rule.description;
  return ref;
}

function pabRef(at: GcpEstate | undefined, e: PabEntry): PolicyRef {
  return { id: e.policy!.name, name: e.policy!.id, type: 'gcp:pab', attachedTo: e.binding.target, source: located(at, e.policy!.source) };
}

/** "storage.objects.get on //storage.googleapis.com/projects/_/buckets/b1/objects/a.txt by user:alice@example.com" */
function what(ev: Evaluation): string {
  return `${ev.req.caller.text} → ${ev.req.permission} on ${ev.req.resource}`;
}

/** The name without its `//service.googleapis.com/` prefix. */
function where(resource: string): string {
  const slash = resource.startsWith('//') ? resource.indexOf('/', 2) : -1;
  return slash > 2 ? resource.slice(slash + 1) : resource;
}

/**
 * The 403 as the service words it: the Cloud Storage JSON API names the caller and the object or bucket;
 * other APIs answer "Permission 'P' denied on resource (or it may not exist)."
 * https://cloud.google.com/storage/docs/json_api/v1/status-codes#403-forbidden
 */
function deniedError(ev: Evaluation): CloudError {
  const { req } = ev;
  const base = `Permission '${req.permission}' denied on resource (or it may not exist).`;
  const storage = req.storage;
  // An anonymous call is refused for lack of credentials before any permission is named.
  if (!storage && req.caller.kind === 'anonymous') return { status: 401, code: 'UNAUTHENTICATED', message: 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.' };
  if (!storage) return { status: 403, code: 'PERMISSION_DENIED', message: base };
  const thing = storage.object !== undefined ? 'object' : storage.managedFolder !== undefined ? 'managed folder' : 'bucket';
  const anonymous = req.caller.kind === 'anonymous';
  const who = anonymous ? 'Anonymous caller' : req.caller.email ?? req.caller.text;
  return { status: anonymous ? 401 : 403, code: anonymous ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED', message: `${who} does not have ${req.permission} access to the Google Cloud Storage ${thing}. ${base}` };
}

function conditionText(b: BindingResult): string {
  const c = b.binding.condition?.input;
  return c ? `the condition${c.title ? ` "${c.title}"` : ''} (${c.expression})` : 'the condition';
}

function timeNote(ev: Evaluation): string {
  const t = ev.req.attrs.values['request.time'];
  return typeof t === 'string' ? ` at ${t}` : '';
}

function nearMiss(at: GcpEstate, ev: Evaluation, b: BindingResult): NearMiss | undefined {
  const why = nearMissWhy(ev, b);
  return why && { layer: 'allow', policy: allowRef(at, b.policy, b.binding.role), statement: bindingRef(at, b), ...why };
}

/** The first members of a binding (up to 5), each as `say` words it, and how many more there are. */
function firstMembers(b: BindingResult, say: (m: BindingResult['members'][number]) => string, separator: string): string {
  const shown = Math.min(b.members.length, 5);
  let out = '';
  for (let i = 0; i < shown; i++) out += (i ? separator : '') + say(b.members[i]!);
  return b.members.length > shown ? `${out}, and ${b.members.length - shown} more` : out;
}

function nearMissWhy(ev: Evaluation, b: BindingResult): { failed: string[]; why: string } | undefined {
  const on = () => `${b.binding.role} is bound on ${where(b.policy.resource)}`;
  const caller = ev.req.caller.email ?? ev.req.caller.text;
  if (b.rolePermission === 'INCLUDED' && b.papBlocked) {
    return { failed: ['principal'], why: `${on()} to ${b.members.filter((m) => m.check.public).map((m) => m.text).join(', ')}, but public access prevention makes public members ineffective` };
  }
  if (b.rolePermission === 'INCLUDED' && b.membership !== 'MATCHED') {
    return { failed: ['principal'], why: `${b.binding.role} is bound to ${firstMembers(b, (m) => m.text, ', ')} on ${where(b.policy.resource)}, but ${caller} is not among them (${firstMembers(b, (m) => m.check.why, '; ')})` };
  }
  if (b.membership === 'MATCHED' && b.rolePermission !== 'INCLUDED') {
    return { failed: ['action'], why: `${b.binding.role} is bound to ${caller} on ${where(b.policy.resource)} but ${b.roleNote ?? `lacks ${ev.req.permission}`}` };
  }
  if (b.state === 'NOT_GRANTED' && b.condition) {
    const detail = b.condition.unsupported.length ? `: ${b.condition.unsupported.join(', ')} is not available for ${ev.req.resource}, so that part never grants` : b.condition.errors.length ? `: ${b.condition.errors.join('; ')}` : '';
    return { failed: ['condition'], why: `${on()} to ${caller}, but ${conditionText(b)} evaluated false${timeNote(ev)}${detail}` };
  }
  return undefined;
}

function nearMisses(at: GcpEstate, ev: Evaluation): NearMiss[] {
  const out: NearMiss[] = [];
  const rank = (b: BindingResult) => (b.condition && b.rolePermission === 'INCLUDED' && b.membership === 'MATCHED' ? 0 : b.papBlocked ? 0 : b.rolePermission === 'INCLUDED' ? 1 : 2);
  const all = ev.allow.bindings.filter((b) => b.state !== 'GRANTED' && (b.rolePermission === 'INCLUDED' || b.membership === 'MATCHED' || b.papBlocked));
  for (const b of all.sort((x, y) => rank(x) - rank(y))) {
    if (out.length >= MAX_NEAR_MISSES) break;
    const m = nearMiss(at, ev, b);
    if (m) out.push(m);
  }
  return out;
}

function missingContext(at: GcpEstate, grants: BindingResult[], rules: RuleResult[]): MissingContext[] {
  const byKey = new Map<string, MissingContext>();
  const add = (key: string, entry: MissingContext['usedBy'][number]) => {
    let m = byKey.get(key);
    if (!m) byKey.set(key, (m = { key, usedBy: [] }));
    m.usedBy.push(entry);
  };
  for (const b of grants) for (const k of b.condition?.unknown ?? []) add(k, { layer: 'allow', policy: b.binding.role, statement: bindingRef(at, b) });
  for (const r of rules) for (const k of r.condition?.unknown ?? []) add(k, { layer: 'deny', policy: r.policy.id, statement: ruleRef(at, r) });
  return [...byKey.values()];
}

const PAB_VERDICT: Record<string, LayerVerdict> = { ALLOWED: 'allow', NOT_ALLOWED: 'deny', NOT_ENFORCED: 'not_applicable' };
const DENY_VERDICT: Record<string, LayerVerdict> = { DENIED: 'deny', NOT_DENIED: 'no_match', UNKNOWN_CONDITIONAL: 'unknown' };
const ALLOW_VERDICT: Record<string, LayerVerdict> = { GRANTED: 'allow', NOT_GRANTED: 'no_match', UNKNOWN_CONDITIONAL: 'unknown' };

/** The trace's policy entries of a summary answer depend on the policy alone: built once per policy, frozen and shared. */
const summaryEntries = new WeakMap<object, { policy: PolicyRef }>();

function summaryEntry<P extends object>(p: P, ref: (p: P) => PolicyRef): { policy: PolicyRef } {
  let entry = summaryEntries.get(p);
  if (!entry) {
    const r = ref(p);
    if (r.source) Object.freeze(r.source);
    summaryEntries.set(p, (entry = Object.freeze({ policy: Object.freeze(r) })));
  }
  return entry;
}

const denyTraceRef = (p: DenyPolicy): PolicyRef => denyRef(undefined, p);
const allowTraceRef = (p: AllowPolicy): PolicyRef => ({ id: p.id, name: `allow policy of ${p.resource}`, type: 'gcp:allow', attachedTo: p.resource, source: p.source });

/**
 * The PAB layer's note; it names the policies whose enforcement version can't block the permission, which
 * have no effect on the request (https://cloud.google.com/iam/docs/pab-blocked-permissions).
 */
function pabNote(ev: Evaluation): string {
  const { entries } = ev.pab;
  if (!entries.length) return 'no principal access boundary policy applies to the caller';
  const note = `${entries.length} principal access boundary binding(s) target the caller; eligible when any enforced policy includes the resource`;
  const unable = [...new Set(entries.flatMap((e) => (e.policy && !e.versionCovers ? [`${e.policy.id} (enforcement version ${e.policy.version})`] : [])))];
  if (!unable.length) return note;
  const first = firstVersionBlocking(ev.req.permissionV2);
  const from = first === undefined ? 'no enforcement version can' : `enforcement version ${first} is the first that can`;
  return `${note}; ${unable.join(', ')} can't block ${ev.req.permission} (${from}), so ${unable.length > 1 ? 'they have' : 'it has'} no effect on this request`;
}

function layers(at: GcpEstate, ev: Evaluation, guardrail: Guardrail | undefined): LayerTrace[] {
  const full = ev.req.full;
  const pab: LayerTrace = { layer: 'pab', verdict: PAB_VERDICT[ev.pab.state]!, note: pabNote(ev) };
  const shown = full ? at : undefined;
  const pabPolicies = ev.pab.entries.filter((e) => e.policy).map((e) => ({ policy: pabRef(shown, e) }));
  if (pabPolicies.length) pab.policies = pabPolicies;
  const denyPolicies: { policy: PolicyRef }[] = [];
  for (const r of ev.deny.resources) for (const p of r.policies) denyPolicies.push(full ? { policy: denyRef(at, p.policy) } : summaryEntry(p.policy, denyTraceRef));
  const deny: LayerTrace = { layer: 'deny', verdict: DENY_VERDICT[ev.deny.state]!, note: 'deny policies on the resource\'s ancestors; any matching rule denies', policies: denyPolicies };
  const allow: LayerTrace = {
    layer: 'allow',
    verdict: ALLOW_VERDICT[ev.allow.state]!,
    note: 'the union of the bindings on the resource and its ancestors',
    policies: ev.allow.policies.map((p) => {
      if (!full) return summaryEntry(p.policy, allowTraceRef);
      return {
        policy: { ...allowTraceRef(p.policy), source: at.located(p.policy.source) },
        statements: p.bindings.map((b) => ({
          index: b.binding.index,
          sid: b.binding.role,
          effect: 'allow',
          applies: b.state === 'GRANTED' ? true : b.state === 'UNKNOWN_CONDITIONAL' ? ('unknown' as const) : false,
          action: { matched: b.rolePermission === 'INCLUDED' ? true : b.rolePermission === 'UNKNOWN' ? ('unknown' as const) : false, detail: b.roleNote ?? `${b.binding.role} ${b.rolePermission === 'INCLUDED' ? 'contains' : 'lacks'} ${ev.req.permission}` },
          resource: { matched: true as const, detail: `bound on ${p.policy.resource}` },
          principal: { matched: b.membership === 'MATCHED', detail: b.members.map((m) => `${m.text}: ${m.check.why}`).join('; ') },
          conditions: b.condition ? [{ operator: 'cel', key: b.binding.condition!.input.expression, values: [], keySource: 'request' as const, result: b.condition.value }] : [],
          source: located(at, b.binding.source),
        })),
      };
    }),
  };
  const out = [pab, deny, allow];
  if (ev.acl) {
    const granting = aclGrants(ev.acl, ev.req.pap !== undefined);
    out.push({ layer: 'acl', verdict: ev.acl.uniform ? 'not_applicable' : granting.length ? 'allow' : 'no_match', note: ev.acl.uniform ? 'uniform bucket-level access: ACLs are ignored' : `fine-grained bucket: the ${ev.acl.assumed ? 'default object' : 'bucket'} ACL grants in parallel with IAM` });
  }
  if (ev.req.pap) out.push({ layer: 'public_access_prevention', verdict: 'deny', note: `public access prevention is enforced on ${ev.req.pap.attachedTo}: allUsers and allAuthenticatedUsers grant nothing` });
  if (guardrail) out.push({ layer: 'org_policy', verdict: guardrail.missing ? 'unknown' : 'deny', note: guardrail.why });
  return out;
}

function aclRef(e: AclEntry, bucket: string): { policy: PolicyRef; statement: StatementRef } {
  return { policy: { id: `${bucket}#${e.list}`, name: e.list === 'acl' ? 'bucket ACL' : 'default object ACL', type: 'gcp:acl', attachedTo: bucket }, statement: { index: e.index, binding: `${e.entity}:${e.role}` } };
}

function aclCause(ev: Evaluation, e: AclEntry): Cause {
  const acl = ev.acl!;
  const assumed = acl.assumed ? ' (the object is taken to carry the bucket\'s default object ACL)' : '';
  return { kind: 'grant', layer: 'acl', ...aclRef(e, acl.bucket), why: `the ${e.list === 'acl' ? 'bucket' : 'default object'} ACL gives ${e.entity} ${e.role}, which covers ${ev.req.permission}; ${e.check.why}${assumed}` };
}

/** ACL entries that would grant but are ignored because the bucket uses uniform bucket-level access. */
function aclNearMisses(ev: Evaluation): NearMiss[] {
  const acl = ev.acl;
  if (!acl?.uniform) return [];
  return acl.entries
    .filter((e) => e.covers && e.check.membership === 'MATCHED')
    .map((e) => ({ layer: 'acl', ...aclRef(e, acl.bucket), failed: ['resource'], why: `the ${e.list === 'acl' ? 'bucket' : 'default object'} ACL gives ${e.entity} ${e.role}, but ${where(acl.bucket)} uses uniform bucket-level access, so ACLs are ignored` }));
}

function grantCause(at: GcpEstate, b: BindingResult, why: string): Cause {
  return { kind: 'grant', layer: 'allow', policy: allowRef(at, b.policy, b.binding.role), statement: bindingRef(at, b), why };
}

function denyCause(at: GcpEstate, r: RuleResult, why: string): Cause {
  return { kind: 'explicit_deny', layer: 'deny', policy: denyRef(at, r.policy), statement: ruleRef(at, r), why };
}

function grantWhy(b: BindingResult): string {
  const matched = b.members.filter((m) => m.check.membership === 'MATCHED' && !(m.check.public && b.papBlocked));
  return `${b.binding.role} contains the permission; ${matched.map((m) => `${m.text}: ${m.check.why}`).join('; ')}${b.condition ? `; ${b.binding.condition?.input.title ? `condition "${b.binding.condition.input.title}"` : 'the condition'} is ${b.condition.value === true ? 'true' : 'unknown'}` : ''}`;
}

function ruleWhy(r: RuleResult): string {
  const who = r.denied.members.filter((m) => m.check.membership === 'MATCHED').map((m) => `${m.text} (${m.check.why})`).join(', ');
  const perm = r.deniedPermissions.filter((p) => p.matched).map((p) => p.pattern).join(', ');
  return `denies ${perm} to ${who}${r.exceptions.members.length ? '; no exception principal matches' : ''}${r.exceptionPermissions.length ? '; no exception permission matches' : ''}${r.condition ? `; the denial condition is ${r.condition.value === true ? 'true' : 'unknown'}` : ''}`;
}

export function explain(ev: Evaluation, guardrail: Guardrail | undefined): Decision {
  const { req } = ev;
  const at = req.estate;
  const { bindings } = ev.allow;
  const { rules } = ev.deny;
  const trace = layers(at, ev, guardrail);
  const answer = (decision: Decision['decision'], reason: Decision['reason'], error: CloudError, summary: string, causes: Cause[], missingContext: MissingContext[], nearMisses: NearMiss[]): Decision => ({
    provider: 'gcp', layers: trace, warnings: req.warnings, decision, reason, error, summary, causes, missingContext, nearMisses, gcp: troubleshooter(ev, decision, guardrail),
  });

  if (ev.pab.state === 'NOT_ALLOWED') {
    const blocking = ev.pab.entries.filter((e) => e.state === 'NOT_ALLOWED');
    const causes: Cause[] = blocking.map((e) => ({
      kind: 'blocked_by_guardrail', layer: 'pab', policy: pabRef(at, e), statement: { binding: e.binding.id, source: located(at, e.binding.source) },
      why: `principal access boundary policy ${e.policy!.id} (bound to ${e.binding.target} by ${e.binding.id}, enforcement version ${e.policy!.version}) does not include ${req.resource} or any of its ancestors`,
    }));
    return answer('denied', 'guardrail', deniedError(ev), `Denied: ${what(ev)}: the principal access boundary makes the caller ineligible for this resource (${blocking.map((e) => e.policy!.id).join(', ')}).`, causes, [], []);
  }
  const denying = rules.filter((r) => r.state === 'DENIED');
  if (denying.length) {
    const first = denying[0]!;
    return answer(
      'denied', 'explicit_deny', deniedError(ev),
      `Denied: deny policy ${first.policy.id} on ${where(first.policy.attachedTo)}, rule ${first.rule.index}${first.rule.description ? ` (${first.rule.description})` : ''}, denies ${what(ev)}${denying.length > 1 ? ` (and ${denying.length - 1} more rule${denying.length > 2 ? 's' : ''})` : ''}.`,
      denying.map((r) => denyCause(at, r, ruleWhy(r))), [], [],
    );
  }
  const grants = bindings.filter((b) => b.state === 'GRANTED');
  const openGrants = bindings.filter((b) => b.state === 'UNKNOWN_CONDITIONAL');
  const openRules = rules.filter((r) => r.state === 'UNKNOWN_CONDITIONAL');
  const aclGranting = aclGrants(ev.acl, req.pap !== undefined);
  if (aclGranting.length && ev.acl?.assumed) req.warnings.push({ code: 'object_acl_assumed', pointer: '/resource', message: `object ACLs are not in Cloud Asset exports: the object is taken to carry the default object ACL of ${ev.acl.bucket}` });
  const granted = [...grants.map((b) => grantCause(at, b, grantWhy(b))), ...aclGranting.map((e) => aclCause(ev, e))];
  if (!granted.length && !openGrants.length) {
    const papBlocked = bindings.filter((b) => b.papBlocked && b.rolePermission === 'INCLUDED' && (!b.condition || b.condition.value === true));
    const misses = [...nearMisses(at, ev), ...aclNearMisses(ev)].slice(0, MAX_NEAR_MISSES);
    const papAcl = ev.acl && !ev.acl.uniform ? ev.acl.entries.filter((e) => e.covers && e.check.public && e.check.membership === 'MATCHED') : [];
    if ((papBlocked.length || papAcl.length) && req.pap) {
      const name = req.pap.by === 'bucket' ? PAP_SETTING : 'storage.publicAccessPrevention';
      const policy: PolicyRef = { id: req.pap.policyId ?? `${req.pap.attachedTo}#${PAP_SETTING}`, name, type: req.pap.by === 'bucket' ? 'gcp:bucket_setting' : 'gcp:org_policy', attachedTo: req.pap.attachedTo };
      return answer(
        'denied', 'guardrail', deniedError(ev),
        `Denied: ${what(ev)}: only ${[...papBlocked.map((b) => `${b.binding.role} for ${b.members.filter((m) => m.check.public).map((m) => m.text).join(', ')}`), ...papAcl.map((e) => `the ACL entry ${e.entity}:${e.role}`)].join('; ')} would grant it, and public access prevention (${name} on ${where(req.pap.attachedTo)}) makes public grants ineffective.`,
        [{ kind: 'blocked_by_guardrail', layer: 'public_access_prevention', policy, why: `public access prevention is enforced on ${req.pap.attachedTo}: allUsers and allAuthenticatedUsers bindings stay in the policy but grant nothing` }],
        [], misses,
      );
    }
    const hint = misses[0] ? ` Closest: ${misses[0].why}.` : '';
    return answer(
      'denied', 'no_grant', deniedError(ev),
      `Denied: no binding on ${where(req.resource)} or its ancestors grants ${what(ev)}.${hint}`,
      [{ kind: 'missing_grant', layer: 'allow', why: `no binding on the resource or its ${req.chain.length - 1} ancestor(s) has a role with ${req.permission}, a member matching the caller and a true condition` }],
      [], misses,
    );
  }
  if (granted.length && !openRules.length) {
    if (guardrail) {
      const policy: PolicyRef = { id: guardrail.policyId ?? `${guardrail.attachedTo}#${guardrail.constraint}`, name: guardrail.constraint, type: guardrail.constraint === PAP_SETTING ? 'gcp:bucket_setting' : 'gcp:org_policy', attachedTo: guardrail.attachedTo };
      const cause: Cause = { kind: 'blocked_by_guardrail', layer: 'org_policy', policy, why: guardrail.why };
      const error = { status: guardrail.status, code: guardrail.code, message: guardrail.message };
      // A custom constraint that reads resource fields the request did not give: IAM allows, the constraint may refuse.
      if (guardrail.missing) {
        const usedBy = [{ layer: 'org_policy', policy: guardrail.constraint, statement: {} }];
        return answer('conditional', 'guardrail', error, `Conditional: IAM allows ${what(ev)}, but ${guardrail.why}.`, [cause], guardrail.missing.map((key) => ({ key, usedBy })), []);
      }
      return answer('denied', 'guardrail', error, `Denied by organization policy: IAM allows ${what(ev)}, but ${guardrail.why}.`, [cause], [], []);
    }
    const lead = grants[0];
    const by = lead ? `${lead.binding.role} bound on ${where(lead.policy.resource)} (binding ${lead.binding.index})` : `the ACL entry ${aclGranting[0]!.entity}:${aclGranting[0]!.role} of ${where(ev.acl!.bucket)}`;
    return answer('allowed', 'allowed', { status: 200, code: null, message: null }, `Allowed: ${by} grants ${what(ev)}, and no deny rule or principal access boundary blocks it.`, granted, [], []);
  }
  // Conditional: a grant or a deny rule hinges on attributes the request did not give.
  const open = [...openRules.map((r) => denyCause(at, r, ruleWhy(r))), ...(granted.length ? granted : openGrants.map((b) => grantCause(at, b, grantWhy(b))))];
  const mc = missingContext(at, granted.length ? [] : openGrants, openRules);
  return answer(
    'conditional', openRules.length ? 'explicit_deny' : 'no_grant', deniedError(ev),
    `Conditional: ${what(ev)} depends on ${mc.map((m) => m.key).join(', ') || 'attributes'} the request did not give (grant: ${granted.length ? 'yes' : 'if the condition holds'}; ${openRules.length} deny rule${openRules.length === 1 ? '' : 's'} open).`,
    open, mc, granted.length ? [] : nearMisses(at, ev),
  );
}
