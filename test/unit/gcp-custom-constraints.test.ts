/**
 * Org Policy custom constraints and managed-constraint parameters
 * (https://cloud.google.com/resource-manager/docs/organization-policy/creating-managing-custom-constraints):
 * recognising and loading the constraint file, the method and resource type a permission writes, and the
 * DENY / ALLOW verdicts, with fields the request does not give reported as missing.
 */
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { InputError } from '../../src/core/problem.js';
import { gcp } from '../../providers/gcp/index.js';
import { inputKind } from '../../providers/gcp/inputs.js';
import { checkCustom, methodTypeOf, readCustomConstraint, resourceTypeFor } from '../../providers/gcp/custom-constraints.js';
import { effectiveBoolean, readOrgPolicy } from '../../providers/gcp/org-policy.js';

const src = { file: 'f', pointer: '' };
const constraint = (actionType: string, condition: string) =>
  readCustomConstraint('organizations/1/customConstraints/custom.c', { resourceTypes: ['storage.googleapis.com/Bucket'], methodTypes: ['CREATE'], condition, actionType, description: 'd' }, src);

describe('custom constraint inputs', () => {
  const file = { customConstraints: [{ name: 'organizations/1/customConstraints/custom.c', resourceTypes: ['storage.googleapis.com/Bucket'], methodTypes: ['CREATE'], condition: "resource.location == 'US'", actionType: 'DENY' }] };

  it('are recognised by their name and condition', () => {
    expect(inputKind(file)).toBe('customConstraints');
    expect(inputKind({ customConstraints: [{ name: 'organizations/1/customConstraints/c', condition: 'true' }] })).toBeUndefined();
  });

  it('a bad actionType fails with a pointer into the file', () => {
    const bad = { customConstraints: [{ ...file.customConstraints[0], actionType: 'MAYBE' }] };
    let err: unknown;
    try {
      buildSnapshot([{ name: 'cc.json', text: JSON.stringify(bad) }], [gcp], { createdAt: '2026-01-01T00:00:00Z' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect({ file: (err as InputError).file, pointer: (err as InputError).pointer }).toMatchObject({ file: 'cc.json', pointer: '/customConstraints/0/actionType' });
  });
});

describe('what a permission writes', () => {
  it('create and update verbs map to CREATE and UPDATE; other verbs are not checked', () => {
    expect([methodTypeOf('storage.buckets.create'), methodTypeOf('compute.instances.update'), methodTypeOf('storage.buckets.delete')]).toEqual(['CREATE', 'UPDATE', undefined]);
  });

  it('CREATE takes the type from the permission, UPDATE from the requested resource', () => {
    const project = '//cloudresourcemanager.googleapis.com/projects/p1';
    expect(resourceTypeFor('storage.buckets.create', 'CREATE', project)).toBe('storage.googleapis.com/Bucket');
    expect(resourceTypeFor('compute.instances.create', 'CREATE', project)).toBe('compute.googleapis.com/Instance');
    // The service's API host, as the v2 spelling names it, where it differs from the permission's prefix.
    expect(resourceTypeFor('resourcemanager.projects.create', 'CREATE', project)).toBe('cloudresourcemanager.googleapis.com/Project');
    expect(resourceTypeFor('source.repos.create', 'CREATE', project)).toBe('sourcerepo.googleapis.com/Repo');
    expect(resourceTypeFor('container.clusters.update', 'UPDATE', '//container.googleapis.com/projects/p1/locations/l/clusters/c')).toBe('container.googleapis.com/Cluster');
  });
});

describe('verdicts', () => {
  it('DENY refuses when the condition is true, ALLOW when it is false', () => {
    const deny = constraint('DENY', "resource.location == 'US'");
    expect(checkCustom(deny, { location: 'US' }).violated).toBe(true);
    expect(checkCustom(deny, { location: 'EU' }).violated).toBe(false);
    const allow = constraint('ALLOW', 'resource.versioning.enabled == true');
    expect(checkCustom(allow, { versioning: { enabled: false } }).violated).toBe(true);
    expect(checkCustom(allow, { versioning: { enabled: true } }).violated).toBe(false);
  });

  it('fields that are not given leave the verdict unknown and are listed', () => {
    const c = constraint('ALLOW', "resource.versioning.enabled == true && resource.location != 'US'");
    expect(checkCustom(c, undefined)).toEqual({ violated: 'unknown', missing: ['resource.location', 'resource.versioning.enabled'] });
    expect(checkCustom(c, { location: 'EU' })).toEqual({ violated: 'unknown', missing: ['resource.versioning.enabled'] });
    // A false part decides without the missing one.
    expect(checkCustom(c, { location: 'US' }).violated).toBe(true);
  });

  it('a condition that does not compile decides nothing', () => {
    expect(checkCustom(constraint('ALLOW', 'resource.x =='), { x: 1 }).violated).toBe(false);
  });
});

describe('managed constraint parameters', () => {
  it('the deciding rule carries its parameters', () => {
    const p = readOrgPolicy('org#m', 'iam.managed.allowedPolicyMembers', 'org', { spec: { rules: [{ enforce: true, parameters: { allowedMemberSubjects: ['user:a@example.com'] } }] } }, src);
    const eff = effectiveBoolean([p], () => true);
    expect(eff.enforced).toBe(true);
    expect(eff.rule?.parameters).toEqual({ allowedMemberSubjects: ['user:a@example.com'] });
  });
});
