import { describe, expect, it } from 'vitest';
import { compilePolicyRule, evaluatePolicyIf, PolicyRuleError, resolveEffect } from '../../providers/azure/policy-rule.js';
import type { PolicyEvalContext } from '../../providers/azure/policy-rule.js';

const SUB = '00000000-0000-0000-0000-000000000001';
const RG = `/subscriptions/${SUB}/resourceGroups/rg1`;

function storage(properties: Record<string, unknown>, extra: Partial<PolicyEvalContext['resource']> = {}): PolicyEvalContext['resource'] {
  return {
    id: `${RG}/providers/Microsoft.Storage/storageAccounts/sa1`,
    name: 'sa1',
    type: 'Microsoft.Storage/storageAccounts',
    location: 'eastus',
    kind: 'StorageV2',
    tags: {},
    properties,
    ...extra,
  };
}

function ctx(resource: PolicyEvalContext['resource'], parameters: Record<string, unknown> = {}, more: Partial<PolicyEvalContext> = {}): PolicyEvalContext {
  return { resource, parameters, resourceGroup: { name: 'rg1', location: 'westeurope' }, subscription: { subscriptionId: SUB }, ...more };
}

describe('built-in style definitions', () => {
  // Allowed locations (built-in e56962a6-4747-49cd-b67b-bf8b01975c4c).
  const allowedLocations = compilePolicyRule({
    if: {
      allOf: [
        { field: 'location', notIn: "[parameters('listOfAllowedLocations')]" },
        { field: 'location', notEquals: 'global' },
        { field: 'type', notEquals: 'Microsoft.AzureActiveDirectory/b2cDirectories' },
      ],
    },
    then: { effect: 'deny' },
  });

  it('allowed locations: notIn with a parameter, locations normalized', () => {
    const params = { listOfAllowedLocations: ['westeurope', 'East US 2'] };
    const denied = evaluatePolicyIf(allowedLocations, ctx(storage({}), params));
    expect(denied.result).toBe(true);
    expect(denied.trace[0]).toMatchObject({ pointer: '/if/allOf/0', kind: 'field', field: 'location', operator: 'notIn', actual: 'eastus', result: true });
    expect(evaluatePolicyIf(allowedLocations, ctx(storage({}, { location: 'eastus2' }), params)).result).toBe(false);
    expect(evaluatePolicyIf(allowedLocations, ctx(storage({}, { location: 'WestEurope' }), params)).result).toBe(false);
    expect(resolveEffect(allowedLocations, params)).toBe('deny');
  });

  it('require a tag: field built with concat(), exists false', () => {
    const rule = compilePolicyRule({
      if: { field: "[concat('tags[', parameters('tagName'), ']')]", exists: 'false' },
      then: { effect: 'deny' },
    });
    const params = { tagName: 'cost-center' };
    const r = evaluatePolicyIf(rule, ctx(storage({}, { tags: { env: 'prod' } }), params));
    expect(r.result).toBe(true);
    expect(r.trace[0]).toMatchObject({ field: 'tags[cost-center]', actual: undefined });
    expect(evaluatePolicyIf(rule, ctx(storage({}, { tags: { 'Cost-Center': 'x' } }), params)).result).toBe(false);
  });

  it('storage accounts should use HTTPS (alias, requestContext, parameterized effect)', () => {
    // Built-in 404c3081-a854-4457-ae30-26a93ef643f9.
    const rule = compilePolicyRule({
      if: {
        allOf: [
          { field: 'type', equals: 'Microsoft.Storage/storageAccounts' },
          {
            anyOf: [
              {
                allOf: [
                  { value: '[requestContext().apiVersion]', less: '2019-04-01' },
                  { field: 'Microsoft.Storage/storageAccounts/supportsHttpsTrafficOnly', exists: 'false' },
                ],
              },
              { field: 'Microsoft.Storage/storageAccounts/supportsHttpsTrafficOnly', equals: 'false' },
            ],
          },
        ],
      },
      then: { effect: "[parameters('effect')]" },
    });
    const recent = { requestContext: { apiVersion: '2023-01-01' } };
    expect(evaluatePolicyIf(rule, ctx(storage({ supportsHttpsTrafficOnly: false }), {}, recent)).result).toBe(true);
    expect(evaluatePolicyIf(rule, ctx(storage({ supportsHttpsTrafficOnly: true }), {}, recent)).result).toBe(false);
    // Omitted on a recent API version: the server default (true) is not in the payload and not denied.
    expect(evaluatePolicyIf(rule, ctx(storage({}), {}, recent)).result).toBe(false);
    expect(evaluatePolicyIf(rule, ctx(storage({}), {}, { requestContext: { apiVersion: '2018-02-01' } })).result).toBe(true);
    const trace = evaluatePolicyIf(rule, ctx(storage({ supportsHttpsTrafficOnly: false }), {}, recent)).trace;
    expect(trace.at(-1)).toMatchObject({ path: 'properties.supportsHttpsTrafficOnly', actual: false, expected: 'false', result: true });
    expect(trace.at(-1)).not.toHaveProperty('note');
    expect(resolveEffect(rule, { effect: 'Audit' })).toBe('audit');
    expect(() => resolveEffect(rule, {})).toThrow(PolicyRuleError);
  });

  it('aliases of another resource type select nothing', () => {
    const rule = compilePolicyRule({
      if: { field: 'Microsoft.KeyVault/vaults/enablePurgeProtection', notEquals: true },
      then: { effect: 'deny' },
    });
    const vault = { ...storage({ enablePurgeProtection: true }), type: 'Microsoft.KeyVault/vaults' };
    expect(evaluatePolicyIf(rule, ctx(vault)).result).toBe(false);
    expect(evaluatePolicyIf(rule, ctx({ ...vault, properties: {} })).result).toBe(true);
    expect(evaluatePolicyIf(rule, ctx(storage({ enablePurgeProtection: true }))).result).toBe(true); // missing on a storage account
  });

  describe('network security group rules', () => {
    const nsg = (rules: Array<Record<string, unknown>>): PolicyEvalContext['resource'] => ({
      id: `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg1`,
      name: 'nsg1',
      type: 'Microsoft.Network/networkSecurityGroups',
      location: 'eastus',
      properties: { securityRules: rules.map((properties, i) => ({ name: `r${i}`, properties })) },
    });
    const rdp = { direction: 'Inbound', access: 'Allow', destinationPortRange: '3389', sourceAddressPrefix: '*' };
    const deny = { direction: 'Inbound', access: 'Deny', destinationPortRange: '3389', sourceAddressPrefix: '*' };

    it('count with where over securityRules[*]', () => {
      const rule = compilePolicyRule({
        if: {
          count: {
            field: 'Microsoft.Network/networkSecurityGroups/securityRules[*]',
            where: {
              allOf: [
                { field: 'Microsoft.Network/networkSecurityGroups/securityRules[*].direction', equals: 'Inbound' },
                { field: 'Microsoft.Network/networkSecurityGroups/securityRules[*].access', equals: 'Allow' },
                { field: 'Microsoft.Network/networkSecurityGroups/securityRules[*].destinationPortRange', equals: '3389' },
              ],
            },
          },
          greater: 0,
        },
        then: { effect: 'deny' },
      });
      const r = evaluatePolicyIf(rule, ctx(nsg([deny, rdp])));
      expect(r.result).toBe(true);
      expect(r.trace).toEqual([expect.objectContaining({ kind: 'count', actual: 1, expected: 0, result: true })]);
      expect(evaluatePolicyIf(rule, ctx(nsg([deny]))).result).toBe(false);
      expect(evaluatePolicyIf(rule, ctx(nsg([]))).result).toBe(false);
    });

    it('a [*] field condition holds only when every member matches (vacuously for none)', () => {
      const rule = compilePolicyRule({
        if: { field: 'Microsoft.Network/networkSecurityGroups/securityRules[*].access', equals: 'Deny' },
        then: { effect: 'audit' },
      });
      expect(evaluatePolicyIf(rule, ctx(nsg([deny, deny]))).result).toBe(true);
      expect(evaluatePolicyIf(rule, ctx(nsg([deny, rdp]))).result).toBe(false);
      const none = evaluatePolicyIf(rule, ctx(nsg([])));
      expect(none.result).toBe(true);
      expect(none.trace[0]!.note).toMatch(/no values/);
      expect(none.trace[0]!.path).toBe('properties.securityRules[*].properties.access');
    });

    it('value count with current() and a nested field count', () => {
      const rule = compilePolicyRule({
        if: {
          count: {
            value: "[parameters('reserved')]",
            name: 'reservedRule',
            where: {
              count: {
                field: 'Microsoft.Network/networkSecurityGroups/securityRules[*]',
                where: {
                  allOf: [
                    { field: 'Microsoft.Network/networkSecurityGroups/securityRules[*].access', equals: "[current('reservedRule').access]" },
                    { field: 'Microsoft.Network/networkSecurityGroups/securityRules[*].destinationPortRange', equals: "[current('reservedRule').destinationPortRange]" },
                  ],
                },
              },
              equals: 1,
            },
          },
          notEquals: "[length(parameters('reserved'))]",
        },
        then: { effect: 'deny' },
      });
      const reserved = [{ access: 'deny', destinationPortRange: 3389 }];
      expect(evaluatePolicyIf(rule, ctx(nsg([deny]), { reserved })).result).toBe(false);
      expect(evaluatePolicyIf(rule, ctx(nsg([rdp]), { reserved })).result).toBe(true);
    });
  });

  it('like, match and value conditions with resourceGroup()', () => {
    const named = compilePolicyRule({
      if: { not: { field: 'name', like: "[concat(resourceGroup().name, '*')]" } },
      then: { effect: 'deny' },
    });
    expect(evaluatePolicyIf(named, ctx(storage({}, { name: 'RG1data' }))).result).toBe(false);
    expect(evaluatePolicyIf(named, ctx(storage({}, { name: 'data' }))).result).toBe(true);
    const pattern = compilePolicyRule({ if: { field: 'name', notMatch: 'sa-###' }, then: { effect: 'deny' } });
    expect(evaluatePolicyIf(pattern, ctx(storage({}, { name: 'sa-123' }))).result).toBe(false);
    expect(evaluatePolicyIf(pattern, ctx(storage({}, { name: 'SA-123' }))).result).toBe(true); // match is case-sensitive
    expect(evaluatePolicyIf(pattern, ctx(storage({}, { name: 'sa-12' }))).result).toBe(true);
    const insensitive = compilePolicyRule({ if: { field: 'name', matchInsensitively: '??-###' }, then: { effect: 'audit' } });
    expect(evaluatePolicyIf(insensitive, ctx(storage({}, { name: 'SA-123' }))).result).toBe(true);
    expect(evaluatePolicyIf(insensitive, ctx(storage({}, { name: 's1-123' }))).result).toBe(false);
    const tags = compilePolicyRule({ if: { value: '[less(length(field(\'tags\')), 2)]', equals: 'true' }, then: { effect: 'deny' } });
    expect(evaluatePolicyIf(tags, ctx(storage({}, { tags: { a: '1' } }))).result).toBe(true);
    expect(evaluatePolicyIf(tags, ctx(storage({}, { tags: { a: '1', b: '2' } }))).result).toBe(false);
  });

  it('operators: in, contains, containsKey, greater, exists; fullName; tags.x', () => {
    const r = (cond: Record<string, unknown>, resource = storage({ minimumTlsVersion: 'TLS1_0', networkAcls: { defaultAction: 'Allow', ipRules: [{ value: '1.2.3.4' }] } }, { tags: { Env: 'Prod' } })) =>
      evaluatePolicyIf(compilePolicyRule({ if: cond, then: { effect: 'deny' } }), ctx(resource)).result;
    expect(r({ field: 'Microsoft.Storage/storageAccounts/minimumTlsVersion', in: ['TLS1_0', 'TLS1_1'] })).toBe(true);
    expect(r({ field: 'Microsoft.Storage/storageAccounts/minimumTlsVersion', notEquals: 'tls1_0' })).toBe(false);
    expect(r({ field: 'Microsoft.Storage/storageAccounts/networkAcls.defaultAction', equals: 'allow' })).toBe(true);
    expect(r({ field: 'Microsoft.Storage/storageAccounts/networkAcls.ipRules[*].value', contains: '1.2' })).toBe(true);
    expect(r({ field: 'tags', containsKey: 'env' })).toBe(true);
    expect(r({ field: 'tags.env', equals: 'prod' })).toBe(true);
    expect(r({ field: "tags['env']", notContains: 'ro' })).toBe(false);
    expect(r({ field: 'fullName', equals: 'sa1' })).toBe(true);
    expect(r({ value: '[length(field(\'Microsoft.Storage/storageAccounts/networkAcls.ipRules[*]\'))]', greaterOrEquals: 1 })).toBe(true);
    expect(r({ field: 'Microsoft.Storage/storageAccounts/allowBlobPublicAccess', exists: true })).toBe(false);
    expect(r({ field: 'identity.type', notContains: 'SystemAssigned' })).toBe(true);
    const container = { ...storage({ publicAccess: 'None' }), id: `${RG}/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/c1`, name: 'c1', type: 'Microsoft.Storage/storageAccounts/blobServices/containers' };
    expect(r({ field: 'fullName', equals: 'sa1/default/c1' }, container)).toBe(true);
  });

  it('resolves aliases from the table, and others by a reported heuristic', () => {
    const vm: PolicyEvalContext['resource'] = {
      id: `${RG}/providers/Microsoft.Compute/virtualMachines/vm1`,
      name: 'vm1',
      type: 'Microsoft.Compute/virtualMachines',
      properties: { hardwareProfile: { vmSize: 'Standard_D2s_v3' }, licenseType: 'Windows_Server' },
    };
    const size = compilePolicyRule({ if: { field: 'Microsoft.Compute/virtualMachines/sku.name', like: 'Standard_D*' }, then: { effect: 'deny' } });
    expect(evaluatePolicyIf(size, ctx(vm)).trace[0]).toMatchObject({ path: 'properties.hardwareProfile.vmSize', result: true });
    const guessed = compilePolicyRule({ if: { field: 'Microsoft.Compute/virtualMachines/licenseType', equals: 'windows_server' }, then: { effect: 'deny' } });
    const r = evaluatePolicyIf(guessed, ctx(vm));
    expect(r.result).toBe(true);
    expect(r.trace[0]).toMatchObject({ path: 'properties.licenseType' });
    expect(r.trace[0]!.note).toMatch(/not in the simulator's table/);
  });

  it('denyAction on delete: effect and details', () => {
    const rule = compilePolicyRule({
      if: { field: 'tags.environment', equals: 'prod' },
      then: { effect: 'denyAction', details: { actionNames: ['delete'], cascadeBehaviors: { resourceGroup: 'deny' } } },
    });
    expect(resolveEffect(rule, {})).toBe('denyaction');
    expect(rule.details).toEqual({ actionNames: ['delete'], cascadeBehaviors: { resourceGroup: 'deny' } });
    expect(evaluatePolicyIf(rule, ctx(storage({}, { tags: { Environment: 'Prod' } }))).result).toBe(true);
  });
});

describe('evaluation failures are an implicit deny', () => {
  it('a failing template function', () => {
    const rule = compilePolicyRule({ if: { value: "[substring(field('name'), 0, 3)]", equals: 'abc' }, then: { effect: 'audit' } });
    const r = evaluatePolicyIf(rule, ctx(storage({}, { name: 'ab' })));
    expect(r.result).toBe(true);
    expect(r.error).toMatchObject({ pointer: '/if/value' });
    expect(r.error!.message).toMatch(/substring/);
    expect(evaluatePolicyIf(rule, ctx(storage({}, { name: 'abcd' }))).result).toBe(true);
    const fine = evaluatePolicyIf(rule, ctx(storage({}, { name: 'xyz' })));
    expect(fine.result).toBe(false);
    expect(fine.error).toBeUndefined();
  });

  it('less with mismatched types, and a missing parameter', () => {
    const less = compilePolicyRule({ if: { field: 'Microsoft.Storage/storageAccounts/minimumTlsVersion', less: 3 }, then: { effect: 'deny' } });
    expect(evaluatePolicyIf(less, ctx(storage({ minimumTlsVersion: 'TLS1_0' }))).error?.pointer).toBe('/if/less');
    const param = compilePolicyRule({ if: { field: 'location', in: "[parameters('nope')]" }, then: { effect: 'deny' } });
    expect(evaluatePolicyIf(param, ctx(storage({}))).error?.message).toMatch(/nope/);
  });
});

describe('malformed rules', () => {
  it.each([
    [null, '', /object with if and then/],
    [{ then: { effect: 'deny' } }, '', /'if'/],
    [{ if: { field: 'type', equals: 'x' } }, '', /'then'/],
    [{ if: { field: 'type', equals: 'x' }, then: {} }, '/then/effect', /effect/],
    [{ if: { field: 'type', equal: 'x' }, then: { effect: 'deny' } }, '/if/equal', /unknown operator/],
    [{ if: { field: 'type' }, then: { effect: 'deny' } }, '/if', /needs an operator/],
    [{ if: { equals: 'x' }, then: { effect: 'deny' } }, '/if', /field, value or count/],
    [{ if: { field: 'type', value: 'x', equals: 'x' }, then: { effect: 'deny' } }, '/if/value', /one of field, value or count/],
    [{ if: { field: 'type', equals: 'x', notEquals: 'y' }, then: { effect: 'deny' } }, '/if/notEquals', /one operator/],
    [{ if: { allOf: { field: 'type', equals: 'x' } }, then: { effect: 'deny' } }, '/if/allOf', /array/],
    [{ if: { allOf: [{ field: 'type', equals: 'x' }, 'oops'] }, then: { effect: 'deny' } }, '/if/allOf/1', /condition/],
    [{ if: { not: { field: 'name', like: "[concat('a',]" } }, then: { effect: 'deny' } }, '/if/not/like', /bad template/],
    [{ if: { value: "[reference('x').id]", equals: 'x' }, then: { effect: 'deny' } }, '/if/value', /not available in policy rules/],
    [{ if: { value: "[frobnicate('x')]", equals: 'x' }, then: { effect: 'deny' } }, '/if/value', /unknown or unsupported/],
    [{ if: { field: 'location', in: 'eastus' }, then: { effect: 'deny' } }, '/if/in', /array/],
    [{ if: { field: 'location', exists: 'maybe' }, then: { effect: 'deny' } }, '/if/exists', /true or false/],
    [{ if: { field: 'name', notContains: 'a*' }, then: { effect: 'deny' } }, '/if/notContains', /wildcards/],
    [{ if: { field: 'bogus', equals: 'x' }, then: { effect: 'deny' } }, '/if/field', /unknown field/],
    [{ if: { count: { field: 'Microsoft.Network/networkSecurityGroups/securityRules' }, equals: 0 }, then: { effect: 'deny' } }, '/if/count/field', /\[\*\]/],
    [{ if: { count: { value: [1], where: {} }, equals: 0 }, then: { effect: 'deny' } }, '/if/count/where', /field, value or count/],
    [{ if: { count: { value: [1] }, like: 'x*' }, then: { effect: 'deny' } }, '/if/like', /numeric operator/],
    [{ if: { field: 'type', equals: 'x' }, then: { effect: "[parameters('e']" } }, '/then/effect', /bad template/],
  ])('%j -> %s', (rule, pointer, message) => {
    const compile = () => compilePolicyRule(rule);
    expect(compile).toThrow(PolicyRuleError);
    expect(compile).toThrow(expect.objectContaining({ pointer, message: expect.stringMatching(message) }));
  });
});
