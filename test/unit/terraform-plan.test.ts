/**
 * The provider-neutral reader of `terraform show -json` plans
 * (https://developer.hashicorp.com/terraform/internals/json-format): planned and unknown values, pointers
 * into the plan file, module-aware configuration, and references resolved to the plan's changes and to
 * data sources read at plan time.
 */
import { describe, expect, it } from 'vitest';
import type { TerraformChange, TerraformPlan } from '../../src/core/ci.js';
import { TerraformPlanReader, UNKNOWN, unknownPaths } from '../../src/core/terraform-plan.js';

function change(address: string, type: string, after: unknown, after_unknown: unknown = {}, before: unknown = null): TerraformChange {
  const name = address.replace(/\[[^\]]*\]$/, '').split('.').pop()!;
  return { address, mode: 'managed', type, name, change: { actions: before ? ['update'] : ['create'], before, after, after_unknown } };
}

const GROUP_ID = 'e0000000-0000-4000-8000-0000000000e1';

/** A module called per team with for_each (one key holds dots), a for_each policy at the root, data sources in prior_state. */
const plan: TerraformPlan = {
  format_version: '1.2',
  resource_changes: [
    change('module.team["data.eu"].azurerm_role_assignment.reader', 'azurerm_role_assignment', { scope: '/subscriptions/s', nested: [{ a: null }], permissions: [{ actions: ['x/read'] }] }, { principal_id: true, nested: [{ a: true }], id: true }),
    change('module.team["data.eu"].azuread_group.readers', 'azuread_group', { display_name: 'readers-eu', object_id: GROUP_ID }),
    change('module.team["web"].azuread_group.readers', 'azuread_group', { display_name: 'readers-web', object_id: 'e0000000-0000-4000-8000-0000000000e2' }),
    change('module.team["web"].azurerm_role_assignment.reader', 'azurerm_role_assignment', { scope: '/subscriptions/s' }, { principal_id: true }),
    change('aws_iam_policy.p["a"]', 'aws_iam_policy', { name: 'pa', policy: '{"Statement":[]}' }, { arn: true }),
    change('aws_iam_policy.p["b"]', 'aws_iam_policy', { name: 'pb' }, { arn: true, policy: true }),
    change('aws_iam_policy.only[0]', 'aws_iam_policy', { name: 'only' }, { arn: true }),
    change('aws_iam_role_policy_attachment.by_key["b"]', 'aws_iam_role_policy_attachment', { role: 'r' }, { policy_arn: true }),
    change('aws_iam_role_policy_attachment.each', 'aws_iam_role_policy_attachment', { role: 'r' }, { policy_arn: true }),
    change('aws_iam_role_policy_attachment.first', 'aws_iam_role_policy_attachment', { role: 'r' }, { policy_arn: true }),
    change('aws_iam_role_policy_attachment.single', 'aws_iam_role_policy_attachment', { role: 'r' }, { policy_arn: true }),
    change('aws_iam_role.old', 'aws_iam_role', { name: 'old', arn: 'arn:aws:iam::111122223333:role/old2' }, {}, { name: 'old', arn: 'arn:aws:iam::111122223333:role/old' }),
  ],
  configuration: {
    provider_config: { azurerm: { name: 'azurerm', expressions: { subscription_id: { constant_value: 'fcacc8bc-5cb8-4382-94bd-4bfc5b2a3d14' }, tenant_id: { references: ['var.tenant'] } } } },
    root_module: {
      resources: [
        { address: 'aws_iam_role_policy_attachment.by_key', mode: 'managed', expressions: { policy_arn: { references: ['aws_iam_policy.p', 'each.key'] } } },
        { address: 'aws_iam_role_policy_attachment.each', mode: 'managed', expressions: { policy_arn: { references: ['aws_iam_policy.p', 'var.which'] } } },
        { address: 'aws_iam_role_policy_attachment.first', mode: 'managed', expressions: { policy_arn: { references: ['aws_iam_policy.p["a"].arn', 'aws_iam_policy.p["a"]', 'aws_iam_policy.p'] } } },
        { address: 'aws_iam_role_policy_attachment.single', mode: 'managed', expressions: { policy_arn: { references: ['aws_iam_policy.only', 'data.aws_caller_identity.me.account_id', 'data.aws_caller_identity.me'] } } },
      ],
      module_calls: {
        team: {
          source: './team',
          module: {
            resources: [
              {
                address: 'azurerm_role_assignment.reader',
                mode: 'managed',
                expressions: {
                  principal_id: { references: ['azuread_group.readers.object_id', 'azuread_group.readers'] },
                  scope: { references: ['data.azurerm_subscription.s.id', 'data.azurerm_subscription.s'] },
                  description: { references: ['local.text', 'module.names.description', 'module.names', 'data.azurerm_client_config.unread.object_id', 'data.azurerm_client_config.unread'] },
                  // A block of nesting mode single is an object; one of nesting mode list is a list of objects.
                  nested: { a: { references: ['azurerm_user_assigned_identity.app.identity[0].principal_id', 'azurerm_user_assigned_identity.app.identity[0]', 'azurerm_user_assigned_identity.app.identity', 'azurerm_user_assigned_identity.app'] } },
                  permissions: [{ actions: { references: ['var.actions'] } }],
                },
              },
              { address: 'data.azurerm_subscription.s', mode: 'data', expressions: {} },
            ],
          },
        },
      },
    },
  },
  prior_state: {
    format_version: '1.0',
    values: {
      root_module: {
        child_modules: [
          { address: 'module.team["data.eu"]', resources: [{ address: 'module.team["data.eu"].data.azurerm_subscription.s', mode: 'data', type: 'azurerm_subscription', name: 's', values: { id: '/subscriptions/s' } }] },
          { address: 'module.team["web"]', resources: [{ address: 'module.team["web"].data.azurerm_subscription.s', mode: 'data', type: 'azurerm_subscription', name: 's', values: { id: '/subscriptions/w' } }] },
        ],
      },
    },
  },
};
const r = new TerraformPlanReader(plan);
const at = (address: string) => plan.resource_changes!.find((c) => c.address === address)!;
const reader = at('module.team["data.eu"].azurerm_role_assignment.reader');

describe('planned values', () => {
  it('tells known values from values known only after apply, nested ones included', () => {
    expect(r.value(reader, ['scope'])).toBe('/subscriptions/s');
    expect(r.value(reader, ['principal_id'])).toBe(UNKNOWN);
    expect(r.value(reader, ['nested', 0, 'a'])).toBe(UNKNOWN);
    expect(r.isUnknown(reader, ['nested', 0])).toBe(false);
    expect(r.isUnknown(reader, ['principal_id', 'deeper'])).toBe(true);
    expect(r.value(reader, ['permissions', 0, 'actions'])).toEqual(['x/read']);
    expect(r.before(at('aws_iam_role.old'), ['arn'])).toBe('arn:aws:iam::111122223333:role/old');
    expect(r.after(at('aws_iam_role.old'), ['arn'])).toBe('arn:aws:iam::111122223333:role/old2');
  });

  it('lists the dotted paths after_unknown marks', () => {
    expect(unknownPaths(reader.change.after_unknown)).toEqual(['principal_id', 'nested.0.a', 'id']);
    expect(unknownPaths({ rules: [{ deny_rule: [{ denied_principals: [false, true] }] }], etag: false })).toEqual(['rules.0.deny_rule.0.denied_principals.1']);
    expect(unknownPaths(true)).toEqual(['']);
  });

  it('points into the plan file, escaping keys, on either side', () => {
    expect(r.indexOf(reader)).toBe(0);
    expect(r.pointer(reader, ['nested', 0, 'a/b~c'])).toBe('/resource_changes/0/change/after/nested/0/a~1b~0c');
    expect(r.pointer(at('aws_iam_role.old'), [], 'before')).toBe('/resource_changes/11/change/before');
    // A copy of a change (same address) points where the plan's own entry is.
    expect(r.indexOf({ ...at('aws_iam_policy.p["b"]') })).toBe(5);
    expect(r.indexOf(change('aws_iam_policy.elsewhere', 'aws_iam_policy', {}))).toBe(-1);
  });

  it('finds a change by an attribute value before or after, and reads constant provider settings', () => {
    expect(r.withValue('aws_iam_role', 'arn', 'arn:aws:iam::111122223333:role/old')?.address).toBe('aws_iam_role.old');
    expect(r.withValue('aws_iam_role', 'arn', 'arn:aws:iam::111122223333:role/old2')?.address).toBe('aws_iam_role.old');
    expect(r.withValue('aws_iam_policy', 'arn', 'arn:aws:iam::111122223333:role/old')).toBeUndefined();
    expect(r.providerSetting('azurerm', 'subscription_id')).toBe('fcacc8bc-5cb8-4382-94bd-4bfc5b2a3d14');
    expect(r.providerSetting('azurerm', 'tenant_id')).toBeUndefined();
    expect(r.providerSetting('aws', 'region')).toBeUndefined();
  });
});

describe('configuration and references', () => {
  it('finds a resource configuration through module calls, whatever the instance keys (dots inside quotes included)', () => {
    expect(r.configuration('module.team["data.eu"].azurerm_role_assignment.reader')?.address).toBe('azurerm_role_assignment.reader');
    expect(r.configuration('module.team["web"].azurerm_role_assignment.reader')?.address).toBe('azurerm_role_assignment.reader');
    expect(r.configuration('module.team["data.eu"].data.azurerm_subscription.s')?.mode).toBe('data');
    expect(r.configuration('aws_iam_role_policy_attachment.by_key["b"]')?.address).toBe('aws_iam_role_policy_attachment.by_key');
    // A quoted key may hold brackets too: only the quotes tell where it ends.
    expect(r.configuration('module.team["x].y[z"].azurerm_role_assignment.reader')?.address).toBe('azurerm_role_assignment.reader');
    expect(r.configuration('module.other.azurerm_role_assignment.reader')).toBeUndefined();
  });

  it('makes references absolute with the module instance of the referring resource, and resolves them to that instance', () => {
    const refs = r.references(reader, ['principal_id']);
    expect(refs.map((x) => x.text)).toEqual(['module.team["data.eu"].azuread_group.readers.object_id', 'module.team["data.eu"].azuread_group.readers']);
    expect(refs.map((x) => [x.change?.address, x.attribute])).toEqual([
      ['module.team["data.eu"].azuread_group.readers', ['object_id']],
      ['module.team["data.eu"].azuread_group.readers', []],
    ]);
    expect(r.known(refs[0]!)).toBe(GROUP_ID);
    // The other instance of the module reads its own group.
    const web = r.references(at('module.team["web"].azurerm_role_assignment.reader'), ['principal_id']);
    expect(r.known(web[0]!)).toBe('e0000000-0000-4000-8000-0000000000e2');
    expect(r.referencedChange(reader, ['principal_id'])).toMatchObject({ change: { address: 'module.team["data.eu"].azuread_group.readers' }, attribute: ['object_id'] });
  });

  it('resolves a data source to the values prior_state read for that module instance', () => {
    const [sub] = r.references(reader, ['scope']);
    expect(sub).toMatchObject({ text: 'module.team["data.eu"].data.azurerm_subscription.s.id', mode: 'data', attribute: ['id'] });
    expect(r.known(sub!)).toBe('/subscriptions/s');
    expect(r.known(r.references(at('module.team["web"].azurerm_role_assignment.reader'), ['scope'])[0]!)).toBe('/subscriptions/w');
    // Data sources are no changes of the plan.
    expect(r.referencedChanges(reader, ['scope'])).toEqual([]);
  });

  it('resolves nothing for locals, module outputs and data sources read only at apply', () => {
    const refs = r.references(reader, ['description']);
    expect(refs.map((x) => x.text)).toEqual([
      'module.team["data.eu"].local.text',
      'module.team["data.eu"].module.names.description',
      'module.team["data.eu"].module.names',
      'module.team["data.eu"].data.azurerm_client_config.unread.object_id',
      'module.team["data.eu"].data.azurerm_client_config.unread',
    ]);
    expect(refs.filter((x) => x.change || x.data || x.ambiguous)).toEqual([]);
    expect(refs.map((x) => r.known(x))).toEqual([UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]);
    expect(r.references(reader, ['no_such_attribute'])).toEqual([]);
  });

  it('reads the expressions of nested blocks, as lists and as single objects, and splits attribute paths of references', () => {
    expect(r.references(reader, ['permissions', 0, 'actions']).map((x) => x.text)).toEqual(['module.team["data.eu"].var.actions']);
    const [identity] = r.references(reader, ['nested', 0, 'a']);
    expect(identity).toMatchObject({ text: 'module.team["data.eu"].azurerm_user_assigned_identity.app.identity[0].principal_id', mode: 'managed', attribute: ['identity', 0, 'principal_id'] });
    // The plan holds no such identity: the reference names nothing the plan knows.
    expect(identity!.change).toBeUndefined();
    expect(r.known(identity!)).toBe(UNKNOWN);
  });
});

describe('references to resources of several instances', () => {
  it('does not pick an instance for a reference that does not single one out', () => {
    const c = at('aws_iam_role_policy_attachment.each');
    expect(r.references(c, ['policy_arn'])[0]).toMatchObject({ text: 'aws_iam_policy.p', mode: 'managed', ambiguous: true });
    expect(r.referencedChanges(c, ['policy_arn'])).toEqual([]);
    expect(r.referencedChange(c, ['policy_arn'])).toBeUndefined();
  });

  it('takes the instance a constant key names, without counting Terraform\'s keyless copy of it', () => {
    const c = at('aws_iam_role_policy_attachment.first');
    expect(r.references(c, ['policy_arn']).map((x) => x.text)).toEqual(['aws_iam_policy.p["a"].arn', 'aws_iam_policy.p["a"]']);
    const ref = r.referencedChange(c, ['policy_arn'])!;
    expect([ref.change.address, ref.attribute]).toEqual(['aws_iam_policy.p["a"]', ['arn']]);
    expect(r.known(ref)).toBe(UNKNOWN);
    expect(r.known({ ...ref, attribute: ['policy'] })).toBe('{"Statement":[]}');
  });

  it('takes the instance with the referring resource\'s own key (for_each over the same keys), or the only one', () => {
    expect(r.referencedChange(at('aws_iam_role_policy_attachment.by_key["b"]'), ['policy_arn'])?.change.address).toBe('aws_iam_policy.p["b"]');
    const single = r.referencedChanges(at('aws_iam_role_policy_attachment.single'), ['policy_arn']);
    expect(single.map((x) => x.change.address)).toEqual(['aws_iam_policy.only[0]']);
  });
});
