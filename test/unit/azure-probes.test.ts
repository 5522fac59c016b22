/**
 * The Azure side of the CI gate's questions: the principals invariants quantify over (callers only, no
 * anonymous principal, guests and other tenants' applications as external) and the probes a diff asks,
 * which must catch the access a plan adds and removes on the bundled estate, and nothing outside the
 * scopes it touches.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import type { Probe, TerraformPlan } from '../../src/core/ci.js';
import { buildSnapshot, type Snapshot } from '../../src/core/snapshot.js';
import { MAX_PROBES } from '../../providers/azure/ci.js';
import { azure } from '../../providers/azure/index.js';

const SUB = '/subscriptions/fcacc8bc-5cb8-4382-94bd-4bfc5b2a3d14';
const PLATFORM_SUB = '/subscriptions/d728b10f-3e0d-4ac8-9bbe-1067486b8064';
const ACCOUNT = `${SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stcontosodata`;
const ALPHA = `${ACCOUNT}/blobServices/default/containers/alpha-reports`;
const VAULT = `${SUB}/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kv-contoso-prod`;
const FABRIKAM_PUBLISHER = '8540df3b-abf3-487a-bde5-2ef5f36fc5c0';
const GROUPS = ['f7aa8f6d-ee93-4550-ad2d-3fa1ba9b627f', '23f1d0e1-b2fb-4bea-a585-58384fe702db', '693ddebf-1147-435d-91dc-674a198432c6'];

let snap: Snapshot;
beforeAll(async () => {
  snap = buildSnapshot(await fixtureFiles('fixtures/azure/estate'), [azure], { createdAt: '2026-12-02T00:00:00Z' });
});

function overlayOf(name: string): Record<string, unknown> {
  const plan = JSON.parse(readFileSync(`fixtures/ci/terraform/${name}.plan.json`, 'utf8')) as TerraformPlan;
  const types = new Set(azure.ci.terraformTypes);
  return azure.ci.fromTerraform(plan.resource_changes!.filter((c) => types.has(c.type)), plan, snap).overlay!;
}

/** The probes whose answer differs between the snapshot and the overlay, as `principal action resource`. */
function differing(probes: Probe[], overlay: Record<string, unknown>): string[] {
  return probes.flatMap((p) => {
    const body = { provider: 'azure', ...p };
    const before = azure.simulateIn(snap, body).decision;
    const after = azure.simulateIn(snap, { ...body, overlay }).decision;
    return before === after ? [] : [`${p.principal} ${p.action} ${p.resource} ${before}->${after}`];
  });
}

describe('principals', () => {
  it('all: users, service principals and managed identities as object ids, never groups', () => {
    const all = azure.ci.principals(snap, 'all');
    expect(all).toEqual([...all].sort());
    const users = (JSON.parse(readFileSync('fixtures/azure/estate/users.json', 'utf8')) as { value: { id: string }[] }).value.map((u) => u.id);
    const sps = (JSON.parse(readFileSync('fixtures/azure/estate/service-principals.json', 'utf8')) as { value: { id: string }[] }).value.map((s) => s.id);
    expect(new Set(all)).toEqual(new Set([...users, ...sps]));
    for (const g of GROUPS) expect(all).not.toContain(g);
    // Each one is a principal a simulate body can name.
    for (const p of all) expect(azure.simulateIn(snap, { provider: 'azure', principal: p, action: 'Microsoft.Resources/subscriptions/read', resource: SUB }).decision).toMatch(/allowed|denied/);
  });

  it('public: Azure RBAC has no anonymous principal', () => {
    expect(azure.ci.principals(snap, 'public')).toEqual([]);
  });

  it("external: another tenant's application, and B2B guests by userType or #EXT# name", async () => {
    expect(azure.ci.principals(snap, 'external')).toEqual([FABRIKAM_PUBLISHER]);
    const guests = {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users(id,displayName,userPrincipalName,userType)',
      value: [
        { id: '0a5e1c3b-9d2f-4e8a-b7c6-1f0e9d8c7b6a', displayName: 'Priya Raman', userPrincipalName: 'priya_fabrikam.com#EXT#@contoso.onmicrosoft.com', userType: 'Guest' },
        { id: '1b6f2d4c-ae30-4f9b-88d7-20f1ae9d8c7b', displayName: 'Tom Becker', userPrincipalName: 'tom.becker@partner.example', userType: 'Guest' },
        { id: '2c703e5d-bf41-4a0c-99e8-31a2bf0e9d8c', displayName: 'Ana Silva', userPrincipalName: 'ana@contoso.com', userType: 'Member' },
      ],
    };
    const files = [...(await fixtureFiles('fixtures/azure/estate')), { name: 'guests.json', text: JSON.stringify(guests) }];
    const withGuests = buildSnapshot(files, [azure], { createdAt: '2026-12-02T00:00:00Z' });
    expect(azure.ci.principals(withGuests, 'external')).toEqual(['0a5e1c3b-9d2f-4e8a-b7c6-1f0e9d8c7b6a', '1b6f2d4c-ae30-4f9b-88d7-20f1ae9d8c7b', FABRIKAM_PUBLISHER]);
  });
});

describe('probes', () => {
  it('are deterministic, sorted, unique, bounded, and name only callers', () => {
    const overlay = overlayOf('azure-rbac');
    const probes = azure.ci.probes(snap, overlay);
    expect(azure.ci.probes(snap, overlay)).toEqual(probes);
    const keys = probes.map((p) => `${p.resource.toLowerCase()}\u0000${p.action.toLowerCase()}\u0000${p.principal}`);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
    expect(probes.length).toBeLessThanOrEqual(MAX_PROBES);
    const callers = new Set(azure.ci.principals(snap, 'all'));
    expect(probes.every((p) => callers.has(p.principal))).toBe(true);
  });

  it('catch the access the role plan adds and removes, and ask nothing outside the scopes it touches', () => {
    const overlay = overlayOf('azure-rbac');
    const probes = azure.ci.probes(snap, overlay);
    expect(probes.some((p) => p.resource.toLowerCase().startsWith(PLATFORM_SUB))).toBe(false);
    const diff = differing(probes, overlay);
    expect(diff).toEqual(
      expect.arrayContaining([
        // femi_alpha_reports: a new data role on the container.
        `617f75a0-a76f-40f0-8821-f9166d618262 Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read ${ALPHA} denied->allowed`,
        // ci_secrets with the custom role of the same plan.
        `806db304-42ce-47cc-8cdc-cf235bd5dde0 Microsoft.KeyVault/vaults/secrets/getSecret/action ${VAULT} denied->allowed`,
        // engineering_reader deleted: Diego (App Developers, in Engineering) loses read on rg-data.
        `dfaf0942-0703-453e-aa81-0ab69be31a25 Microsoft.Resources/subscriptions/resourceGroups/read ${SUB}/resourceGroups/rg-data allowed->denied`,
        // storage_operator: NotActions narrowed to account delete.
        `1fc09341-6e34-45dc-b904-c6346e7eb4fc Microsoft.Storage/storageAccounts/blobServices/containers/delete ${ALPHA} denied->allowed`,
        // bjorn_beta_reports: Contributor replaced by Reader.
        `1fc09341-6e34-45dc-b904-c6346e7eb4fc Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write ${ACCOUNT}/blobServices/default/containers/beta-reports allowed->denied`,
      ]),
    );
    // The custom role's setSecret is asked because the probe list names it for vaults.
    expect(diff).toContain(`806db304-42ce-47cc-8cdc-cf235bd5dde0 Microsoft.KeyVault/vaults/secrets/setSecret/action ${VAULT} denied->allowed`);
  });

  it('ask who may write the role assignments the plan touches', () => {
    const overlay = overlayOf('azure-rbac');
    const femi = (overlay.add as { id: string }[])[1]!.id;
    const probes = azure.ci.probes(snap, overlay);
    const writers = probes.filter((p) => p.action === 'Microsoft.Authorization/roleAssignments/write' && p.resource === femi);
    expect(writers.map((p) => p.principal)).toEqual(azure.ci.principals(snap, 'all'));
    const allowed = writers.filter((p) => azure.simulateIn(snap, { provider: 'azure', ...p, overlay }).decision === 'allowed').map((p) => p.principal);
    // Only Amara, Owner of the subscription, may; the publisher's Owner stops at its managed resource group.
    expect(allowed).toEqual(['c360c0e7-17d0-4b3b-ac7b-c188c11a8b54']);
  });

  it('ask the writes under every scope a policy plan touches, and find no change for resources that comply', () => {
    const overlay = overlayOf('azure-policy');
    const probes = azure.ci.probes(snap, overlay);
    const writes = (resource: string) => probes.filter((p) => p.resource === resource && p.action.endsWith('/write')).length;
    const callers = azure.ci.principals(snap, 'all').length;
    // allowed_locations_platform and network_baseline_platform: the platform subscription.
    expect(writes(`${PLATFORM_SUB}/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu`)).toBe(callers);
    // no_public_ip_app: rg-app.
    expect(writes(`${SUB}/resourceGroups/rg-app/providers/Microsoft.Web/sites/app-contoso-orders`)).toBe(callers);
    // storage_baseline deleted: the corp subscription.
    expect(writes(ACCOUNT)).toBe(callers);
    // Every exported resource sits in westeurope, none is a public IP, and none allows public blob access:
    // Azure Policy decides on the resource written, and the plan changes no answer about these.
    expect(differing(probes, overlay)).toEqual([]);
  });

  it("add the concrete actions an overlay role names to the sensitive ones, without expanding wildcards", () => {
    const role = '5d1f3c2b-7a9e-4b8d-a6c5-0e4f3d2c1b0a';
    const overlay = {
      add: [
        { id: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${role}`, type: 'Microsoft.Authorization/roleDefinitions', name: role, properties: { roleName: 'Secret auditor', type: 'CustomRole', assignableScopes: [SUB], permissions: [{ actions: ['Microsoft.Storage/*'], notActions: [], dataActions: ['Microsoft.KeyVault/vaults/secrets/readMetadata/action'], notDataActions: [] }] } },
        { id: `${VAULT}/providers/Microsoft.Authorization/roleAssignments/6e2a4d3c-8b0f-4c9e-b7d6-1f5a4e3d2c1b`, type: 'Microsoft.Authorization/roleAssignments', name: '6e2a4d3c-8b0f-4c9e-b7d6-1f5a4e3d2c1b', properties: { roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId: '347c7863-757d-42ea-bf89-ccabd6b6b4a9', principalType: 'User', scope: VAULT } },
      ],
    };
    const probes = azure.ci.probes(snap, overlay);
    const actions = new Set(probes.filter((p) => p.resource === VAULT).map((p) => p.action));
    expect(actions).toEqual(new Set(['Microsoft.KeyVault/vaults/read', 'Microsoft.KeyVault/vaults/write', 'Microsoft.KeyVault/vaults/delete', 'Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/setSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action']));
    expect(differing(probes, overlay)).toEqual([`347c7863-757d-42ea-bf89-ccabd6b6b4a9 Microsoft.KeyVault/vaults/secrets/readMetadata/action ${VAULT} denied->allowed`]);
  });
});
