/**
 * The Azure collector against a fake Azure (test/fakes/azure.ts) that speaks ARM REST and Microsoft Graph
 * over HTTPS; the SDK clients reach it through their documented `endpoint` and `tlsOptions` options, with a
 * static TokenCredential. The output directory is then imported as a snapshot and asked real questions.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectAzure, type AzureCollectOptions } from '../../providers/azure/collect.js';
import { readInputs } from '../../src/cli/inputs.js';
import { Collector, type CollectReport } from '../../src/collect/collector.js';
import { loadSnapshot, simulate, type Snapshot } from '../../src/index.js';
import { ALLOWED_LOCATIONS, FAKE_CA, FakeAzure, GROUPS, RG, ROLE_ASSIGNMENTS, smallEstate, STORAGE, SUB_DENIED, SUB_DEV, SUB_PROD, TENANT, USERS, VAULT, type FakeAzureOptions } from '../fakes/azure.js';
import { checkScenario, type Scenario } from '../helpers/scenario.js';

const TOKEN = 'fake-azure-token';
const CONTOSO = '/providers/Microsoft.Management/managementGroups/contoso';

interface Run {
  fake: FakeAzure;
  dir: string;
  report: CollectReport;
  snapshot: Snapshot;
  scopes: string[];
  file(name: string): Promise<{ value: Record<string, unknown>[] }>;
}

const dirs: string[] = [];
const fakes: FakeAzure[] = [];

async function collect(fakeOptions: Omit<FakeAzureOptions, 'token'>, options: Partial<AzureCollectOptions> = {}): Promise<Run> {
  const fake = await FakeAzure.start(smallEstate(), { token: TOKEN, ...fakeOptions });
  fakes.push(fake);
  const scopes: string[] = [];
  const credential = {
    getToken: async (s: string | string[]) => {
      scopes.push(...[s].flat());
      return { token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
  const c = new Collector('azure', { baseDelayMs: 1 });
  await collectAzure(c, { credential, endpoint: fake.url, graphEndpoint: fake.url, tlsOptions: { ca: FAKE_CA }, ...options });
  const root = await mkdtemp(join(tmpdir(), 'iamsim-azure-collect-'));
  dirs.push(root);
  const dir = join(root, 'estate');
  const report = await c.write(dir);
  const snapshot = loadSnapshot(await readInputs([dir]), 'collected');
  const file = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8')) as { value: Record<string, unknown>[] };
  return { fake, dir, report, snapshot, scopes, file };
}

afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const names = (page: { value: Record<string, unknown>[] }) => page.value.map((o) => String(o.name)).sort();

/** A question to the collected snapshot, checked like a scenario file: decision, reason, the exact causes. */
function ask(run: Run, s: Omit<Scenario, 'inputs'>): void {
  checkScenario(s, simulate(s.request, run.snapshot));
}

/** Questions to the first run's snapshot, one per layer the collected files feed. */
const ROUND_TRIPS: Omit<Scenario, 'inputs'>[] = [
  {
    name: 'group member reads a storage account',
    doc: 'https://learn.microsoft.com/azure/role-based-access-control/role-assignments',
    rule: 'A role assigned to a group at a management group reaches the members of its nested groups in every subscription below.',
    request: { provider: 'azure', principal: USERS.bjorn, action: 'Microsoft.Storage/storageAccounts/read', resource: STORAGE },
    expect: { decision: 'allowed', reason: 'allowed', causes: [{ kind: 'grant', layer: 'rbac', policy: 'Reader', statement: { binding: ROLE_ASSIGNMENTS.auditors }, attachedTo: CONTOSO }] },
  },
  {
    name: 'contributor deletes a vault in a managed resource group',
    doc: 'https://learn.microsoft.com/azure/role-based-access-control/deny-assignments',
    rule: 'A deny assignment blocks the action even for a principal whose role allows it.',
    request: { provider: 'azure', principal: USERS.diego, action: 'Microsoft.KeyVault/vaults/delete', resource: VAULT },
    expect: { decision: 'denied', reason: 'explicit_deny', code: 'DenyAssignmentAuthorizationFailed', causes: [{ kind: 'explicit_deny', layer: 'deny_assignment', policy: 'Deny assignment for managed application orders', attachedTo: RG(SUB_PROD, 'rg-app') }] },
  },
  {
    name: 'contributor deletes a locked storage account',
    doc: 'https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources',
    rule: 'CanNotDelete on a resource group blocks deleting the resources in it.',
    request: { provider: 'azure', principal: USERS.diego, method: 'DELETE', path: STORAGE },
    expect: { decision: 'denied', reason: 'guardrail', status: 409, code: 'ScopeLocked', causes: [{ kind: 'blocked_by_guardrail', layer: 'lock', policy: 'data-do-not-delete', attachedTo: RG(SUB_PROD, 'rg-data') }] },
  },
  {
    name: 'storage account outside the allowed regions',
    doc: 'https://learn.microsoft.com/azure/governance/policy/concepts/effect-deny',
    rule: 'The deny effect refuses a PUT whose location the assignment does not allow.',
    request: { provider: 'azure', principal: USERS.diego, method: 'PUT', path: `${RG(SUB_PROD, 'rg-data')}/providers/Microsoft.Storage/storageAccounts/stnew`, requestBody: { location: 'eastus', kind: 'StorageV2', sku: { name: 'Standard_LRS' } } },
    expect: { decision: 'denied', reason: 'guardrail', code: 'RequestDisallowedByPolicy', causes: [{ kind: 'blocked_by_guardrail', layer: 'azure_policy', policy: 'allowed-locations-eu', statement: { rule: ALLOWED_LOCATIONS } }] },
  },
  {
    name: 'storage account outside the allowed regions, in the exempted resource group',
    doc: 'https://learn.microsoft.com/azure/governance/policy/concepts/exemption-structure',
    rule: 'An exemption at a scope exempts the resources below it from the assignment.',
    request: { provider: 'azure', principal: USERS.diego, method: 'PUT', path: `${RG(SUB_PROD, 'rg-dr')}/providers/Microsoft.Storage/storageAccounts/stdr`, requestBody: { location: 'eastus', kind: 'StorageV2', sku: { name: 'Standard_LRS' } } },
    expect: { decision: 'allowed', reason: 'allowed', causes: [{ kind: 'grant', layer: 'rbac', policy: 'Contributor', statement: { binding: ROLE_ASSIGNMENTS.diego }, attachedTo: `/subscriptions/${SUB_PROD}` }] },
  },
  {
    name: 'storage account allowing anonymous blob access',
    doc: 'https://learn.microsoft.com/azure/governance/policy/concepts/initiative-definition-structure',
    rule: 'An initiative passes its parameters to its member definitions; the member denies the request.',
    request: { provider: 'azure', principal: USERS.diego, method: 'PUT', path: `${RG(SUB_PROD, 'rg-data')}/providers/Microsoft.Storage/storageAccounts/stpublic`, requestBody: { location: 'westeurope', kind: 'StorageV2', sku: { name: 'Standard_LRS' }, properties: { allowBlobPublicAccess: true } } },
    expect: { decision: 'denied', reason: 'guardrail', code: 'RequestDisallowedByPolicy', causes: [{ kind: 'blocked_by_guardrail', layer: 'azure_policy', policy: 'storage-baseline', statement: { rule: 'deny-storage-public-blob-access' } }] },
  },
];

describe('azure collector: whole tenant, one subscription forbidden, throttled twice', () => {
  let run: Run;
  beforeAll(async () => {
    run = await collect({ pageSize: 2, forbiddenSubscriptions: [SUB_DENIED], throttleOnce: ['/roleAssignments', '/v1.0/users'], retryAfterSeconds: 1 });
  });

  it('only reads: every request is a GET carrying the credential token, for ARM and for Graph', () => {
    expect(run.fake.requests.length).toBeGreaterThan(40);
    expect(run.fake.requests.filter((r) => r.method !== 'GET' || r.status === 401 || r.status === 405)).toEqual([]);
    // One token for the run (ARM and Graph share the fake's audience), however many SDK clients asked.
    expect(run.scopes).toEqual([`${run.fake.url}/.default`]);
    expect(run.fake.requests.filter((r) => !r.path.startsWith('/v1.0/') && !r.query.get('api-version'))).toEqual([]);
  });

  it('writes exactly the files the Azure loader reads, and they import as one snapshot', async () => {
    expect((await readdir(run.dir)).sort()).toEqual(
      ['collect-report.json', 'deny-assignments.json', 'groups.json', 'locks.json', 'management-groups.json', 'policy-assignments.json', 'policy-definitions.json', 'policy-exemptions.json', 'policy-set-definitions.json', 'resources.json', 'role-assignments.json', 'role-definitions.json', 'service-principals.json', 'subscriptions.json', 'users.json'].sort(),
    );
    expect(run.snapshot.meta.providers).toEqual(['azure']);
    expect(run.snapshot.meta.warnings.map((w) => w.code)).not.toContain('unknown_object');
    // ARM objects as ARM sends them: fields under `properties`, not the SDK's flattened models.
    const ra = (await run.file('role-assignments.json')).value[0]!;
    expect(Object.keys(ra).sort()).toEqual(['id', 'name', 'properties', 'type']);
  });

  it('follows nextLink and @odata.nextLink through every page', async () => {
    const paged = (fragment: string) => run.fake.requests.filter((r) => r.path.endsWith(fragment) && r.query.get('$skiptoken') !== null && r.status === 200);
    expect(paged('/roleAssignments').length).toBeGreaterThan(0);
    expect(paged('/users').length).toBe(2);
    // Each once, although a subscription's list repeats its management groups' assignments.
    expect(names(await run.file('role-assignments.json'))).toEqual(Object.entries(ROLE_ASSIGNMENTS).filter(([k]) => k !== 'denied').map(([, v]) => v).sort());
    expect((await run.file('users.json')).value.map((u) => u.id).sort()).toEqual(Object.values(USERS).sort());
  });

  it('waits as long as a 429 says (Retry-After), then retries the same page', () => {
    for (const fragment of ['/roleAssignments', '/users']) {
      const i = run.fake.requests.findIndex((r) => r.status === 429 && r.path.endsWith(fragment));
      expect(i, fragment).toBeGreaterThanOrEqual(0);
      const throttled = run.fake.requests[i]!;
      const retry = run.fake.requests.slice(i + 1).find((r) => r.path === throttled.path && r.query.toString() === throttled.query.toString());
      expect(retry?.status).toBe(200);
      expect(retry!.at - throttled.at).toBeGreaterThanOrEqual(950);
    }
    expect(run.report.retries).toBe(2);
  });

  it('records every call the forbidden subscription refused, and still reads the others', async () => {
    const failures = run.report.failures;
    expect(failures.length).toBeGreaterThan(5);
    for (const f of failures) {
      expect(f).toMatchObject({ target: `/subscriptions/${SUB_DENIED}`, code: 'AuthorizationFailed', attempts: 1 });
      expect(f.message).toContain('does not have authorization to perform action');
    }
    expect(failures.map((f) => f.call)).toEqual(expect.arrayContaining(['GET roleAssignments', 'GET denyAssignments', 'GET policyAssignments', 'GET policyExemptions', 'GET locks', 'GET resources']));
    const onDisk = JSON.parse(await readFile(join(run.dir, 'collect-report.json'), 'utf8')) as CollectReport;
    expect(onDisk.failures).toEqual(failures);
    expect(onDisk.warnings).toEqual([]);
    const resources = (await run.file('resources.json')).value.map((r) => String(r.id).toLowerCase());
    expect(resources).toContain(STORAGE.toLowerCase());
    expect(resources.some((id) => id.includes(SUB_DENIED))).toBe(false);
    expect((await run.file('subscriptions.json')).value).toHaveLength(3);
  });

  it('resolves every definition an assignment or initiative names: built-in, and custom at a management group', async () => {
    expect(names(await run.file('policy-definitions.json'))).toEqual([ALLOWED_LOCATIONS, 'deny-storage-public-blob-access'].sort());
    expect(names(await run.file('policy-set-definitions.json'))).toEqual(['contoso-storage-baseline']);
    expect(run.fake.requests.some((r) => r.path === `/providers/Microsoft.Authorization/policyDefinitions/${ALLOWED_LOCATIONS}`)).toBe(true);
    expect(names(await run.file('role-definitions.json'))).toHaveLength(4);
  });

  for (const s of ROUND_TRIPS) it(`round trip: ${s.name}`, () => ask(run, s));
});

describe('azure collector: one management group, Microsoft Graph refused', () => {
  let run: Run;
  beforeAll(async () => {
    run = await collect({ pageSize: 50, graphForbidden: true }, { managementGroups: ['contoso-prod'] });
  });

  it('reads the group, the subscriptions below it and what is assigned above it, and nothing else', async () => {
    expect(run.fake.requests.some((r) => r.path.includes(SUB_DEV))).toBe(false);
    expect(names(await run.file('role-assignments.json'))).toEqual([ROLE_ASSIGNMENTS.amara, ROLE_ASSIGNMENTS.auditors, ROLE_ASSIGNMENTS.dataEngineers, ROLE_ASSIGNMENTS.deploy, ROLE_ASSIGNMENTS.diego].sort());
    expect((await run.file('subscriptions.json')).value.map((s) => s.subscriptionId)).toEqual([SUB_PROD]);
    // The groups above it, up to the tenant root group, so that what is assigned there reaches it.
    expect(names(await run.file('management-groups.json'))).toEqual(['contoso', 'contoso-prod', TENANT].sort());
  });

  it('warns that group-based grants cannot be resolved, and records the refused Graph calls', async () => {
    expect(run.report.warnings.join('\n')).toMatch(/group-based grants cannot be resolved/);
    expect(run.report.failures.length).toBeGreaterThan(0);
    for (const f of run.report.failures) expect(f).toMatchObject({ target: 'microsoft-graph', code: 'Authorization_RequestDenied' });
    expect(run.report.failures.map((f) => f.call)).toEqual(expect.arrayContaining(['GET /users', `GET /groups/${GROUPS.auditors}/transitiveMembers`]));
    const written = await readdir(run.dir);
    for (const graphFile of ['users.json', 'service-principals.json', 'groups.json']) expect(written).not.toContain(graphFile);
  });

  it('round trip: a member known only through Graph is unknown, the group grant stays, a direct grant still answers', () => {
    const bjorn = { provider: 'azure', principal: USERS.bjorn, action: 'Microsoft.Storage/storageAccounts/read', resource: STORAGE };
    expect(() => simulate(bjorn, run.snapshot)).toThrow(/is not in the snapshot/);
    ask(run, {
      name: 'the group itself still holds its role',
      doc: 'https://learn.microsoft.com/azure/role-based-access-control/role-assignments',
      rule: 'A role assigned to a group at a management group applies in every subscription below it.',
      request: { ...bjorn, principal: GROUPS.auditors },
      expect: { decision: 'allowed', reason: 'allowed', causes: [{ kind: 'grant', layer: 'rbac', policy: 'Reader', statement: { binding: ROLE_ASSIGNMENTS.auditors }, attachedTo: CONTOSO }] },
    });
    ask(run, {
      name: 'custom role assigned at a resource group',
      doc: 'https://learn.microsoft.com/azure/role-based-access-control/custom-roles',
      rule: 'A custom role defined at the subscription grants its actions at the resource group it is assigned at.',
      request: { provider: 'azure', principal: USERS.amara, action: 'Microsoft.Storage/storageAccounts/write', resource: STORAGE },
      expect: { decision: 'allowed', reason: 'allowed', causes: [{ kind: 'grant', layer: 'rbac', policy: 'Storage Operator (no delete)', statement: { binding: ROLE_ASSIGNMENTS.amara }, attachedTo: RG(SUB_PROD, 'rg-data') }] },
    });
  });
});

describe('azure collector: one subscription, Graph not asked', () => {
  let run: Run;
  beforeAll(async () => {
    run = await collect({}, { subscriptions: [SUB_DEV], graph: false });
  });

  it('reads that subscription and the hierarchy above it, no other subscription, and never Graph', async () => {
    expect(run.fake.requests.some((r) => r.path.includes(SUB_PROD) || r.path.includes(SUB_DENIED) || r.path.startsWith('/v1.0/'))).toBe(false);
    expect(run.report.failures).toEqual([]);
    expect(run.report.warnings.join('\n')).toMatch(/Microsoft Graph was not read.*group-based grants cannot be resolved/);
    expect(names(await run.file('role-assignments.json'))).toEqual([ROLE_ASSIGNMENTS.auditors, ROLE_ASSIGNMENTS.chiara].sort());
    ask(run, {
      name: 'reader at a subscription',
      doc: 'https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/general#reader',
      rule: 'Reader at a subscription reads every resource in it.',
      request: { provider: 'azure', principal: USERS.chiara, action: 'Microsoft.Storage/storageAccounts/read', resource: `${RG(SUB_DEV, 'rg-dev')}/providers/Microsoft.Storage/storageAccounts/stcontosodev` },
      expect: { decision: 'allowed', reason: 'allowed', causes: [{ kind: 'grant', layer: 'rbac', policy: 'Reader', statement: { binding: ROLE_ASSIGNMENTS.chiara }, attachedTo: `/subscriptions/${SUB_DEV}` }] },
    });
  });
});
