/**
 * Organization Policy hierarchy evaluation (https://cloud.google.com/resource-manager/docs/organization-policy/understanding-hierarchy):
 * inheritance, merge with inheritFromParent, denied-wins, reset, boolean constraints with tag conditions, and value groups.
 */
import { describe, expect, it } from 'vitest';
import { customerMatches, effectiveBoolean, effectiveList, listAllows, locationMatches, readOrgPolicy, type OrgPolicy } from '../../providers/gcp/org-policy.js';
import { enforcementVersion, firstVersionBlocking } from '../../providers/gcp/pab.js';

const src = { file: 'f', pointer: '' };
const v1 = (node: string, doc: Record<string, unknown>) => readOrgPolicy(`${node}#x`, 'gcp.resourceLocations', node, doc, src);
const allows = (chain: (OrgPolicy | undefined)[], value: string) => listAllows(effectiveList(chain, () => true), (p) => locationMatches(p, value));

describe('list constraints', () => {
  const org = v1('org', { listPolicy: { allowedValues: ['in:eu-locations'] } });

  it('no policy anywhere is the constraint default; a node without a policy inherits', () => {
    expect(allows([undefined, undefined], 'us')).toBe(true);
    expect(allows([org, undefined], 'us')).toBe(false);
    expect(allows([org, undefined], 'europe-west1')).toBe(true);
  });

  it('inheritFromParent merges (union), without it the node replaces the parent', () => {
    const merge = v1('p', { list_policy: { allowed_values: ['us-east1'], inherit_from_parent: true } });
    const replace = v1('p', { listPolicy: { allowedValues: ['us-east1'] } });
    expect([allows([org, merge], 'us-east1'), allows([org, merge], 'eu')]).toEqual([true, true]);
    expect([allows([org, replace], 'us-east1'), allows([org, replace], 'eu')]).toEqual([true, false]);
  });

  it('denied values win over allowed ones in a merge, and allValues DENY denies everything', () => {
    const deny = v1('p', { listPolicy: { deniedValues: ['europe-west1'], inheritFromParent: true } });
    expect([allows([org, deny], 'europe-west1'), allows([org, deny], 'europe-west4')]).toEqual([false, true]);
    expect(allows([v1('p', { listPolicy: { allValues: 'DENY' } })], 'eu')).toBe(false);
  });

  it('restoreDefault (v1) and reset (v2) go back to the default, ignoring ancestors', () => {
    expect(allows([org, v1('p', { restoreDefault: {} })], 'us')).toBe(true);
    expect(allows([org, v1('p', { spec: { reset: true } })], 'us')).toBe(true);
  });

  it('reads v2 rules: allowAll, denyAll, values', () => {
    expect(allows([v1('o', { spec: { rules: [{ denyAll: true }] } })], 'eu')).toBe(false);
    expect(allows([org, v1('p', { spec: { rules: [{ allowAll: true }] } })], 'us')).toBe(true);
    expect(allows([v1('o', { spec: { rules: [{ values: { allowedValues: ['is:US'] } }] } })], 'us')).toBe(true);
  });

  it('value groups: a region group covers its zones, a multi-region group its regions and dual-regions', () => {
    expect(locationMatches('in:us-east1-locations', 'us-east1-b')).toBe(true);
    expect(locationMatches('in:us-east1-locations', 'us-east4')).toBe(false);
    expect(locationMatches('in:us-locations', 'US')).toBe(true);
    expect(locationMatches('in:us-locations', 'nam4')).toBe(true);
    expect(locationMatches('in:eu-locations', 'europe-north1')).toBe(true);
    expect(locationMatches('in:eu-locations', 'us-central1')).toBe(false);
    expect(customerMatches('is:C01abc', 'C01ABC')).toBe(true);
    expect(customerMatches('C01abc', undefined)).toBe(false);
  });
});

describe('boolean constraints', () => {
  const b = (node: string, doc: Record<string, unknown>) => readOrgPolicy(`${node}#b`, 'storage.publicAccessPrevention', node, doc, src);

  it('the nearest policy decides; reset means the default (not enforced)', () => {
    const on = b('org', { booleanPolicy: { enforced: true } });
    expect(effectiveBoolean([on, undefined], () => true).enforced).toBe(true);
    expect(effectiveBoolean([on, b('p', { boolean_policy: { enforced: false } })], () => true).enforced).toBe(false);
    expect(effectiveBoolean([on, b('p', { spec: { reset: true } })], () => true).enforced).toBe(false);
  });

  it('a conditional rule that holds for the resource wins over the unconditional one', () => {
    const p = b('org', { spec: { rules: [{ enforce: true }, { enforce: false, condition: { expression: "resource.matchTag('123/public', 'yes')" } }] } });
    expect(effectiveBoolean([p], () => true).enforced).toBe(false);
    expect(effectiveBoolean([p], () => false).enforced).toBe(true);
  });
});

describe('principal access boundary enforcement versions', () => {
  it('latest and empty follow the default; numbers are kept', () => {
    expect([enforcementVersion('latest'), enforcementVersion(''), enforcementVersion('2'), enforcementVersion(undefined)]).toEqual([4, 4, 2, 4]);
  });

  it('permissions added in later versions are not blocked by earlier ones', () => {
    expect(firstVersionBlocking('storage.googleapis.com/objects.get')).toBe(1);
    expect(firstVersionBlocking('bigquery.googleapis.com/tables.getData')).toBe(2);
    expect(firstVersionBlocking('iam.googleapis.com/serviceAccounts.getAccessToken')).toBe(3);
    // Listed in no version, or an exception of the only row that matches: PAB can never block it.
    expect([firstVersionBlocking('compute.googleapis.com/instances.get'), firstVersionBlocking('monitoring.googleapis.com/timeSeries.list')]).toEqual([undefined, undefined]);
    // The page's spelling: cloudsql.googleapis.com (sql.googleapis.com in deny policies), serviceaccounts in lower case.
    expect([firstVersionBlocking('sql.googleapis.com/instances.get'), firstVersionBlocking('accessapproval.googleapis.com/serviceAccounts.get')]).toEqual([3, 1]);
  });
});
