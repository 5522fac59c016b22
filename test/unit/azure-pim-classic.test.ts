/**
 * PIM eligibilities and active schedule instances, and classic subscription administrators, loaded from
 * the scenario inputs and asked through the library: what the scenario format cannot state (near misses,
 * upload warnings, causes counted once) is checked here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { filesFromJson } from '../../src/api/upload.js';
import { loadSnapshot, simulate, type Snapshot } from '../../src/index.js';
import { InputError } from '../../src/core/problem.js';

interface Scenario {
  inputs: Record<string, unknown>;
  request: Record<string, unknown>;
}

function scenario(path: string): Scenario {
  return JSON.parse(readFileSync(`fixtures/azure/scenarios/${path}`, 'utf8')) as Scenario;
}

function load(inputs: Record<string, unknown>): Snapshot {
  return loadSnapshot(filesFromJson({ files: Object.entries(inputs).map(([name, content]) => ({ name, content })) }), 'test');
}

function ask(s: Scenario, request: Record<string, unknown> = {}) {
  return simulate({ ...s.request, ...request }, load(s.inputs));
}

const RG1 = '/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg1';

describe('PIM', () => {
  it('an eligible role that would grant is the first near miss, naming the eligibility', () => {
    const d = ask(scenario('pim/eligible-not-activated.json'));
    expect(d.reason).toBe('no_grant');
    expect(d.nearMisses[0]).toMatchObject({ layer: 'rbac', failed: ['activation'], policy: { name: 'Contributor', type: 'azure:role_eligibility', attachedTo: RG1, source: { file: 'roleEligibilityScheduleInstances.json', pointer: '/value/0' } }, statement: { binding: 'e1000000-0001-4000-8000-000000000001' } });
    expect(d.nearMisses[0]!.why).toBe('aaaaaaaa-0000-4000-8000-000000000001 is eligible for Contributor on resource group rg1 through PIM, but the role is not activated');
    expect(d.summary).toContain('Closest: aaaaaaaa-0000-4000-8000-000000000001 is eligible for Contributor');
  });

  it('an eligibility whose role does not grant the action is no near miss', () => {
    const d = ask(scenario('pim/eligible-not-activated.json'), { method: undefined, path: undefined, requestBody: undefined, action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', resource: `${RG1}/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/c1/blobs/x` });
    expect(d.reason).toBe('no_grant');
    expect(d.nearMisses.filter((n) => n.policy.type === 'azure:role_eligibility')).toEqual([]);
  });

  it('outside its dates an eligibility says why it cannot be activated, at the request time', () => {
    expect(ask(scenario('pim/eligible-expired.json')).nearMisses[0]!.why).toContain('until 2027-06-30T00:00:00Z: the eligibility has expired');
    expect(ask(scenario('pim/eligible-expired.json'), { time: '2027-03-01T00:00:00Z' }).nearMisses[0]!.why).toContain('but the role is not activated');
    expect(ask(scenario('pim/eligible-not-yet-started.json')).nearMisses[0]!.why).toContain('from 2027-01-01T00:00:00Z: the role cannot be activated before then');
  });

  it('an eligibility of a group the principal is in is a near miss through that group', () => {
    const s = scenario('pim/eligible-not-activated.json');
    const inputs = structuredClone(s.inputs) as Record<string, any>;
    inputs['roleEligibilityScheduleInstances.json'].value[0].properties.principalId = 'e0000000-0000-4000-8000-0000000000e1';
    inputs['roleEligibilityScheduleInstances.json'].value[0].properties.principalType = 'Group';
    inputs['groups.json'] = { 'e0000000-0000-4000-8000-0000000000e1': ['aaaaaaaa-0000-4000-8000-000000000001'] };
    const d = simulate(s.request, load(inputs));
    expect(d.nearMisses[0]!.why).toContain('through group e0000000-0000-4000-8000-0000000000e1, is eligible for Contributor');
  });

  it('an active instance that stands for an exported role assignment grants once, as that role assignment', () => {
    const d = ask(scenario('pim/assigned-instance-same-as-role-assignment.json'));
    expect(d.causes.map((c) => c.statement?.binding)).toEqual(['7a000000-0202-4000-8000-000000000202']);
  });

  it('an instance listed twice (at its scope and, Inherited, below it) grants once', () => {
    const s = scenario('pim/activated-instance-grants.json');
    const inputs = structuredClone(s.inputs) as Record<string, any>;
    const list = inputs['roleAssignmentScheduleInstances.json'].value;
    list.push({ ...list[0], properties: { ...list[0].properties, memberType: 'Inherited' } });
    expect(simulate(s.request, load(inputs)).causes).toHaveLength(1);
  });

  it('an eligibility without a principal, or with a bad date, fails the upload at its pointer', () => {
    const s = scenario('pim/eligible-not-activated.json');
    const bad = (edit: (p: Record<string, unknown>) => void, pointer: string) => {
      const inputs = structuredClone(s.inputs) as Record<string, any>;
      edit(inputs['roleEligibilityScheduleInstances.json'].value[0].properties);
      expect(() => load(inputs)).toThrow(expect.objectContaining({ constructor: InputError, pointer, file: 'roleEligibilityScheduleInstances.json' }));
    };
    bad((p) => delete p.principalId, '/value/0');
    bad((p) => (p.endDateTime = 'next week'), '/value/0/properties/endDateTime');
  });
});

describe('classic administrators', () => {
  it('are read as Owner with a warning at upload, matched to users by UPN case-insensitively', () => {
    const s = scenario('classic-admins/co-administrator-as-owner.json');
    const snap = load(s.inputs);
    expect(snap.meta.warnings.map((w) => [w.code, w.pointer])).toEqual([
      ['classic_administrator', '/data/0'],
      ['classic_administrator', '/data/1'],
    ]);
    const d = simulate(s.request, snap);
    expect(d.causes).toMatchObject([{ kind: 'grant', policy: { name: 'Owner', type: 'azure:role_assignment', attachedTo: '/subscriptions/11111111-1111-4111-8111-111111111111' } }]);
    expect(d.warnings.find((w) => w.code === 'classic_administrator')?.message).toContain('retired');
  });

  it('an Account Administrator alone, or one no user matches, grants nothing', () => {
    const s = scenario('classic-admins/co-administrator-as-owner.json');
    const inputs = structuredClone(s.inputs) as Record<string, any>;
    const rows = inputs['authorizationresources.json'].data;
    rows[0].properties.role = 'AccountAdministrator';
    rows[1].properties.emailAddress = 'carol@contoso.example';
    const snap = load(inputs);
    expect(snap.meta.warnings.map((w) => w.message)).toEqual([
      'classic administrator Alice@contoso.example (AccountAdministrator) has no access to Azure resources: skipped',
      'classic administrator carol@contoso.example (ServiceAdministrator;AccountAdministrator): no user in the snapshot has that UPN, so it grants nothing here; classic administrators are retired',
    ]);
    expect(simulate(s.request, snap)).toMatchObject({ decision: 'denied', reason: 'no_grant', warnings: [] });
  });
});
