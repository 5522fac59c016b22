/**
 * A POST /v1/simulate body for Azure, checked and resolved against the snapshot: the principal and its
 * groups (transitively), the action (given, or derived from the HTTP method and ARM path) and whether it
 * is a data action, the scope chain, ABAC attributes, the request body for Azure Policy, and an overlay.
 */
import { notFound } from '../../src/core/close-match.js';
import type { Warning } from '../../src/core/decision.js';
import type { PrincipalNode, ScopeNode } from '../../src/core/graph.js';
import { InputError } from '../../src/core/problem.js';
import { attributeKey } from './abac.js';
import { deriveAction, verbOf, type Verb } from './action.js';
import { isDataAction } from './catalog.js';
import { AbacFacts } from './conditions.js';
import { chainText, heldBy, Index, OverlayView, type AzureEstate, type ChainLink, type EstateView, type HeldAssignments } from './estate.js';
import { isGuid, lastSegment, levelOf, normalizeGuid, normalizeId, scopeLabel, splitDataPath, subscriptionOf } from './ids.js';
import { isObj, loadObjects, OBJECT_TYPES, principalKind, propsOf, type Item } from './load.js';

type Obj = Record<string, unknown>;

export interface AzureOverlayInput {
  add?: Obj[];
  replace?: Obj[];
  remove?: string[];
}

export interface AzureSimulateBody {
  provider: 'azure';
  snapshot?: string;
  principal: string;
  action?: string;
  resource?: string;
  method?: string;
  path?: string;
  dataAction?: boolean;
  subOperation?: string;
  context?: Record<string, unknown>;
  time?: string;
  requestBody?: Obj;
  apiVersion?: string;
  overlay?: AzureOverlayInput;
  options?: { explain?: 'summary' | 'full'; acceptUnknownPrincipal?: boolean };
}

export interface AzureRequest {
  estate: AzureEstate;
  view: EstateView;
  principal: string;
  principalNode: PrincipalNode;
  /** How error messages name the client: its UPN or name when known, else the object id. */
  display: string;
  groups: readonly string[];
  /** The principal, then its groups. */
  ids: readonly string[];
  /** The role assignments of the principal and its groups, in the order of ids. */
  held: readonly HeldAssignments[];
  action: string;
  actionLower: string;
  isData: boolean;
  verb: Verb;
  method?: string;
  /** The resource as the caller named it (for a blob, the blob). */
  resourceAsGiven: string;
  /** The scope RBAC evaluates at, as given (for a blob, its container). */
  scopeAsGiven: string;
  /** scopeLabel(scopeAsGiven). */
  scopeLabel: string;
  /** The scope as error messages show it (a POST shows its operation path). */
  errorScope: string;
  target: string;
  chain: readonly string[];
  /** The chain with what the snapshot holds at each scope. */
  links: readonly ChainLink[];
  /** The chain as sentences show it. */
  chainText: string;
  resourceNode?: ScopeNode;
  blobPath?: string;
  subOperation?: string;
  facts: AbacFacts;
  time?: string;
  requestBody?: Obj;
  apiVersion?: string;
  warnings: Warning[];
}

/** Object types an overlay may add, replace or remove. */
const OVERLAY_TYPES = new Set<string>([OBJECT_TYPES.roleAssignment, OBJECT_TYPES.roleDefinition, OBJECT_TYPES.denyAssignment, OBJECT_TYPES.policyAssignment, OBJECT_TYPES.policyDefinition, OBJECT_TYPES.policySetDefinition]);

function overlayItems(list: Obj[] | undefined, base: string): Item[] {
  return (list ?? []).map((value, i) => {
    const type = String(value.type ?? '').toLowerCase();
    if (!OVERLAY_TYPES.has(type)) throw new InputError('invalid_request', `${base}/${i}/type`, `an overlay object's type must be one of Microsoft.Authorization/roleAssignments, roleDefinitions, denyAssignments, policyAssignments, policyDefinitions, policySetDefinitions; got ${String(value.type)}`);
    if (typeof value.id !== 'string') throw new InputError('invalid_request', `${base}/${i}/id`, 'an overlay object needs its id');
    return { value, pointer: `${base}/${i}` };
  });
}

function overlayView(estate: AzureEstate, input: AzureOverlayInput | undefined): EstateView {
  if (!input) return estate;
  const objects = estate.index.objects;
  const removed = new Set<string>();
  const known = () => [...objects.keys()];
  const drop = (id: string, pointer: string) => {
    const key = normalizeId(id);
    const o = objects.get(key);
    if (!o) throw notFound(pointer, 'object', id, known());
    removed.add(key);
    if (o.kind === 'role definition') removed.add(o.key);
  };
  (input.remove ?? []).forEach((id, i) => drop(id, `/overlay/remove/${i}`));
  const replaced = overlayItems(input.replace, '/overlay/replace');
  replaced.forEach((it) => drop(String(it.value.id), `${it.pointer}/id`));
  const items = [...overlayItems(input.add, '/overlay/add'), ...replaced];
  let top: Index;
  try {
    top = new Index(loadObjects(items, 'request'));
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.code === 'invalid_policy' ? 'invalid_policy' : 'invalid_request', e.pointer, e.message);
    throw e;
  }
  return new OverlayView(estate, top, removed);
}

/**
 * The callers the overlay's role assignments name (object id → kind, from principalType): a plan may grant
 * to a principal the directory export lacks, and a check must be able to ask about it. Groups never call.
 */
export function overlayCallers(input: AzureOverlayInput | undefined): ReadonlyMap<string, PrincipalNode['kind']> {
  if (!input) return NO_CALLERS;
  let out = callersByOverlay.get(input);
  if (!out) callersByOverlay.set(input, (out = readOverlayCallers(input)));
  return out;
}

const NO_CALLERS: ReadonlyMap<string, PrincipalNode['kind']> = new Map();
/** Per overlay object: the CI gate asks many questions with one overlay. */
const callersByOverlay = new WeakMap<AzureOverlayInput, ReadonlyMap<string, PrincipalNode['kind']>>();

function readOverlayCallers(input: AzureOverlayInput): ReadonlyMap<string, PrincipalNode['kind']> {
  const out = new Map<string, PrincipalNode['kind']>();
  for (const item of [...(input.add ?? []), ...(input.replace ?? [])]) {
    const p = propsOf(item);
    const kind = principalKind(typeof p.principalType === 'string' ? p.principalType : undefined);
    if (typeof p.principalId === 'string' && isGuid(p.principalId) && kind !== 'group' && kind !== 'everyone') out.set(normalizeGuid(p.principalId), kind);
  }
  return out;
}

/** The principal a request names; one only the overlay (or nothing, when the request accepts that) knows is built bare. */
function resolvePrincipal(estate: AzureEstate, body: AzureSimulateBody, warnings: Warning[]): PrincipalNode {
  const given = body.principal;
  const g = estate.snapshot.graph;
  // An object id, else a UPN, display name or appId (an appId is a GUID too).
  const p = (isGuid(given) ? g.principal(normalizeGuid(given)) : undefined) ?? estate.principalNamed(given);
  if (p?.provider === 'azure' && p.kind !== 'everyone') return p;
  const named = isGuid(given) ? overlayCallers(body.overlay).get(normalizeGuid(given)) : undefined;
  if (named) return { id: normalizeGuid(given), provider: 'azure', kind: named, name: normalizeGuid(given) };
  if (isGuid(given) && body.options?.acceptUnknownPrincipal) {
    warnings.push({ code: 'principal_not_in_snapshot', pointer: '/principal', message: `${given} is not in the snapshot: answered as a principal with no group memberships` });
    return { id: normalizeGuid(given), provider: 'azure', kind: 'user', name: normalizeGuid(given) };
  }
  const azure = g.data.principals.filter((x) => x.provider === 'azure' && x.kind !== 'everyone');
  throw notFound('/principal', 'principal', given, azure.flatMap((x) => (x.name !== x.id ? [x.id, x.name] : [x.id])));
}

function checkScope(estate: AzureEstate, target: string, node: ScopeNode | undefined, pointer: string, given: string): void {
  // An exported scope under a subscription: its subscription is known.
  if (target === '/' || (node && target.startsWith('/subscriptions/'))) return;
  // A management group, or an object at one ({mg}/providers/Microsoft.Authorization/policyAssignments/x).
  const mg = target.startsWith('/subscriptions/') ? undefined : target.split('/').slice(0, 5).join('/');
  if (mg !== undefined && levelOf(mg) === 'management_group') {
    if (!estate.scope(mg)) throw notFound(pointer, 'management group', given, estate.snapshot.graph.data.scopes.filter((s) => s.kind === 'azure:management_group').map((s) => String(s.attrs?.armId ?? s.id)));
    return;
  }
  const sub = subscriptionOf(target);
  if (!target.startsWith('/subscriptions/') || !sub) throw new InputError('invalid_request', pointer, `${given} is not an ARM id: it starts with /subscriptions/{id} or /providers/Microsoft.Management/managementGroups/{id}`);
  if (!estate.index.subscriptions.has(sub)) throw notFound(pointer, 'subscription', `/subscriptions/${sub}`, [...estate.index.subscriptions].map((s) => `/subscriptions/${s}`));
}

/** Attributes the request implies: storage account, container and queue names, the blob path, the time, a role assignment's request fields. */
function derivedFacts(req: AzureRequest, body: AzureSimulateBody): void {
  const f = req.facts;
  const s = req.resourceAsGiven.split('/').filter((x) => x !== '');
  const lower = s.map((x) => x.toLowerCase());
  const after = (type: string) => {
    const i = lower.indexOf(type);
    return i !== -1 && s[i + 1] ? s[i + 1] : undefined;
  };
  const account = after('storageaccounts');
  const pairs: [string, string | undefined][] = [
    ['@Resource[Microsoft.Storage/storageAccounts:name]', account],
    ['@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]', after('containers')],
    ['@Resource[Microsoft.Storage/storageAccounts/queueServices/queues:name]', after('queues')],
    ['@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path]', req.blobPath],
    ['@Environment[UtcNow]', req.time],
  ];
  for (const [name, v] of pairs) if (v !== undefined && !f.has(name)) f.set(name, v, false);
  if (account) {
    const id = normalizeId('/' + s.slice(0, lower.indexOf('storageaccounts') + 2).join('/'));
    const props = req.estate.scope(id)?.attrs?.properties;
    if (isObj(props) && typeof props.isHnsEnabled === 'boolean' && !f.has('@Resource[Microsoft.Storage/storageAccounts:isHnsEnabled]')) f.set('@Resource[Microsoft.Storage/storageAccounts:isHnsEnabled]', props.isHnsEnabled, false);
  }
  // Delegation conditions read the role assignment being written from the request body.
  const p = isObj(body.requestBody?.properties) ? body.requestBody.properties : undefined;
  if (p && req.actionLower.startsWith('microsoft.authorization/roleassignments/')) {
    if (typeof p.roleDefinitionId === 'string') f.set('@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]', lastSegment(p.roleDefinitionId), false);
    if (typeof p.principalId === 'string') f.set('@Request[Microsoft.Authorization/roleAssignments:PrincipalId]', p.principalId, false);
    if (typeof p.principalType === 'string') f.set('@Request[Microsoft.Authorization/roleAssignments:PrincipalType]', p.principalType, false);
  }
  // Blob index tags given: their key set is known too.
  const tagPrefix = '@resource[microsoft.storage/storageaccounts/blobservices/containers/blobs/tags:';
  const keys = Object.keys(body.context ?? {}).flatMap((k) => {
    const key = attributeKey(k);
    return key?.startsWith(tagPrefix) && body.context![k] !== null ? [key.slice(tagPrefix.length).replace('<$key_case_sensitive$>]', '')] : [];
  });
  const keySet = '@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags&$keys$&]';
  if (keys.length && !f.has(keySet)) f.set(keySet, keys, false);
}

export function buildRequest(estate: AzureEstate, body: AzureSimulateBody): AzureRequest {
  const warnings: Warning[] = [];
  let action: string;
  let resource: string;
  let verb: Verb;
  let errorScope: string;
  let method: string | undefined;
  if (body.action !== undefined) {
    if (body.method !== undefined || body.path !== undefined) throw new InputError('invalid_request', '/method', 'give either action and resource, or method and path');
    if (body.resource === undefined) throw new InputError('invalid_request', '/resource', 'an action needs the resource (an ARM id) it is performed on');
    action = body.action;
    resource = body.resource;
    verb = verbOf(action);
    errorScope = resource;
  } else {
    if (body.method === undefined || body.path === undefined) throw new InputError('invalid_request', '/action', 'give either action and resource, or method and path');
    if (body.resource !== undefined) throw new InputError('invalid_request', '/resource', 'with method and path, the path names the resource');
    const d = deriveAction(body.method, body.path);
    action = d.action;
    resource = d.target;
    verb = d.verb;
    method = body.method.toUpperCase();
    errorScope = body.path.split('?')[0]!;
  }
  if (!resource.startsWith('/')) throw new InputError('invalid_request', body.action !== undefined ? '/resource' : '/path', `${resource} is not an ARM id: it starts with /subscriptions/{id} or /providers/Microsoft.Management/managementGroups/{id}`);
  const isData = body.dataAction ?? isDataAction(action);
  const data = splitDataPath(resource);
  const target = normalizeId(data.scope);
  const chain = estate.links(target);
  checkScope(estate, target, chain.links[0]!.node, body.action !== undefined ? '/resource' : '/path', resource);
  const caller = estate.callerById(body.principal) ?? estate.caller(resolvePrincipal(estate, body, warnings));
  const node = caller.node;
  const who = caller.context;
  // What the request implies is worked out when a condition first reads the facts.
  const facts = new AbacFacts(() => derivedFacts(req, body));
  for (const [k, v] of Object.entries(body.context ?? {})) {
    if (!attributeKey(k)) throw new InputError('invalid_request', `/context/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, `${k} is not an ABAC attribute: write @Resource[...], @Request[...], @Principal[...] or @Environment[...]`);
    facts.set(k, v, true);
  }
  const time = body.time ?? (typeof body.context?.['@Environment[UtcNow]'] === 'string' ? (body.context['@Environment[UtcNow]'] as string) : undefined);
  const view = overlayView(estate, body.overlay);
  const held = view === estate ? who.held : heldBy(view, who.ids);
  const req: AzureRequest = {
    estate,
    view,
    principal: node.id,
    principalNode: node,
    display: caller.display,
    groups: who.groups,
    ids: who.ids,
    held,
    action,
    actionLower: action.toLowerCase(),
    isData,
    verb,
    resourceAsGiven: resource,
    scopeAsGiven: data.scope,
    scopeLabel: scopeLabel(data.scope),
    errorScope,
    target,
    chain: chain.ids,
    links: chain.links,
    chainText: chainText(chain),
    facts,
    warnings,
    // Every request has every field (undefined when absent): one object shape for the code that reads them.
    method,
    resourceNode: chain.links[0]!.node,
    blobPath: data.blobPath,
    subOperation: body.subOperation,
    time,
    requestBody: body.requestBody,
    apiVersion: body.apiVersion,
  };
  return req;
}
