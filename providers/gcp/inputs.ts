/**
 * Recognising Google Cloud input files (docs/gcp-inputs.md) by their content, never by their name, so that
 * AWS and Azure files are left to their providers: Cloud Asset Inventory exports, IAM v2 deny policies,
 * IAM v3 principal access boundary policies and bindings, IAM v1 custom roles, Organization Policy v2
 * policies and custom constraints, group memberships, a domain → customer id map, and a project list.
 */

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The strings of a JSON array (others dropped); [] when it is not an array. */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A field in its camelCase (API) or snake_case (Cloud Asset export) spelling. */
export function field(o: Obj, camel: string): unknown {
  if (camel in o) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return o[snake];
}

/** A bucket's uniform bucket-level access setting (`bucketPolicyOnly` is its old name); undefined when not given. */
export function uniformAccessOf(bucket: Obj): boolean | undefined {
  const cfg = isObj(bucket.iamConfiguration) ? bucket.iamConfiguration : {};
  const setting = isObj(cfg.uniformBucketLevelAccess) ? cfg.uniformBucketLevelAccess : isObj(cfg.bucketPolicyOnly) ? cfg.bucketPolicyOnly : undefined;
  return typeof setting?.enabled === 'boolean' ? setting.enabled : undefined;
}

/** The key a field was found under (for JSON pointers). */
export function fieldKey(o: Obj, camel: string): string {
  return camel in o ? camel : camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export type InputKind = 'assets' | 'deny' | 'pab' | 'roles' | 'orgPolicies' | 'customConstraints' | 'groups' | 'cloudIdentityGroups' | 'customers' | 'projects' | 'tagBindings';

/** A Cloud Asset line: `name` and `asset_type`/`assetType`; or an IAM policy search result. */
function isAsset(v: unknown): boolean {
  if (!isObj(v)) return false;
  if (typeof v.name === 'string' && typeof field(v, 'assetType') === 'string' && v.name.startsWith('//')) return true;
  return typeof v.resource === 'string' && v.resource.startsWith('//') && isObj(v.policy) && typeof field(v, 'assetType') === 'string';
}

export const isDenyPolicy = (v: unknown): boolean => isObj(v) && Array.isArray(v.rules) && typeof v.name === 'string' && v.name.includes('/denypolicies/');
export const isPabPolicy = (v: unknown): boolean => isObj(v) && typeof v.name === 'string' && v.name.includes('/principalAccessBoundaryPolicies/') && isObj(v.details);
export const isPolicyBinding = (v: unknown): boolean => isObj(v) && typeof v.name === 'string' && v.name.includes('/policyBindings/') && isObj(v.target);
export const isCustomRole = (v: unknown): boolean => isObj(v) && typeof v.name === 'string' && /^(projects|organizations)\/[^/]+\/roles\/[^/]+$/.test(v.name);
export const isOrgPolicyV2 = (v: unknown): boolean => isObj(v) && typeof v.name === 'string' && /^(projects|folders|organizations)\/[^/]+\/policies\/[^/]+$/.test(v.name) && (isObj(v.spec) || isObj(v.dryRunSpec));
/** Org Policy v2 custom constraint: organizations/ORG/customConstraints/custom.NAME with a CEL condition. */
export const isCustomConstraint = (v: unknown): boolean => isObj(v) && typeof v.name === 'string' && /^organizations\/[^/]+\/customConstraints\/custom\.[^/]+$/.test(v.name) && typeof v.condition === 'string';
const isCloudIdentityGroup = (v: unknown): boolean => isObj(v) && isObj(v.groupKey) && Array.isArray(v.memberships);
/** Resource Manager tagBindings.list: {parent, tagValue, tagValueNamespacedName}. */
const isTagBinding = (v: unknown): boolean => isObj(v) && typeof v.parent === 'string' && v.parent.startsWith('//') && typeof v.tagValueNamespacedName === 'string';
const isProject = (v: unknown): boolean => isObj(v) && typeof v.projectId === 'string' && (typeof v.projectNumber === 'string' || typeof v.projectNumber === 'number');

const EMAIL_KEY = /^((group:)?[^@\s:]+@[^@\s]+|principalSet:\/\/iam\.googleapis\.com\/\S+\/group\/\S+)$/;
const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

/** The items of a file: an array, a list response under one of `keys`, or one object. */
export function itemsOf(v: unknown, keys: readonly string[]): { items: unknown[]; prefix: string } {
  if (Array.isArray(v)) return { items: v, prefix: '' };
  if (isObj(v)) for (const k of keys) if (Array.isArray(v[k])) return { items: v[k] as unknown[], prefix: `/${k}` };
  return { items: [v], prefix: '' };
}

const LIST_KEYS: Record<Exclude<InputKind, 'groups' | 'customers'>, readonly string[]> = {
  assets: ['assets', 'results'],
  deny: ['policies'],
  pab: ['principalAccessBoundaryPolicies', 'policyBindings'],
  roles: ['roles'],
  orgPolicies: ['policies'],
  customConstraints: ['customConstraints'],
  cloudIdentityGroups: ['groups'],
  projects: ['projects'],
  tagBindings: ['tagBindings'],
};

const TESTS: [Exclude<InputKind, 'groups' | 'customers'>, (v: unknown) => boolean][] = [
  ['assets', isAsset],
  ['deny', isDenyPolicy],
  ['pab', (v) => isPabPolicy(v) || isPolicyBinding(v)],
  ['roles', isCustomRole],
  ['orgPolicies', isOrgPolicyV2],
  ['customConstraints', isCustomConstraint],
  ['cloudIdentityGroups', isCloudIdentityGroup],
  ['projects', isProject],
  ['tagBindings', isTagBinding],
];

/** What kind of GCP input a parsed file is, or undefined when it is not one. */
export function inputKind(value: unknown): InputKind | undefined {
  for (const [kind, test] of TESTS) {
    const { items } = itemsOf(value, LIST_KEYS[kind]);
    if (items.length > 0 && items.every(test)) return kind;
  }
  // A deny policy file may name its attachment point: {attachmentPoint, policies: [...]}.
  if (isObj(value) && typeof value.attachmentPoint === 'string' && Array.isArray(value.policies) && value.policies.every(isDenyPolicy)) return 'deny';
  // A PAB file may hold policies and bindings side by side.
  if (isObj(value) && (Array.isArray(value.principalAccessBoundaryPolicies) || Array.isArray(value.policyBindings))) {
    const all = [...((value.principalAccessBoundaryPolicies as unknown[]) ?? []), ...((value.policyBindings as unknown[]) ?? [])];
    if (all.length && all.every((x) => isPabPolicy(x) || isPolicyBinding(x))) return 'pab';
  }
  if (!isObj(value)) return undefined;
  const entries = Object.entries(value);
  if (!entries.length) return undefined;
  if (entries.every(([k, v]) => EMAIL_KEY.test(k) && Array.isArray(v) && v.every((m) => typeof m === 'string'))) return 'groups';
  if (entries.every(([k, v]) => DOMAIN.test(k) && typeof v === 'string' && /^C[0-9a-z]+$/i.test(v))) return 'customers';
  return undefined;
}

export function listKeys(kind: InputKind): readonly string[] {
  return kind === 'groups' || kind === 'customers' ? [] : LIST_KEYS[kind];
}
