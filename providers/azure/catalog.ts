/**
 * The Azure built-in role catalogue: providers/azure/data/built-in-roles.json, a compact copy of
 * `az role definition list` from iann0036/iam-dataset (MIT; regenerate with `npm run gen:azure-data`).
 * Read once, on first use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGuid } from './ids.js';

export interface PermissionBlock {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  readonly notDataActions: readonly string[];
  readonly condition?: string;
  readonly conditionVersion?: string;
}

export interface BuiltInRole {
  /** The role definition's name: a lower-case GUID, identical in every cloud and subscription. */
  readonly id: string;
  readonly roleName: string;
  readonly roleType: 'BuiltInRole';
  readonly permissions: readonly PermissionBlock[];
}

interface Catalogue {
  byId: Map<string, BuiltInRole>;
  byName: Map<string, BuiltInRole>;
  roles: readonly BuiltInRole[];
}

const DATA_FILE = join('providers', 'azure', 'data', 'built-in-roles.json');
let catalogue: Catalogue | undefined;

/** The data file next to this module (sources), or under the package root (compiled into dist/). */
function dataFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const local = join(here, 'data', 'built-in-roles.json');
  if (existsSync(local)) return local;
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, DATA_FILE))) return join(dir, DATA_FILE);
    if (dirname(dir) === dir) throw new Error(`Azure built-in role catalogue not found (${DATA_FILE})`);
  }
}

function load(): Catalogue {
  if (catalogue) return catalogue;
  const raw = JSON.parse(readFileSync(dataFile(), 'utf8')) as Array<Omit<BuiltInRole, 'roleType'>>;
  const roles = raw.map((r): BuiltInRole => ({ ...r, roleType: 'BuiltInRole' }));
  catalogue = {
    roles,
    byId: new Map(roles.map((r) => [r.id, r])),
    byName: new Map(roles.map((r) => [r.roleName.toLowerCase(), r])),
  };
  return catalogue;
}

/**
 * A built-in role by GUID, by role definition id (`/providers/Microsoft.Authorization/roleDefinitions/<guid>`,
 * or the same under a subscription or other scope: built-ins are shown under every scope), or by role name
 * (case-insensitive).
 */
export function builtInRole(idOrName: string): BuiltInRole | undefined {
  const { byId, byName } = load();
  const trimmed = idOrName.trim();
  const marker = '/providers/microsoft.authorization/roledefinitions/';
  const lower = trimmed.toLowerCase();
  const at = lower.lastIndexOf(marker);
  const guid = parseGuid(at === -1 ? trimmed : trimmed.slice(at + marker.length).replace(/\/+$/, ''));
  if (guid) return byId.get(guid);
  return at === -1 ? byName.get(lower) : undefined;
}

/** Every built-in role, in catalogue order. */
export function builtInRoles(): readonly BuiltInRole[] {
  return load().roles;
}

interface DataActionIndex {
  /** Literal (wildcard-free) action strings, lower-cased. */
  literalData: Set<string>;
  literalControl: Set<string>;
  /** Prefixes of `<literal>/*` patterns, lower-cased, including the trailing `/`. */
  prefixData: Set<string>;
  prefixControl: Set<string>;
}

let dataIndex: DataActionIndex | undefined;

function buildDataIndex(): DataActionIndex {
  const index: DataActionIndex = { literalData: new Set(), literalControl: new Set(), prefixData: new Set(), prefixControl: new Set() };
  const add = (pattern: string, data: boolean) => {
    const p = pattern.toLowerCase();
    const star = p.indexOf('*');
    if (star === -1) (data ? index.literalData : index.literalControl).add(p);
    else if (star === p.length - 1 && p.endsWith('/*') && p.length > 2) {
      (data ? index.prefixData : index.prefixControl).add(p.slice(0, -1));
    }
  };
  for (const role of load().roles) {
    for (const block of role.permissions) {
      for (const a of block.actions) add(a, false);
      for (const a of block.notActions) add(a, false);
      for (const a of block.dataActions) add(a, true);
      for (const a of block.notDataActions) add(a, true);
    }
  }
  return index;
}


/**
 * Is this operation a data action (`isDataAction: true` in provider operations metadata)?
 *
 * The dataset ships only the built-in role definitions (`azure-built-in-roles.json`): it has no provider
 * operations list, so the answer is derived from the roles (a heuristic):
 * 1. an action written literally (case-insensitive) in some role's Actions/NotActions is a control action,
 *    even if a role also lists it as a data action (two actions in the catalogue are listed both ways);
 * 2. else one written literally in some role's DataActions/NotDataActions is a data action;
 * 3. else the longest `<literal>/*` prefix pattern decides: DataActions `.../containers/blobs/*` beats
 *    Actions `.../containers/*` for `.../containers/blobs/foo/action`; a tie or no prefix => control.
 * Limits: an operation that no built-in role names (literally or under a `<literal>/*` prefix) is reported
 * as a control action, and patterns with a `*` between segments (the Event Hubs send/receive data actions) are
 * not used. Callers that know better (a request marked as data plane) should say so.
 */
export function isDataAction(action: string): boolean {
  dataIndex ??= buildDataIndex();
  const a = action.trim().toLowerCase();
  if (dataIndex.literalControl.has(a)) return false;
  if (dataIndex.literalData.has(a)) return true;
  // Longest prefix first: walk back over the action's `/` boundaries.
  for (let slash = a.lastIndexOf('/'); slash > 0; slash = a.lastIndexOf('/', slash - 1)) {
    const prefix = a.slice(0, slash + 1);
    if (dataIndex.prefixControl.has(prefix)) return false;
    if (dataIndex.prefixData.has(prefix)) return true;
  }
  return false;
}
