/**
 * ARM ids and scopes. ARM ids are case-insensitive and compared on whole segments; a scope applies to
 * itself and everything below it, but a management group is never a string prefix of the subscriptions
 * under it, so the chain above a subscription comes from the hierarchy, not from the id.
 * https://learn.microsoft.com/azure/role-based-access-control/scope-overview
 */
import { BoundedMap } from '../../src/core/bounded.js';

const SLASH = 47;

/** Starts with `/`, has no empty segment, and ends in a printable ASCII character other than `/`. */
function isClean(id: string): boolean {
  const last = id.charCodeAt(id.length - 1);
  return id.charCodeAt(0) === SLASH && last !== SLASH && last > 32 && last < 127 && !id.includes('//');
}

/**
 * Lower-cased, `//` collapsed, no trailing `/`; the root scope is `/`.
 * Ids and GUIDs are map keys on every request: they must be flat strings, because V8 looks up a sliced string
 * (what split and slice return) in a Map several times more slowly. A clean id (most are) is only lower-cased,
 * which returns it as it is when it already is lower case: pass slices through joinSegments instead.
 */
export function normalizeId(id: string): string {
  return isClean(id) ? id.toLowerCase() : joinSegments(id);
}

/** normalizeId by split and join: always a new, flat string. */
function joinSegments(id: string): string {
  const parts = id.trim().split('/').filter((s) => s !== '');
  return parts.length ? ['', ...parts].join('/').toLowerCase() : '/';
}

/** Is `scope` the id itself or one of its ancestors by segments (never across the MG hierarchy)? */
export function isAtOrUnder(id: string, scope: string): boolean {
  if (scope === '/') return true;
  // Without `scope + '/'`: this runs for every near miss and notScope, and the concatenation allocates.
  const n = scope.length;
  if (id.length === n) return id === scope;
  return id.length > n && id.charCodeAt(n) === SLASH && id.startsWith(scope);
}

export type ScopeLevel = 'root' | 'management_group' | 'subscription' | 'resource_group' | 'resource';

const SUBSCRIPTIONS = '/subscriptions/';
const MANAGEMENT_GROUPS = '/providers/microsoft.management/managementgroups/';

/** The level of a normalized id. */
export function levelOf(id: string): ScopeLevel {
  if (id === '/') return 'root';
  if (id.startsWith(SUBSCRIPTIONS)) {
    const end = id.indexOf('/', SUBSCRIPTIONS.length);
    if (end === -1) return 'subscription';
    return id.startsWith('resourcegroups/', end + 1) && id.indexOf('/', end + 16) === -1 ? 'resource_group' : 'resource';
  }
  if (id.charCodeAt(0) === SLASH) return id.startsWith(MANAGEMENT_GROUPS) && id.indexOf('/', MANAGEMENT_GROUPS.length) === -1 ? 'management_group' : 'resource';
  const s = id.split('/');
  if (s[1] === 'subscriptions') {
    if (s.length === 3) return 'subscription';
    if (s.length === 5 && s[3] === 'resourcegroups') return 'resource_group';
    return 'resource';
  }
  if (s[1] === 'providers' && s[2] === 'microsoft.management' && s[3] === 'managementgroups' && s.length === 5) return 'management_group';
  return 'resource';
}

/** The subscription GUID of a normalized id under /subscriptions, lower-cased. */
export function subscriptionOf(id: string): string | undefined {
  if (id.startsWith(SUBSCRIPTIONS)) {
    const end = id.indexOf('/', SUBSCRIPTIONS.length);
    return id.slice(SUBSCRIPTIONS.length, end === -1 ? id.length : end) || undefined;
  }
  const s = id.split('/');
  return s[1] === 'subscriptions' && s[2] ? s[2] : undefined;
}

/** The resource group id of a normalized id, when it is in one. */
export function resourceGroupOf(id: string): string | undefined {
  if (id.startsWith(SUBSCRIPTIONS)) {
    const at = id.indexOf('/', SUBSCRIPTIONS.length) + 1;
    if (at === 0 || !id.startsWith('resourcegroups/', at)) return undefined;
    const end = id.indexOf('/', at + 15);
    const stop = end === -1 ? id.length : end;
    return stop > at + 15 ? id.slice(0, stop) : undefined;
  }
  const s = id.split('/');
  return s[1] === 'subscriptions' && s[3] === 'resourcegroups' && s[4] ? s.slice(0, 5).join('/') : undefined;
}

export function managementGroupId(name: string): string {
  return `/providers/microsoft.management/managementgroups/${name.toLowerCase()}`;
}

/**
 * The parent of a normalized id along its segments: a nested resource's parent resource, a top-level
 * resource's resource group (an extension resource's parent resource), a resource group's subscription.
 * Undefined for subscriptions, management groups and the root: the hierarchy decides those.
 */
export function segmentParent(id: string, slice = false): string | undefined {
  const level = levelOf(id);
  if (level === 'root' || level === 'subscription' || level === 'management_group') return undefined;
  // A resource looked up once (a request's target): a slice of the id, its last two segments cut by
  // position, `/providers/{ns}` stepped over. What is kept or looked up often is joined anew (flat).
  const p1 = slice && level === 'resource' && id.charCodeAt(0) === SLASH ? id.lastIndexOf('/') : -1;
  const p2 = p1 > 0 ? id.lastIndexOf('/', p1 - 1) : -1;
  const p3 = p2 > 0 ? id.lastIndexOf('/', p2 - 1) : -1;
  const p4 = p3 > 0 ? id.lastIndexOf('/', p3 - 1) : -1;
  if (p4 > 0) return id.slice(0, id.startsWith('/providers/', p4) ? p4 : p2);
  const s = id.split('/');
  if (level === 'resource_group') return s.slice(0, 3).join('/');
  let up = s.slice(0, -2);
  // `{parent}/providers/{Namespace}` is not a scope: step over it to the parent.
  if (up.length >= 2 && up[up.length - 2] === 'providers') up = up.slice(0, -2);
  return up.length > 1 ? up.join('/') : '/';
}

/** The scope an extension object (role assignment, lock, policy assignment ...) sits at: its id without the `/providers/Microsoft.Authorization/...` suffix. */
export function extensionScope(id: string): string {
  const n = normalizeId(id);
  const at = n.lastIndexOf('/providers/microsoft.authorization/');
  return at <= 0 ? '/' : joinSegments(n.slice(0, at));
}

/** The last segment of an id (a role definition's or assignment's GUID, a resource's name). */
export function lastSegment(id: string): string {
  let end = id.length;
  while (end > 0 && id.charCodeAt(end - 1) === SLASH) end--;
  return id.slice(id.lastIndexOf('/', end - 1) + 1, end);
}

const GUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/;

/**
 * A GUID in its dashed, lower-case form, given with or without dashes (built-in role conditions write
 * them without) or braces; undefined when the text is not a GUID.
 */
export function parseGuid(value: string): string | undefined {
  let s = value.trim().toLowerCase();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  if (!GUID.test(s)) return undefined;
  s = s.replaceAll('-', '');
  return [s.slice(0, 8), s.slice(8, 12), s.slice(12, 16), s.slice(16, 20), s.slice(20)].join('-');
}

/** An object id as a key: a GUID in its dashed, lower-case form, any other text trimmed and lower-cased. */
export function normalizeGuid(value: string): string {
  return parseGuid(value) ?? value.trim().toLowerCase();
}

const CANONICAL_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Is the text a GUID already in its normalized form (dashed, lower case)? */
export function isCanonicalGuid(s: string): boolean {
  return CANONICAL_GUID.test(s);
}

export function isGuid(s: string): boolean {
  return GUID.test(s.trim().toLowerCase());
}

/**
 * Is a normalized id a top-level resource (`.../providers/{ns}/{type}/{name}`: one provider segment, at most
 * one type), told without working out its type (the common case for a policy's target)?
 */
export function isTopLevelResource(id: string): boolean {
  const at = id.indexOf('/providers/');
  if (at === -1 || id.lastIndexOf('/providers/') !== at || !isClean(id) || id.endsWith('/providers')) return false;
  const s1 = id.indexOf('/', at + 11);
  const s2 = s1 === -1 ? -1 : id.indexOf('/', s1 + 1);
  return s2 === -1 || id.indexOf('/', s2 + 1) === -1;
}

/** The resource type of an ARM id as it is written: `Microsoft.Storage/storageAccounts/blobServices/containers`. */
export function resourceTypeOf(id: string): string | undefined {
  // A clean id under /providers/ (most are): only the part after the last `/providers/` matters.
  const lowerId = isClean(id) ? id.toLowerCase() : '';
  const ns = lowerId.lastIndexOf('/providers/');
  if (ns !== -1 && !lowerId.endsWith('/providers')) {
    const rest = id.slice(ns + 11).split('/');
    if (rest.length < 3) return undefined;
    let type = rest[0]!;
    for (let i = 1; i < rest.length; i += 2) type += '/' + rest[i]!;
    return type;
  }
  const s = id.split('/').filter((x) => x !== '');
  if (s.length === 0) return undefined;
  const lower = s.map((x) => x.toLowerCase());
  const at = lower.lastIndexOf('providers');
  if (at === -1) {
    if (lower[0] !== 'subscriptions') return undefined;
    return s.length <= 2 ? 'Microsoft.Resources/subscriptions' : 'Microsoft.Resources/subscriptions/resourceGroups';
  }
  const rest = s.slice(at + 1);
  if (rest.length < 3) return undefined;
  const types = [rest[0]!];
  for (let i = 1; i < rest.length; i += 2) types.push(rest[i]!);
  return types.join('/');
}

/**
 * Storage data-plane paths below the finest RBAC scope: role assignments stop at the container or queue,
 * a blob's path is an ABAC attribute, not a scope.
 * https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-attributes
 */
export interface DataPath {
  /** The scope RBAC evaluates at (the container or queue id, as given). */
  scope: string;
  blobPath?: string;
}

export function splitDataPath(id: string): DataPath {
  // Most ids name no container or queue: a clean one is its own scope.
  if (isClean(id)) {
    const lower = id.toLowerCase();
    if (!lower.includes('/containers/') && !lower.includes('/queues/')) return { scope: id };
  }
  const s = id.split('/').filter((x) => x !== '');
  const lower = s.map((x) => x.toLowerCase());
  for (let i = 0; i + 2 < s.length; i++) {
    if (lower[i] === 'containers' && lower[i + 2] === 'blobs' && lower[i - 2] === 'blobservices') {
      const out: DataPath = { scope: '/' + s.slice(0, i + 2).join('/') };
      if (i + 3 < s.length) out.blobPath = s.slice(i + 3).join('/');
      return out;
    }
    if (lower[i] === 'queues' && lower[i + 2] === 'messages' && lower[i - 2] === 'queueservices') return { scope: '/' + s.slice(0, i + 2).join('/') };
  }
  return { scope: '/' + s.join('/') };
}

/** A short name for a scope in sentences: `container c1`, `resource group rg1`, `management group platform`. */
export function scopeLabel(id: string): string {
  const cut = id.lastIndexOf('/');
  if (cut > 0 && isClean(id)) return labelFor(levelOf(id.toLowerCase()), id.slice(id.lastIndexOf('/', cut - 1) + 1, cut), id.slice(cut + 1));
  const s = id.split('/').filter((x) => x !== '');
  if (s.length === 0) return 'the root scope /';
  return labelFor(levelOf(normalizeId(id)), s[s.length - 2]!, s[s.length - 1]!);
}

/** A scope's label from its level, its type segment (a resource's: `storageAccounts`) and its name. */
function labelFor(level: ScopeLevel, typeSegment: string, name: string): string {
  if (level === 'subscription') return `subscription ${name}`;
  if (level === 'resource_group') return `resource group ${name}`;
  if (level === 'management_group') return `management group ${name}`;
  const type = typeWords.get(typeSegment) ?? typeWords.remember(typeSegment, typeSegment.replace(/s$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
  return `${type} ${name}`;
}

/** Type segments in words (`storageAccounts`: `storage account`): few, but requests bring them. */
const typeWords = new BoundedMap<string, string>(1000);
