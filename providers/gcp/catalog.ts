/**
 * The Google Cloud role catalogue: predefined roles and their permissions, the v1 <-> v2 (deny policy FQDN)
 * permission names, and API method -> permissions. Data: providers/gcp/data/*, generated from
 * iann0036/iam-dataset (MIT) by scripts/gen-gcp-data.mjs (the encoding is described there).
 * Each file is read on first use and kept; a role's permission Set is decoded on first lookup.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PredefinedRole {
  readonly name: string;
  readonly title: string;
  readonly stage?: string;
  readonly deleted?: boolean;
  readonly permissions: ReadonlySet<string>;
}

export interface MethodPermission {
  readonly permission: string;
  /** The permission is checked only when the request body has this JSON path (e.g. actAs for a service account). */
  readonly ifBodyPath?: string;
}

export interface CatalogSource {
  dataset: string;
  licence: string;
  commit: string;
  date: string;
}

interface RolesFile {
  source: CatalogSource;
  permissions: string[];
  roles: Record<string, [title: string, stage: string, runs: string, deleted?: boolean]>;
}

interface ServiceMapping {
  /** API (FQDN first label) -> v1 permission prefix, e.g. cloudresourcemanager -> resourcemanager. */
  api: Record<string, string>;
  /** v1 permission prefix -> API, e.g. resourcemanager -> cloudresourcemanager. */
  iam: Record<string, string>;
}

/** Basic roles: they come from the catalogue like every predefined role (https://cloud.google.com/iam/docs/roles-overview#basic). */
export const basicRoles: readonly string[] = ['roles/owner', 'roles/editor', 'roles/viewer'];

// providers/gcp (sources) or dist/providers/gcp (build): the data stays in the source tree.
const dataDir: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'providers', 'gcp', 'data');
    if (existsSync(join(candidate, 'roles.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error('providers/gcp/data/roles.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
})();

/** A data file of providers/gcp/data, parsed. */
export function readData<T>(file: string): T {
  return JSON.parse(readFileSync(join(dataDir, file), 'utf8')) as T;
}

let rolesFile: RolesFile | undefined;
let permissionTable: string[] | undefined;
const roleCache = new Map<string, PredefinedRole>();
let allPermissions: ReadonlySet<string> | undefined;
let byPermission: Map<string, string[]> | undefined;
let mapping: ServiceMapping | undefined;
let methods: Record<string, (string | { permission: string; ifBodyPath: string })[]> | undefined;

function roles(): RolesFile {
  rolesFile ??= readData<RolesFile>('roles.json');
  return rolesFile;
}

/** The permission table: "storage.|buckets:get,list|objects:get" -> storage.buckets.get, storage.buckets.list, storage.objects.get. */
function permissions(): string[] {
  if (permissionTable) return permissionTable;
  const table: string[] = [];
  for (const group of roles().permissions) {
    const [prefix, ...resources] = group.split('|');
    for (const r of resources) {
      const colon = r.indexOf(':');
      const resource = r.slice(0, colon);
      for (const verb of r.slice(colon + 1).split(',')) table.push(`${prefix}${resource}.${verb}`);
    }
  }
  permissionTable = table;
  return table;
}

function decodeRuns(runs: string): Set<string> {
  const table = permissions();
  const out = new Set<string>();
  if (runs === '') return out;
  let next = 0;
  for (const run of runs.split(' ')) {
    const plus = run.indexOf('+');
    const start = next + parseInt(plus < 0 ? run : run.slice(0, plus), 36);
    const end = start + (plus < 0 ? 0 : parseInt(run.slice(plus + 1), 36));
    for (let i = start; i <= end; i++) out.add(table[i]!);
    next = end + 1;
  }
  return out;
}

/** A predefined (or basic) role by name, e.g. roles/storage.objectViewer; undefined when the catalogue lacks it. */
export function predefinedRole(name: string): PredefinedRole | undefined {
  const cached = roleCache.get(name);
  if (cached) return cached;
  const entry = Object.hasOwn(roles().roles, name) ? roles().roles[name] : undefined;
  if (!entry) return undefined;
  const [title, stage, runs, deleted] = entry;
  const role: PredefinedRole = {
    name,
    title,
    ...(stage ? { stage } : {}),
    ...(deleted ? { deleted } : {}),
    permissions: decodeRuns(runs),
  };
  roleCache.set(name, role);
  return role;
}

export function predefinedRoleNames(): string[] {
  return Object.keys(roles().roles);
}

/** Which predefined roles contain the permission (v1 spelling as roles list it); for "a role that would grant it". */
export function rolesGranting(permission: string): readonly string[] {
  if (!byPermission) {
    byPermission = new Map();
    for (const name of predefinedRoleNames()) {
      for (const p of predefinedRole(name)!.permissions) {
        const list = byPermission.get(p);
        if (list) list.push(name);
        else byPermission.set(p, [name]);
      }
    }
  }
  return byPermission.get(permission) ?? [];
}

/** True when some predefined role contains the permission (either spelling). */
export function isKnownPermission(p: string): boolean {
  allPermissions ??= new Set(permissions());
  if (allPermissions.has(p)) return true;
  const v1 = toV1Permission(p);
  return v1 !== undefined && allPermissions.has(v1);
}

function serviceMapping(): ServiceMapping {
  mapping ??= readData<ServiceMapping>('service-mapping.json');
  return mapping;
}

const V1 = /^[a-z][a-z0-9-]*\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/;
const V2 = /^([a-z0-9-]+(?:\.[a-z0-9-]+)+)\/([A-Za-z0-9_]+\.[A-Za-z0-9_]+)$/;
const GOOGLEAPIS = '.googleapis.com';

/**
 * The v1 spelling (service.resource.verb) of a v1 or v2 permission; undefined when malformed.
 * v2 is SERVICE_FQDN/RESOURCE.VERB, with SERVICE_FQDN normally "<v1 service>.googleapis.com" and the exceptions
 * in service-mapping.json (https://cloud.google.com/iam/docs/deny-permissions-support). Permissions that roles
 * already list in FQDN form (iam.googleapis.com/oauthClients.create, third-party domains) keep that spelling.
 */
export function toV1Permission(p: string): string | undefined {
  if (V1.test(p)) return p;
  const m = V2.exec(p);
  if (!m) return undefined;
  allPermissions ??= new Set(permissions());
  if (allPermissions.has(p)) return p;
  const [, fqdn, rest] = m as unknown as [string, string, string];
  const prefix = v1Prefix(fqdn);
  return prefix === undefined ? undefined : `${prefix}.${rest}`;
}

/** The v1 permission prefix of a Google API's FQDN (cloudresourcemanager.googleapis.com -> resourcemanager); undefined for other domains. */
export function v1Prefix(fqdn: string): string | undefined {
  if (!fqdn.endsWith(GOOGLEAPIS)) return undefined;
  const api = fqdn.slice(0, -GOOGLEAPIS.length);
  if (api.includes('.')) return undefined;
  return Object.hasOwn(serviceMapping().api, api) ? serviceMapping().api[api]! : api;
}

/** The v2 (deny policy) spelling of a permission: storage.objects.get -> storage.googleapis.com/objects.get. */
export function toV2Permission(p: string): string {
  if (p.includes('/')) return p;
  const dot = p.indexOf('.');
  if (dot <= 0) return p;
  const prefix = p.slice(0, dot);
  const api = Object.hasOwn(serviceMapping().iam, prefix) ? serviceMapping().iam[prefix]! : prefix;
  return `${api}${GOOGLEAPIS}/${p.slice(dot + 1)}`;
}

/**
 * Whether a deny rule's permission entry covers a v2 permission. Entries are a permission or a permission group:
 * SERVICE_FQDN/RESOURCE.*, SERVICE_FQDN/*.VERB or SERVICE_FQDN/*.* (https://cloud.google.com/iam/docs/deny-overview,
 * "Permission groups"; https://cloud.google.com/iam/docs/deny-permissions-support lists e.g.
 * accessapproval.googleapis.com/*.* and accessapproval.googleapis.com/requests.*). There is no bare "*" form.
 * Groups also cover permissions added to the service later, so this is pattern matching, not a lookup.
 */
export function permissionGroupMatches(pattern: string, v2Permission: string): boolean {
  if (pattern === v2Permission) return true;
  if (!pattern.includes('*')) return false; // a single permission, not a group
  const ps = pattern.indexOf('/');
  const vs = v2Permission.indexOf('/');
  if (ps <= 0 || vs <= 0 || pattern.slice(0, ps) !== v2Permission.slice(0, vs)) return false;
  const [pr, pv, extra] = pattern.slice(ps + 1).split('.');
  const [vr, vv] = v2Permission.slice(vs + 1).split('.');
  if (extra !== undefined || pr === undefined || pv === undefined || vr === undefined || vv === undefined) return false;
  return (pr === '*' || pr === vr) && (pv === '*' || pv === vv);
}

/** The permissions an API method checks (e.g. storage.buckets.get -> storage.buckets.get, storage.buckets.getIamPolicy). */
export function methodPermissions(method: string): readonly MethodPermission[] | undefined {
  const all = (methods ??= readData<NonNullable<typeof methods>>('methods.json'));
  if (!Object.hasOwn(all, method)) return undefined;
  return all[method]!.map((p) => (typeof p === 'string' ? { permission: p } : p));
}

/** The dataset the catalogue was generated from (for answers and /health). */
export function catalogSource(): CatalogSource {
  return roles().source;
}
