/**
 * A GCP request against a snapshot: the permission (v1 or v2 spelling), the caller, the resource and its
 * ancestors, the attributes conditions read, what a configuration call would change, and the overlay.
 * Unknown principals and resources are answered 404 with close matches; a permission that is unknown,
 * or does not apply to the resource's type, 400 at /action.
 */
import type { Warning } from '../../src/core/decision.js';
import { notFound } from '../../src/core/close-match.js';
import { InputError, pointerToken } from '../../src/core/problem.js';
import { isKnownPermission, toV1Permission, toV2Permission } from './catalog.js';
import { CONTEXT_ATTRIBUTES, requestAttributes } from './conditions.js';
import { compileAllow, compileDeny, type AllowPolicy, type DenyPolicy, type GcpEstate } from './estate.js';
import type { GcpRequest, StorageParts } from './evaluate.js';
import { methodTypeOf } from './custom-constraints.js';
import { checkGuardrails } from './constraint-checks.js';
import { publicAccessPrevention, type Change, type Guardrail } from './guardrails.js';
import { isObj, type Obj } from './inputs.js';
import { denyAttachment } from './load.js';
import { parseMember, principalId, serviceAccountProject, type Caller } from './members.js';
import { parseFullName, resourceTypeOf, storageParts, type FullName } from './names.js';

export interface GcpOverlay {
  allowPolicies?: { resource: string; policy: Obj | null }[];
  denyPolicies?: { name: string; attachmentPoint?: string; policy: Obj | null }[];
}

export interface GcpRequestBody {
  /** setIamPolicy: the new allow policy. */
  policy?: Obj;
  /** setIamPolicy: the change as a delta (what `gcloud ... add-iam-policy-binding` sends). */
  policyDelta?: { bindingDeltas?: { action: 'ADD' | 'REMOVE'; role: string; member: string }[] };
  /** storage.buckets.create: the new bucket's location. */
  location?: string;
  /** A create or update: the resource as the call writes it (for uniform bucket-level access and custom constraints). */
  resource?: Obj;
}

export interface GcpSimulateBody {
  provider: 'gcp';
  snapshot?: string;
  principal: string;
  action: string;
  resource: string;
  context?: Record<string, unknown>;
  requestBody?: GcpRequestBody;
  overlay?: GcpOverlay;
  options?: { explain?: 'summary' | 'full'; acceptUnknownPrincipal?: boolean };
}

export interface Prepared {
  req: GcpRequest;
  guardrail?: Guardrail;
}

/** Both spellings of a known permission (remembered per snapshot). */
function parsePermission(estate: GcpEstate, action: string): { v1: string; v2: string } {
  const known = estate.cache<{ v1: string; v2: string }>('permissions');
  let p = known.get(action);
  if (!p) {
    const v1 = toV1Permission(action);
    if (!v1) throw new InputError('invalid_request', '/action', `'${action}' is not a permission: expected service.resource.verb (v1) or service.googleapis.com/resource.verb (v2)`);
    if (!isKnownPermission(v1) && !estate.customPermissions.has(v1)) throw new InputError('invalid_request', '/action', `permission '${action}' is unknown: no predefined role or custom role of the snapshot contains it`);
    known.set(action, (p = { v1, v2: toV2Permission(v1) }));
  }
  return p;
}

/**
 * A permission must apply to the resource's type (Policy Troubleshooter rejects the rest): on a project,
 * folder or organization any permission is checkable (its policy governs every descendant); on a service
 * resource the permission must belong to that service, and a Cloud Storage object takes only
 * storage.objects.* permissions.
 */
export function permissionApplies(estate: GcpEstate, v1: string, resource: string): boolean {
  const full = parseFullName(resource);
  return applies(estate, v1, toV2Permission(v1), resource, full, full?.host === 'storage.googleapis.com' ? storageParts(full.relative) : undefined);
}

function applies(estate: GcpEstate, v1: string, v2: string, resource: string, full: FullName | undefined, storage: StorageParts | undefined): boolean {
  if (estate.isCrm(resource)) return true;
  if (!full || !v2.startsWith(full.host) || v2.charCodeAt(full.host.length) !== SLASH) return false;
  return storage?.object === undefined || v1.startsWith('storage.objects.');
}

const SLASH = 0x2f;

function checkApplies(estate: GcpEstate, v1: string, v2: string, target: Target): void {
  const resource = target.chain[0]!;
  if (!applies(estate, v1, v2, resource, target.full, target.storage)) throw new InputError('invalid_request', '/action', `permission '${v1}' does not apply to ${resourceTypeOf(resource) ?? target.full.host} resources`);
}

/** The identities an overlay's allow policies name, and the domains whose every user they name. */
export interface OverlayMembers {
  ids: Set<string>;
  domains: Set<string>;
}

/** Per overlay object: the CI gate asks many questions with one overlay. */
const membersByOverlay = new WeakMap<GcpOverlay, OverlayMembers>();

export function overlayMembers(overlay: GcpOverlay | undefined): OverlayMembers {
  if (!overlay) return { ids: new Set(), domains: new Set() };
  let out = membersByOverlay.get(overlay);
  if (!out) membersByOverlay.set(overlay, (out = readOverlayMembers(overlay)));
  return out;
}

function readOverlayMembers(overlay: GcpOverlay): OverlayMembers {
  const out: OverlayMembers = { ids: new Set(), domains: new Set() };
  for (const entry of overlay.allowPolicies ?? []) {
    const bindings = isObj(entry.policy) && Array.isArray(entry.policy.bindings) ? entry.policy.bindings : [];
    for (const b of bindings) {
      for (const m of isObj(b) && Array.isArray(b.members) ? b.members : []) {
        if (typeof m !== 'string') continue;
        const member = parseMember(m);
        if (member.kind === 'user' || member.kind === 'serviceAccount' || member.kind === 'principal') out.ids.add(principalId(m));
        else if (member.kind === 'domain') out.domains.add(member.domain);
      }
    }
  }
  return out;
}

/**
 * The caller a principal names (a request's, or a snapshot principal's for describePrincipal); groups cannot be
 * callers. One the snapshot does not know is accepted when the overlay grants to it, or when the request accepts
 * unknown principals. A principal of the snapshot resolves the same way every time (and with no warning): remembered.
 */
export function resolveCaller(estate: GcpEstate, text: string, warnings: Warning[], overlay?: GcpOverlay, acceptUnknown = false): Caller {
  const known = estate.cache<Caller>('callers');
  let caller = known.get(text);
  if (!caller) {
    caller = findCaller(estate, text, warnings, overlay ? overlayMembers(overlay) : undefined, acceptUnknown);
    if (estate.snapshot.graph.principal(caller.id)) known.set(text, caller);
  }
  return caller;
}

function findCaller(estate: GcpEstate, text: string, warnings: Warning[], named: OverlayMembers | undefined, acceptUnknown: boolean): Caller {
  const g = estate.snapshot.graph;
  if (text === 'allUsers' || text === 'anonymous') return { text, kind: 'anonymous', id: 'allUsers', groups: new Set() };
  // Some signed-in Google account the snapshot does not know: only allAuthenticatedUsers and allUsers bindings
  // match it (https://cloud.google.com/iam/docs/principals-overview#all-authenticated-users), so a diff or an
  // invariant can ask what anyone with a Google account may do.
  if (text === 'allAuthenticatedUsers') return { text, kind: 'user', id: text, groups: new Set() };
  const m = parseMember(text);
  if (m.kind === 'group' || m.kind === 'domain' || m.kind === 'poolSet' || m.kind === 'saSet' || m.kind === 'customer') {
    throw new InputError('invalid_request', '/principal', `the principal must be one identity (a user, a service account or a federated principal://), not ${text}: groups and domains cannot sign in`);
  }
  const id = principalId(text);
  const groups = estate.groupsOf(id);
  if (m.kind === 'principal') {
    const pool = m.uri.slice('principal://'.length, m.uri.indexOf('/subject/'));
    if (!g.principal(id)) warnings.push({ code: 'principal_not_in_snapshot', pointer: '/principal', message: `${text} is not in the snapshot: only pool-wide (*) and subject bindings can match it` });
    return { text: m.uri, kind: 'federated', id, groups, pool, subject: m.uri.slice(m.uri.indexOf('/subject/') + 9) };
  }
  const kind = id.startsWith('serviceAccount:') ? 'serviceAccount' : id.startsWith('user:') ? 'user' : undefined;
  if (!kind) throw new InputError('invalid_request', '/principal', `${text} is not a principal identifier: use user:EMAIL, serviceAccount:EMAIL or a principal:// identifier`);
  const email = id.slice(id.indexOf(':') + 1);
  const domain = email.slice(email.lastIndexOf('@') + 1);
  const customerId = kind === 'user' ? estate.customers.get(domain) : undefined;
  const sa = kind === 'serviceAccount' ? serviceAccountProject(email) : undefined;
  const chain = sa ? estate.projectChain(sa.project) : undefined;
  // Known: named in the snapshot or the overlay, or an account of a known customer, or a service account of a known project.
  const inOverlay = named !== undefined && (named.ids.has(id) || (kind === 'user' && named.domains.has(domain)));
  if (!g.principal(id) && !inOverlay && customerId === undefined && !chain) {
    if (!acceptUnknown) throw notFound('/principal', 'principal', id, g.data.principals.filter((p) => p.provider === 'gcp' && (p.kind === 'user' || p.kind === 'service_account')).map((p) => p.id));
    warnings.push({ code: 'principal_not_in_snapshot', pointer: '/principal', message: `${id} is not in the snapshot: answered as a principal with no memberships` });
  }
  const caller: Caller = { text, kind, id, email, groups };
  if (customerId !== undefined) caller.customerId = customerId;
  if (chain) caller.projectChain = chain;
  if (sa?.agent) caller.serviceAgent = true;
  return caller;
}

interface Target {
  /** The resource (canonical) and its ancestors, resource first. */
  chain: readonly string[];
  /** The resource's full name, parsed. */
  full: FullName;
  /** The snapshot node the resource is evaluated at: itself, or its nearest known ancestor. */
  node: string;
  storage?: StorageParts;
}

function resolveResource(estate: GcpEstate, name: string, warnings: Warning[]): Target {
  const given = parseFullName(name);
  if (!given) throw new InputError('invalid_request', '/resource', `'${name}' is not a full resource name: expected //SERVICE.googleapis.com/RELATIVE_NAME, e.g. //storage.googleapis.com/projects/_/buckets/b1`);
  const canonical = estate.canonical(name);
  // Parsed once: most names are canonical already.
  const full = canonical === name ? given : parseFullName(canonical);
  const parts = full && storageParts(full.relative);
  const storage = parts && full.host === 'storage.googleapis.com' ? parts : undefined;
  const node = full && estate.nearestNode(canonical, full, storage);
  if (!node || !full) throw notFound('/resource', 'resource', canonical, estate.snapshot.graph.data.scopes.filter((s) => s.provider === 'gcp').map((s) => s.id));
  const chain = estate.chainOf(node.id);
  const target: Target = { chain, full, node: node.id, storage };
  if (node.id === canonical) return target;
  if (parts?.object === undefined) warnings.push({ code: 'resource_not_in_snapshot', pointer: '/resource', message: `${canonical} is not in the snapshot: evaluated with the policies of ${node.id} and its ancestors` });
  target.chain = [canonical].concat(chain);
  return target;
}

/** What `context` may carry: the request-time facts, and the resource attributes (which override derived ones). */
const CONTEXT_KEYS: ReadonlySet<string> = new Set([...CONTEXT_ATTRIBUTES, 'resource.name', 'resource.type', 'resource.service']);

function checkContext(context: Record<string, unknown>): void {
  for (const key of Object.keys(context)) {
    if (!CONTEXT_KEYS.has(key)) throw new InputError('invalid_request', `/context/${pointerToken(key)}`, `unknown context attribute '${key}': expected one of ${[...CONTEXT_KEYS].join(', ')}`);
  }
  const t = context['request.time'];
  if (t !== undefined && (typeof t !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(t) || Number.isNaN(Date.parse(t)))) {
    throw new InputError('invalid_request', '/context/request.time', 'request.time must be an RFC 3339 timestamp, e.g. 2026-01-01T00:00:00Z');
  }
}

/** What a setIamPolicy, create or update would change, from `requestBody`. */
function changeOf(estate: GcpEstate, permission: string, resource: string, body: GcpRequestBody | undefined): Change | undefined {
  if (!body || (!permission.endsWith('.setIamPolicy') && !methodTypeOf(permission))) return undefined;
  const change: Change = { added: [], modifiedRoles: [] };
  if (body.resource !== undefined) {
    if (!isObj(body.resource)) throw new InputError('invalid_request', '/requestBody/resource', 'resource must be an object: the resource as the call writes it');
    change.resource = body.resource;
  }
  const location = body.location ?? body.resource?.location;
  if (typeof location === 'string') change.location = location;
  // The current bindings matter only to a new policy or a delta (setIamPolicy), not to a create or update.
  if (!body.policy && !body.policyDelta) return change;
  const current = new Set<string>();
  const currentRoles = new Map<string, Set<string>>();
  for (const b of estate.allow.get(resource)?.bindings ?? []) {
    for (const m of b.members) current.add(`${b.role}\u0000${m.text}`);
    currentRoles.set(b.role, new Set([...(currentRoles.get(b.role) ?? []), ...b.members.map((m) => m.text)]));
  }
  const modified = new Set<string>();
  if (body.policy) {
    const next = new Map<string, Set<string>>();
    for (const b of Array.isArray(body.policy.bindings) ? body.policy.bindings : []) {
      if (!isObj(b) || typeof b.role !== 'string' || !Array.isArray(b.members)) continue;
      for (const m of b.members) if (typeof m === 'string') {
        if (!current.has(`${b.role}\u0000${m}`)) change.added.push({ role: b.role, member: m });
        next.set(b.role, new Set([...(next.get(b.role) ?? []), m]));
      }
    }
    for (const role of new Set([...next.keys(), ...currentRoles.keys()])) {
      const a = next.get(role) ?? new Set();
      const c = currentRoles.get(role) ?? new Set();
      if (a.size !== c.size || [...a].some((m) => !c.has(m))) modified.add(role);
    }
  }
  for (const d of body.policyDelta?.bindingDeltas ?? []) {
    if (d.action === 'ADD' && !current.has(`${d.role}\u0000${d.member}`)) change.added.push({ role: d.role, member: d.member });
    modified.add(d.role);
  }
  change.modifiedRoles = [...modified];
  return change;
}

type Along = Pick<GcpRequest, 'allowPolicies' | 'allowAt' | 'denyPolicies'>;

/** The policies along the chain: the snapshot's (per node, computed once) unless the request carries an overlay. */
function policiesAlong(estate: GcpEstate, target: Target, overlay: GcpOverlay | undefined): Along {
  const extra = target.chain[0] !== target.node && (estate.allow.has(target.chain[0]!) || estate.deny.has(target.chain[0]!));
  if (overlay?.allowPolicies?.length || overlay?.denyPolicies?.length || extra) return applyOverlay(estate, target.chain, overlay);
  const known = estate.cache<Along>('along');
  let along = known.get(target.node);
  if (!along) known.set(target.node, (along = applyOverlay(estate, target.chain, undefined)));
  return along;
}

function applyOverlay(estate: GcpEstate, chain: readonly string[], overlay: GcpOverlay | undefined): Along {
  const allowOverride = new Map<string, AllowPolicy | null>();
  (overlay?.allowPolicies ?? []).forEach((a, i) => {
    const resource = estate.canonical(a.resource);
    allowOverride.set(resource, a.policy === null ? null : compileAllow(resource, a.policy, { file: 'request', pointer: `/overlay/allowPolicies/${i}/policy` }));
  });
  const removed = new Set<string>();
  const added = new Map<string, DenyPolicy[]>();
  (overlay?.denyPolicies ?? []).forEach((d, i) => {
    const existing = estate.denyByName.get(d.name);
    if (!existing && d.policy === null) throw notFound(`/overlay/denyPolicies/${i}/name`, 'deny policy', d.name, estate.denyByName.keys());
    if (existing) removed.add(d.name);
    if (d.policy === null) return;
    const at = d.attachmentPoint ?? existing?.attachedTo ?? denyAttachment(d.name);
    if (!at) throw new InputError('invalid_request', `/overlay/denyPolicies/${i}/attachmentPoint`, `cannot read the attachment point from ${d.name}: give attachmentPoint`);
    const policy = compileDeny(d.name, estate.canonical(at), d.policy, { file: 'request', pointer: `/overlay/denyPolicies/${i}/policy` });
    added.set(policy.attachedTo, [...(added.get(policy.attachedTo) ?? []), policy]);
  });
  const allowAt = allowOverride.size ? (node: string) => (allowOverride.has(node) ? (allowOverride.get(node) ?? undefined) : estate.allow.get(node)) : estate.allowAt;
  const allow: AllowPolicy[] = [];
  const deny: { node: string; policies: readonly DenyPolicy[] }[] = [];
  for (const node of chain) {
    const a = allowAt(node);
    if (a) allow.push(a);
    const d = removed.size || added.size ? [...estate.denyAt(node).filter((p) => !removed.has(p.name)), ...(added.get(node) ?? [])] : estate.denyAt(node);
    if (d.length) deny.push({ node, policies: d });
  }
  return { allowPolicies: allow, allowAt, denyPolicies: deny };
}

/**
 * An optional field of the body: own properties only, as a body is plain JSON. (Reading an absent property of
 * an object built by spreading another, `{ ...base, principal }`, takes V8's slow path: half a microsecond.)
 */
function optional<K extends keyof GcpSimulateBody>(body: GcpSimulateBody, key: K): GcpSimulateBody[K] | undefined {
  return Object.hasOwn(body, key) ? body[key] : undefined;
}

export function prepare(estate: GcpEstate, body: GcpSimulateBody): Prepared {
  const warnings: Warning[] = [];
  const { v1, v2 } = parsePermission(estate, body.action);
  const target = resolveResource(estate, body.resource, warnings);
  const chain = target.chain;
  const resource = chain[0]!;
  checkApplies(estate, v1, v2, target);
  const caller = resolveCaller(estate, body.principal, warnings, optional(body, 'overlay'), optional(body, 'options')?.acceptUnknownPrincipal);
  const context = optional(body, 'context') ?? {};
  checkContext(context);
  const change = changeOf(estate, v1, resource, optional(body, 'requestBody'));
  const attrs = requestAttributes(resource, target.full, v1, context, change?.modifiedRoles, estate.effectiveTags(target.node));
  const along = policiesAlong(estate, target, optional(body, 'overlay'));
  const pap = target.storage && publicAccessPrevention(estate, target.storage, chain, attrs);
  const req: GcpRequest = {
    estate, caller, permission: v1, permissionV2: v2, resource, chain, storage: target.storage, attrs,
    allowPolicies: along.allowPolicies, allowAt: along.allowAt, denyPolicies: along.denyPolicies, pap, warnings, full: optional(body, 'options')?.explain === 'full',
  };
  const guardrail = checkGuardrails(estate, v1, resource, chain, attrs, change, pap);
  return guardrail ? { req, guardrail } : { req };
}
