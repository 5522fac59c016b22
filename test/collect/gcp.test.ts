/**
 * The Google Cloud collector against a fake Google Cloud (test/fakes/gcp.ts) that serves
 * fixtures/gcp/estate over the REST APIs the client libraries speak. The clients reach it through their
 * documented options (apiEndpoint, port, protocol http, the REST transport) and authenticate with a service
 * account key whose self-signed JWTs the fake verifies. What was collected is imported as a snapshot and
 * must answer the estate's scenarios as the estate itself does.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInputs } from '../../src/cli/inputs.js';
import { Collector, type CollectReport } from '../../src/collect/collector.js';
import { InputError } from '../../src/core/problem.js';
import { loadSnapshot, simulate, type Snapshot } from '../../src/index.js';
import { collectGcp, type GcpCollectOptions } from '../../providers/gcp/collect.js';
import { startFakeGcp, type FakeGcp, type FakeGcpOptions } from '../fakes/gcp.js';
import { checkScenario, readScenario, scenarioFiles } from '../helpers/scenario.js';

const ESTATE = join(import.meta.dirname, '..', '..', 'fixtures', 'gcp', 'estate');
const SCENARIOS = join(import.meta.dirname, '..', '..', 'fixtures', 'gcp', 'scenarios', 'estate');
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamsim-collect-gcp-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  fake: FakeGcp;
  report: CollectReport;
  out: string;
  json(file: string): Promise<Record<string, unknown>>;
  lines(): Promise<Record<string, unknown>[]>;
}

let runs = 0;
/** Starts a fake, collects from it into a fresh directory, and stops the fake. */
async function collect(fakeOptions: Omit<FakeGcpOptions, 'publicKey'>, options: Omit<GcpCollectOptions, 'clientOptions' | 'storageOptions'> = {}): Promise<Run> {
  const fake = await startFakeGcp({ publicKey, ...fakeOptions });
  const out = join(dir, `out-${++runs}`);
  try {
    const c = new Collector('gcp', { baseDelayMs: 1 });
    await collectGcp(c, {
      ...options,
      clientOptions: { apiEndpoint: fake.host, port: fake.port, protocol: 'http', fallback: true, credentials: { client_email: 'collector@ex-tools.iam.gserviceaccount.com', private_key: privateKey } },
      storageOptions: { apiEndpoint: `http://${fake.host}:${fake.port}` },
    });
    const report = await c.write(out);
    return {
      fake,
      report,
      out,
      json: async (f) => JSON.parse(await readFile(join(out, f), 'utf8')) as Record<string, unknown>,
      lines: async () => (await readFile(join(out, 'assets.ndjson'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    };
  } finally {
    await fake.close();
  }
}

const importDir = async (path: string): Promise<Snapshot> => loadSnapshot(await readInputs([path]), 'collected');

describe('collect gcp', () => {
  let full: Run;
  beforeAll(async () => {
    full = await collect({ pageSize: 2, throttleFirst: true });
  });

  it('collects every list page by page, retrying each throttled call until it succeeds', async () => {
    expect(full.report.failures).toEqual([]);
    expect(full.fake.throttled).toBeGreaterThan(10);
    expect(full.report.retries).toBe(full.fake.throttled);
    const lines = await full.lines();
    const count = (type: string) => lines.filter((l) => l.asset_type === type).length;
    expect([count('cloudresourcemanager.googleapis.com/Organization'), count('cloudresourcemanager.googleapis.com/Folder'), count('cloudresourcemanager.googleapis.com/Project')]).toEqual([1, 3, 4]);
    expect(count('storage.googleapis.com/Bucket')).toBe(7);
    expect(count('iam.googleapis.com/ServiceAccount')).toBe(3);
    // 9 groups at 2 a page: five pages (and the throttled first request).
    expect(((await full.json('groups.json')).groups as unknown[]).length).toBe(9);
    expect(full.fake.requests.filter((r) => r === 'GET /v1/groups').length).toBe(6);
    expect(((await full.json('custom-roles.json')).roles as unknown[]).length).toBe(2);
    expect(await full.json('customers.json')).toEqual({ 'example.com': 'C03xq8v2k', 'example-labs.com': 'C03xq8v2k' });
  });

  it('only reads: every request is a GET or a getIamPolicy', () => {
    const writes = full.fake.requests.filter((r) => !r.startsWith('GET ') && !/^POST \S+:getIamPolicy$/.test(r));
    expect(writes).toEqual([]);
  });

  it('reads deny policies whole, under their URL-encoded attachment point', async () => {
    expect(full.fake.requests).toContain('GET /v2/policies/cloudresourcemanager.googleapis.com%252Ffolders%252F284619375012/denypolicies');
    const policies = (await full.json('deny-policies.json')).policies as { name: string; rules: unknown[] }[];
    expect(policies.map((p) => [p.name, p.rules.length]).sort()).toEqual([
      ['policies/cloudresourcemanager.googleapis.com%2Ffolders%2F284619375012/denypolicies/protect-prod', 2],
      ['policies/cloudresourcemanager.googleapis.com%2Forganizations%2F123456789012/denypolicies/no-project-deletion', 1],
    ]);
  });

  describe('round trip: the collected estate, imported, answers the estate scenarios as the estate does', () => {
    let snapshot: Snapshot;
    beforeAll(async () => {
      snapshot = await importDir(full.out);
    });
    it('loads without warnings', () => expect(snapshot.meta.warnings).toEqual([]));
    for (const file of scenarioFiles(SCENARIOS)) {
      const s = readScenario(file);
      it(s.name, () => checkScenario(s, simulate(s.request, snapshot)));
    }
  });
});

describe('collect gcp: a project the credentials may not read', () => {
  let run: Run;
  beforeAll(async () => {
    run = await collect({ forbiddenProjects: ['ex-partner-share'] });
  });

  it('records each refused call with its project and error, and keeps the rest', async () => {
    expect(run.report.failures.length).toBeGreaterThan(5);
    for (const f of run.report.failures) {
      expect(f.target).toMatch(/^projects\/ex-partner-share(\/|$)/);
      expect(f).toMatchObject({ code: 'PERMISSION_DENIED', message: 'The caller does not have permission', attempts: 1 });
    }
    expect(run.report.failures.map((f) => f.call)).toEqual(expect.arrayContaining(['cloudresourcemanager.projects.getIamPolicy', 'storage.buckets.list', 'iam.policies.list', 'iam.roles.list']));
    const lines = await run.lines();
    const withPolicy = lines.filter((l) => l.iam_policy).map((l) => l.name);
    expect(withPolicy).not.toContain('//cloudresourcemanager.googleapis.com/projects/445566778899');
    expect(withPolicy).toContain('//cloudresourcemanager.googleapis.com/projects/918273645501');
    expect(lines.some((l) => l.name === '//storage.googleapis.com/ex-partner-share-drop')).toBe(false);
    const report = JSON.parse(await readFile(join(run.out, 'collect-report.json'), 'utf8')) as CollectReport;
    expect(report.failures).toEqual(run.report.failures);
  });

  it('the other projects still answer', async () => {
    const d = simulate({ provider: 'gcp', principal: 'diego@example.com', action: 'storage.buckets.delete', resource: '//storage.googleapis.com/projects/_/buckets/ex-dev-sandbox-scratch' }, await importDir(run.out));
    expect(d.decision).toBe('allowed');
    expect(d.causes.map((c) => [c.kind, c.policy?.name, c.policy?.attachedTo])).toEqual([
      ['grant', 'roles/owner', '//cloudresourcemanager.googleapis.com/projects/ex-dev-sandbox'],
      ['grant', 'roles/storage.admin', '//cloudresourcemanager.googleapis.com/folders/539027148863'],
    ]);
  });
});

describe('collect gcp: credentials that may not read Cloud Identity', () => {
  it('warns that group grants cannot be resolved, and answers them as unknown membership', async () => {
    const run = await collect({ forbiddenPaths: ['/v1/groups', '/admin/'] });
    expect(run.report.failures.map((f) => [f.target, f.call, f.code]).sort()).toEqual([
      ['customers/C03xq8v2k', 'admin.directory.domains.list', 'PERMISSION_DENIED'],
      ['customers/C03xq8v2k', 'cloudidentity.groups.list', 'PERMISSION_DENIED'],
    ]);
    expect(run.report.warnings.join('\n')).toContain('grants to groups cannot be resolved');
    expect(run.report.files.map((f) => f.name)).not.toContain('groups.json');
    expect(await run.json('customers.json')).toEqual({ 'example.com': 'C03xq8v2k' });
    // sam's storage.admin comes through the sre group: without memberships it is not granted, and the answer says why.
    const d = simulate({ provider: 'gcp', principal: 'sam@example.com', action: 'storage.objects.list', resource: '//storage.googleapis.com/projects/_/buckets/ex-analytics-raw' }, await importDir(run.out));
    expect(d.decision).toBe('denied');
    expect([d.reason, d.causes.map((c) => [c.kind, c.layer])]).toEqual(['no_grant', [['missing_grant', 'allow']]]);
    expect(d.warnings.map((w) => w.code)).toContain('group_membership_unknown');
  });
});

describe('collect gcp --organization', () => {
  it('walks below an organization it may not read itself', async () => {
    const run = await collect({ forbiddenPaths: ['/v3/organizations/'] }, { organization: '123456789012' });
    // Every /v3/organizations/… call is refused: the organization itself, its allow policy, its PAB policies and bindings.
    expect(run.report.failures.map((f) => [f.target, f.call, f.code]).sort()).toEqual([
      ['organizations/123456789012', 'cloudresourcemanager.organizations.get', 'PERMISSION_DENIED'],
      ['organizations/123456789012', 'cloudresourcemanager.organizations.getIamPolicy', 'PERMISSION_DENIED'],
      ['organizations/123456789012', 'iam.policyBindings.list', 'PERMISSION_DENIED'],
      ['organizations/123456789012', 'iam.principalAccessBoundaryPolicies.list', 'PERMISSION_DENIED'],
    ]);
    const lines = await run.lines();
    expect(lines.filter((l) => l.asset_type === 'cloudresourcemanager.googleapis.com/Project').length).toBe(4);
    expect(((await run.json('deny-policies.json')).policies as unknown[]).length).toBe(2);
  });
});

describe('collect gcp --projects', () => {
  it('reads the projects named and climbs to their organization, for the policies they inherit', async () => {
    const run = await collect({}, { projects: ['ex-prod-analytics'] });
    expect(run.report.failures).toEqual([]);
    const lines = await run.lines();
    expect(lines.filter((l) => String(l.asset_type).startsWith('cloudresourcemanager')).map((l) => l.name).sort()).toEqual([
      '//cloudresourcemanager.googleapis.com/folders/284619375012',
      '//cloudresourcemanager.googleapis.com/folders/817305264198',
      '//cloudresourcemanager.googleapis.com/organizations/123456789012',
      '//cloudresourcemanager.googleapis.com/projects/602839174456',
    ]);
    expect(lines.find((l) => l.name === '//cloudresourcemanager.googleapis.com/projects/602839174456')?.ancestors).toEqual(['projects/602839174456', 'folders/817305264198', 'folders/284619375012', 'organizations/123456789012']);
    expect(lines.filter((l) => l.asset_type === 'storage.googleapis.com/Bucket').length).toBe(3);
    // sam holds storage.admin on the prod folder, two levels above the project.
    const d = simulate({ provider: 'gcp', principal: 'sam@example.com', action: 'storage.objects.list', resource: '//storage.googleapis.com/projects/_/buckets/ex-analytics-raw' }, await importDir(run.out));
    expect(d.causes.map((c) => [c.kind, c.policy?.name, c.policy?.attachedTo])).toEqual([['grant', 'roles/storage.admin', '//cloudresourcemanager.googleapis.com/folders/284619375012']]);
  });
});

describe('collect gcp --asset-inventory', () => {
  let run: Run;
  beforeAll(async () => {
    run = await collect({ pageSize: 3 }, { assetInventory: join(ESTATE, 'assets.ndjson') });
  });

  it('takes resources and the policies the export holds from it, and reads only what it lacks', async () => {
    expect(run.report.failures).toEqual([]);
    const requests = run.fake.requests;
    expect(requests.filter((r) => r.startsWith('GET /storage/') || r.includes('/serviceAccounts'))).toEqual([]);
    // Every node's allow policy is in the export; the org policies of three nodes are, the others are asked for.
    expect(requests.filter((r) => r.endsWith(':getIamPolicy'))).toEqual([]);
    expect(requests.filter((r) => /^GET \/v2\/(organizations|folders|projects)\/[^/]+\/policies$/.test(r)).length).toBe(5);
    const exported = (await readFile(join(ESTATE, 'assets.ndjson'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    expect((await run.lines()).slice(0, exported.length)).toEqual(exported);
    expect(run.report.files.map((f) => f.name)).not.toContain('org-policies.json');
  });

  it('answers every estate scenario as the estate does', async () => {
    const snapshot = await importDir(run.out);
    expect(snapshot.meta.warnings.filter((w) => w.code === 'duplicate_policy')).toEqual([]);
    for (const file of scenarioFiles(SCENARIOS)) {
      const s = readScenario(file);
      checkScenario(s, simulate(s.request, snapshot));
    }
  });

  it('refuses an export that is not one, before calling anything', async () => {
    const bad = join(dir, 'not-assets.ndjson');
    await writeFile(bad, '{"name": "//x", "asset_type": "t"}\nnot json\n');
    const c = new Collector('gcp', { baseDelayMs: 1 });
    const err = await collectGcp(c, { assetInventory: bad, clientOptions: { apiEndpoint: '127.0.0.1', port: 9, protocol: 'http', fallback: true } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ pointer: '/1', file: bad });
    expect(c.report().calls).toBe(0);
  });
});
