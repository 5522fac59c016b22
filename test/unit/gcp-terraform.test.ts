/**
 * Terraform plans of Google Cloud IAM resources (fixtures/ci/terraform/gcp-*.plan.json) against the bundled
 * estate: the overlay each plan becomes, and what the candidate answers differently, with its decisive cause.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PlanOverlay, TerraformChange, TerraformPlan } from '../../src/core/ci.js';
import type { Decision } from '../../src/core/decision.js';
import { InputError } from '../../src/core/problem.js';
import { buildSnapshot, type Snapshot } from '../../src/core/snapshot.js';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { projectRoot, specAjv, specSchema } from '../../src/api/spec.js';
import { providers } from '../../src/all-providers.js';
import { gcp } from '../../providers/gcp/index.js';

const CRM = '//cloudresourcemanager.googleapis.com/';
const BUCKET = '//storage.googleapis.com/projects/_/buckets/';
const validOverlay = specAjv().compile(specSchema({ $ref: '#/components/schemas/GcpOverlay' }));

let snapshot: Snapshot;
beforeAll(async () => {
  snapshot = buildSnapshot(await fixtureFiles('fixtures/gcp/estate'), Object.values(providers), { createdAt: '2026-12-01T00:00:00Z' });
});

const loadPlan = (name: string): TerraformPlan => JSON.parse(readFileSync(join(projectRoot, 'fixtures/ci/terraform', `${name}.plan.json`), 'utf8')) as TerraformPlan;

/** What the gate does: the plan's managed changes of the provider's types, in plan order. */
function convert(plan: TerraformPlan): PlanOverlay {
  const changes = (plan.resource_changes ?? []).filter((c) => c.mode === 'managed' && gcp.ci.terraformTypes.includes(c.type));
  return gcp.ci.fromTerraform(changes, plan, snapshot);
}

function ask(principal: string, action: string, resource: string, overlay?: Record<string, unknown>): Decision {
  return gcp.simulateIn(snapshot, { provider: 'gcp', principal, action, resource, ...(overlay ? { overlay } : {}), options: { explain: 'full' } });
}

/** The decisive causes in the words scenario files use. */
const causes = (d: Decision) =>
  d.causes.map((c) => ({ kind: c.kind, layer: c.layer, policy: c.policy?.name, attachedTo: c.policy?.attachedTo, index: c.statement?.index, source: c.statement?.source?.file === 'request' ? c.statement.source.pointer : c.statement?.source?.file }));

type Policy = { bindings: { role: string; members: string[]; condition?: Record<string, unknown> }[] };
const allowItem = (out: PlanOverlay, resource: string) => (out.overlay!.allowPolicies as { resource: string; policy: Policy }[]).find((a) => a.resource === resource)?.policy;
const membersOf = (p: Policy | undefined, role: string) => p?.bindings.filter((b) => b.role === role).map((b) => b.members);

describe('member and binding changes (gcp-grants.plan.json)', () => {
  let out: PlanOverlay;
  beforeAll(() => {
    out = convert(loadPlan('gcp-grants'));
  });

  it('gives each touched resource its whole policy, citing every plan address merged into it', () => {
    expect(out.sources).toEqual({
      '/allowPolicies/0': ['google_folder_iam_binding.prod_storage_admins'],
      '/allowPolicies/1': ['google_project_iam_member.analysts_bq_jobs'],
      '/allowPolicies/2': ['google_storage_bucket_iam_binding.curated_readers'],
      '/allowPolicies/3': ['google_storage_bucket_iam_binding.raw_writers'],
      '/allowPolicies/4': ['google_storage_bucket_iam_member.releases_ci_read', 'module.release.google_storage_bucket_iam_member.deployer'],
      '/allowPolicies/5': ['google_storage_bucket_iam_member.scratch_public'],
    });
    expect((out.overlay!.allowPolicies as { resource: string }[]).map((a) => a.resource)).toEqual([
      `${CRM}folders/284619375012`,
      `${CRM}projects/ex-prod-analytics`,
      `${BUCKET}ex-analytics-curated`,
      `${BUCKET}ex-analytics-raw`,
      `${BUCKET}ex-prod-web-releases`,
      `${BUCKET}ex-dev-sandbox-scratch`,
    ]);
    expect(out.overlay!.denyPolicies).toBeUndefined();
    expect(validOverlay(out.overlay), JSON.stringify(validOverlay.errors)).toBe(true);
  });

  it('says what each change does, and reports the values no part of the plan gives', () => {
    expect(out.changes.map((c) => [c.address, c.actions.join('+'), c.summary])).toEqual([
      ['google_folder_iam_binding.prod_storage_admins', 'update', 'sets the members of roles/storage.admin on folder prod (284619375012) to group:sre-oncall@example.com'],
      ['google_project_iam_member.analysts_bq_jobs', 'create', 'grants roles/bigquery.jobUser to group:data-analysts@example.com on project ex-prod-analytics'],
      ['google_project_iam_member.tools_build_agent', 'create', 'grants roles/storage.objectViewer to (known after apply) on project ex-dev-sandbox (left out of the candidate)'],
      ['google_storage_bucket_iam_binding.curated_readers', 'create', 'sets the members of roles/storage.objectViewer on bucket ex-analytics-curated to group:data-analysts@example.com and user:lee@partner-corp.com'],
      ['google_storage_bucket_iam_binding.raw_writers', 'create', 'sets the members of roles/storage.objectCreator on bucket ex-analytics-raw to serviceAccount:etl-pipeline@ex-prod-analytics.iam.gserviceaccount.com'],
      ['google_storage_bucket_iam_member.releases_ci_read', 'delete', 'revokes roles/storage.objectViewer from serviceAccount:ci-builder@ex-dev-sandbox.iam.gserviceaccount.com on bucket ex-prod-web-releases'],
      ['google_storage_bucket_iam_member.scratch_public', 'delete', 'revokes roles/storage.objectViewer from allUsers on bucket ex-dev-sandbox-scratch'],
      ['module.release.google_storage_bucket_iam_member.deployer', 'create', 'grants roles/storage.objectCreator to serviceAccount:release-deployer@ex-prod-web.iam.gserviceaccount.com on bucket ex-prod-web-releases'],
    ]);
    expect(out.unknowns).toEqual([
      { address: 'google_project_iam_member.tools_build_agent', path: 'member', effect: 'known only after apply and not derivable from the plan: the change is left out' },
      { address: 'google_storage_bucket_iam_binding.raw_writers', path: 'members.1', effect: 'known only after apply and not derivable from the plan: the binding is applied without this member' },
    ]);
    expect(out.warnings).toEqual([]);
  });

  it('derives a member known only after apply from the service account the same plan creates (in a module)', () => {
    const who = 'serviceAccount:release-deployer@ex-prod-web.iam.gserviceaccount.com';
    const object = `${BUCKET}ex-prod-web-releases/objects/app-2.4.0.tar.gz`;
    expect(causes(ask(who, 'storage.objects.create', object))).toEqual([{ kind: 'missing_grant', layer: 'allow', policy: undefined, attachedTo: undefined, index: undefined, source: undefined }]);
    const after = ask(who, 'storage.objects.create', object, out.overlay);
    expect(after.decision).toBe('allowed');
    expect(causes(after)).toEqual([{ kind: 'grant', layer: 'allow', policy: 'roles/storage.objectCreator', attachedTo: `${BUCKET}ex-prod-web-releases`, index: 2, source: '/overlay/allowPolicies/4/policy/bindings/2' }]);
  });

  it('removes only the revoked member, keeping the rest of the binding and the other change on the bucket', () => {
    const releases = allowItem(out, `${BUCKET}ex-prod-web-releases`);
    expect(membersOf(releases, 'roles/storage.objectViewer')).toEqual([['serviceAccount:web-frontend@ex-prod-web.iam.gserviceaccount.com']]);
    expect(membersOf(releases, 'roles/storage.objectCreator')).toEqual([['serviceAccount:release-deployer@ex-prod-web.iam.gserviceaccount.com']]);
    expect(ask('serviceAccount:web-frontend@ex-prod-web.iam.gserviceaccount.com', 'storage.objects.get', `${BUCKET}ex-prod-web-releases/objects/app-2.3.1.tar.gz`, out.overlay).decision).toBe('allowed');
  });

  it('an authoritative binding replaces the role’s members: sre loses storage.admin on prod, sre-oncall keeps it', () => {
    const project = `${CRM}projects/ex-prod-web`;
    const before = ask('user:sam@example.com', 'storage.objects.get', project);
    expect(causes(before)).toEqual([{ kind: 'grant', layer: 'allow', policy: 'roles/storage.admin', attachedTo: `${CRM}folders/284619375012`, index: 1, source: 'fixtures/gcp/estate/assets.ndjson' }]);
    const after = ask('user:sam@example.com', 'storage.objects.get', project, out.overlay);
    expect([after.decision, after.reason]).toEqual(['denied', 'no_grant']);
    expect(causes(ask('user:omar@example.com', 'storage.objects.get', project, out.overlay))).toEqual([
      { kind: 'grant', layer: 'allow', policy: 'roles/storage.admin', attachedTo: `${CRM}folders/284619375012`, index: 1, source: '/overlay/allowPolicies/0/policy/bindings/1' },
    ]);
  });

  it('a binding opens the curated bucket to a partner user, and a project named by number is the same project', () => {
    const object = `${BUCKET}ex-analytics-curated/objects/q3.parquet`;
    expect(ask('user:lee@partner-corp.com', 'storage.objects.get', object).decision).toBe('denied');
    expect(causes(ask('user:lee@partner-corp.com', 'storage.objects.get', object, out.overlay))).toEqual([
      { kind: 'grant', layer: 'allow', policy: 'roles/storage.objectViewer', attachedTo: `${BUCKET}ex-analytics-curated`, index: 4, source: '/overlay/allowPolicies/2/policy/bindings/4' },
    ]);
    expect(ask('user:ana@example.com', 'bigquery.jobs.create', `${CRM}projects/602839174456`).decision).toBe('denied');
    expect(causes(ask('user:ana@example.com', 'bigquery.jobs.create', `${CRM}projects/602839174456`, out.overlay))).toEqual([
      { kind: 'grant', layer: 'allow', policy: 'roles/bigquery.jobUser', attachedTo: `${CRM}projects/ex-prod-analytics`, index: 4, source: '/overlay/allowPolicies/1/policy/bindings/4' },
    ]);
  });

  it('deleting the allUsers member closes the public sandbox bucket', () => {
    const object = `${BUCKET}ex-dev-sandbox-scratch/objects/tmp.txt`;
    expect(causes(ask('allUsers', 'storage.objects.get', object))[0]).toMatchObject({ kind: 'grant', policy: 'roles/storage.objectViewer', source: 'fixtures/gcp/estate/assets.ndjson' });
    const after = ask('allUsers', 'storage.objects.get', object, out.overlay);
    expect([after.decision, after.reason, causes(after).map((c) => `${c.kind}/${c.layer}`)]).toEqual(['denied', 'no_grant', ['missing_grant/allow']]);
  });

  it('leaves out a change whose member nothing derives, and only the unknown member of a binding', () => {
    expect(allowItem(out, `${CRM}projects/ex-dev-sandbox`)).toBeUndefined();
    expect(membersOf(allowItem(out, `${BUCKET}ex-analytics-raw`), 'roles/storage.objectCreator')).toEqual([['serviceAccount:etl-pipeline@ex-prod-analytics.iam.gserviceaccount.com']]);
  });
});

describe('authoritative policies, conditions and a replacement (gcp-policies.plan.json)', () => {
  let out: PlanOverlay;
  beforeAll(() => {
    out = convert(loadPlan('gcp-policies'));
  });

  it('reads every change, a replace as the old binding removed and the new one set', () => {
    expect(out.sources).toEqual({
      '/allowPolicies/0': ['google_organization_iam_member.auditors_sample_curated'],
      '/allowPolicies/1': ['google_project_iam_binding.web_viewers'],
      '/allowPolicies/2': ['google_project_iam_binding.web_viewers'],
      '/allowPolicies/3': ['google_project_iam_policy.partner_share'],
      '/allowPolicies/4': ['google_storage_bucket_iam_policy.partner_drop'],
    });
    expect(out.changes.map((c) => [c.address, c.actions.join('+'), c.summary])).toEqual([
      ['google_organization_iam_member.auditors_sample_curated', 'create', 'grants roles/storage.objectViewer to group:security-auditors@example.com on organization example.com (123456789012) under condition "curated buckets only"'],
      ['google_project_iam_binding.web_viewers', 'delete+create', 'removes the roles/viewer binding from project ex-prod-web, then sets the members of roles/viewer on project ex-dev-sandbox to group:web-team@example.com'],
      ['google_project_iam_policy.partner_share', 'update', 'replaces the allow policy of project ex-partner-share with bindings of roles/owner and roles/viewer'],
      ['google_storage_bucket_iam_policy.partner_drop', 'create', 'replaces the allow policy of bucket ex-partner-share-drop with bindings of roles/storage.legacyBucketOwner, roles/storage.legacyBucketReader, roles/storage.objectCreator and 1 more'],
    ]);
    expect([out.unknowns, out.warnings]).toEqual([[], []]);
    expect(validOverlay(out.overlay), JSON.stringify(validOverlay.errors)).toBe(true);
  });

  it('a conditional organization grant reaches every bucket whose name starts with the prefix, the archive too', () => {
    const org = allowItem(out, `${CRM}organizations/123456789012`)!;
    expect(org.bindings.at(-1)).toEqual({
      role: 'roles/storage.objectViewer',
      members: ['group:security-auditors@example.com'],
      condition: { expression: "resource.name.startsWith('projects/_/buckets/ex-analytics-curated')", title: 'curated buckets only', description: 'Auditors sample curated data' },
    });
    const object = `${BUCKET}ex-analytics-curated-archive/objects/2025.parquet`;
    expect(ask('user:sofia@example.com', 'storage.objects.get', object).decision).toBe('denied');
    expect(causes(ask('user:sofia@example.com', 'storage.objects.get', object, out.overlay))).toEqual([
      { kind: 'grant', layer: 'allow', policy: 'roles/storage.objectViewer', attachedTo: `${CRM}organizations/123456789012`, index: 5, source: '/overlay/allowPolicies/0/policy/bindings/5' },
    ]);
  });

  it('moving the viewer binding to another project moves what projectViewer: gives on the old project’s bucket', () => {
    const object = `${BUCKET}ex-prod-web-assets/objects/index.html`;
    expect(causes(ask('user:wendy@example.com', 'storage.objects.get', object))).toEqual([
      { kind: 'grant', layer: 'allow', policy: 'roles/storage.legacyObjectReader', attachedTo: `${BUCKET}ex-prod-web-assets`, index: 3, source: 'fixtures/gcp/estate/assets.ndjson' },
    ]);
    // Without the viewer binding only the public binding is left, and public access prevention voids it.
    expect(causes(ask('user:wendy@example.com', 'storage.objects.get', object, out.overlay)).map((c) => `${c.kind}/${c.layer}`)).toEqual(['blocked_by_guardrail/public_access_prevention']);
    expect(causes(ask('user:wendy@example.com', 'resourcemanager.projects.get', `${CRM}projects/ex-dev-sandbox`, out.overlay))[0]).toEqual({
      kind: 'grant', layer: 'allow', policy: 'roles/viewer', attachedTo: `${CRM}projects/ex-dev-sandbox`, index: 2, source: '/overlay/allowPolicies/2/policy/bindings/2',
    });
  });

  it('a replaced project policy drops the old owners and adds a conditional outside viewer', () => {
    const project = `${CRM}projects/ex-partner-share`;
    expect(ask('user:pat@example.com', 'resourcemanager.projects.setIamPolicy', project).decision).toBe('allowed');
    expect(ask('user:pat@example.com', 'resourcemanager.projects.setIamPolicy', project, out.overlay).reason).toBe('no_grant');
    const lee = ask('user:lee@partner-corp.com', 'resourcemanager.projects.get', project, out.overlay);
    expect([lee.decision, lee.missingContext.map((m) => m.key)]).toEqual(['conditional', ['request.time']]);
    expect(causes(lee)).toEqual([{ kind: 'grant', layer: 'allow', policy: 'roles/viewer', attachedTo: project, index: 1, source: '/overlay/allowPolicies/3/policy/bindings/1' }]);
  });

  it('a bucket policy from policy_data grants what its bindings say', () => {
    const object = `${BUCKET}ex-partner-share-drop/objects/in/batch.csv`;
    expect(ask('user:lee@partner-corp.com', 'storage.objects.create', object).decision).toBe('denied');
    expect(causes(ask('user:lee@partner-corp.com', 'storage.objects.create', object, out.overlay))).toEqual([
      { kind: 'grant', layer: 'allow', policy: 'roles/storage.objectCreator', attachedTo: `${BUCKET}ex-partner-share-drop`, index: 2, source: '/overlay/allowPolicies/4/policy/bindings/2' },
    ]);
  });

  it('policy_data that is not JSON is an input error at its place in the plan', () => {
    const plan = loadPlan('gcp-policies');
    const i = plan.resource_changes!.findIndex((c) => c.address === 'google_project_iam_policy.partner_share');
    (plan.resource_changes![i]!.change.after as Record<string, unknown>).policy_data = '{"bindings": [';
    let err: unknown;
    try {
      convert(plan);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).pointer).toBe(`/resource_changes/${i}/change/after/policy_data`);
  });
});

/** A plan of the given changes alone (no configuration). */
const planOf = (...changes: TerraformChange[]): TerraformPlan => ({ format_version: '1.2', resource_changes: changes });

describe('deletions and what the snapshot lacks', () => {
  it('deleting a *_iam_policy leaves the resource an empty policy', () => {
    const out = convert(planOf({ address: 'google_project_iam_policy.p', mode: 'managed', type: 'google_project_iam_policy', name: 'p', change: { actions: ['delete'], before: { project: 'ex-partner-share', policy_data: '{}' }, after: null } }));
    expect(out.overlay).toEqual({ allowPolicies: [{ resource: `${CRM}projects/ex-partner-share`, policy: { bindings: [] } }] });
    expect(out.changes[0]!.summary).toBe('removes every binding from the allow policy of project ex-partner-share');
    expect(ask('user:pat@example.com', 'resourcemanager.projects.setIamPolicy', `${CRM}projects/ex-partner-share`).decision).toBe('allowed');
    expect(ask('user:pat@example.com', 'resourcemanager.projects.setIamPolicy', `${CRM}projects/ex-partner-share`, out.overlay).reason).toBe('no_grant');
  });

  it('a change on a resource the snapshot does not hold, or a deny policy it does not have, is warned and left out', () => {
    const out = convert(planOf(
      { address: 'google_project_iam_member.m', mode: 'managed', type: 'google_project_iam_member', name: 'm', change: { actions: ['create'], after: { project: 'ex-elsewhere', role: 'roles/viewer', member: 'user:pat@example.com', condition: [] }, after_unknown: { etag: true } } },
      { address: 'google_iam_deny_policy.d', mode: 'managed', type: 'google_iam_deny_policy', name: 'd', change: { actions: ['delete'], before: { parent: 'cloudresourcemanager.googleapis.com%2Fprojects%2Fex-prod-web', name: 'gone', rules: [] }, after: null } },
      { address: 'google_project_iam_member.same', mode: 'managed', type: 'google_project_iam_member', name: 'same', change: { actions: ['no-op'], before: { project: 'ex-prod-web', role: 'roles/owner', member: 'user:pat@example.com' }, after: { project: 'ex-prod-web', role: 'roles/owner', member: 'user:pat@example.com' } } },
    ));
    expect(out.overlay).toBeUndefined();
    expect(out.warnings).toEqual([
      { address: 'google_project_iam_member.m', message: `${CRM}projects/ex-elsewhere is not in the snapshot: the change to its allow policy is left out` },
      { address: 'google_iam_deny_policy.d', message: 'deny policy policies/cloudresourcemanager.googleapis.com%2Fprojects%2Fex-prod-web/denypolicies/gone is not in the snapshot: there is nothing to remove' },
    ]);
    expect(out.changes.map((c) => [c.address, c.summary])).toEqual([
      ['google_project_iam_member.m', 'grants roles/viewer to user:pat@example.com on project ex-elsewhere (left out of the candidate)'],
      ['google_iam_deny_policy.d', 'removes deny policy gone (left out of the candidate)'],
    ]);
  });

  it('a member change without a role is an input error at the role', () => {
    const change: TerraformChange = { address: 'google_project_iam_member.m', mode: 'managed', type: 'google_project_iam_member', name: 'm', change: { actions: ['create'], after: { project: 'ex-prod-web', member: 'user:pat@example.com', condition: [] } } };
    expect(() => convert(planOf(change))).toThrow(expect.objectContaining({ pointer: '/resource_changes/0/change/after/role' }));
  });
});

describe('deny policies (gcp-deny.plan.json)', () => {
  let out: PlanOverlay;
  beforeAll(() => {
    out = convert(loadPlan('gcp-deny'));
  });

  it('removes, changes and adds deny policies by the names the snapshot uses, and leaves out the one with an unknown exception', () => {
    expect(out.overlay!.allowPolicies).toBeUndefined();
    const deny = out.overlay!.denyPolicies as { name: string; attachmentPoint?: string; policy: unknown }[];
    expect(deny.map((d) => [d.name, d.attachmentPoint, d.policy === null])).toEqual([
      ['policies/cloudresourcemanager.googleapis.com%2Forganizations%2F123456789012/denypolicies/no-project-deletion', undefined, true],
      ['policies/cloudresourcemanager.googleapis.com%2Ffolders%2F284619375012/denypolicies/protect-prod', `${CRM}folders/284619375012`, false],
      ['policies/cloudresourcemanager.googleapis.com%2Fprojects%2F918273645501/denypolicies/no-sa-keys', `${CRM}projects/ex-dev-sandbox`, false],
    ]);
    expect(out.sources).toEqual({
      '/denyPolicies/0': ['google_iam_deny_policy.org_no_project_deletion'],
      '/denyPolicies/1': ['google_iam_deny_policy.protect_prod'],
      '/denyPolicies/2': ['google_iam_deny_policy.sandbox_no_sa_keys'],
    });
    expect(out.changes.map((c) => c.summary)).toEqual([
      'removes deny policy no-project-deletion from organization example.com (123456789012)',
      'changes deny policy protect-prod on folder prod (284619375012): denies storage.googleapis.com/objects.delete, storage.googleapis.com/buckets.delete and iam.googleapis.com/serviceAccountKeys.* to principalSet://goog/public:all and principalSet://goog/group/developers@example.com',
      'attaches deny policy no-sa-keys to project ex-dev-sandbox: denies iam.googleapis.com/serviceAccountKeys.create to principalSet://goog/public:all',
      'attaches deny policy web-no-bucket-delete (left out of the candidate)',
    ]);
    expect(out.unknowns).toEqual([
      { address: 'google_iam_deny_policy.web_no_bucket_delete', path: 'rules.0.deny_rule.0.exception_principals.0', effect: 'known only after apply and not derivable from the plan: the change is left out' },
    ]);
    expect(validOverlay(out.overlay), JSON.stringify(validOverlay.errors)).toBe(true);
  });

  it('without the organization deny policy, a project deleter may delete projects', () => {
    const project = `${CRM}projects/ex-dev-sandbox`;
    expect(causes(ask('user:pat@example.com', 'resourcemanager.projects.delete', project))[0]).toMatchObject({ kind: 'explicit_deny', layer: 'deny', policy: 'no-project-deletion', attachedTo: `${CRM}organizations/123456789012`, index: 0 });
    expect(causes(ask('user:pat@example.com', 'resourcemanager.projects.delete', project, out.overlay))).toEqual([
      { kind: 'grant', layer: 'allow', policy: 'roles/resourcemanager.projectDeleter', attachedTo: `${CRM}organizations/123456789012`, index: 4, source: 'fixtures/gcp/estate/assets.ndjson' },
    ]);
  });

  it('the changed prod rule no longer excepts the ETL service account', () => {
    const who = 'serviceAccount:etl-pipeline@ex-prod-analytics.iam.gserviceaccount.com';
    const object = `${BUCKET}ex-analytics-raw/objects/day=1/part-0.json`;
    expect(ask(who, 'storage.objects.delete', object).decision).toBe('allowed');
    expect(causes(ask(who, 'storage.objects.delete', object, out.overlay))).toEqual([
      { kind: 'explicit_deny', layer: 'deny', policy: 'protect-prod', attachedTo: `${CRM}folders/284619375012`, index: 0, source: '/overlay/denyPolicies/1/policy/rules/0' },
    ]);
  });

  it('a deny policy attached to a project named by number applies to that project’s resources', () => {
    const sa = '//iam.googleapis.com/projects/ex-dev-sandbox/serviceAccounts/ci-builder@ex-dev-sandbox.iam.gserviceaccount.com';
    expect(ask('user:diego@example.com', 'iam.serviceAccountKeys.create', sa).decision).toBe('allowed');
    expect(causes(ask('user:diego@example.com', 'iam.serviceAccountKeys.create', sa, out.overlay))).toEqual([
      { kind: 'explicit_deny', layer: 'deny', policy: 'no-sa-keys', attachedTo: `${CRM}projects/ex-dev-sandbox`, index: 0, source: '/overlay/denyPolicies/2/policy/rules/0' },
    ]);
  });
});
