import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInRole, builtInRoles, isDataAction } from '../../providers/azure/catalog.js';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const BLOB_READER = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';

describe('builtInRole', () => {
  it('finds a role by GUID, by role definition id at any scope, and by name', () => {
    const byGuid = builtInRole(READER);
    expect(byGuid?.roleName).toBe('Reader');
    expect(byGuid?.roleType).toBe('BuiltInRole');
    expect(byGuid?.permissions[0]?.actions).toEqual(['*/read']);
    expect(builtInRole(`/providers/Microsoft.Authorization/roleDefinitions/${READER}`)).toBe(byGuid);
    expect(
      builtInRole(`/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/${READER.toUpperCase()}`),
    ).toBe(byGuid);
    expect(builtInRole('reader')).toBe(byGuid);
    expect(builtInRole('Storage Blob Data Reader')?.id).toBe(BLOB_READER);
    expect(builtInRole(READER.replaceAll('-', ''))).toBe(byGuid);
  });

  it('keeps NotActions, data actions and role-definition conditions', () => {
    const contributor = builtInRole('b24988ac-6180-42a0-ab88-20f7382dd24c')!;
    expect(contributor.roleName).toBe('Contributor');
    expect(contributor.permissions[0]!.notActions).toContain('Microsoft.Authorization/*/Write');
    expect(builtInRole(BLOB_READER)!.permissions[0]!.dataActions).toEqual([
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
    ]);
    const withCondition = builtInRoles().filter((r) => r.permissions.some((p) => p.condition));
    expect(withCondition.length).toBeGreaterThan(20);
    for (const r of withCondition) {
      for (const p of r.permissions) if (p.condition) expect(p.conditionVersion).toMatch(/^[12]\.0$/);
    }
  });

  it('returns undefined for unknown roles and foreign ids', () => {
    expect(builtInRole('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    expect(builtInRole('No Such Role')).toBeUndefined();
    expect(builtInRole('/providers/Microsoft.Authorization/roleDefinitions/not-a-guid')).toBeUndefined();
  });
});

describe('isDataAction', () => {
  it('classifies literal data and control actions', () => {
    expect(isDataAction('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read')).toBe(true);
    expect(isDataAction('microsoft.storage/storageaccounts/blobservices/containers/blobs/READ')).toBe(true);
    expect(isDataAction('Microsoft.KeyVault/vaults/secrets/getSecret/action')).toBe(true);
    expect(isDataAction('Microsoft.Storage/storageAccounts/blobServices/containers/read')).toBe(false);
    expect(isDataAction('Microsoft.Storage/storageAccounts/listKeys/action')).toBe(false);
    expect(isDataAction('Microsoft.Authorization/roleAssignments/write')).toBe(false);
  });

  it('uses the longest <literal>/* prefix for actions no role names literally', () => {
    // Storage Blob Data Owner: DataActions .../containers/blobs/*, Actions .../containers/*
    expect(isDataAction('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/someFutureOp/action')).toBe(true);
    expect(isDataAction('Microsoft.Storage/storageAccounts/blobServices/containers/someFutureOp/action')).toBe(false);
    expect(isDataAction('Contoso.Unknown/things/read')).toBe(false);
  });
});

describe('gen-azure-data', () => {
  // The script's default source: the iam-dataset checkout next to the project.
  const source = join(process.cwd(), '..', 'shared', 'data', 'iam-dataset');
  it.skipIf(!existsSync(source))('reproduces the shipped catalogue byte for byte', () => {
    const out = mkdtempSync(join(tmpdir(), 'azure-data-'));
    try {
      execFileSync(process.execPath, ['scripts/gen-azure-data.mjs', source, out], { stdio: 'pipe' });
      const shipped = readFileSync(join('providers', 'azure', 'data', 'built-in-roles.json'));
      expect(readFileSync(join(out, 'built-in-roles.json')).equals(shipped)).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
