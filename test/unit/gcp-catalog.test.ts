/**
 * The Google Cloud role catalogue shipped in providers/gcp/data (generated from iann0036/iam-dataset).
 * https://cloud.google.com/iam/docs/roles-overview , https://cloud.google.com/iam/docs/deny-permissions-support ,
 * https://cloud.google.com/iam/docs/deny-overview (permission groups).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  basicRoles,
  catalogSource,
  isKnownPermission,
  methodPermissions,
  permissionGroupMatches,
  predefinedRole,
  predefinedRoleNames,
  rolesGranting,
  toV1Permission,
  toV2Permission,
} from '../../providers/gcp/catalog.js';

const root = resolve(import.meta.dirname, '..', '..');
const dataDir = join(root, 'providers', 'gcp', 'data');
// The source dataset lives next to the repository (see scripts/gen-gcp-data.mjs); absent in a bare checkout.
const source = resolve(root, '..', 'shared', 'data', 'iam-dataset');
const haveSource = existsSync(join(source, 'gcp-predefined-roles.json'));

describe('predefined roles', () => {
  it('decodes a role with its title, stage and exact permissions', () => {
    const role = predefinedRole('roles/storage.objectViewer');
    expect(role?.title).toBe('Storage Object Viewer');
    expect(role?.stage).toBe('GA');
    expect(role?.permissions.has('storage.objects.get')).toBe(true);
    expect(role?.permissions.has('storage.objects.list')).toBe(true);
    expect(role?.permissions.has('storage.objects.delete')).toBe(false);
    expect(predefinedRole('roles/storage.objectViewer')).toBe(role); // decoded once
  });

  it('keeps permissions that roles list in FQDN form', () => {
    expect(predefinedRole('roles/iam.admin')?.permissions.has('iam.googleapis.com/oauthClients.create')).toBe(true);
    expect(isKnownPermission('iam.googleapis.com/oauthClients.create')).toBe(true);
  });

  it('has no roles or permissions that the dataset lacks', () => {
    expect(predefinedRole('roles/storage.nonexistent')).toBeUndefined();
    expect(predefinedRole('constructor')).toBeUndefined();
    expect(isKnownPermission('storage.objects.frobnicate')).toBe(false);
    expect(isKnownPermission('storage.objects.get')).toBe(true);
    expect(isKnownPermission('storage.googleapis.com/objects.get')).toBe(true);
  });

  // specs/gcp.md section 3 and https://cloud.google.com/storage/docs/access-control/iam-roles : basic roles do not
  // include storage.objects.* nor bucket IAM permissions; project owners reach objects through convenience values.
  it('basic roles come from the dataset and lack object and bucket-IAM permissions', () => {
    expect(basicRoles).toEqual(['roles/owner', 'roles/editor', 'roles/viewer']);
    const sizes = basicRoles.map((r) => predefinedRole(r)!.permissions.size);
    expect(sizes).toEqual([13568, 11979, 6064]);
    for (const r of basicRoles) {
      const perms = [...predefinedRole(r)!.permissions];
      expect(perms.filter((p) => p.startsWith('storage.objects.'))).toEqual([]);
      expect(perms.filter((p) => /^storage\.buckets\.(get|getIamPolicy|setIamPolicy)$/.test(p))).toEqual([]);
    }
    expect(predefinedRole('roles/owner')!.permissions.has('storage.buckets.delete')).toBe(true);
  });

  it('names the dataset commit it was generated from', () => {
    const src = catalogSource();
    expect(src.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(join(dataDir, 'SOURCE'), 'utf8')).toContain(src.commit);
  });

  it('lists the roles that grant a permission', () => {
    const roles = rolesGranting('storage.objects.get');
    expect(roles).toContain('roles/storage.objectViewer');
    expect(roles).not.toContain('roles/viewer');
    expect(rolesGranting('storage.objects.frobnicate')).toEqual([]);
  });

  it.skipIf(!haveSource)('matches the source dataset role for role', () => {
    const src = JSON.parse(readFileSync(join(source, 'gcp-predefined-roles.json'), 'utf8')) as Record<string, { title: string; includedPermissions?: string[] }>;
    expect(predefinedRoleNames().sort()).toEqual(Object.keys(src).sort());
    for (const [name, r] of Object.entries(src)) {
      const role = predefinedRole(name)!;
      expect(role.title, name).toBe(r.title);
      expect([...role.permissions].sort(), name).toEqual([...new Set(r.includedPermissions ?? [])].sort());
    }
  });
});

describe('v1 <-> v2 permission names', () => {
  // https://cloud.google.com/iam/docs/deny-permissions-support : SERVICE_FQDN is normally "<service>.googleapis.com";
  // "Exceptions are documented on this page" (renamed services, from service-mapping.json).
  it.each([
    ['storage.objects.get', 'storage.googleapis.com/objects.get'],
    ['resourcemanager.projects.delete', 'cloudresourcemanager.googleapis.com/projects.delete'],
    ['cloudsql.instances.get', 'sql.googleapis.com/instances.get'],
    ['billing.accounts.get', 'cloudbilling.googleapis.com/accounts.get'],
    // already FQDN in roles (roles/iam.admin): the same string in both forms
    ['iam.googleapis.com/oauthClients.create', 'iam.googleapis.com/oauthClients.create'],
  ])('%s <-> %s', (v1, v2) => {
    expect(toV2Permission(v1)).toBe(v2);
    expect(toV1Permission(v2)).toBe(v1);
    expect(toV1Permission(v1)).toBe(v1);
  });

  it.each(['storage', 'example.com/things.get', 'storage.googleapis.com/objects', 'a b.c.d'])('rejects malformed %s', (p) => {
    expect(toV1Permission(p)).toBeUndefined();
  });
});

describe('deny permission groups', () => {
  const P = 'storage.googleapis.com/buckets.delete';
  // https://cloud.google.com/iam/docs/deny-overview : SERVICE/RESOURCE.*, SERVICE/*.VERB, SERVICE/*.* and exact names.
  it.each([
    [P, true],
    ['storage.googleapis.com/buckets.*', true],
    ['storage.googleapis.com/*.delete', true],
    ['storage.googleapis.com/*.*', true],
    ['storage.googleapis.com/objects.*', false],
    ['storage.googleapis.com/*.get', false],
    ['compute.googleapis.com/*.*', false],
    ['storage.googleapis.com/buckets.del*', false],
    ['*', false],
    ['storage.googleapis.com/buckets.delete.x', false],
  ])('%s covers buckets.delete: %s', (pattern, expected) => {
    expect(permissionGroupMatches(pattern, P)).toBe(expected);
  });
});

describe('API methods', () => {
  it('gives the permissions a method checks, with body-dependent ones marked', () => {
    expect(methodPermissions('storage.buckets.delete')).toEqual([{ permission: 'storage.buckets.delete' }]);
    const insert = methodPermissions('compute.instances.insert') ?? [];
    expect(insert.map((p) => p.permission)).toContain('compute.instances.create');
    expect(insert.find((p) => p.permission === 'iam.serviceAccounts.actAs')?.ifBodyPath).toBe('$.serviceAccounts[].email');
    expect(methodPermissions('storage.buckets.frobnicate')).toBeUndefined();
  });
});

describe.skipIf(!haveSource)('scripts/gen-gcp-data.mjs', () => {
  const out = mkdtempSync(join(tmpdir(), 'gcp-data-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('reproduces the shipped files byte for byte', () => {
    const run = spawnSync(process.execPath, ['scripts/gen-gcp-data.mjs', source, out], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    // pab-enforcement.json is transcribed from the documentation, not generated from the dataset.
    const shipped = readdirSync(dataDir).filter((f) => f !== 'pab-enforcement.json').sort();
    expect(readdirSync(out).sort()).toEqual(shipped);
    for (const f of shipped) expect(readFileSync(join(out, f)).equals(readFileSync(join(dataDir, f))), f).toBe(true);
  });
});
