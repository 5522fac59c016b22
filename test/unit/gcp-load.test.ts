/**
 * GCP input recognition and loading: only GCP files are claimed, malformed ones fail with a pointer into
 * the file, and the hierarchy, names and memberships come out of the native shapes.
 */
import { describe, expect, it } from 'vitest';
import { buildSnapshot, type InputFile } from '../../src/core/snapshot.js';
import { InputError } from '../../src/core/problem.js';
import { gcp } from '../../providers/gcp/index.js';
import { denyAttachment } from '../../providers/gcp/load.js';
import { inputKind } from '../../providers/gcp/inputs.js';

const CRM = '//cloudresourcemanager.googleapis.com/';
const snapshot = (files: InputFile[]) => buildSnapshot(files, [gcp], { createdAt: '2026-01-01T00:00:00Z' });
const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

describe('recognising GCP inputs by content', () => {
  it('claims the GCP shapes', () => {
    expect(inputKind([{ name: `${CRM}projects/1`, asset_type: 'cloudresourcemanager.googleapis.com/Project' }])).toBe('assets');
    expect(inputKind({ policies: [{ name: 'policies/x/denypolicies/d', rules: [] }] })).toBe('deny');
    expect(inputKind({ roles: [{ name: 'organizations/1/roles/r', includedPermissions: [] }] })).toBe('roles');
    expect(inputKind({ 'eng@example.com': ['user:a@example.com'] })).toBe('groups');
    expect(inputKind({ 'example.com': 'C01abcde' })).toBe('customers');
    expect(inputKind([{ projectId: 'p1', projectNumber: '1001' }])).toBe('projects');
    expect(inputKind({ policies: [{ name: 'folders/1/policies/gcp.resourceLocations', spec: { rules: [] } }] })).toBe('orgPolicies');
  });

  it('leaves AWS, Azure and other JSON alone', () => {
    expect(inputKind({ UserDetailList: [], RoleDetailList: [], GroupDetailList: [], Policies: [] })).toBeUndefined();
    expect(inputKind({ Roots: [], Accounts: [] })).toBeUndefined();
    expect(inputKind([{ id: '/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/1', name: '1', properties: { roleDefinitionId: 'x', principalId: 'y', scope: '/subscriptions/s' } }])).toBeUndefined();
    expect(inputKind({ value: [{ id: '/providers/Microsoft.Management/managementGroups/mg', name: 'mg' }] })).toBeUndefined();
    expect(inputKind({ policies: [{ name: 'arn:aws:iam::1:policy/x', document: {} }] })).toBeUndefined();
    expect(inputKind({})).toBeUndefined();
    expect(inputKind([])).toBeUndefined();
  });

  it('reads the attachment point of a deny policy from its name', () => {
    expect(denyAttachment('policies/cloudresourcemanager.googleapis.com%2Ffolders%2F456/denypolicies/d')).toBe(`${CRM}folders/456`);
    expect(denyAttachment('policies/x/y/denypolicies/d')).toBeUndefined();
  });
});

describe('loading', () => {
  it('a binding without members fails with the file and the pointer of the binding', () => {
    const text = ndjson([{ name: `${CRM}projects/1001`, asset_type: 'cloudresourcemanager.googleapis.com/Project', iam_policy: { bindings: [{ role: 'roles/viewer' }] } }]);
    let err: unknown;
    try {
      snapshot([{ name: 'assets.ndjson', text }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect({ file: (err as InputError).file, pointer: (err as InputError).pointer, line: (err as InputError).line }).toMatchObject({ file: 'assets.ndjson', pointer: '/0/iam_policy/bindings/0' });
  });

  it('a deny policy whose name hides its attachment point fails at /name', () => {
    expect(() => snapshot([{ name: 'deny.json', text: JSON.stringify({ name: 'policies/x/y/denypolicies/d', rules: [] }) }])).toThrow(/attachment point/);
  });

  it('builds the hierarchy from ancestors and names projects by id, whatever name the lines use', () => {
    const snap = snapshot([{
      name: 'a.ndjson',
      text: ndjson([
        { name: `${CRM}projects/1001`, asset_type: 'cloudresourcemanager.googleapis.com/Project', ancestors: ['projects/1001', 'folders/5', 'organizations/9'], resource: { data: { projectId: 'p1', projectNumber: '1001' } } },
        { name: '//storage.googleapis.com/b1', assetType: 'storage.googleapis.com/Bucket', ancestors: ['projects/1001', 'folders/5', 'organizations/9'], iamPolicy: { bindings: [] } },
      ]),
    }]);
    expect(snap.graph.ancestors('//storage.googleapis.com/projects/_/buckets/b1').map((s) => s.id)).toEqual([
      '//storage.googleapis.com/projects/_/buckets/b1', `${CRM}projects/p1`, `${CRM}folders/5`, `${CRM}organizations/9`,
    ]);
    expect(snap.graph.scope(`${CRM}projects/p1`)?.attrs).toMatchObject({ projectId: 'p1', projectNumber: '1001' });
  });

  it('resolves nested groups, bare emails included, into transitive memberships', () => {
    const snap = snapshot([
      { name: 'g.json', text: JSON.stringify({ 'eng@example.com': ['platform@example.com', 'user:a@example.com'], 'platform@example.com': ['b@example.com', 'ci@p1.iam.gserviceaccount.com'] }) },
    ]);
    expect([...snap.graph.groupsOf('user:b@example.com')].sort()).toEqual(['group:eng@example.com', 'group:platform@example.com']);
    expect(snap.graph.groupsOf('serviceAccount:ci@p1.iam.gserviceaccount.com')).toContain('group:eng@example.com');
  });
});
