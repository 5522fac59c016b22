/**
 * Azure Policy `field` names -> where the value sits in the resource document.
 * https://learn.microsoft.com/azure/governance/policy/concepts/definition-structure-policy-rule#fields
 * https://learn.microsoft.com/azure/governance/policy/concepts/definition-structure-alias
 *
 * Aliases are `{Namespace}/{type}[/{childType}...]/{property path}`; Azure publishes the exact path of each
 * (`az provider show --expand resourceTypes/aliases`). A small table of common aliases is shipped; any other
 * alias is resolved by a heuristic (reported as such): the property path is under `properties.` unless it
 * starts with a top-level key (sku, kind, identity, tags, location, plan, zones, ...).
 */

export type PathStep = { readonly key: string } | { readonly each: true };

export type FieldSpec =
  | { readonly kind: 'name' | 'fullName' | 'kind' | 'type' | 'location' | 'id' | 'tags' }
  | { readonly kind: 'tag'; readonly tag: string }
  | {
      readonly kind: 'alias';
      /** Resource type the alias belongs to, lower-cased; undefined for identity.type (any type). */
      readonly type?: string;
      readonly steps: readonly PathStep[];
      /** The alias selects a collection (it has `[*]`). */
      readonly collection: boolean;
      readonly heuristic: boolean;
      /** The JSON path, for explanations (`properties.securityRules[*].properties.access`). */
      readonly path: string;
    };

const TOP_LEVEL = new Set(['sku', 'kind', 'identity', 'tags', 'location', 'plan', 'zones', 'name', 'id', 'type', 'extendedlocation', 'managedby']);

/** Common aliases and their paths (type prefix -> property path -> JSON path). */
const KNOWN: Record<string, Record<string, string>> = {
  'Microsoft.Storage/storageAccounts': {
    supportsHttpsTrafficOnly: 'properties.supportsHttpsTrafficOnly',
    minimumTlsVersion: 'properties.minimumTlsVersion',
    allowBlobPublicAccess: 'properties.allowBlobPublicAccess',
    allowSharedKeyAccess: 'properties.allowSharedKeyAccess',
    publicNetworkAccess: 'properties.publicNetworkAccess',
    accessTier: 'properties.accessTier',
    'networkAcls.defaultAction': 'properties.networkAcls.defaultAction',
    'networkAcls.bypass': 'properties.networkAcls.bypass',
    'networkAcls.ipRules[*]': 'properties.networkAcls.ipRules[*]',
    'networkAcls.ipRules[*].value': 'properties.networkAcls.ipRules[*].value',
    'networkAcls.virtualNetworkRules[*].id': 'properties.networkAcls.virtualNetworkRules[*].id',
    'encryption.requireInfrastructureEncryption': 'properties.encryption.requireInfrastructureEncryption',
    'sku.name': 'sku.name',
  },
  'Microsoft.Storage/storageAccounts/blobServices/containers': { publicAccess: 'properties.publicAccess' },
  'Microsoft.KeyVault/vaults': {
    enableSoftDelete: 'properties.enableSoftDelete',
    enablePurgeProtection: 'properties.enablePurgeProtection',
    enableRbacAuthorization: 'properties.enableRbacAuthorization',
    publicNetworkAccess: 'properties.publicNetworkAccess',
    'networkAcls.defaultAction': 'properties.networkAcls.defaultAction',
  },
  'Microsoft.Compute/virtualMachines': {
    'sku.name': 'properties.hardwareProfile.vmSize',
    imagePublisher: 'properties.storageProfile.imageReference.publisher',
    imageOffer: 'properties.storageProfile.imageReference.offer',
    imageSku: 'properties.storageProfile.imageReference.sku',
    imageVersion: 'properties.storageProfile.imageReference.version',
  },
  'Microsoft.Network/virtualNetworks': { 'addressSpace.addressPrefixes[*]': 'properties.addressSpace.addressPrefixes[*]' },
  'Microsoft.Sql/servers': { publicNetworkAccess: 'properties.publicNetworkAccess', minimalTlsVersion: 'properties.minimalTlsVersion' },
  'Microsoft.Web/sites': { httpsOnly: 'properties.httpsOnly' },
};

const EXACT = new Map(
  Object.entries(KNOWN).flatMap(([type, paths]) => Object.entries(paths).map(([p, path]) => [`${type}/${p}`.toLowerCase(), path] as const)),
);

/**
 * Array aliases whose members are sub-resources: a member's own properties sit under `properties.`
 * (`securityRules[*].access` -> `properties.securityRules[*].properties.access`).
 */
const SUB_RESOURCE_ARRAYS: Record<string, string> = {
  'microsoft.network/networksecuritygroups/securityrules[*]': 'properties.securityRules[*]',
  'microsoft.network/networksecuritygroups/defaultsecurityrules[*]': 'properties.defaultSecurityRules[*]',
  'microsoft.network/virtualnetworks/subnets[*]': 'properties.subnets[*]',
  'microsoft.network/networkinterfaces/ipconfigurations[*]': 'properties.ipConfigurations[*]',
  'microsoft.network/loadbalancers/frontendipconfigurations[*]': 'properties.frontendIPConfigurations[*]',
  'microsoft.network/azurefirewalls/networkrulecollections[*]': 'properties.networkRuleCollections[*]',
};

/** Parses a dotted path with `[*]` into steps (`a.b[*].c`). */
function parsePath(path: string): PathStep[] {
  const steps: PathStep[] = [];
  for (const part of path.split('.')) {
    let p = part;
    let each = 0;
    while (p.endsWith('[*]')) {
      p = p.slice(0, -3);
      each++;
    }
    if (p !== '') steps.push({ key: p });
    for (let i = 0; i < each; i++) steps.push({ each: true });
  }
  return steps;
}

function aliasSpec(path: string, heuristic: boolean, type?: string): FieldSpec {
  const steps = parsePath(path);
  return { kind: 'alias', type, steps, collection: steps.some((s) => 'each' in s), heuristic, path };
}

/** Tag name from `tags['x']`, `tags['''x''']`, `tags[x]` or `tags.x`; undefined when not a tag field. */
function tagName(field: string): string | undefined {
  const lower = field.toLowerCase();
  if (lower.startsWith('tags.') && field.length > 5) return field.slice(5);
  if (!lower.startsWith('tags[') || !field.endsWith(']')) return undefined;
  const inner = field.slice(5, -1);
  if (inner.length >= 2 && inner.startsWith("'") && inner.endsWith("'")) return inner.slice(1, -1).replaceAll("''", "'");
  return inner;
}

const BUILTIN = new Map(
  (['name', 'fullName', 'kind', 'type', 'location', 'id', 'tags'] as const).map((k) => [k.toLowerCase(), k]),
);

/** What a `field` refers to; undefined for a name that is neither a field nor an alias. */
export function fieldSpec(field: string): FieldSpec | undefined {
  const f = field.trim();
  const lower = f.toLowerCase();
  const builtin = BUILTIN.get(lower);
  if (builtin) return { kind: builtin };
  if (lower === 'identity.type') return aliasSpec('identity.type', false);
  const tag = tagName(f);
  if (tag !== undefined) return { kind: 'tag', tag };
  const slash = f.lastIndexOf('/');
  if (slash <= 0 || !f.includes('/') || slash === f.length - 1) return undefined;
  const type = lower.slice(0, slash);
  const exact = EXACT.get(lower);
  if (exact) return aliasSpec(exact, false, type);
  for (const [arrayAlias, arrayPath] of Object.entries(SUB_RESOURCE_ARRAYS)) {
    if (lower === arrayAlias) return aliasSpec(arrayPath, false, type);
    if (lower.startsWith(`${arrayAlias}.`)) return aliasSpec(`${arrayPath}.properties.${f.slice(arrayAlias.length + 1)}`, false, type);
  }
  const property = f.slice(slash + 1);
  const first = property.split(/[.[]/, 1)[0]!.toLowerCase();
  return aliasSpec(TOP_LEVEL.has(first) ? property : `properties.${property}`, true, type);
}

export const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Property lookup ignoring case (ARM property names are case-insensitive). */
export function getProperty(obj: unknown, key: string): unknown {
  if (!isObj(obj)) return undefined;
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

/**
 * Walks steps from a value. Without `[*]` the result is the single value (undefined when missing); with
 * `[*]` it is the collection of selected values (missing arrays select nothing), flattened.
 */
export function selectPath(root: unknown, steps: readonly PathStep[]): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('each' in step) {
        if (Array.isArray(v)) next.push(...v);
      } else next.push(getProperty(v, step.key));
    }
    current = next;
  }
  return current;
}
