/**
 * Resource selectors of policy assignments and exemptions: malformed ones fail the upload at their pointer,
 * resourceWithoutLocation selects subscription-level resources without a location, and a Terraform plan's
 * resource_selectors blocks reach the overlay as resourceSelectors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { filesFromJson } from '../../src/api/upload.js';
import type { TerraformPlan } from '../../src/core/ci.js';
import { InputError } from '../../src/core/problem.js';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { loadSnapshot, simulate } from '../../src/index.js';
import { azure } from '../../providers/azure/index.js';
import { compileResourceSelectors, selectorMiss } from '../../providers/azure/policy-selectors.js';

const scenario = JSON.parse(readFileSync('fixtures/azure/scenarios/resource-selectors/location-in-selects.json', 'utf8')) as { inputs: Record<string, any>; request: Record<string, unknown> };

function uploadWith(selectors: unknown): unknown {
  const inputs = structuredClone(scenario.inputs);
  inputs['policies.json'].value[1].properties.resourceSelectors = selectors;
  try {
    loadSnapshot(filesFromJson({ files: Object.entries(inputs).map(([name, content]) => ({ name, content })) }), 'test');
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('malformed resource selectors fail the upload at their pointer', () => {
  const base = '/value/1/properties/resourceSelectors';
  const values = (n: number) => Array.from({ length: n }, (_, i) => `region${i}`);
  it.each([
    ['an unknown kind', [{ name: 'a', selectors: [{ kind: 'resourceTag', in: ['x'] }] }], `${base}/0/selectors/0/kind`],
    ['a kind named as an object property', [{ name: 'a', selectors: [{ kind: 'Constructor', in: ['x'] }] }], `${base}/0/selectors/0/kind`],
    ['both in and notIn', [{ name: 'a', selectors: [{ kind: 'resourceLocation', in: ['eastus'], notIn: ['westus'] }] }], `${base}/0/selectors/0`],
    ['neither in nor notIn', [{ name: 'a', selectors: [{ kind: 'resourceType' }] }], `${base}/0/selectors/0`],
    ['more than 50 values', [{ name: 'a', selectors: [{ kind: 'resourceLocation', notIn: values(51) }] }], `${base}/0/selectors/0/notIn`],
    ['more than 10 sets', Array.from({ length: 11 }, (_, i) => ({ name: `s${i}`, selectors: [{ kind: 'resourceLocation', in: ['eastus'] }] })), base],
    ['a kind twice in a set', [{ name: 'a', selectors: [{ kind: 'resourceType', in: ['x/y'] }, { kind: 'ResourceType', notIn: ['x/z'] }] }], `${base}/0/selectors`],
    ['resourceLocation with resourceWithoutLocation', [{ name: 'a', selectors: [{ kind: 'resourceLocation', in: ['eastus'] }, { kind: 'resourceWithoutLocation', in: ['subscriptionLevelResources'] }] }], `${base}/0/selectors`],
    ['a resourceWithoutLocation value other than subscriptionLevelResources', [{ name: 'a', selectors: [{ kind: 'resourceWithoutLocation', in: ['global'] }] }], `${base}/0/selectors/0/in`],
    ['values that are not strings', [{ name: 'a', selectors: [{ kind: 'resourceLocation', in: [1] }] }], `${base}/0/selectors/0/in`],
  ])('%s', (_, selectors, pointer) => {
    const e = uploadWith(selectors);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).pointer).toBe(pointer);
    expect((e as InputError).file).toBe('policies.json');
  });

  it('50 values and 10 sets are accepted', () => {
    expect(uploadWith(Array.from({ length: 10 }, (_, i) => ({ name: `s${i}`, selectors: [{ kind: 'resourceLocation', in: values(50) }] })))).toBeUndefined();
  });
});

describe('resourceWithoutLocation', () => {
  const sets = compileResourceSelectors([{ name: 'sub-level', selectors: [{ kind: 'resourceWithoutLocation', in: ['subscriptionLevelResources'] }] }], 'p.json', '/rs')!;
  const excluded = compileResourceSelectors([{ name: 'not-sub-level', selectors: [{ kind: 'resourceWithoutLocation', notIn: ['subscriptionLevelResources'] }] }], 'p.json', '/rs')!;
  const SUB = '/subscriptions/11111111-1111-4111-8111-111111111111';

  it('selects a subscription-level resource without a location', () => {
    const r = { type: 'Microsoft.Authorization/policyAssignments' };
    expect(selectorMiss(sets, `${SUB}/providers/microsoft.authorization/policyassignments/a`, r)).toBeUndefined();
    expect(selectorMiss(excluded, `${SUB}/providers/microsoft.authorization/policyassignments/a`, r)).toContain('is in resourceWithoutLocation notIn');
  });

  it('does not select a resource in a resource group, or one with a location', () => {
    expect(selectorMiss(sets, `${SUB}/resourcegroups/rg1/providers/microsoft.storage/storageaccounts/sa1`, { type: 'Microsoft.Storage/storageAccounts' })).toContain('not a subscription-level resource without location');
    expect(selectorMiss(sets, `${SUB}/providers/microsoft.network/networkwatchers/nw`, { type: 'Microsoft.Network/networkWatchers', location: 'westeurope' })).toBeDefined();
    expect(selectorMiss(excluded, `${SUB}/resourcegroups/rg1/providers/microsoft.storage/storageaccounts/sa1`, { type: 'Microsoft.Storage/storageAccounts', location: 'westeurope' })).toBeUndefined();
  });
});

describe('Terraform resource_selectors', () => {
  it('reach the overlay as resourceSelectors and keep the assignment off resources they do not select', async () => {
    const snap = buildSnapshot(await fixtureFiles('fixtures/azure/estate'), [azure], { createdAt: '2026-12-02T00:00:00Z' });
    const plan = JSON.parse(readFileSync('fixtures/ci/terraform/azure-policy.plan.json', 'utf8')) as TerraformPlan;
    const change = plan.resource_changes!.find((c) => c.address === 'azurerm_resource_group_policy_assignment.no_public_ip_app')!;
    (change.change as { after: Record<string, unknown> }).after.resource_selectors = [{ name: 'north-only', selectors: [{ kind: 'resourceLocation', in: ['northeurope'], not_in: [] }] }];
    const types = new Set(azure.ci.terraformTypes);
    const out = azure.ci.fromTerraform(plan.resource_changes!.filter((c) => types.has(c.type)), plan, snap);
    const add = (out.overlay!.add as Record<string, any>[])[2]!;
    expect(add.properties.resourceSelectors).toEqual([{ name: 'north-only', selectors: [{ kind: 'resourceLocation', in: ['northeurope'] }] }]);
    const ask = (location: string) =>
      azure.simulateIn(snap, { provider: 'azure', principal: 'dfaf0942-0703-453e-aa81-0ab69be31a25', method: 'PUT', path: '/subscriptions/fcacc8bc-5cb8-4382-94bd-4bfc5b2a3d14/resourceGroups/rg-app/providers/Microsoft.Network/publicIPAddresses/pip-orders?api-version=2024-05-01', requestBody: { location, sku: { name: 'Standard' } }, overlay: out.overlay });
    expect(ask('westeurope').decision).toBe('allowed');
    expect(ask('North Europe')).toMatchObject({ decision: 'denied', reason: 'guardrail' });
  });
});

it('an assignment left out by its selectors is named in the azure_policy layer, as notScopes are', () => {
  const d = simulate({ ...scenario.request, requestBody: { location: 'eastus', properties: { allowBlobPublicAccess: true } } }, loadSnapshot(filesFromJson({ files: Object.entries(scenario.inputs).map(([name, content]) => ({ name, content })) }), 'test'));
  expect(d.decision).toBe('allowed');
  expect(d.layers.find((l) => l.layer === 'azure_policy')!.note).toBe('no-public-blobs: resourceSelectors select no set for this resource (eu-rollout: location eastus is not in resourceLocation in [West Europe, northeurope])');
});

describe('an exemption whose selectors leave the resource out', () => {
  it('is named in the policy layer of the blocked answer, with the selector that failed', () => {
    const s = JSON.parse(readFileSync('fixtures/azure/scenarios/resource-selectors/exemption-leaves-resource-out.json', 'utf8')) as { inputs: Record<string, unknown>; request: unknown };
    const snap = loadSnapshot(Object.entries(s.inputs).map(([name, v]) => ({ name, text: JSON.stringify(v) })));
    const layer = simulate(s.request, snap).layers.find((l) => l.layer === 'azure_policy');
    expect(layer).toMatchObject({ verdict: 'deny' });
    expect(layer!.note).toContain('exemption us-waiver does not cover it: its resourceSelectors select no set for this resource (us-only: location westeurope is not in resourceLocation in [eastus])');
  });
});
