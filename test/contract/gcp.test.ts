/**
 * Google Cloud through the HTTP API: every GCP scenario's inputs uploaded as a snapshot, its request answered
 * by POST /v1/simulate in both explain levels, and every response checked against openapi.yaml (the `gcp`
 * section against GcpExplanation); the 4xx answers for bad GCP requests; the principal and browse routes.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/api/spec.js';
import { appForFile } from '../helpers/app.js';
import { simulateScenarios, uploadInputs } from '../helpers/contract.js';
import { readScenario, scenarioFiles } from '../helpers/scenario.js';

const { json } = appForFile({ withFixtures: false });

const upload = (inputs: Record<string, unknown>, name: string) => uploadInputs(json, inputs, name);

const dir = join(projectRoot, 'fixtures', 'gcp', 'scenarios');
const files = scenarioFiles(dir).filter((f) => !f.includes(join('scenarios', 'estate')));

describe('GCP scenarios through POST /v1/simulate', () => {
  it('answers each with a valid Decision and gcp section, summary and full', async () => {
    expect(files.length).toBeGreaterThan(70);
    await simulateScenarios(json, files, (inputs) => upload(inputs, 'gcp-scenario'), (body, f, s) => {
      expect(body.gcp.overallAccessState, f).toBe({ allowed: 'CAN_ACCESS', denied: 'CANNOT_ACCESS', conditional: 'UNKNOWN_CONDITIONAL' }[s.expect.decision]);
    });
  });
});

describe('the gcp section of a summary answer', () => {
  const both = async (rel: string) => {
    const s = readScenario(join(dir, rel));
    const id = await upload(s.inputs as Record<string, unknown>, 'gcp-section');
    const ask = (explain: string) => json('POST', '/v1/simulate', { ...(s.request as object), snapshot: id, options: { explain } });
    return { summary: (await ask('summary')).body.gcp, full: (await ask('full')).body.gcp };
  };
  type BindingExplanation = { role: string; combinedMembership: { membership: string }; condition?: unknown; conditionExplanation?: { value: unknown } };
  const explained = (gcp: { allowPolicyExplanation: { explainedPolicies: { bindingExplanations: BindingExplanation[] }[] } }) =>
    gcp.allowPolicyExplanation.explainedPolicies.flatMap((p) => p.bindingExplanations);

  it('evaluates the condition of a binding only when a member matches; full evaluates every condition', async () => {
    const { summary, full } = await both('conditions/tag-condition-allow.json');
    const conditional = explained(summary).filter((b) => b.condition);
    expect(conditional.map((b) => [b.combinedMembership.membership, b.conditionExplanation?.value])).toEqual([['MEMBERSHIP_NOT_MATCHED', undefined], ['MEMBERSHIP_MATCHED', true]]);
    expect(explained(full).filter((b) => b.condition).every((b) => b.conditionExplanation !== undefined)).toBe(true);
  });

  it('names the principal access boundary binding and policy; full gives their documents', async () => {
    const { summary, full } = await both('pab/excludes-other-org.json');
    const [s] = summary.pabPolicyExplanation.explainedBindingsAndPolicies;
    const [f] = full.pabPolicyExplanation.explainedBindingsAndPolicies;
    expect(s.explainedPolicyBinding.policyBinding).toEqual({ name: f.explainedPolicyBinding.policyBinding.name });
    expect(s.explainedPolicy.policy).toEqual({ name: f.explainedPolicy.policy.name });
    expect(f.explainedPolicy.policy.details.rules.length).toBeGreaterThan(0);
    expect(f.explainedPolicyBinding.policyBinding.target).toBeDefined();
  });
});

describe('GCP request errors', () => {
  let id: string;
  beforeAll(async () => {
    id = await upload(readScenario(join(dir, 'allow', 'project-binding-grants-object-read.json')).inputs as Record<string, unknown>, 'gcp-errors');
  });
  const ask = (over: Record<string, unknown>) =>
    json('POST', '/v1/simulate', { provider: 'gcp', snapshot: id, principal: 'user:alice@example.com', action: 'storage.objects.get', resource: '//storage.googleapis.com/projects/_/buckets/b1/objects/a.txt', ...over });

  it('an unknown permission is a 400 at /action naming it', async () => {
    const r = await ask({ action: 'storage.objects.peek' });
    expect({ status: r.status, pointer: r.body.pointer }).toEqual({ status: 400, pointer: '/action' });
    expect(r.body.detail).toContain('storage.objects.peek');
  });

  it('a permission of another resource type is a 400 at /action', async () => {
    const r = await ask({ action: 'storage.buckets.delete' });
    expect({ status: r.status, pointer: r.body.pointer }).toEqual({ status: 400, pointer: '/action' });
    expect(r.body.detail).toContain('storage.buckets.delete');
    const other = await ask({ action: 'compute.instances.get' });
    expect({ status: other.status, pointer: other.body.pointer }).toEqual({ status: 400, pointer: '/action' });
  });

  it('an unknown principal is a 404 with close matches', async () => {
    const r = await ask({ principal: 'user:alise@example.com' });
    expect({ status: r.status, code: r.body.code, pointer: r.body.pointer }).toEqual({ status: 404, code: 'not_found', pointer: '/principal' });
    expect(r.body.detail).toContain('user:alice@example.com');
  });

  it('a resource outside the snapshot is a 404 with close matches', async () => {
    const r = await ask({ resource: '//storage.googleapis.com/projects/_/buckets/b2/objects/a.txt', action: 'storage.objects.get' });
    expect({ status: r.status, pointer: r.body.pointer }).toEqual({ status: 404, pointer: '/resource' });
    expect(r.body.detail).toContain('//storage.googleapis.com/projects/_/buckets/b1');
  });

  it('a group cannot be the caller, and policies are not part of a GCP request', async () => {
    expect((await ask({ principal: 'group:eng@example.com' })).status).toBe(400);
    const r = await ask({ policies: {} });
    expect({ status: r.status, code: r.body.code }).toEqual({ status: 400, code: 'invalid_request' });
  });

  it('an unknown context attribute and a malformed request.time are 400s at /context', async () => {
    expect((await ask({ context: { 'request.tim': '2026-01-01T00:00:00Z' } })).status).toBe(400);
    const r = await ask({ context: { 'request.time': 'yesterday' } });
    expect({ status: r.status, pointer: r.body.pointer }).toEqual({ status: 400, pointer: '/context/request.time' });
  });
});

describe('GCP overlay, principal and browse routes', () => {
  let id: string;
  beforeAll(async () => {
    id = await upload(readScenario(join(dir, 'deny', 'folder-rule-denies-user.json')).inputs as Record<string, unknown>, 'gcp-overlay');
  });
  const base = { provider: 'gcp', principal: 'user:alice@example.com', action: 'storage.objects.delete', resource: '//storage.googleapis.com/projects/_/buckets/b1/objects/a.txt' };
  const denyName = 'policies/cloudresourcemanager.googleapis.com%2Ffolders%2F456/denypolicies/no-deletes';

  it('removing the deny policy in an overlay turns the deny into the grant below it', async () => {
    expect((await json('POST', '/v1/simulate', { ...base, snapshot: id })).body.reason).toBe('explicit_deny');
    const r = await json('POST', '/v1/simulate', { ...base, snapshot: id, overlay: { denyPolicies: [{ name: denyName, policy: null }] } });
    expect(r.body.decision).toBe('allowed');
    expect(r.body.causes.map((c: { policy: { name: string } }) => c.policy.name)).toEqual(['roles/storage.objectAdmin']);
  });

  it('overlay allow policies replace and add, cited from the request; a replaced deny policy is evaluated instead', async () => {
    const overlay = {
      denyPolicies: [{ name: denyName, policy: { name: denyName, rules: [{ denyRule: { deniedPrincipals: ['principal://goog/subject/carol@example.com'], deniedPermissions: ['storage.googleapis.com/objects.delete'] } }] } }],
      allowPolicies: [
        { resource: '//cloudresourcemanager.googleapis.com/projects/p1', policy: null },
        { resource: '//storage.googleapis.com/projects/_/buckets/b1', policy: { bindings: [{ role: 'roles/storage.objectUser', members: ['user:alice@example.com'] }] } },
      ],
    };
    const r = await json('POST', '/v1/simulate', { ...base, snapshot: id, overlay });
    expect(r.body.decision).toBe('allowed');
    expect(r.body.causes.map((c: { policy: { source: unknown } }) => c.policy.source)).toEqual([{ file: 'request', pointer: '/overlay/allowPolicies/1/policy' }]);
    const carol = await json('POST', '/v1/simulate', { ...base, principal: 'user:carol@example.com', snapshot: id, overlay });
    expect(carol.body.reason).toBe('explicit_deny');
  });

  it('answers GCP items in a batch, a bad one with its own problem', async () => {
    const r = await json('POST', '/v1/simulate:batch', { requests: [{ ...base, snapshot: id }, { ...base, snapshot: id, action: 'storage.objects.nope' }] });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: { decision?: string; status?: number }) => x.decision ?? x.status)).toEqual(['denied', 400]);
  });

  it('removing an unknown deny policy is a 404', async () => {
    const r = await json('POST', '/v1/simulate', { ...base, snapshot: id, overlay: { denyPolicies: [{ name: 'policies/x/denypolicies/nope', policy: null }] } });
    expect({ status: r.status, pointer: r.body.pointer }).toEqual({ status: 404, pointer: '/overlay/denyPolicies/0/name' });
  });

  it('describes a user: its groups, transitively, and bindings', async () => {
    const r = await json('GET', `/v1/snapshots/${id}/principals/${encodeURIComponent('user:bob@example.com')}`);
    expect(r.status).toBe(200);
    expect(r.body.groups.map((g: { id: string }) => g.id).sort()).toEqual(['group:eng@example.com', 'group:platform@example.com']);
    expect(r.body.groups.find((g: { id: string }) => g.id === 'group:eng@example.com').bindings).toEqual([{ scope: '//cloudresourcemanager.googleapis.com/projects/p1', role: 'roles/storage.objectAdmin' }]);
  });

  it('browses the hierarchy with parents', async () => {
    const r = await json('GET', `/v1/snapshots/${id}/resources?filter=buckets/b1`);
    expect(r.status).toBe(200);
    expect(r.body.items[0].parent).toBe('//cloudresourcemanager.googleapis.com/projects/p1');
  });
});
