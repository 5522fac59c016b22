/**
 * `iamsim collect azure`: reads an Azure estate with the Azure SDK clients, read-only, and writes the files
 * the Azure provider loads (docs/azure-inputs.md), each an ARM list page `{value: [...]}` of objects exactly
 * as ARM and Microsoft Graph return them. docs/collect-azure.md lists the calls, the files and the
 * permissions they need.
 *
 * Scopes: the subscriptions and management groups given, or every one the credential can see. For each
 * management group: role definitions, role assignments, deny assignments and Azure Policy that apply there;
 * for each subscription the same, plus locks, resource groups and resources. One forbidden subscription or
 * group is recorded in collect-report.json and the others are still read.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ManagementLockClient } from '@azure/arm-locks';
import { ManagementGroupsAPI } from '@azure/arm-managementgroups';
import { PolicyClient } from '@azure/arm-policy';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/identity';
import type { Collector } from '../../src/collect/collector.js';
import { Bag, CachedCredential, groupScope, RestReader, sdkGet, sdkPages, unique, type AzureCollectContext, type Obj, type TlsOptions } from './collect-http.js';
import { assignedGroups, collectGraph } from './collect-graph.js';
import { collectPolicy, policyBags } from './collect-policy.js';
import { isObj, propsOf } from './load.js';

export interface AzureCollectOptions {
  /** DefaultAzureCredential in the CLI; any TokenCredential (a static one in tests). */
  credential: TokenCredential;
  /** Subscription ids to read; default: those under `managementGroups` if given, else every one listed. */
  subscriptions?: string[];
  /** Management group names (ids) to read with everything below them; default: every group the credential sees. */
  managementGroups?: string[];
  /** Azure Resource Manager base URL (the SDK clients' `endpoint` option); default https://management.azure.com. */
  endpoint?: string;
  /** Microsoft Graph base URL; default https://graph.microsoft.com. */
  graphEndpoint?: string;
  /** false: do not read Microsoft Graph (group-based grants then cannot be resolved). */
  graph?: boolean;
  /** Trusted CAs (the SDK clients' `tlsOptions`), for a TLS-inspecting proxy or a test server. */
  tlsOptions?: TlsOptions;
}

const ARM = 'https://management.azure.com';
const GRAPH = 'https://graph.microsoft.com';
/** `GET /subscriptions` is in @azure/arm-resources-subscriptions, which is not installed: the REST API. */
const SUBSCRIPTIONS_API = '2022-12-01';

const trimSlash = (u: string) => u.replace(/\/+$/, '');

/** The SDK operations' paths are `/{scope}/providers/...`: a scope goes without its leading slash. */
const sdkScope = (scope: string) => scope.replace(/^\/+/, '');

function context(c: Collector, o: AzureCollectOptions): AzureCollectContext {
  const endpoint = trimSlash(o.endpoint ?? ARM);
  const clientOptions = { endpoint, retryOptions: { maxRetries: 0 }, ...(o.tlsOptions ? { tlsOptions: o.tlsOptions } : {}) };
  const credential = new CachedCredential(o.credential);
  return {
    c,
    credential,
    clientOptions,
    policy: new PolicyClient(credential, clientOptions),
    arm: new RestReader(c, credential, endpoint, `${endpoint}/.default`, o.tlsOptions),
    graphEndpoint: trimSlash(o.graphEndpoint ?? GRAPH),
    tls: o.tlsOptions,
  };
}

/** What answers lose when part of the hierarchy is missing: the chain above a subscription comes from it. */
const HIERARCHY_LOST =
  'what sits below the groups not read hangs directly under the root scope, so role assignments, deny assignments and policy assigned at those groups do not reach it in answers.';

interface Hierarchy {
  /** Management group names to read, the given ones and all below them. */
  groups: string[];
  /** Subscription ids found in the tree. */
  subscriptions: string[];
}

/** Group names and subscription ids in a `$expand=children` tree. */
function walkChildren(node: Obj, into: Hierarchy): void {
  for (const child of Array.isArray(propsOf(node).children) ? (propsOf(node).children as unknown[]) : []) {
    if (!isObj(child) || typeof child.name !== 'string') continue;
    const type = String(child.type).toLowerCase();
    if (type === '/subscriptions' || type === 'microsoft.resources/subscriptions') into.subscriptions.push(child.name);
    else into.groups.push(child.name);
    walkChildren(child, into);
  }
}

/**
 * The management group hierarchy. Given groups: each with the whole tree below it. Otherwise every group
 * the credential lists, and the tree from the tenant root group (named after the tenant id) when it is
 * listed, else each group with its tree.
 * https://learn.microsoft.com/rest/api/managementgroups/management-groups/list
 * https://learn.microsoft.com/rest/api/managementgroups/management-groups/get ($expand=children&$recurse=true)
 */
async function collectHierarchy(x: AzureCollectContext, given: string[] | undefined): Promise<Hierarchy> {
  const api = new ManagementGroupsAPI(x.credential, x.clientOptions);
  const out: Hierarchy = { groups: [...(given ?? [])], subscriptions: [] };
  let roots = given;
  if (!roots) {
    const listed = await sdkPages(x.c, 'tenant', 'GET managementGroups', (h) => api.managementGroups.list(h));
    if (!listed) {
      x.c.warn(`The management group hierarchy could not be listed (see failures): ${HIERARCHY_LOST}`);
      return out;
    }
    const names = listed.map((g) => g.name).filter((n): n is string => typeof n === 'string');
    out.groups.push(...names);
    const root = listed.find((g) => g.name === propsOf(g).tenantId);
    roots = root ? [root.name as string] : names;
  }
  const trees = await Promise.all(
    roots.map((name) => sdkGet(x.c, groupScope(name), 'GET managementGroups/{groupId}?$expand=children&$recurse=true', (h) => api.managementGroups.get(name, { expand: 'children', recurse: true, ...h }))),
  );
  if (trees.includes(undefined)) x.c.warn(`Some management group trees could not be read (see failures): ${HIERARCHY_LOST}`);
  const bag = new Bag();
  for (const t of trees) if (t) bag.add([t]);
  if (given) await collectAncestors(x, api, bag, trees);
  bag.write(x.c, 'management-groups.json');
  for (const t of trees) if (t) walkChildren(t, out);
  out.groups = unique(out.groups);
  out.subscriptions = unique(out.subscriptions);
  return out;
}

/** The parent a management group GET names (`properties.details.parent`), if any. */
function parentName(group: Obj): string | undefined {
  const details = propsOf(group).details;
  const parent = isObj(details) && isObj(details.parent) ? details.parent : undefined;
  const name = parent && (typeof parent.name === 'string' ? parent.name : typeof parent.id === 'string' ? parent.id.split('/').pop() : undefined);
  return name || undefined;
}

/**
 * The groups above the given ones, up to the tenant root group, one GET each: without them the given
 * groups would hang under the root scope, and what is assigned above them (which their `atScope()` lists
 * return) would reach nothing.
 */
async function collectAncestors(x: AzureCollectContext, api: ManagementGroupsAPI, bag: Bag, trees: (Obj | undefined)[]): Promise<void> {
  const seen = new Set(trees.flatMap((t) => (t && typeof t.name === 'string' ? [t.name.toLowerCase()] : [])));
  let pending = trees.flatMap((t) => (t ? [parentName(t)] : [])).filter((n): n is string => n !== undefined);
  while (pending.length) {
    const next = unique(pending).filter((n) => !seen.has(n.toLowerCase()));
    next.forEach((n) => seen.add(n.toLowerCase()));
    const got = await Promise.all(next.map((name) => sdkGet(x.c, groupScope(name), 'GET managementGroups/{groupId}', (h) => api.managementGroups.get(name, h))));
    bag.add(got.filter(isObj));
    if (got.includes(undefined)) x.c.warn(`Some management groups above the collected ones could not be read (see failures): ${HIERARCHY_LOST}`);
    pending = got.flatMap((g) => (g ? [parentName(g)] : [])).filter((n): n is string => n !== undefined);
  }
}

/**
 * The subscriptions to read: given, or under the given management groups, or every one the credential
 * lists. subscriptions.json holds the listed ones among them (display names, state, tenant).
 * https://learn.microsoft.com/rest/api/resources/subscriptions/list
 */
async function collectSubscriptions(x: AzureCollectContext, o: AzureCollectOptions, tree: Hierarchy): Promise<string[]> {
  const listed = await x.arm.list('tenant', 'GET subscriptions', `/subscriptions?api-version=${SUBSCRIPTIONS_API}`);
  const ids = (listed ?? []).map((s) => s.subscriptionId).filter((s): s is string => typeof s === 'string');
  const chosen = unique(o.subscriptions ?? (o.managementGroups || !listed ? tree.subscriptions : ids));
  const wanted = new Set(chosen.map((s) => s.toLowerCase()));
  if (listed) x.c.add('subscriptions.json', { value: listed.filter((s) => wanted.has(String(s.subscriptionId).toLowerCase())) });
  return chosen;
}

/**
 * RBAC at one scope. A subscription's lists hold what is assigned at it, above it and below it; a
 * management group's, with `atScope()`, what is assigned at it and above. Custom role definitions are
 * listed where they are assignable; the built-in ones once (`BuiltInRole`), as the catalogue may be older.
 * https://learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope
 * https://learn.microsoft.com/rest/api/authorization/deny-assignments/list-for-scope
 * https://learn.microsoft.com/azure/role-based-access-control/role-definitions-list (the type filter)
 */
async function collectRbac(x: AzureCollectContext, auth: AuthorizationManagementClient, bags: RbacBags, scope: string, group: boolean): Promise<void> {
  const filter = group ? { filter: 'atScope()' } : {};
  const at = sdkScope(scope);
  await Promise.all([
    sdkPages(x.c, scope, 'GET roleDefinitions', (h) => auth.roleDefinitions.list(at, { filter: "type eq 'CustomRole'", ...h })).then((v) => bags.roleDefinitions.add(v)),
    sdkPages(x.c, scope, 'GET roleAssignments', (h) => auth.roleAssignments.listForScope(at, { ...filter, ...h })).then((v) => bags.roleAssignments.add(v)),
    sdkPages(x.c, scope, 'GET denyAssignments', (h) => auth.denyAssignments.listForScope(at, { ...filter, ...h })).then((v) => bags.denyAssignments.add(v)),
  ]);
}

interface RbacBags {
  roleDefinitions: Bag;
  roleAssignments: Bag;
  denyAssignments: Bag;
}

/**
 * Locks (every lock in the subscription, at it and below), resource groups, and resources with their type,
 * location, tags, kind, sku and identity.
 * https://learn.microsoft.com/rest/api/resources/management-locks/list-at-subscription-level
 * https://learn.microsoft.com/rest/api/resources/resource-groups/list
 * https://learn.microsoft.com/rest/api/resources/resources/list
 */
async function collectSubscriptionContents(x: AzureCollectContext, sub: string, locks: Bag, resources: Bag): Promise<void> {
  const target = `/subscriptions/${sub}`;
  const lockClient = new ManagementLockClient(x.credential, sub, x.clientOptions);
  const resourceClient = new ResourceManagementClient(x.credential, sub, x.clientOptions);
  await Promise.all([
    sdkPages(x.c, target, 'GET locks', (h) => lockClient.managementLocks.listAtSubscriptionLevel(h)).then((v) => locks.add(v)),
    sdkPages(x.c, target, 'GET resourcegroups', (h) => resourceClient.resourceGroups.list(h)).then((v) => resources.add(v)),
    sdkPages(x.c, target, 'GET resources', (h) => resourceClient.resources.list(h)).then((v) => resources.add(v)),
  ]);
}

export async function collectAzure(c: Collector, o: AzureCollectOptions): Promise<void> {
  const x = context(c, o);
  const tree = await collectHierarchy(x, o.managementGroups);
  const subscriptions = await collectSubscriptions(x, o, tree);
  const groups = tree.groups;
  if (!subscriptions.length && !groups.length) c.warn('No subscription or management group to read: nothing but the directory was collected.');
  // Scope-based calls only: the client's subscription id is never used.
  const auth = new AuthorizationManagementClient(x.credential, subscriptions[0] ?? '', x.clientOptions);
  const rbac: RbacBags = { roleDefinitions: new Bag((r) => (typeof r.name === 'string' ? r.name.toLowerCase() : undefined)), roleAssignments: new Bag(), denyAssignments: new Bag() };
  const policy = policyBags();
  const locks = new Bag();
  const resources = new Bag();
  const scopes = [...groups.map((g) => ({ scope: groupScope(g), group: true })), ...subscriptions.map((s) => ({ scope: `/subscriptions/${s}`, group: false }))];
  const builtIn = scopes[0];
  await Promise.all([
    ...scopes.map((s) => collectRbac(x, auth, rbac, s.scope, s.group)),
    builtIn && sdkPages(c, builtIn.scope, 'GET roleDefinitions (built-in)', (h) => auth.roleDefinitions.list(sdkScope(builtIn.scope), { filter: "type eq 'BuiltInRole'", ...h })).then((v) => rbac.roleDefinitions.add(v)),
    collectPolicy(x, policy, groups, subscriptions),
    ...subscriptions.map((s) => collectSubscriptionContents(x, s, locks, resources)),
  ]);
  rbac.roleDefinitions.write(c, 'role-definitions.json');
  rbac.roleAssignments.write(c, 'role-assignments.json');
  rbac.denyAssignments.write(c, 'deny-assignments.json');
  policy.definitions.write(c, 'policy-definitions.json');
  policy.setDefinitions.write(c, 'policy-set-definitions.json');
  policy.assignments.write(c, 'policy-assignments.json');
  policy.exemptions.write(c, 'policy-exemptions.json');
  locks.write(c, 'locks.json');
  resources.write(c, 'resources.json');
  if (o.graph === false) c.warn('Microsoft Graph was not read (graph disabled): principals are named by object id only, and group-based grants cannot be resolved.');
  else await collectGraph(x, assignedGroups(rbac.roleAssignments.values(), rbac.denyAssignments.values()));
}
