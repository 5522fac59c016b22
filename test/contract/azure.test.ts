/**
 * Azure through the HTTP API: every Azure scenario's inputs uploaded as a snapshot, its request answered by
 * POST /v1/simulate in both explain levels, every response checked against openapi.yaml (the `azure`
 * section against AzureDetail); upload errors for malformed conditions and policy rules; the 4xx answers
 * for bad Azure requests; overlays; the principal and browse routes.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/api/spec.js';
import { appForFile } from '../helpers/app.js';
import { simulateScenarios, uploadInputs } from '../helpers/contract.js';
import { readScenario, scenarioFiles } from '../helpers/scenario.js';

const { json } = appForFile({ withFixtures: false });

const upload = (inputs: Record<string, unknown>, name: string) =>
  json('POST', '/v1/snapshots?activate=false', { name, files: Object.entries(inputs).map(([file, content]) => ({ name: file, content })) });

const dir = join(projectRoot, 'fixtures', 'azure', 'scenarios');
const files = scenarioFiles(dir).filter((f) => !f.includes(join('scenarios', 'estate')));
const inputsOf = (rel: string) => readScenario(join(dir, rel)).inputs as Record<string, unknown>;

describe('Azure scenarios through POST /v1/simulate', () => {
  it('answers each with a valid Decision and azure section, summary and full', async () => {
    expect(files.length).toBeGreaterThan(65);
    await simulateScenarios(json, files, (inputs) => uploadInputs(json, inputs, 'azure-scenario'), (body, f) => expect(body.azure.scopeChain.at(-1), f).toBe('/'));
  });
});

const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const SUB = '/subscriptions/11111111-1111-4111-8111-111111111111';
const SA1 = `${SUB}/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1`;

describe('Azure upload errors', () => {
  it('a malformed ABAC condition fails the upload, naming the file and the pointer', async () => {
    const inputs = inputsOf('abac/blob-tag-condition-true.json');
    const ras = structuredClone(inputs['roleAssignments.json']) as { value: { properties: { condition: string } }[] };
    ras.value[0]!.properties.condition = "((!(ActionMatches{'x'})) OR (@Resource[a:b] StringEquals))";
    const r = await upload({ ...inputs, 'roleAssignments.json': ras }, 'bad-condition');
    expect({ status: r.status, code: r.body.code, file: r.body.file, pointer: r.body.pointer }).toEqual({ status: 400, code: 'invalid_policy', file: 'roleAssignments.json', pointer: '/value/0/properties/condition' });
  });

  it('a malformed policy rule fails the upload, naming the file and the pointer into the rule', async () => {
    const inputs = inputsOf('policy/allowed-locations-denies-put.json');
    const policies = structuredClone(inputs['policies.json']) as { value: { properties: { policyRule?: { if: unknown } } }[] };
    policies.value[0]!.properties.policyRule!.if = { field: 'location', notAnOperator: 'x' };
    const r = await upload({ ...inputs, 'policies.json': policies }, 'bad-rule');
    expect({ status: r.status, code: r.body.code, file: r.body.file }).toEqual({ status: 400, code: 'invalid_policy', file: 'policies.json' });
    expect(r.body.pointer).toMatch(/^\/value\/0\/properties\/policyRule\/if/);
  });
});

describe('Azure request errors', () => {
  let id: string;
  beforeAll(async () => {
    id = await uploadInputs(json, inputsOf('rbac/reader-at-resource-group-reads-storage-account.json'), 'azure-errors');
  });
  const ask = (over: Record<string, unknown>) => json('POST', '/v1/simulate', { provider: 'azure', snapshot: id, principal: ALICE, action: 'Microsoft.Storage/storageAccounts/read', resource: SA1, ...over });

  it('an unknown principal is a 404 with close matches', async () => {
    const r = await ask({ principal: 'aaaaaaaa-0000-4000-8000-000000000002' });
    expect({ status: r.status, code: r.body.code, pointer: r.body.pointer }).toEqual({ status: 404, code: 'not_found', pointer: '/principal' });
    expect(r.body.detail).toContain(ALICE);
  });

  it('a subscription outside the snapshot is a 404 with close matches', async () => {
    const r = await ask({ resource: '/subscriptions/11111111-1111-4111-8111-111111111112/resourceGroups/rg1' });
    expect({ status: r.status, pointer: r.body.pointer }).toEqual({ status: 404, pointer: '/resource' });
    expect(r.body.detail).toContain(SUB.toLowerCase());
  });

  it('action with method, policies, and a bad ABAC context key are 400s', async () => {
    expect((await ask({ method: 'GET', path: SA1 })).status).toBe(400);
    expect((await ask({ policies: {} })).status).toBe(400);
    const r = await ask({ context: { 'Resource[x]': 'y' } });
    expect({ status: r.status, code: r.body.code }).toEqual({ status: 400, code: 'invalid_request' });
  });

  it('a path that is not an ARM resource path is a 400 at /path', async () => {
    const r = await json('POST', '/v1/simulate', { provider: 'azure', snapshot: id, principal: ALICE, method: 'PUT', path: `${SUB}/resourceGroups/rg1/providers/Microsoft.Storage` });
    expect({ status: r.status, pointer: r.body.pointer }).toEqual({ status: 400, pointer: '/path' });
  });
});

describe('Azure overlay, principal and browse routes', () => {
  let id: string;
  const policyAssignment = `${SUB}/providers/Microsoft.Authorization/policyAssignments/eu-only`;
  const put = { provider: 'azure', principal: ALICE, method: 'PUT', path: `${SUB}/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa3`, requestBody: { location: 'eastus' } };
  beforeAll(async () => {
    id = await uploadInputs(json, inputsOf('policy/allowed-locations-denies-put.json'), 'azure-overlay');
  });

  it('removing the policy assignment in an overlay lets the PUT through', async () => {
    expect((await json('POST', '/v1/simulate', { ...put, snapshot: id })).body.reason).toBe('guardrail');
    const r = await json('POST', '/v1/simulate', { ...put, snapshot: id, overlay: { remove: [policyAssignment] } });
    expect(r.body.decision).toBe('allowed');
  });

  it('an overlay role assignment grants, cited from the request', async () => {
    const r = await json('POST', '/v1/simulate', {
      provider: 'azure', snapshot: id, principal: ALICE, action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', resource: `${SA1}/blobServices/default/containers/c1/blobs/a.txt`,
      overlay: { add: [{ id: `${SA1}/providers/Microsoft.Authorization/roleAssignments/0f0f0f0f-0000-4000-8000-000000000001`, type: 'Microsoft.Authorization/roleAssignments', name: '0f0f0f0f-0000-4000-8000-000000000001', properties: { roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', principalId: ALICE, principalType: 'User', scope: SA1 } }] },
    });
    expect(r.body.decision).toBe('allowed');
    expect(r.body.causes[0].policy.source).toEqual({ file: 'request', pointer: '/overlay/add/0' });
  });

  it('replacing a custom role definition changes what its assignments grant', async () => {
    const inputs = inputsOf('rbac/custom-role-notactions-subtract.json');
    const rid = await uploadInputs(json, inputs, 'azure-role-overlay');
    const role = structuredClone((inputs['roleDefinitions.json'] as { value: { properties: { permissions: { notActions: string[] }[] } }[] }).value[0]!);
    const ask = { provider: 'azure', snapshot: rid, principal: ALICE, method: 'DELETE', path: `${SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1` };
    expect((await json('POST', '/v1/simulate', ask)).body.decision).toBe('denied');
    role.properties.permissions[0]!.notActions = [];
    const r = await json('POST', '/v1/simulate', { ...ask, overlay: { replace: [role] } });
    expect(r.body.decision).toBe('allowed');
    const bad = await json('POST', '/v1/simulate', { ...ask, overlay: { add: [{ id: `${SUB}/providers/Microsoft.Authorization/locks/l`, type: 'Microsoft.Authorization/locks' }] } });
    expect({ status: bad.status, pointer: bad.body.pointer }).toEqual({ status: 400, pointer: '/overlay/add/0/type' });
  });

  it('removing an unknown object is a 404 with close matches', async () => {
    const r = await json('POST', '/v1/simulate', { ...put, snapshot: id, overlay: { remove: [`${policyAssignment}x`] } });
    expect({ status: r.status, pointer: r.body.pointer }).toEqual({ status: 404, pointer: '/overlay/remove/0' });
    expect(r.body.detail).toContain(policyAssignment.toLowerCase());
  });

  it('describes a principal: groups, role assignments by scope, deny assignments that name it', async () => {
    const gid = await uploadInputs(json, inputsOf('deny/exclude-through-nested-group.json'), 'azure-principal');
    const r = await json('GET', `/v1/snapshots/${gid}/principals/${ALICE}`);
    expect(r.status).toBe(200);
    expect(r.body.groups.map((g: { id: string }) => g.id).sort()).toEqual(['e0000000-0000-4000-8000-0000000000a1', 'e0000000-0000-4000-8000-0000000000e1']);
    expect(r.body.roleAssignments.map((a: { role: string; scope: string }) => [a.role, a.scope])).toEqual([['Owner', SUB]]);
    expect(r.body.denyAssignments.map((d: { name: string; excluded: boolean }) => [d.name, d.excluded])).toEqual([['Managed app lockdown', true]]);
  });

  it('browses the hierarchy: a subscription sits under its management groups', async () => {
    const r = await json('GET', `/v1/snapshots/${id}/resources?filter=11111111-1111-4111-8111-111111111111`);
    expect(r.status).toBe(200);
    const sub = r.body.items.find((i: { id: string }) => i.id === SUB.toLowerCase());
    expect(sub.path).toEqual(['/providers/microsoft.management/managementgroups/platform', '/providers/microsoft.management/managementgroups/c0ffee00-0000-4000-8000-000000000001', '/']);
  });
});
