/**
 * A fake Azure on 127.0.0.1 for the collector tests, speaking what the SDK clients and Microsoft Graph
 * speak: HTTPS (the SDK's bearer token policy refuses plain HTTP), ARM REST with `api-version`, lists as
 * `{value, nextLink}` pages, ARM errors `{error: {code, message}}` (429 with Retry-After, 403
 * AuthorizationFailed), and Graph lists paged with `@odata.nextLink`. It answers the list filters the
 * collector uses as ARM documents them: `atScope()` (at or above), no filter on a subscription (at, above
 * and below), `atExactScope()`, `type eq 'CustomRole'`, and `$expand=children&$recurse=true`.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

type Obj = Record<string, unknown>;

/**
 * A self-signed certificate for IP 127.0.0.1 (valid 2000-2100) and its key. Test-only: it protects nothing;
 * the collector trusts it through its `tlsOptions.ca` option, as the SDK clients do.
 */
export const FAKE_CA = `-----BEGIN CERTIFICATE-----
MIIBXjCCAQOgAwIBAgICEAAwCgYIKoZIzj0EAwIwFDESMBAGA1UEAwwJMTI3LjAu
MC4xMCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAUMRIwEAYDVQQD
DAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR1dB4tefdq16oz
mtJbUj3pg2awuS+T3Lqg2nN88opUe5H1stDhYSoAh0aDud8CD4ecYAbX77+QUfFS
np7p5Gc9o0MwQTAPBgNVHRMBAf8EBTADAQH/MA8GA1UdEQQIMAaHBH8AAAEwHQYD
VR0OBBYEFHAUaM5Z8rb0aq815lHraVEtDRs+MAoGCCqGSM49BAMCA0kAMEYCIQCv
vr0CmR4oBDrSZYvKSeRnPsN+V5B5Uk9OXAUnCoDWgwIhAOLYetsBef2pfFJT8uJb
8XI6z79UUk50M6gDGYgOL/sG
-----END CERTIFICATE-----
`;
const FAKE_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghImb3UUM3wifJyvN
Ku7cz7XSKBgbY9RjUSclVEDxpEehRANCAAR1dB4tefdq16ozmtJbUj3pg2awuS+T
3Lqg2nN88opUe5H1stDhYSoAh0aDud8CD4ecYAbX77+QUfFSnp7p5Gc9
-----END PRIVATE KEY-----
`;

export interface FakeAzureEstate {
  tenantId: string;
  /** Management groups below the tenant root group (named after the tenant id); parent: a group name. */
  managementGroups: { name: string; displayName: string; parent: string }[];
  subscriptions: { id: string; displayName: string; parent: string }[];
  /** ARM objects exactly as the REST API returns them; each sits at its `properties.scope` or id prefix. */
  roleDefinitions: Obj[];
  roleAssignments: Obj[];
  denyAssignments: Obj[];
  policyDefinitions: Obj[];
  policySetDefinitions: Obj[];
  policyAssignments: Obj[];
  policyExemptions: Obj[];
  locks: Obj[];
  resourceGroups: Obj[];
  resources: Obj[];
  /** Microsoft Graph objects. */
  users: Obj[];
  servicePrincipals: Obj[];
  /** Groups with their direct members (object ids of users, groups, service principals). */
  groups: { id: string; displayName: string; members: string[] }[];
}

export interface FakeAzureOptions {
  /** Items per page, for ARM and Graph lists. */
  pageSize?: number;
  /** Subscriptions whose every call answers 403 AuthorizationFailed. */
  forbiddenSubscriptions?: string[];
  /** Path fragments: the first request whose path contains one is answered 429 with Retry-After. */
  throttleOnce?: string[];
  retryAfterSeconds?: number;
  /** Every Graph call answers 403 Authorization_RequestDenied. */
  graphForbidden?: boolean;
  /** The bearer token every request must carry. */
  token: string;
}

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  status: number;
  at: number;
}

const AUTHZ = '/providers/microsoft.authorization/';

const lower = (s: string) => s.toLowerCase();
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const props = (o: Obj): Obj => (o.properties && typeof o.properties === 'object' ? (o.properties as Obj) : {});

/** The scope an ARM extension object sits at: `properties.scope`, or its id before the last /providers/Microsoft.Authorization/. */
function scopeOf(o: Obj): string {
  const given = str(props(o).scope);
  if (given) return lower(given);
  const id = lower(String(o.id));
  const i = id.lastIndexOf(AUTHZ);
  return i <= 0 ? '/' : id.slice(0, i);
}

export class FakeAzure {
  readonly requests: SeenRequest[] = [];
  private readonly throttled = new Set<string>();
  private server!: Server;
  url = '';

  private constructor(
    private readonly estate: FakeAzureEstate,
    private readonly opts: FakeAzureOptions,
  ) {}

  static async start(estate: FakeAzureEstate, opts: FakeAzureOptions): Promise<FakeAzure> {
    const fake = new FakeAzure(estate, opts);
    fake.server = createServer({ cert: FAKE_CA, key: FAKE_KEY }, (req, res) => {
      // ARM reads `//` as `/`; a path starting with `//` would otherwise parse as a host.
      const u = new URL(`https://127.0.0.1${(req.url ?? '/').replace(/^\/+/, '/')}`);
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        fake.requests.push({ method: req.method ?? '', path: u.pathname, query: u.searchParams, status, at: Date.now() });
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(body));
      };
      try {
        const [status, body, headers] = fake.route(req.method ?? '', req.headers.authorization, u);
        answer(status, body, headers);
      } catch (e) {
        answer(500, { error: { code: 'InternalServerError', message: String(e) } });
      }
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `https://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private route(method: string, auth: string | undefined, u: URL): [number, unknown, Record<string, string>?] {
    if (method !== 'GET') return [405, { error: { code: 'MethodNotAllowed', message: `${method} is not a read` } }];
    if (auth !== `Bearer ${this.opts.token}`) return [401, { error: { code: 'InvalidAuthenticationToken', message: 'The access token is missing or invalid.' } }];
    const path = u.pathname;
    const fragment = (this.opts.throttleOnce ?? []).find((f) => path.includes(f) && !this.throttled.has(f));
    if (fragment) {
      this.throttled.add(fragment);
      const retry = String(this.opts.retryAfterSeconds ?? 0);
      return [429, { error: { code: 'TooManyRequests', message: 'The request is being throttled.' } }, { 'retry-after': retry }];
    }
    if (path.startsWith('/v1.0/')) return this.graph(path.slice('/v1.0'.length), u);
    if (!u.searchParams.get('api-version')) return [400, { error: { code: 'MissingApiVersionParameter', message: "The api-version query parameter (?api-version=) is required for all requests." } }];
    const sub = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1];
    if (sub && (this.opts.forbiddenSubscriptions ?? []).some((f) => lower(f) === lower(sub))) {
      const action = path.includes('/providers/') ? `Microsoft.Authorization/${path.split('/').pop()}/read` : 'Microsoft.Resources/subscriptions/resources/read';
      return [403, { error: { code: 'AuthorizationFailed', message: `The client 'collector@contoso.com' with object id '00000000-0000-4000-8000-00000000c011' does not have authorization to perform action '${action}' over scope '/subscriptions/${sub}' or the scope is invalid. If access was recently granted, please refresh your credentials.` } }];
    }
    const items = this.arm(path, u.searchParams);
    if (items === undefined) return [404, { error: { code: 'NotFound', message: `no route for ${path}` } }];
    if (!Array.isArray(items)) return [200, items];
    return [200, this.page(items, u, 'nextLink')];
  }

  /** One page of a list, and a link to the next one that keeps every query parameter. */
  private page(items: unknown[], u: URL, linkName: 'nextLink' | '@odata.nextLink'): Obj {
    const size = this.opts.pageSize ?? 2;
    const skip = Number(u.searchParams.get('$skiptoken') ?? 0);
    const out: Obj = { value: items.slice(skip, skip + size) };
    if (skip + size < items.length) {
      const next = new URL(u.toString());
      next.protocol = 'https:';
      next.host = new URL(this.url).host;
      next.searchParams.set('$skiptoken', String(skip + size));
      out[linkName] = next.toString();
    }
    return out;
  }

  private groupId(name: string): string {
    return `/providers/Microsoft.Management/managementGroups/${name}`;
  }

  /** Scopes from `scope` up to the root `/`, lower-cased: segments, then the management group hierarchy. */
  private ancestors(scope: string): string[] {
    const out: string[] = [];
    let cur: string | undefined = lower(scope);
    while (cur && cur !== '/') {
      out.push(cur);
      const s: string[] = cur.split('/').filter(Boolean);
      if (s[0] === 'subscriptions' && s.length === 2) cur = lower(this.groupId(this.estate.subscriptions.find((x) => lower(x.id) === s[1])?.parent ?? this.estate.tenantId));
      else if (s[0] === 'providers' && s[1] === 'microsoft.management') {
        const g = this.estate.managementGroups.find((x) => lower(x.name) === s[3]);
        cur = g ? lower(this.groupId(g.parent)) : '/';
      } else if (s[0] === 'subscriptions') {
        // Up one level: from a top-level resource (.../providers/ns/type/name) to its resource group, else drop a type/name pair.
        const cut = s[s.length - 4] === 'providers' ? 4 : 2;
        cur = '/' + s.slice(0, s.length - cut).join('/');
      } else cur = '/';
    }
    out.push('/');
    return out;
  }

  private atOrAbove(objScope: string, q: string): boolean {
    return this.ancestors(q).includes(objScope);
  }

  private atOrBelow(objScope: string, q: string): boolean {
    return this.ancestors(objScope).includes(lower(q));
  }

  private arm(path: string, query: URLSearchParams): unknown[] | Obj | undefined {
    const filter = query.get('$filter') ?? '';
    const p = lower(path).replace(/\/+$/, '');
    const e = this.estate;
    if (p === '/subscriptions') {
      return e.subscriptions.map((s) => ({ id: `/subscriptions/${s.id}`, authorizationSource: 'RoleBased', managedByTenants: [], subscriptionId: s.id, tenantId: e.tenantId, displayName: s.displayName, state: 'Enabled', subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'EnterpriseAgreement_2014-09-01', spendingLimit: 'Off' } }));
    }
    if (p === '/providers/microsoft.management/managementgroups') {
      return [e.tenantId, ...e.managementGroups.map((g) => g.name)].map((name) => ({ id: this.groupId(name), type: 'Microsoft.Management/managementGroups', name, properties: { tenantId: e.tenantId, displayName: this.groupName(name) } }));
    }
    const mg = /^\/providers\/microsoft\.management\/managementgroups\/([^/]+)$/.exec(p);
    if (mg) {
      const name = [e.tenantId, ...e.managementGroups.map((g) => g.name)].find((n) => lower(n) === mg[1]);
      if (!name) return undefined;
      const parent = e.managementGroups.find((g) => g.name === name)?.parent;
      const expand = query.get('$expand') === 'children';
      return {
        id: this.groupId(name),
        type: 'Microsoft.Management/managementGroups',
        name,
        properties: { tenantId: e.tenantId, displayName: this.groupName(name), details: { version: 1, updatedBy: 'c360c0e7-17d0-4b3b-ac7b-c188c11a8b54', parent: parent ? { id: this.groupId(parent), name: parent, displayName: this.groupName(parent) } : null }, ...(expand ? { children: this.children(name, query.get('$recurse') === 'true') } : {}) },
      };
    }
    const sub = /^\/subscriptions\/([^/]+)\/(resources|resourcegroups)$/.exec(p);
    if (sub) {
      const list = sub[2] === 'resources' ? e.resources : e.resourceGroups;
      return list.filter((r) => lower(String(r.id)).startsWith(`/subscriptions/${sub[1]}/`));
    }
    const i = p.lastIndexOf(AUTHZ);
    if (i === -1) return undefined;
    const q = i === 0 ? '/' : p.slice(0, i);
    const [kind, name] = p.slice(i + AUTHZ.length).split('/');
    const lists: Record<string, Obj[]> = {
      roledefinitions: e.roleDefinitions,
      roleassignments: e.roleAssignments,
      denyassignments: e.denyAssignments,
      policydefinitions: e.policyDefinitions,
      policysetdefinitions: e.policySetDefinitions,
      policyassignments: e.policyAssignments,
      policyexemptions: e.policyExemptions,
      locks: e.locks,
    };
    const all = lists[kind ?? ''];
    if (!all) return undefined;
    if (name) return all.find((o) => lower(String(o.id)) === p) ?? undefined;
    switch (kind) {
      case 'roledefinitions': {
        const type = /type eq '(\w+)'/.exec(filter)?.[1];
        return all
          .filter((d) => (type === undefined || props(d).type === type) && (props(d).type === 'BuiltInRole' || (props(d).assignableScopes as string[]).some((s) => this.atOrAbove(lower(s), q))))
          .map((d) => (props(d).type === 'BuiltInRole' ? { ...d, id: `${q === '/' ? '' : q}/providers/Microsoft.Authorization/roleDefinitions/${String(d.name)}` } : d));
      }
      case 'policydefinitions':
      case 'policysetdefinitions':
        if (filter === 'atExactScope()') return all.filter((d) => scopeOf(d) === q);
        return all.filter((d) => scopeOf(d) === '/' || this.atOrAbove(scopeOf(d), q));
      case 'locks':
        return all.filter((l) => this.atOrBelow(scopeOf(l), q));
      default:
        // Assignments and exemptions: atScope() is at or above; unfiltered adds what is below.
        return all.filter((o) => this.atOrAbove(scopeOf(o), q) || (filter !== 'atScope()' && this.atOrBelow(scopeOf(o), q)));
    }
  }

  private groupName(name: string): string {
    return name === this.estate.tenantId ? 'Tenant Root Group' : (this.estate.managementGroups.find((g) => g.name === name)?.displayName ?? name);
  }

  private children(name: string, recurse: boolean): Obj[] {
    const e = this.estate;
    const groups = e.managementGroups.filter((g) => g.parent === name).map((g) => ({ type: 'Microsoft.Management/managementGroups', id: this.groupId(g.name), name: g.name, displayName: g.displayName, ...(recurse ? { children: this.children(g.name, true) } : {}) }));
    const subs = e.subscriptions.filter((s) => s.parent === name).map((s) => ({ type: '/subscriptions', id: `/subscriptions/${s.id}`, name: s.id, displayName: s.displayName }));
    return [...groups, ...subs];
  }

  private graph(path: string, u: URL): [number, unknown] {
    if (this.opts.graphForbidden) return [403, { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } }];
    const e = this.estate;
    const odata = (what: string) => `https://graph.microsoft.com/v1.0/$metadata#${what}`;
    if (path === '/users') return [200, { '@odata.context': odata('users'), ...this.page(e.users, u, '@odata.nextLink') }];
    if (path === '/servicePrincipals') return [200, { '@odata.context': odata('servicePrincipals'), ...this.page(e.servicePrincipals, u, '@odata.nextLink') }];
    const m = /^\/groups\/([^/]+)(\/transitiveMembers)?$/.exec(path);
    const group = m && e.groups.find((g) => g.id === m[1]);
    if (!group) return [404, { error: { code: 'Request_ResourceNotFound', message: `Resource '${m?.[1] ?? path}' does not exist or one of its queried reference-property objects are not present.` } }];
    if (!m![2]) return [200, { '@odata.context': odata('groups/$entity'), id: group.id, displayName: group.displayName, securityEnabled: true, mailEnabled: false, groupTypes: [] }];
    return [200, { '@odata.context': odata('directoryObjects'), ...this.page(this.transitive(group.id).map((id) => this.directoryObject(id)), u, '@odata.nextLink') }];
  }

  /** Members of a group and of every group below it, each once. */
  private transitive(id: string, seen = new Set<string>()): string[] {
    for (const m of this.estate.groups.find((g) => g.id === id)?.members ?? []) {
      if (seen.has(m)) continue;
      seen.add(m);
      this.transitive(m, seen);
    }
    return [...seen];
  }

  private directoryObject(id: string): Obj {
    const e = this.estate;
    const user = e.users.find((x) => x.id === id);
    if (user) return { '@odata.type': '#microsoft.graph.user', id, displayName: user.displayName, userPrincipalName: user.userPrincipalName };
    const sp = e.servicePrincipals.find((x) => x.id === id);
    if (sp) return { '@odata.type': '#microsoft.graph.servicePrincipal', id, displayName: sp.displayName, appId: sp.appId, servicePrincipalType: sp.servicePrincipalType };
    const g = e.groups.find((x) => x.id === id);
    return { '@odata.type': '#microsoft.graph.group', id, displayName: g?.displayName ?? id };
  }
}

// A small Contoso estate in the shape of fixtures/azure/estate: three subscriptions under two management
// groups, role assignments at every level (one to a group holding a nested group), a deny assignment, a lock,
// Azure Policy with a built-in definition, a custom initiative and an exemption, and the directory.
export const TENANT = '6ecc67b4-8b33-4708-bbcd-01f7acbc4e92';
export const SUB_PROD = 'fcacc8bc-5cb8-4382-94bd-4bfc5b2a3d14';
export const SUB_DEV = 'd728b10f-3e0d-4ac8-9bbe-1067486b8064';
export const SUB_DENIED = '5d2c1a4e-9f0b-4c1d-8e7a-3b6f2d9c0e11';
export const USERS = {
  amara: 'c360c0e7-17d0-4b3b-ac7b-c188c11a8b54',
  bjorn: '1fc09341-6e34-45dc-b904-c6346e7eb4fc',
  chiara: 'd2027cd6-6011-4b89-b21a-8a620f3cb8cf',
  diego: 'dfaf0942-0703-453e-aa81-0ab69be31a25',
  elif: '347c7863-757d-42ea-bf89-ccabd6b6b4a9',
};
const DEPLOY_SP = '806db304-42ce-47cc-8cdc-cf235bd5dde0';
const ORDERS_MI = 'cffa2343-b5f1-4576-b239-b7d4712cdcbf';
export const GROUPS = { auditors: '693ddebf-1147-435d-91dc-674a198432c6', dataEngineers: '08847fae-74d4-46dd-8b76-2225fc598aa0' };
export const ROLE_ASSIGNMENTS = {
  auditors: '9143eb8a-27bb-4fc5-9fa9-99a805e7cd5f',
  amara: '5b3c3f7e-1d2a-4e55-9a0b-6c7d8e9f0a11',
  diego: '0f1e2d3c-4b5a-4697-8877-665544332211',
  chiara: '2c4e6a8b-0d1f-4a3c-9e5b-7d9f1b3d5f71',
  dataEngineers: '7a0d1f7e-3c5b-4e9a-8b2c-4d6e8f0a2c4e',
  deploy: 'e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9',
  denied: '6e8a0c2e-4f6a-4b8c-9d0e-1f2a3b4c5d6e',
};
const ROLES = { reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7', contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c', blobReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', storageOperator: '3a0c0aac-9290-4930-a6eb-8a0f47d8e603' };
export const ALLOWED_LOCATIONS = 'e56962a6-4747-49cd-b67b-bf8b01975c4c';
const CONTOSO = '/providers/Microsoft.Management/managementGroups/contoso';
export const RG = (sub: string, rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}`;
export const STORAGE = `${RG(SUB_PROD, 'rg-data')}/providers/Microsoft.Storage/storageAccounts/stcontosodata`;
export const VAULT = `${RG(SUB_PROD, 'rg-app')}/providers/Microsoft.KeyVault/vaults/kv-contoso-app`;

const authz = (scope: string, kind: string, name: string) => `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/${kind}/${name}`;

function roleDefinition(guid: string, roleName: string, type: 'BuiltInRole' | 'CustomRole', assignableScopes: string[], permissions: Obj): Obj {
  return { id: authz(type === 'BuiltInRole' ? '/' : assignableScopes[0]!, 'roleDefinitions', guid), type: 'Microsoft.Authorization/roleDefinitions', name: guid, properties: { roleName, type, description: roleName, assignableScopes, permissions: [{ actions: [], notActions: [], dataActions: [], notDataActions: [], ...permissions }] } };
}

function roleAssignment(name: string, scope: string, principalId: string, principalType: string, role: string): Obj {
  return { id: authz(scope, 'roleAssignments', name), type: 'Microsoft.Authorization/roleAssignments', name, properties: { roleDefinitionId: authz('/', 'roleDefinitions', role), principalId, principalType, scope, condition: null, conditionVersion: null, createdOn: '2025-03-12T08:41:09.5512334Z' } };
}

const rg = (sub: string, name: string, location = 'westeurope'): Obj => ({ id: RG(sub, name), name, type: 'Microsoft.Resources/resourceGroups', location, tags: {}, properties: { provisioningState: 'Succeeded' } });

export function smallEstate(): FakeAzureEstate {
  return {
    tenantId: TENANT,
    managementGroups: [
      { name: 'contoso', displayName: 'Contoso', parent: TENANT },
      { name: 'contoso-prod', displayName: 'Contoso production', parent: 'contoso' },
    ],
    subscriptions: [
      { id: SUB_PROD, displayName: 'contoso-corp-prod', parent: 'contoso-prod' },
      { id: SUB_DEV, displayName: 'contoso-corp-dev', parent: 'contoso' },
      { id: SUB_DENIED, displayName: 'contoso-restricted', parent: 'contoso' },
    ],
    roleDefinitions: [
      roleDefinition(ROLES.reader, 'Reader', 'BuiltInRole', ['/'], { actions: ['*/read'] }),
      roleDefinition(ROLES.contributor, 'Contributor', 'BuiltInRole', ['/'], { actions: ['*'], notActions: ['Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/*/Write', 'Microsoft.Authorization/elevateAccess/Action'] }),
      roleDefinition(ROLES.blobReader, 'Storage Blob Data Reader', 'BuiltInRole', ['/'], { actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'], dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'] }),
      roleDefinition(ROLES.storageOperator, 'Storage Operator (no delete)', 'CustomRole', [`/subscriptions/${SUB_PROD}`], { actions: ['Microsoft.Storage/*', 'Microsoft.Resources/subscriptions/resourceGroups/read'], notActions: ['Microsoft.Storage/*/delete'] }),
    ],
    roleAssignments: [
      roleAssignment(ROLE_ASSIGNMENTS.auditors, CONTOSO, GROUPS.auditors, 'Group', ROLES.reader),
      roleAssignment(ROLE_ASSIGNMENTS.amara, RG(SUB_PROD, 'rg-data'), USERS.amara, 'User', ROLES.storageOperator),
      roleAssignment(ROLE_ASSIGNMENTS.diego, `/subscriptions/${SUB_PROD}`, USERS.diego, 'User', ROLES.contributor),
      roleAssignment(ROLE_ASSIGNMENTS.chiara, `/subscriptions/${SUB_DEV}`, USERS.chiara, 'User', ROLES.reader),
      roleAssignment(ROLE_ASSIGNMENTS.dataEngineers, STORAGE, GROUPS.dataEngineers, 'Group', ROLES.blobReader),
      roleAssignment(ROLE_ASSIGNMENTS.deploy, `/subscriptions/${SUB_PROD}`, DEPLOY_SP, 'ServicePrincipal', ROLES.contributor),
      roleAssignment(ROLE_ASSIGNMENTS.denied, `/subscriptions/${SUB_DENIED}`, USERS.chiara, 'User', ROLES.contributor),
    ],
    denyAssignments: [
      {
        id: authz(RG(SUB_PROD, 'rg-app'), 'denyAssignments', 'fd7a6daa-21dd-41a8-8924-f2bd90349bfb'),
        type: 'Microsoft.Authorization/denyAssignments',
        name: 'fd7a6daa-21dd-41a8-8924-f2bd90349bfb',
        properties: {
          denyAssignmentName: 'Deny assignment for managed application orders',
          permissions: [{ actions: ['*'], notActions: ['*/read'], dataActions: [], notDataActions: [] }],
          scope: RG(SUB_PROD, 'rg-app'),
          doNotApplyToChildScopes: false,
          principals: [{ id: '00000000-0000-0000-0000-000000000000', type: 'SystemDefined' }],
          excludePrincipals: [{ id: DEPLOY_SP, type: 'ServicePrincipal' }],
          isSystemProtected: true,
        },
      },
    ],
    policyDefinitions: [
      {
        id: authz('/', 'policyDefinitions', ALLOWED_LOCATIONS),
        type: 'Microsoft.Authorization/policyDefinitions',
        name: ALLOWED_LOCATIONS,
        properties: {
          displayName: 'Allowed locations',
          policyType: 'BuiltIn',
          mode: 'Indexed',
          parameters: { listOfAllowedLocations: { type: 'Array', metadata: { displayName: 'Allowed locations', strongType: 'location' } } },
          policyRule: {
            if: { allOf: [{ field: 'location', notIn: "[parameters('listOfAllowedLocations')]" }, { field: 'location', notEquals: 'global' }, { field: 'type', notEquals: 'Microsoft.AzureActiveDirectory/b2cDirectories' }] },
            then: { effect: 'deny' },
          },
        },
      },
      {
        id: authz(CONTOSO, 'policyDefinitions', 'deny-storage-public-blob-access'),
        type: 'Microsoft.Authorization/policyDefinitions',
        name: 'deny-storage-public-blob-access',
        properties: {
          displayName: 'Storage accounts must not allow anonymous blob access',
          policyType: 'Custom',
          mode: 'Indexed',
          parameters: { effect: { type: 'String', allowedValues: ['Audit', 'Deny', 'Disabled'], defaultValue: 'Deny' } },
          policyRule: {
            if: { allOf: [{ field: 'type', equals: 'Microsoft.Storage/storageAccounts' }, { field: 'Microsoft.Storage/storageAccounts/allowBlobPublicAccess', equals: 'true' }] },
            then: { effect: "[parameters('effect')]" },
          },
        },
      },
    ],
    policySetDefinitions: [
      {
        id: authz(CONTOSO, 'policySetDefinitions', 'contoso-storage-baseline'),
        type: 'Microsoft.Authorization/policySetDefinitions',
        name: 'contoso-storage-baseline',
        properties: {
          displayName: 'Contoso storage baseline',
          policyType: 'Custom',
          parameters: { publicBlobEffect: { type: 'String', defaultValue: 'Deny' } },
          policyDefinitions: [{ policyDefinitionReferenceId: 'noPublicBlobAccess', policyDefinitionId: authz(CONTOSO, 'policyDefinitions', 'deny-storage-public-blob-access'), parameters: { effect: { value: "[parameters('publicBlobEffect')]" } } }],
        },
      },
    ],
    policyAssignments: [
      {
        id: authz(CONTOSO, 'policyAssignments', 'allowed-locations-eu'),
        type: 'Microsoft.Authorization/policyAssignments',
        name: 'allowed-locations-eu',
        properties: { displayName: 'EU regions only', policyDefinitionId: authz('/', 'policyDefinitions', ALLOWED_LOCATIONS), scope: CONTOSO, notScopes: [], parameters: { listOfAllowedLocations: { value: ['westeurope', 'northeurope'] } }, enforcementMode: 'Default' },
      },
      {
        id: authz(`/subscriptions/${SUB_PROD}`, 'policyAssignments', 'storage-baseline'),
        type: 'Microsoft.Authorization/policyAssignments',
        name: 'storage-baseline',
        properties: { displayName: 'Storage baseline', policyDefinitionId: authz(CONTOSO, 'policySetDefinitions', 'contoso-storage-baseline'), scope: `/subscriptions/${SUB_PROD}`, notScopes: [], parameters: {}, enforcementMode: 'Default' },
      },
    ],
    policyExemptions: [
      {
        id: authz(RG(SUB_PROD, 'rg-dr'), 'policyExemptions', 'dr-region-waiver'),
        type: 'Microsoft.Authorization/policyExemptions',
        name: 'dr-region-waiver',
        properties: { policyAssignmentId: authz(CONTOSO, 'policyAssignments', 'allowed-locations-eu'), policyDefinitionReferenceIds: [], exemptionCategory: 'Waiver', displayName: 'DR copies may run in East US' },
      },
    ],
    locks: [
      { id: authz(RG(SUB_PROD, 'rg-data'), 'locks', 'data-do-not-delete'), type: 'Microsoft.Authorization/locks', name: 'data-do-not-delete', properties: { level: 'CanNotDelete', notes: 'Production data', owners: [] } },
    ],
    resourceGroups: [rg(SUB_PROD, 'rg-data'), rg(SUB_PROD, 'rg-app'), rg(SUB_PROD, 'rg-dr', 'eastus'), rg(SUB_DEV, 'rg-dev'), rg(SUB_DENIED, 'rg-restricted')],
    resources: [
      { id: STORAGE, name: 'stcontosodata', type: 'Microsoft.Storage/storageAccounts', kind: 'StorageV2', location: 'westeurope', sku: { name: 'Standard_LRS', tier: 'Standard' }, tags: { env: 'prod' } },
      { id: VAULT, name: 'kv-contoso-app', type: 'Microsoft.KeyVault/vaults', location: 'westeurope', tags: {} },
      { id: `${RG(SUB_PROD, 'rg-app')}/providers/Microsoft.Web/sites/app-contoso-orders`, name: 'app-contoso-orders', type: 'Microsoft.Web/sites', kind: 'app', location: 'westeurope', tags: {}, identity: { type: 'SystemAssigned', principalId: ORDERS_MI, tenantId: TENANT } },
      { id: `${RG(SUB_DEV, 'rg-dev')}/providers/Microsoft.Storage/storageAccounts/stcontosodev`, name: 'stcontosodev', type: 'Microsoft.Storage/storageAccounts', kind: 'StorageV2', location: 'westeurope', tags: { env: 'dev' } },
    ],
    users: Object.entries(USERS).map(([name, id]) => ({ id, displayName: name[0]!.toUpperCase() + name.slice(1), userPrincipalName: `${name}@contoso.com`, mail: `${name}@contoso.com`, accountEnabled: true })),
    servicePrincipals: [
      { id: DEPLOY_SP, appId: '283978f8-ea82-4de4-bba3-b3ae8d2e106d', displayName: 'github-actions-deploy', servicePrincipalType: 'Application', alternativeNames: [], appOwnerOrganizationId: TENANT },
      { id: ORDERS_MI, appId: 'b8e6facd-e639-4f48-aebc-123e6e3a5795', displayName: 'app-contoso-orders', servicePrincipalType: 'ManagedIdentity', alternativeNames: [], appOwnerOrganizationId: TENANT },
    ],
    groups: [
      { id: GROUPS.auditors, displayName: 'Auditors', members: [GROUPS.dataEngineers, USERS.elif] },
      { id: GROUPS.dataEngineers, displayName: 'Data Engineers', members: [USERS.bjorn] },
    ],
  };
}
