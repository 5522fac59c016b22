/**
 * The questions a diff asks of Google Cloud (every caller x the sensitive permissions of what a change
 * touches) and the principals invariants quantify over, against the bundled estate.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Probe, TerraformPlan } from '../../src/core/ci.js';
import { buildSnapshot, type Snapshot } from '../../src/core/snapshot.js';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { projectRoot } from '../../src/api/spec.js';
import { providers } from '../../src/all-providers.js';
import { gcp } from '../../providers/gcp/index.js';
import { isKnownPermission } from '../../providers/gcp/catalog.js';
import { MAX_PROBES, SENSITIVE } from '../../providers/gcp/ci.js';

const CRM = '//cloudresourcemanager.googleapis.com/';
const BUCKET = '//storage.googleapis.com/projects/_/buckets/';

let snapshot: Snapshot;
beforeAll(async () => {
  snapshot = buildSnapshot(await fixtureFiles('fixtures/gcp/estate'), Object.values(providers), { createdAt: '2026-12-01T00:00:00Z' });
});

function overlayOf(name: string): Record<string, unknown> {
  const plan = JSON.parse(readFileSync(join(projectRoot, 'fixtures/ci/terraform', `${name}.plan.json`), 'utf8')) as TerraformPlan;
  const changes = (plan.resource_changes ?? []).filter((c) => c.mode === 'managed' && gcp.ci.terraformTypes.includes(c.type));
  return gcp.ci.fromTerraform(changes, plan, snapshot).overlay!;
}

const key = (p: Probe) => `${p.resource} ${p.action} ${p.principal}`;

/** The probes whose decision the overlay changes, as `principal action resource: before -> after`. */
function diff(probes: Probe[], overlay: Record<string, unknown>): string[] {
  return probes.flatMap((p) => {
    const before = gcp.simulateIn(snapshot, { provider: 'gcp', ...p }).decision;
    const after = gcp.simulateIn(snapshot, { provider: 'gcp', ...p, overlay }).decision;
    return before === after ? [] : [`${p.principal} ${p.action} ${p.resource}: ${before} -> ${after}`];
  });
}

describe('principals', () => {
  it('all: every user, service account and federated identity of the snapshot, then the public callers; never groups or domains', () => {
    expect(gcp.ci.principals(snapshot, 'all')).toEqual([
      'serviceAccount:731904826153@cloudservices.gserviceaccount.com',
      'serviceAccount:ci-builder@ex-dev-sandbox.iam.gserviceaccount.com',
      'serviceAccount:etl-pipeline@ex-prod-analytics.iam.gserviceaccount.com',
      'serviceAccount:web-frontend@ex-prod-web.iam.gserviceaccount.com',
      'user:ana@example.com',
      'user:arjun@example.com',
      'user:dana@example.com',
      'user:diego@example.com',
      'user:lee@partner-corp.com',
      'user:olivia@example.com',
      'user:omar@example.com',
      'user:pat@example.com',
      'user:sam@example.com',
      'user:sofia@example.com',
      'user:wendy@example.com',
      'allUsers',
      'allAuthenticatedUsers',
    ]);
  });

  it('public: allUsers and allAuthenticatedUsers; external: those and the accounts of other Cloud Identity customers', () => {
    expect(gcp.ci.principals(snapshot, 'public')).toEqual(['allUsers', 'allAuthenticatedUsers']);
    expect(gcp.ci.principals(snapshot, 'external')).toEqual(['user:lee@partner-corp.com', 'allUsers', 'allAuthenticatedUsers']);
  });

  it('every principal is one a simulate request accepts, and allAuthenticatedUsers only matches public bindings', () => {
    for (const principal of gcp.ci.principals(snapshot, 'all')) {
      expect(() => gcp.simulateIn(snapshot, { provider: 'gcp', principal, action: 'resourcemanager.projects.get', resource: `${CRM}projects/ex-prod-web` }), principal).not.toThrow();
    }
    // roles/browser is granted to domain:example.com at the organization: a signed-in outsider does not get it.
    expect(gcp.simulateIn(snapshot, { provider: 'gcp', principal: 'allAuthenticatedUsers', action: 'resourcemanager.projects.get', resource: `${CRM}projects/ex-prod-web` }).decision).toBe('denied');
    expect(gcp.simulateIn(snapshot, { provider: 'gcp', principal: 'allAuthenticatedUsers', action: 'storage.objects.get', resource: `${BUCKET}ex-dev-sandbox-scratch/objects/a` }).decision).toBe('allowed');
  });
});

describe('probes', () => {
  it('the sensitive permissions are catalogue permissions', () => {
    for (const [type, perms] of Object.entries(SENSITIVE)) for (const p of perms) expect(isKnownPermission(p), `${type} ${p}`).toBe(true);
  });

  it('are sorted, distinct, bounded and the same every time', () => {
    const overlay = overlayOf('gcp-grants');
    const probes = gcp.ci.probes(snapshot, overlay);
    const keys = probes.map(key);
    expect(keys).toEqual([...new Set(keys)].sort());
    expect(probes.length).toBeLessThanOrEqual(MAX_PROBES);
    expect(gcp.ci.probes(snapshot, overlay)).toEqual(probes);
  });

  it('cover every caller on each touched resource and the snapshot resources under it, with the changed roles’ permissions', () => {
    const overlay = overlayOf('gcp-grants');
    const probes = gcp.ci.probes(snapshot, overlay);
    const resources = [...new Set(probes.map((p) => p.resource))];
    // The prod folder's binding changed: the folder, and its projects, buckets, service accounts and datasets.
    expect(resources).toEqual(expect.arrayContaining([`${CRM}folders/284619375012`, `${CRM}folders/817305264198`, `${CRM}projects/ex-prod-web`, `${BUCKET}ex-prod-web-assets`, '//bigquery.googleapis.com/projects/ex-prod-analytics/datasets/curated']));
    // Nothing outside the touched subtrees: the dev projects were not changed by this plan.
    expect(resources).not.toContain(`${CRM}projects/ex-dev-sandbox`);
    expect(resources).not.toContain(`${CRM}organizations/123456789012`);
    const on = (resource: string) => new Set(probes.filter((p) => p.resource === resource).map((p) => p.action));
    expect([...on(`${BUCKET}ex-analytics-curated`)]).toEqual(expect.arrayContaining(['storage.objects.get', 'storage.objects.create', 'storage.objects.delete', 'storage.buckets.setIamPolicy']));
    // roles/bigquery.jobUser is small: all of its permissions are asked on the project it was granted on.
    expect(on(`${CRM}projects/ex-prod-analytics`).has('bigquery.jobs.create')).toBe(true);
    // A permission is only asked where it applies: no storage permission on a BigQuery dataset.
    expect([...on('//bigquery.googleapis.com/projects/ex-prod-analytics/datasets/curated')].every((a) => a.startsWith('bigquery.'))).toBe(true);
    const who = new Set(probes.filter((p) => p.resource === `${BUCKET}ex-analytics-curated` && p.action === 'storage.objects.get').map((p) => p.principal));
    // Every caller: the snapshot's, and those only the plan's bindings name.
    expect([...who].sort()).toEqual([...gcp.ci.principals(snapshot, 'all', overlay)].sort());
    expect(gcp.ci.principals(snapshot, 'all').every((p) => who.has(p))).toBe(true);
  });

  it('find what the grants plan changes: a partner reads curated data, the public loses the sandbox bucket, sre loses prod storage', () => {
    const overlay = overlayOf('gcp-grants');
    const changed = diff(gcp.ci.probes(snapshot, overlay), overlay);
    expect(changed).toEqual(expect.arrayContaining([
      `user:lee@partner-corp.com storage.objects.get ${BUCKET}ex-analytics-curated: denied -> allowed`,
      `allUsers storage.objects.get ${BUCKET}ex-dev-sandbox-scratch: allowed -> denied`,
      `allAuthenticatedUsers storage.objects.get ${BUCKET}ex-dev-sandbox-scratch: allowed -> denied`,
      `user:sam@example.com storage.objects.get ${CRM}projects/ex-prod-web: allowed -> denied`,
      `user:ana@example.com bigquery.jobs.create ${CRM}projects/ex-prod-analytics: denied -> allowed`,
    ]));
    // sre-oncall keeps storage.admin: omar loses only what the public lost on the sandbox bucket.
    expect(changed.filter((c) => c.startsWith('user:omar@example.com') && !c.includes(`${BUCKET}ex-dev-sandbox-scratch:`))).toEqual([]);
  });

  it('for deny policies, ask the rule’s permissions at the attachment point and under it', () => {
    const overlay = overlayOf('gcp-deny');
    const probes = gcp.ci.probes(snapshot, overlay);
    const sa = '//iam.googleapis.com/projects/ex-dev-sandbox/serviceAccounts/ci-builder@ex-dev-sandbox.iam.gserviceaccount.com';
    expect(probes.filter((p) => p.resource === sa && p.principal === 'user:diego@example.com').map((p) => p.action)).toContain('iam.serviceAccountKeys.create');
    const changed = diff(probes, overlay);
    expect(changed).toEqual(expect.arrayContaining([
      `user:diego@example.com iam.serviceAccountKeys.create ${sa}: allowed -> denied`,
      `user:pat@example.com resourcemanager.projects.delete ${CRM}projects/ex-dev-sandbox: denied -> allowed`,
      `serviceAccount:etl-pipeline@ex-prod-analytics.iam.gserviceaccount.com storage.objects.delete ${BUCKET}ex-analytics-raw: allowed -> denied`,
    ]));
  });

  it('an overlay that touches nothing asks nothing', () => {
    expect(gcp.ci.probes(snapshot, {})).toEqual([]);
  });
});
