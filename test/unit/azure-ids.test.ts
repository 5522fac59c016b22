import { describe, expect, it } from 'vitest';
import { deriveAction, verbOf } from '../../providers/azure/action.js';
import { extensionScope, isAtOrUnder, levelOf, normalizeGuid, normalizeId, parseGuid, resourceTypeOf, scopeLabel, segmentParent, splitDataPath } from '../../providers/azure/ids.js';

const SUB = '/subscriptions/11111111-1111-4111-8111-111111111111';
const SA = `${SUB}/resourceGroups/RG1/providers/Microsoft.Storage/storageAccounts/sa1`;

describe('ARM ids', () => {
  it('normalizes case, doubled and trailing slashes', () => {
    expect(normalizeId(`//SUBSCRIPTIONS/11111111-1111-4111-8111-111111111111//resourceGroups/RG1/`)).toBe(`${SUB}/resourcegroups/rg1`);
    expect(normalizeId('/')).toBe('/');
  });

  it('compares scopes on whole segments', () => {
    const rg1 = normalizeId(`${SUB}/resourceGroups/rg1`);
    expect(isAtOrUnder(normalizeId(SA), rg1)).toBe(true);
    expect(isAtOrUnder(normalizeId(`${SUB}/resourceGroups/rg10`), rg1)).toBe(false);
    expect(isAtOrUnder(rg1, '/')).toBe(true);
  });

  it('walks parents along the id, stepping over /providers/{Namespace} of extension resources', () => {
    const diag = normalizeId(`${SA}/providers/Microsoft.Insights/diagnosticSettings/d1`);
    expect(segmentParent(diag)).toBe(normalizeId(SA));
    expect(segmentParent(normalizeId(SA))).toBe(normalizeId(`${SUB}/resourceGroups/RG1`));
    expect(segmentParent(normalizeId(`${SUB}/resourceGroups/RG1`))).toBe(SUB);
    expect(segmentParent(SUB)).toBeUndefined();
    expect(levelOf('/providers/microsoft.management/managementgroups/mg1')).toBe('management_group');
  });

  it('finds the scope of an extension object and the type of a resource', () => {
    expect(extensionScope(`${SA}/providers/Microsoft.Authorization/locks/l1`)).toBe(normalizeId(SA));
    expect(extensionScope('/providers/Microsoft.Authorization/roleDefinitions/x')).toBe('/');
    expect(resourceTypeOf(`${SA}/blobServices/default/containers/c1`)).toBe('Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(resourceTypeOf(`${SUB}/resourceGroups/rg1`)).toBe('Microsoft.Resources/subscriptions/resourceGroups');
  });

  it('stops a blob request at its container: the blob path, slashes included, is an attribute', () => {
    expect(splitDataPath(`${SA}/blobServices/default/containers/c1/blobs/a/b/c.txt`)).toEqual({ scope: `${SA}/blobServices/default/containers/c1`, blobPath: 'a/b/c.txt' });
    expect(splitDataPath(`${SA}/queueServices/default/queues/q1/messages`)).toEqual({ scope: `${SA}/queueServices/default/queues/q1` });
    expect(splitDataPath(SA)).toEqual({ scope: SA });
  });

  it('parses GUIDs with or without dashes and braces, and nothing else', () => {
    expect(parseGuid('{ACDD72A7338548EFBD42F606FBA81AE7}')).toBe('acdd72a7-3385-48ef-bd42-f606fba81ae7');
    expect(parseGuid('acdd72a7-3385')).toBeUndefined();
    expect(normalizeGuid('acdd72a7-3385')).toBe('acdd72a7-3385');
  });

  it('dashes GUIDs written without dashes and labels scopes for sentences', () => {
    expect(normalizeGuid('ACDD72A733854FE8BD42F606FBA81AE7')).toBe('acdd72a7-3385-4fe8-bd42-f606fba81ae7');
    expect(scopeLabel(`${SA}/blobServices/default/containers/c2`)).toBe('container c2');
    expect(scopeLabel(`${SUB}/resourceGroups/rg1`)).toBe('resource group rg1');
  });
});

describe('method and ARM path to action', () => {
  it('maps verbs and keeps nested types', () => {
    expect(deriveAction('GET', `${SA}?api-version=2023-05-01`)).toEqual({ action: 'Microsoft.Storage/storageAccounts/read', target: SA, verb: 'read' });
    expect(deriveAction('patch', SA).action).toBe('Microsoft.Storage/storageAccounts/write');
    expect(deriveAction('DELETE', `${SA}/blobServices/default/containers/c1`).action).toBe('Microsoft.Storage/storageAccounts/blobServices/containers/delete');
  });

  it('turns a POST operation into {operation}/action on the resource', () => {
    expect(deriveAction('POST', `${SA}/listKeys`)).toEqual({ action: 'Microsoft.Storage/storageAccounts/listKeys/action', target: SA, verb: 'action' });
    expect(deriveAction('POST', `${SUB}/resourceGroups/rg1/exportTemplate`).action).toBe('Microsoft.Resources/subscriptions/resourceGroups/exportTemplate/action');
  });

  it('handles containers without /providers/, collections, extension resources and management groups', () => {
    expect(deriveAction('PUT', `${SUB}/resourceGroups/rg1`).action).toBe('Microsoft.Resources/subscriptions/resourceGroups/write');
    expect(deriveAction('GET', SUB).action).toBe('Microsoft.Resources/subscriptions/read');
    expect(deriveAction('GET', `${SUB}/resourceGroups`)).toEqual({ action: 'Microsoft.Resources/subscriptions/resourceGroups/read', target: SUB, verb: 'read' });
    expect(deriveAction('GET', `${SUB}/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts`).target).toBe(`${SUB}/resourceGroups/rg1`);
    expect(deriveAction('PUT', `${SA}/providers/Microsoft.Insights/diagnosticSettings/d1`)).toEqual({ action: 'Microsoft.Insights/diagnosticSettings/write', target: `${SA}/providers/Microsoft.Insights/diagnosticSettings/d1`, verb: 'write' });
    expect(deriveAction('DELETE', '/providers/Microsoft.Management/managementGroups/mg1').action).toBe('Microsoft.Management/managementGroups/delete');
  });

  it('refuses what is not an ARM call', () => {
    expect(() => deriveAction('TRACE', SA)).toThrow(/not an ARM method/);
    expect(() => deriveAction('PUT', `${SUB}/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts`)).toThrow(/needs a resource name/);
    expect(() => deriveAction('POST', SA)).toThrow(/names an operation/);
    expect(() => deriveAction('GET', '/tenants/x')).toThrow(/not an ARM resource path/);
    expect(verbOf('Microsoft.Compute/virtualMachines/restart/action')).toBe('action');
  });
});
