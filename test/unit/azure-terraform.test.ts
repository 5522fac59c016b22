/**
 * azurerm changes of a Terraform plan read into an Azure overlay on the bundled estate, then asked through
 * the provider: each plan change moves the decision and its decisive cause (layer, role or policy
 * assignment, permission block or policy rule) the way the plan says, and the answer cites the overlay
 * item the change became.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { validateComponent } from '../../src/api/spec.js';
import type { PlanOverlay, TerraformChange, TerraformPlan } from '../../src/core/ci.js';
import type { Decision } from '../../src/core/decision.js';
import { InputError } from '../../src/core/problem.js';
import { buildSnapshot, type Snapshot } from '../../src/core/snapshot.js';
import { azure } from '../../providers/azure/index.js';
import { placeholderGuid } from '../../providers/azure/terraform.js';

const SUB = '/subscriptions/fcacc8bc-5cb8-4382-94bd-4bfc5b2a3d14';
const PLATFORM_SUB = '/subscriptions/d728b10f-3e0d-4ac8-9bbe-1067486b8064';
const ACCOUNT = `${SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stcontosodata`;
const CONTAINER = (name: string) => `${ACCOUNT}/blobServices/default/containers/${name}`;
const VAULT = `${SUB}/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kv-contoso-prod`;
const BLOB_READ = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read';
const BLOB_WRITE = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write';
const FEMI = '617f75a0-a76f-40f0-8821-f9166d618262';
const BJORN = '1fc09341-6e34-45dc-b904-c6346e7eb4fc';
const DIEGO = 'dfaf0942-0703-453e-aa81-0ab69be31a25';
const CI_SP = '806db304-42ce-47cc-8cdc-cf235bd5dde0';

let snap: Snapshot;
beforeAll(async () => {
  snap = buildSnapshot(await fixtureFiles('fixtures/azure/estate'), [azure], { createdAt: '2026-12-02T00:00:00Z' });
});

function loadPlan(name: string): TerraformPlan {
  return JSON.parse(readFileSync(`fixtures/ci/terraform/${name}.plan.json`, 'utf8')) as TerraformPlan;
}

/** The plan's changes the gate would hand the Azure provider. */
function read(plan: TerraformPlan): PlanOverlay {
  const types = new Set(azure.ci.terraformTypes);
  return azure.ci.fromTerraform((plan.resource_changes ?? []).filter((c) => types.has(c.type)), plan, snap);
}

function changeOf(plan: TerraformPlan, address: string): TerraformChange & { change: { after: Record<string, unknown> } } {
  return plan.resource_changes!.find((c) => c.address === address) as TerraformChange & { change: { after: Record<string, unknown> } };
}

/** Baseline and candidate answers to one request. */
function both(overlay: Record<string, unknown> | undefined, request: Record<string, unknown>): [Decision, Decision] {
  const body = { provider: 'azure', ...request, options: { explain: 'full' } };
  return [azure.simulateIn(snap, body), azure.simulateIn(snap, { ...body, overlay })];
}

describe('azure-rbac.plan.json: role definitions and role assignments', () => {
  const plan = loadPlan('azure-rbac');
  let out: PlanOverlay;
  beforeAll(() => {
    out = read(plan);
  });

  it('becomes an overlay the API accepts, each item traced to its plan address', () => {
    validateComponent('AzureOverlay', out.overlay);
    expect(out.sources).toEqual({
      '/replace/0': ['azurerm_role_assignment.bjorn_beta_reports'],
      '/add/0': ['azurerm_role_assignment.ci_secrets'],
      '/remove/0': ['azurerm_role_assignment.engineering_reader'],
      '/add/1': ['azurerm_role_assignment.femi_alpha_reports'],
      '/add/2': ['azurerm_role_definition.secrets_deployer'],
      '/replace/1': ['azurerm_role_definition.storage_operator'],
    });
    expect(out.changes).toEqual([
      { address: 'azurerm_role_assignment.bjorn_beta_reports', type: 'azurerm_role_assignment', actions: ['delete', 'create'], summary: 'changes a role assignment: it now grants Storage Blob Data Reader to user bjorn@contoso.com on container beta-reports' },
      { address: 'azurerm_role_assignment.ci_secrets', type: 'azurerm_role_assignment', actions: ['create'], summary: 'grants Key Vault Secret Deployer to service principal github-actions-deploy on vault kv-contoso-prod' },
      { address: 'azurerm_role_assignment.engineering_reader', type: 'azurerm_role_assignment', actions: ['delete'], summary: 'removes Reader from group Engineering on subscription contoso-corp-prod' },
      { address: 'azurerm_role_assignment.femi_alpha_reports', type: 'azurerm_role_assignment', actions: ['create'], summary: 'grants Storage Blob Data Reader to user femi@contoso.com on container alpha-reports' },
      { address: 'azurerm_role_assignment.reporting_reader', type: 'azurerm_role_assignment', actions: ['create'], summary: 'grants Reader to a principal known only after apply on resource group rg-data' },
      { address: 'azurerm_role_definition.secrets_deployer', type: 'azurerm_role_definition', actions: ['create'], summary: 'defines custom role Key Vault Secret Deployer: 1 action, 0 not actions, 2 data actions, assignable at subscription contoso-corp-prod' },
      { address: 'azurerm_role_definition.storage_operator', type: 'azurerm_role_definition', actions: ['update'], summary: 'changes custom role Storage Operator (no delete): 2 actions, 1 not action, 0 data actions, assignable at subscription contoso-corp-prod' },
    ]);
    expect(out.unknowns).toEqual([{ address: 'azurerm_role_assignment.reporting_reader', path: 'principal_id', effect: 'the role assignment is left out of the candidate: principal_id is known only after apply' }]);
    expect(out.warnings).toEqual([]);
  });

  it('a built-in role given by name grants Femi the blobs of alpha-reports', () => {
    const [base, cand] = both(out.overlay, { principal: FEMI, action: BLOB_READ, resource: `${CONTAINER('alpha-reports')}/blobs/q3.csv` });
    expect(base.causes).toMatchObject([{ kind: 'missing_grant', layer: 'rbac' }]);
    expect(cand.decision).toBe('allowed');
    expect(cand.causes).toMatchObject([{ kind: 'grant', layer: 'rbac', policy: { name: 'Storage Blob Data Reader', attachedTo: CONTAINER('alpha-reports'), source: { file: 'request', pointer: '/overlay/add/1' } }, statement: { binding: 'c5b0c2a4-7d1e-4f6a-9b3e-2d8f1a6c4e90', index: 0 } }]);
  });

  it('a custom role whose id is known only after apply reaches its assignment through the configuration', () => {
    const add = (out.overlay!.add as Record<string, any>[]);
    expect(add[0]!.properties.roleDefinitionId).toBe(add[2]!.id);
    const [base, cand] = both(out.overlay, { principal: CI_SP, action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', resource: `${VAULT}/secrets/db-password` });
    expect(base.causes).toMatchObject([{ kind: 'missing_grant', layer: 'rbac' }]);
    expect(cand.decision).toBe('allowed');
    expect(cand.causes).toMatchObject([
      {
        kind: 'grant',
        layer: 'rbac',
        policy: { name: 'Key Vault Secret Deployer', attachedTo: VAULT, source: { file: 'request', pointer: '/overlay/add/0' } },
        // The assignment's name is generated at apply: a placeholder derived from its address stands in.
        statement: { binding: placeholderGuid('azurerm_role_assignment.ci_secrets'), index: 0, source: { file: 'request', pointer: '/overlay/add/2/properties/permissions/0' } },
      },
    ]);
  });

  it('a deleted role assignment takes Reader on the subscription away from Engineering', () => {
    const [base, cand] = both(out.overlay, { principal: DIEGO, action: 'Microsoft.Resources/subscriptions/resourceGroups/read', resource: `${SUB}/resourceGroups/rg-data` });
    expect(base.causes).toMatchObject([{ kind: 'grant', layer: 'rbac', policy: { name: 'Reader', attachedTo: SUB }, statement: { binding: '61f9a636-131a-4c25-9681-b4e79668a03c' } }]);
    expect(cand.decision).toBe('denied');
    expect(cand.causes).toMatchObject([{ kind: 'missing_grant', layer: 'rbac' }]);
  });

  it('an updated custom role replaces the snapshot definition: container delete is no longer excluded', () => {
    const [base, cand] = both(out.overlay, { principal: BJORN, action: 'Microsoft.Storage/storageAccounts/blobServices/containers/delete', resource: CONTAINER('alpha-reports') });
    expect(base.causes).toMatchObject([{ kind: 'missing_grant', layer: 'rbac' }]);
    expect(cand.decision).toBe('allowed');
    expect(cand.causes).toMatchObject([{ kind: 'grant', layer: 'rbac', policy: { name: 'Storage Operator (no delete)', attachedTo: SUB }, statement: { binding: 'f9062550-ee5c-4280-bd3d-2e92e21ed98e', index: 0, source: { file: 'request', pointer: '/overlay/replace/1/properties/permissions/0' } } }]);
  });

  it('a replaced role assignment keeps its id and changes its role: Bjorn reads beta-reports but no longer writes', () => {
    const [baseWrite, candWrite] = both(out.overlay, { principal: BJORN, action: BLOB_WRITE, resource: `${CONTAINER('beta-reports')}/blobs/r.csv` });
    expect(baseWrite.causes).toMatchObject([{ kind: 'grant', policy: { name: 'Storage Blob Data Contributor' }, statement: { binding: '2df1a140-339c-469e-9ee2-c92082460a8d' } }]);
    expect(candWrite.decision).toBe('denied');
    expect(candWrite.causes).toMatchObject([{ kind: 'missing_grant', layer: 'rbac' }]);
    const [, candRead] = both(out.overlay, { principal: BJORN, action: BLOB_READ, resource: `${CONTAINER('beta-reports')}/blobs/r.csv` });
    expect(candRead.causes).toMatchObject([{ kind: 'grant', layer: 'rbac', policy: { name: 'Storage Blob Data Reader', source: { file: 'request', pointer: '/overlay/replace/0' } }, statement: { binding: '2df1a140-339c-469e-9ee2-c92082460a8d' } }]);
  });

  it('leaves out no-ops and the assignment whose principal is unknown', () => {
    const ids = [...((out.overlay!.add ?? []) as { id: string }[]), ...((out.overlay!.replace ?? []) as { id: string }[])].map((o) => o.id.toLowerCase());
    expect(ids.some((id) => id.startsWith(`${SUB}/resourcegroups/rg-data/providers/microsoft.authorization/`.toLowerCase()))).toBe(false);
    expect(out.changes.map((c) => c.address)).not.toContain('azurerm_role_assignment.amara_owner');
  });
});

describe('azure-policy.plan.json: policy definitions, an initiative and scoped assignments', () => {
  const plan = loadPlan('azure-policy');
  let out: PlanOverlay;
  beforeAll(() => {
    out = read(plan);
  });
  const put = (principal: string, path: string, requestBody: Record<string, unknown>) => both(out.overlay, { principal, method: 'PUT', path, requestBody });

  it('becomes an overlay the API accepts, each item traced to its plan address', () => {
    validateComponent('AzureOverlay', out.overlay);
    expect(out.sources).toEqual({
      '/replace/0': ['azurerm_management_group_policy_assignment.allowed_locations_platform'],
      '/add/0': ['azurerm_management_group_policy_set_definition.network_baseline'],
      '/add/1': ['azurerm_policy_definition.deny_public_ip'],
      '/add/2': ['azurerm_resource_group_policy_assignment.no_public_ip_app'],
      '/add/3': ['azurerm_subscription_policy_assignment.network_baseline_platform'],
      '/remove/0': ['azurerm_subscription_policy_assignment.storage_baseline'],
    });
    expect(out.changes.map((c) => [c.address, c.summary])).toEqual([
      ['azurerm_management_group_policy_assignment.allowed_locations_platform', 'changes policy assignment allowed-locations-platform at management group contoso-platform: Allowed locations, enforced'],
      ['azurerm_management_group_policy_set_definition.network_baseline', 'defines initiative Contoso network baseline of 1 policy'],
      ['azurerm_policy_definition.deny_public_ip', 'defines policy Deny public IP addresses (effect from parameter effect, default Audit)'],
      ['azurerm_resource_group_policy_assignment.no_public_ip_app', 'assigns Deny public IP addresses as no-public-ip-app at resource group rg-app'],
      ['azurerm_resource_policy_assignment.reports_eu_only', 'assigns Allowed locations as reports-eu-only at a scope known only after apply'],
      ['azurerm_subscription_policy_assignment.network_baseline_platform', 'assigns Contoso network baseline as network-baseline at subscription contoso-platform-management'],
      ['azurerm_subscription_policy_assignment.storage_baseline', 'removes policy assignment storage-baseline from subscription contoso-corp-prod'],
    ]);
    expect(out.unknowns).toEqual([{ address: 'azurerm_resource_policy_assignment.reports_eu_only', path: 'resource_id', effect: 'the policy assignment is left out of the candidate: resource_id is known only after apply' }]);
    expect(out.warnings).toEqual([]);
  });

  it('a policy definition whose id is known only after apply is assigned through the configuration, with its parameters', () => {
    const [base, cand] = put(DIEGO, `${SUB}/resourceGroups/rg-app/providers/Microsoft.Network/publicIPAddresses/pip-orders?api-version=2024-05-01`, { location: 'westeurope', sku: { name: 'Standard' } });
    expect(base.causes).toMatchObject([{ kind: 'grant', layer: 'rbac', policy: { name: 'Contributor' } }]);
    expect(cand).toMatchObject({ decision: 'denied', reason: 'guardrail', error: { status: 403, code: 'RequestDisallowedByPolicy' } });
    expect(cand.causes).toMatchObject([{ kind: 'blocked_by_guardrail', layer: 'azure_policy', policy: { name: 'no-public-ip-app', attachedTo: `${SUB}/resourceGroups/rg-app`, source: { file: 'request', pointer: '/overlay/add/2' } }, statement: { rule: 'deny-public-ip', source: { file: 'request', pointer: '/overlay/add/1' } } }]);
  });

  it('enforce turned on: the platform location assignment now blocks', () => {
    const [base, cand] = put('amara@contoso.com', `${PLATFORM_SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Storage/storageAccounts/stcontosoarchive?api-version=2023-05-01`, { location: 'eastus', kind: 'StorageV2', sku: { name: 'Standard_LRS' } });
    expect(base.decision).toBe('allowed');
    expect(cand.causes).toMatchObject([{ kind: 'blocked_by_guardrail', layer: 'azure_policy', policy: { name: 'allowed-locations-platform', source: { file: 'request', pointer: '/overlay/replace/0' } }, statement: { rule: 'e56962a6-4747-49cd-b67b-bf8b01975c4c' } }]);
  });

  it('an initiative of the plan, its member resolved from the configuration, blocks through its set parameter', () => {
    const [base, cand] = put('amara@contoso.com', `${PLATFORM_SUB}/resourceGroups/rg-network/providers/Microsoft.Network/publicIPAddresses/pip-hub?api-version=2024-05-01`, { location: 'westeurope', sku: { name: 'Standard' } });
    expect(base.decision).toBe('allowed');
    expect(cand.causes).toMatchObject([{ kind: 'blocked_by_guardrail', layer: 'azure_policy', policy: { name: 'network-baseline', attachedTo: PLATFORM_SUB, source: { file: 'request', pointer: '/overlay/add/3' } }, statement: { rule: 'deny-public-ip', binding: 'denyPublicIp' } }]);
  });

  it('a deleted assignment lifts the storage baseline', () => {
    const [base, cand] = put('bjorn@contoso.com', `${SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stcontosopublic?api-version=2023-05-01`, { location: 'westeurope', kind: 'StorageV2', sku: { name: 'Standard_LRS' }, properties: { allowBlobPublicAccess: true } });
    expect(base.causes).toMatchObject([{ kind: 'blocked_by_guardrail', layer: 'azure_policy', policy: { name: 'storage-baseline' }, statement: { rule: 'deny-storage-public-blob-access' } }]);
    expect(cand.decision).toBe('allowed');
    expect(cand.causes).toMatchObject([{ kind: 'grant', layer: 'rbac', policy: { name: 'Storage Operator (no delete)' } }]);
  });
});

describe('what cannot be read', () => {
  function expectInputError(fn: () => unknown, pointer: string): void {
    try {
      fn();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).pointer).toBe(pointer);
    }
  }

  it('a JSON attribute that is not JSON is a 400 at its pointer in the plan', () => {
    const plan = loadPlan('azure-policy');
    changeOf(plan, 'azurerm_resource_group_policy_assignment.no_public_ip_app').change.after.parameters = '{"effect": ';
    expectInputError(() => read(plan), '/resource_changes/3/change/after/parameters');
  });

  it('a role assignment condition that does not parse is a 400 at the change', () => {
    const plan = loadPlan('azure-rbac');
    const after = changeOf(plan, 'azurerm_role_assignment.femi_alpha_reports').change.after;
    after.condition = '@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals';
    after.condition_version = '2.0';
    expectInputError(() => read(plan), '/resource_changes/4/change/after/condition');
  });

  it('a role name neither built in nor custom leaves the assignment out with a warning', () => {
    const plan = loadPlan('azure-rbac');
    changeOf(plan, 'azurerm_role_assignment.femi_alpha_reports').change.after.role_definition_name = 'Storage Blob Data Peeker';
    const out = read(plan);
    expect(out.warnings).toEqual([{ address: 'azurerm_role_assignment.femi_alpha_reports', message: 'role Storage Blob Data Peeker is neither a built-in role nor a custom role of the snapshot or the plan: the role assignment is left out of the candidate' }]);
    expect(Object.values(out.sources).flat()).not.toContain('azurerm_role_assignment.femi_alpha_reports');
  });

  it('deleting what the snapshot does not hold is a warning, and a custom role of the plan can be named by role name', () => {
    const plan = loadPlan('azure-rbac');
    const gone = changeOf(plan, 'azurerm_role_assignment.engineering_reader');
    (gone.change.before as Record<string, unknown>).id = `${SUB}/providers/Microsoft.Authorization/roleAssignments/00000000-1111-4000-8000-000000000000`;
    const ci = changeOf(plan, 'azurerm_role_assignment.ci_secrets');
    ci.change.after.role_definition_name = 'key vault secret deployer';
    const out = read(plan);
    expect(out.warnings).toEqual([{ address: 'azurerm_role_assignment.engineering_reader', message: `role assignment ${SUB}/providers/Microsoft.Authorization/roleAssignments/00000000-1111-4000-8000-000000000000 is not in the snapshot: nothing to remove` }]);
    const add = out.overlay!.add as Record<string, any>[];
    expect(add[0]!.properties.roleDefinitionId).toBe(add[2]!.id);
  });
});

describe('the overlay limit', () => {
  it('keeps at most 100 items in a list and says which changes it leaves out', () => {
    const plan = loadPlan('azure-rbac');
    const femi = changeOf(plan, 'azurerm_role_assignment.femi_alpha_reports');
    const many = Array.from({ length: 101 }, (_, i) => {
      const name = `c5b0c2a4-7d1e-4f6a-9b3e-${String(i).padStart(12, '0')}`;
      return { ...femi, address: `azurerm_role_assignment.reviewers["${i}"]`, change: { ...femi.change, after: { ...femi.change.after, name } } };
    });
    const out = read({ ...plan, resource_changes: many });
    expect((out.overlay!.add as unknown[]).length).toBe(100);
    expect(out.warnings).toEqual([{ address: 'azurerm_role_assignment.reviewers["100"]', message: 'an overlay holds at most 100 items in each list: this change is left out of the candidate' }]);
    expect(out.sources['/add/99']).toEqual(['azurerm_role_assignment.reviewers["99"]']);
    validateComponent('AzureOverlay', out.overlay);
  });
});
