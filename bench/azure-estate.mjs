// A large synthetic Azure tenant in the native formats (docs/azure-inputs.md), and its bench:
// node --expose-gc bench/azure-estate.mjs [SCALE] builds the snapshot with the built library (loadSnapshot,
// bench/snapshot-measure.mjs) and prints one JSON line: load ms, bytes, RSS after load, median µs per decision
// over a mix of allowed, deny-assignment, no-grant and policy-deny requests, and the outcomes seen.
// Scale 1: 6 levels of management groups, 200 subscriptions, 20,000 resources, 50,000 role assignments,
// 500 policy assignments. Everything but the management-group tree grows linearly with the scale.
import { pathToFileURL } from 'node:url';

const TENANT = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00';
const EVERYONE = '00000000-0000-0000-0000-000000000000';
const hex = (n, w) => n.toString(16).padStart(w, '0');
/** Deterministic GUIDs: a kind prefix and a counter. */
const guid = (kind, n) => `${hex(kind, 8)}-${hex((n >>> 16) & 0xffff, 4)}-4${hex((n >>> 4) & 0xfff, 3)}-8${hex(n & 0xf, 1)}00-${hex(n, 12)}`;
const BUILTIN = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c', reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  blobReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', kvSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6', vmContributor: '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
};
const ALLOWED_LOCATIONS = 'e56962a6-4747-49cd-b67b-bf8b01975c4c';
const LOCATIONS = ['westeurope', 'northeurope', 'germanywestcentral', 'swedencentral'];
const TYPES = [
  ['Microsoft.Storage/storageAccounts', 'st'], ['Microsoft.KeyVault/vaults', 'kv'], ['Microsoft.Compute/virtualMachines', 'vm'],
  ['Microsoft.Web/sites', 'app'], ['Microsoft.Network/virtualNetworks', 'vnet'], ['Microsoft.Sql/servers', 'sql'],
];

export function azureEstateShape(scale = 1) {
  return {
    managementGroupLevels: 6, subscriptions: 200 * scale, resources: 20_000 * scale, roleAssignments: 50_000 * scale,
    policyAssignments: 500 * scale, users: 5_000 * scale, groups: 500 * scale, denyAssignments: 100 * scale, locks: 500 * scale,
  };
}

const mgId = (name) => `/providers/Microsoft.Management/managementGroups/${name}`;
const subId = (s) => `/subscriptions/${s}`;
const arm = (page) => ({ value: page });
const chunks = (list, size) => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

/** The tree: tenant root, then 2 children per group for 6 levels (126 groups); subscriptions under the leaves. */
function managementGroups() {
  const groups = [{ name: TENANT, display: 'Tenant Root Group', parent: null, level: 0 }];
  let level = [groups[0]];
  for (let l = 1; l <= 6; l++) {
    const next = [];
    for (const p of level) for (let c = 0; c < 2; c++) next.push({ name: `mg-l${l}-${next.length}`, display: `Level ${l} group ${next.length}`, parent: p.name, level: l });
    groups.push(...next);
    level = next;
  }
  return { groups, leaves: level };
}

/** The files of the tenant at the given scale (ARM list pages, Resource Graph pages, Graph lists). */
export function generateAzureEstate(scale = 1) {
  const shape = azureEstateShape(scale);
  const { groups, leaves } = managementGroups();
  const subs = Array.from({ length: shape.subscriptions }, (_, i) => ({ id: guid(0x5ab, i), name: `sub-${i}`, parent: leaves[i % leaves.length].name }));
  const files = [];
  const json = (name, value) => files.push({ name, text: JSON.stringify(value) });

  json('management-groups.json', {
    value: [
      ...groups.map((g) => ({ id: mgId(g.name), type: 'Microsoft.Management/managementGroups', name: g.name, properties: { tenantId: TENANT, displayName: g.display, parent: g.parent ? { id: mgId(g.parent) } : null } })),
      ...subs.map((s) => ({ id: subId(s.id), type: '/subscriptions', name: s.id, properties: { tenantId: TENANT, displayName: s.name, parent: { id: mgId(s.parent) } } })),
    ],
  });
  json('subscriptions.json', arm(subs.map((s) => ({ id: subId(s.id), subscriptionId: s.id, tenantId: TENANT, displayName: s.name, state: 'Enabled', authorizationSource: 'RoleBased' }))));

  // Entra: users, groups (every group has 10 users; every 10th group also nests the next group), service principals.
  const users = Array.from({ length: shape.users }, (_, i) => ({ id: guid(0xe5e, i), displayName: `User ${i}`, userPrincipalName: `user${i}@bench.example`, accountEnabled: true }));
  const groupList = Array.from({ length: shape.groups }, (_, i) => ({
    id: guid(0x6a0, i), displayName: `group-${i}`, securityEnabled: true, mailEnabled: false, groupTypes: [],
    members: [
      ...users.slice((i * 10) % users.length, ((i * 10) % users.length) + 10).map((u) => ({ '@odata.type': '#microsoft.graph.user', id: u.id })),
      ...(i % 10 === 0 && i + 1 < shape.groups ? [{ '@odata.type': '#microsoft.graph.group', id: guid(0x6a0, i + 1) }] : []),
    ],
  }));
  const sps = subs.map((s, i) => ({ id: guid(0x5b0, i), appId: guid(0xa99, i), displayName: `deploy-${s.name}`, servicePrincipalType: 'Application', accountEnabled: true }));
  json('users.json', arm(users));
  json('groups.json', arm(groupList));
  json('service-principals.json', arm(sps));

  // Resources: 5 resource groups per subscription (the last one a managed application's managed group).
  const perSub = shape.resources / shape.subscriptions;
  const rgs = [];
  const resources = [];
  subs.forEach((s, si) => {
    for (let g = 0; g < 5; g++) {
      const name = g === 4 ? `mrg-app-${si}` : `rg-${g}`;
      rgs.push({ id: `${subId(s.id)}/resourceGroups/${name}`, name, type: 'microsoft.resources/subscriptions/resourcegroups', location: 'westeurope', resourceGroup: name, subscriptionId: s.id, tags: {}, properties: { provisioningState: 'Succeeded' } });
    }
    for (let r = 0; r < perSub; r++) {
      const [type, prefix] = TYPES[r % TYPES.length];
      const group = r % 5 === 4 ? `mrg-app-${si}` : `rg-${r % 4}`;
      const name = `${prefix}${si}x${r}`;
      resources.push({
        id: `${subId(s.id)}/resourceGroups/${group}/providers/${type}/${name}`, name, type: type.toLowerCase(), location: LOCATIONS[r % 2], resourceGroup: group, subscriptionId: s.id,
        tags: r % 7 === 0 ? { protected: 'true', costCenter: `CC-${si}` } : { costCenter: `CC-${si}` }, properties: { provisioningState: 'Succeeded' },
      });
    }
  });
  // Resource Graph answers in pages of at most 1,000 rows.
  chunks([...rgs, ...resources], 1000).forEach((page, i) => json(`resources-${i}.json`, { totalRecords: rgs.length + resources.length, count: page.length, data: page, facets: [], resultTruncated: 'false' }));

  // Custom roles: storage operators without delete (NotActions), assignable in every subscription.
  const customRoles = Array.from({ length: 20 }, (_, i) => ({
    id: `/providers/Microsoft.Management/managementGroups/mg-l1-${i % 2}/providers/Microsoft.Authorization/roleDefinitions/${guid(0xc0, i)}`,
    type: 'Microsoft.Authorization/roleDefinitions', name: guid(0xc0, i),
    properties: {
      roleName: `Operator ${i} (no delete)`, type: 'CustomRole', description: 'Everything on its provider except delete',
      assignableScopes: [mgId(`mg-l1-${i % 2}`)],
      permissions: [{ actions: [`${TYPES[i % TYPES.length][0].split('/')[0]}/*`, '*/read'], notActions: [`${TYPES[i % TYPES.length][0].split('/')[0]}/*/delete`], dataActions: [], notDataActions: [] }],
    },
  }));
  json('role-definitions.json', arm(customRoles));

  // Role assignments: 1% at management groups, 10% at subscriptions, 30% at resource groups, the rest on resources.
  const assignments = [];
  const condition = "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'reports'))";
  for (let i = 0; i < shape.roleAssignments; i++) {
    const bucket = i % 100;
    const k = Math.floor(i / 100);
    let scope;
    let role;
    let principal;
    let principalType;
    let cond = null;
    if (bucket === 0) {
      scope = mgId(groups[1 + (k % (groups.length - 1))].name);
      role = BUILTIN.reader;
      principal = groupList[k % groupList.length].id;
      principalType = 'Group';
    } else if (bucket < 11) {
      // Every subscription gets its deploy principal as Contributor and a group as Owner; the rest are groups.
      const si = (k + (bucket > 2 ? bucket * 37 : 0)) % subs.length;
      scope = subId(subs[si].id);
      role = bucket === 1 ? BUILTIN.contributor : bucket === 2 ? BUILTIN.owner : bucket < 6 ? guid(0xc0, (k + bucket) % customRoles.length) : BUILTIN.reader;
      principal = bucket === 1 ? sps[si].id : groupList[(k * 10 + bucket) % groupList.length].id;
      principalType = bucket === 1 ? 'ServicePrincipal' : 'Group';
    } else if (bucket < 41) {
      const n = k * 30 + bucket - 11;
      scope = rgs[n % rgs.length].id;
      role = bucket % 3 === 0 ? BUILTIN.contributor : BUILTIN.reader;
      principal = users[(n * 7) % users.length].id;
      principalType = 'User';
    } else {
      const n = k * 59 + bucket - 41;
      const r = resources[n % resources.length];
      scope = r.id;
      const storage = r.type === 'microsoft.storage/storageaccounts';
      role = storage ? BUILTIN.blobReader : r.type === 'microsoft.keyvault/vaults' ? BUILTIN.kvSecretsUser : BUILTIN.vmContributor;
      if (storage && bucket % 2 === 0) cond = condition;
      principal = users[(n * 13) % users.length].id;
      principalType = 'User';
    }
    const name = guid(0x4a, i);
    const sub = /^\/subscriptions\/([^/]+)/.exec(scope);
    const isCustom = role.startsWith(hex(0xc0, 8));
    const roleDefinitionId = isCustom ? customRoles[Number.parseInt(role.slice(-12), 16)].id : `${sub ? `/subscriptions/${sub[1]}` : ''}/providers/Microsoft.Authorization/roleDefinitions/${role}`;
    assignments.push({
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`, type: 'Microsoft.Authorization/roleAssignments', name,
      properties: { roleDefinitionId, principalId: principal, principalType, scope, condition: cond, conditionVersion: cond ? '2.0' : null },
    });
  }
  // As `az role assignment list --all` prints them per subscription, plus one file for the management groups.
  const bySub = new Map();
  for (const a of assignments) {
    const key = /^\/subscriptions\/([^/]+)/.exec(a.properties.scope)?.[1] ?? 'management-groups';
    if (!bySub.has(key)) bySub.set(key, []);
    bySub.get(key).push(a);
  }
  for (const [key, list] of bySub) json(`role-assignments-${key}.json`, arm(list));

  // Deny assignments: one per managed resource group (Everyone, except the subscription's deploy principal).
  json('deny-assignments.json', arm(subs.slice(0, shape.denyAssignments).map((s, i) => {
    const scope = `${subId(s.id)}/resourceGroups/mrg-app-${i}`;
    return {
      id: `${scope}/providers/Microsoft.Authorization/denyAssignments/${guid(0xda, i)}`, type: 'Microsoft.Authorization/denyAssignments', name: guid(0xda, i),
      properties: {
        denyAssignmentName: `Deny assignment for managed application app-${i}`, scope, doNotApplyToChildScopes: false, isSystemProtected: true,
        permissions: [{ actions: ['*'], notActions: ['*/read'], dataActions: [], notDataActions: [] }],
        principals: [{ id: EVERYONE, type: 'SystemDefined' }], excludePrincipals: [{ id: sps[i].id, type: 'ServicePrincipal' }],
      },
    };
  })));

  // Azure Policy: allowed locations (built-in), a denyAction on tagged resources and 18 custom deny definitions.
  const definitions = [
    {
      id: `/providers/Microsoft.Authorization/policyDefinitions/${ALLOWED_LOCATIONS}`, type: 'Microsoft.Authorization/policyDefinitions', name: ALLOWED_LOCATIONS,
      properties: {
        displayName: 'Allowed locations', policyType: 'BuiltIn', mode: 'Indexed', parameters: { listOfAllowedLocations: { type: 'Array' } },
        policyRule: { if: { allOf: [{ field: 'location', notIn: "[parameters('listOfAllowedLocations')]" }, { field: 'location', notEquals: 'global' }] }, then: { effect: 'deny' } },
      },
    },
    {
      id: `${mgId('mg-l1-0')}/providers/Microsoft.Authorization/policyDefinitions/deny-delete-protected`, type: 'Microsoft.Authorization/policyDefinitions', name: 'deny-delete-protected',
      properties: { displayName: 'Do not delete protected resources', policyType: 'Custom', mode: 'Indexed', parameters: {}, policyRule: { if: { field: "tags['protected']", equals: 'true' }, then: { effect: 'denyAction', details: { actionNames: ['delete'] } } } },
    },
    ...Array.from({ length: 18 }, (_, i) => ({
      id: `${mgId('mg-l1-0')}/providers/Microsoft.Authorization/policyDefinitions/require-tag-${i}`, type: 'Microsoft.Authorization/policyDefinitions', name: `require-tag-${i}`,
      properties: {
        displayName: `Require tag owner-${i} on ${TYPES[i % TYPES.length][0]}`, policyType: 'Custom', mode: 'Indexed', parameters: {},
        policyRule: { if: { allOf: [{ field: 'type', equals: TYPES[i % TYPES.length][0] }, { field: `tags['owner-${i}']`, exists: 'false' }, { field: 'tags.costCenter', notLike: 'CC-*' }] }, then: { effect: 'deny' } },
      },
    })),
  ];
  json('policy-definitions.json', arm(definitions));
  const policyAssignments = Array.from({ length: shape.policyAssignments }, (_, i) => {
    const scope = i < 2 ? mgId(`mg-l1-${i}`) : i % 5 === 0 ? mgId(groups[1 + (i % (groups.length - 1))].name) : subId(subs[i % subs.length].id);
    const def = i < 2 ? definitions[0] : i % 25 === 3 ? definitions[1] : definitions[2 + (i % 18)];
    const name = i < 2 ? `allowed-locations-${i}` : `pa-${i}`;
    return {
      id: `${scope}/providers/Microsoft.Authorization/policyAssignments/${name}`, type: 'Microsoft.Authorization/policyAssignments', name,
      properties: {
        displayName: name, scope, policyDefinitionId: def.id, enforcementMode: 'Default',
        notScopes: i % 10 === 7 ? [`${subId(subs[(i + 1) % subs.length].id)}/resourceGroups/rg-3`] : [],
        parameters: def === definitions[0] ? { listOfAllowedLocations: { value: LOCATIONS } } : {},
      },
    };
  });
  json('policy-assignments.json', arm(policyAssignments));
  json('policy-exemptions.json', arm(subs.slice(0, 50 * scale).map((s, i) => ({
    id: `${subId(s.id)}/resourceGroups/rg-2/providers/Microsoft.Authorization/policyExemptions/dr-${i}`, type: 'Microsoft.Authorization/policyExemptions', name: `dr-${i}`,
    properties: { policyAssignmentId: policyAssignments[i % 2].id, exemptionCategory: 'Waiver', policyDefinitionReferenceIds: [] },
  }))));
  json('locks.json', arm(resources.filter((_, i) => i % (resources.length / shape.locks) === 1).slice(0, shape.locks).map((r, i) => ({
    id: `${r.id}/providers/Microsoft.Authorization/locks/lock-${i}`, type: 'Microsoft.Authorization/locks', name: `lock-${i}`, properties: { level: i % 2 ? 'CanNotDelete' : 'ReadOnly', notes: '' },
  }))));
  return { files, subs, users, groupList, sps, resources, assignments, denyAssignments: shape.denyAssignments };
}

/**
 * A mix of requests against the estate, in equal parts: allowed (a user's own resource-group grant), blocked by
 * a deny assignment (a subscription Owner writing into a managed resource group), no grant (a user on another
 * subscription's resource) and denied by Azure Policy (a PUT to a location outside the allowed list).
 */
export function azureRequests(estate, n) {
  const { assignments, resources, subs, groupList, users } = estate;
  const rgGrants = assignments.filter((a) => a.properties.principalType === 'User' && /\/resourcegroups\/rg-\d$/i.test(a.properties.scope));
  // Owners of the subscriptions whose managed resource group has a deny assignment.
  const denied = new Set(subs.slice(0, estate.denyAssignments).map((s) => subId(s.id)));
  const ownerGrants = assignments.filter((a) => a.properties.roleDefinitionId.endsWith(BUILTIN.owner) && denied.has(a.properties.scope));
  const typeName = new Map(TYPES.map(([t]) => [t.toLowerCase(), t]));
  const verb = (r, v) => `${typeName.get(r.type)}/${v}`;
  const managed = new Map(resources.filter((r) => r.resourceGroup.startsWith('mrg-')).map((r) => [r.resourceGroup, r]));
  const firstIn = new Map();
  for (const r of resources) if (!firstIn.has(`${subId(r.subscriptionId)}/resourceGroups/${r.resourceGroup}`)) firstIn.set(`${subId(r.subscriptionId)}/resourceGroups/${r.resourceGroup}`, r);
  const out = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    if (kind === 0) {
      const a = rgGrants[(i * 13) % rgGrants.length];
      const r = firstIn.get(a.properties.scope) ?? resources[0];
      out.push({ provider: 'azure', principal: a.properties.principalId, action: verb(r, 'read'), resource: r.id });
    } else if (kind === 1) {
      const a = ownerGrants[(i * 7) % ownerGrants.length];
      const si = subs.findIndex((s) => a.properties.scope === subId(s.id));
      const member = groupList.find((g) => g.id === a.properties.principalId).members[0].id;
      const r = managed.get(`mrg-app-${si}`);
      out.push({ provider: 'azure', principal: member, action: verb(r, 'write'), resource: r.id });
    } else if (kind === 2) {
      const r = resources[(i * 31) % resources.length];
      out.push({ provider: 'azure', principal: users[(i * 17) % users.length].id, action: verb(r, 'delete'), resource: r.id });
    } else {
      const si = (i * 3) % subs.length;
      const path = `${subId(subs[si].id)}/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/stnew${i}`;
      out.push({ provider: 'azure', principal: estate.sps[si].id, method: 'PUT', path, requestBody: { location: 'eastus', kind: 'StorageV2', sku: { name: 'Standard_LRS' }, tags: { costCenter: `CC-${si}`, 'owner-0': 'x', 'owner-6': 'x', 'owner-12': 'x' }, properties: {} } });
    }
  }
  return out;
}

async function main() {
  const { measureSnapshot } = await import('./snapshot-measure.mjs');
  const scale = Number(process.argv[2] ?? 1);
  const estate = generateAzureEstate(scale);
  const m = measureSnapshot(estate.files, azureRequests(estate, 8000), `azure-bench-x${scale}`, (d) => `${d.decision}/${d.reason}/${d.causes[0]?.layer ?? '-'}`);
  console.log(JSON.stringify({ scale, shape: azureEstateShape(scale), ...m }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
