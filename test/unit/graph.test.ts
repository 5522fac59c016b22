/**
 * The common graph (docs/model.md): the same indexes must serve the AWS organization tree, the Azure management
 * group tree with role assignments, and the GCP resource hierarchy with bindings and deny policies. Each estate
 * here is built by hand as GraphData, so a failure points at the Graph and not at a provider's loader.
 */
import { describe, expect, it } from 'vitest';
import { Graph, emptyGraphData, type Attachment, type Binding, type GraphData, type PolicyNode, type PrincipalKind, type ScopeNode } from '../../src/core/graph.js';
import type { Provider } from '../../src/core/decision.js';

const origin = { file: 'hand.json', pointer: '' };
const scope = (provider: Provider, id: string, kind: string, parent?: string, resource = false): ScopeNode => ({
  id,
  kind,
  name: id.split('/').pop()!,
  provider,
  resource,
  ...(parent === undefined ? {} : { parent }),
});
const principal = (provider: Provider, id: string, kind: PrincipalKind) => ({ id, kind, name: id, provider });
const policy = (provider: Provider, id: string, type: string): PolicyNode => ({ id, name: id, type, provider, document: {}, origin });
const ids = (nodes: readonly { id: string }[]) => nodes.map((n) => n.id);

describe('Graph: AWS-shaped estate', () => {
  const root = 'r-root';
  const ou = 'ou-root-prod';
  const account = '111111111111';
  const bucket = 'arn:aws:s3:::data';
  const alice = 'arn:aws:iam::111111111111:user/alice';
  const bob = 'arn:aws:iam::111111111111:user/bob';
  const devs = 'arn:aws:iam::111111111111:group/devs';
  const eng = 'arn:aws:iam::111111111111:group/eng';
  const loopA = 'arn:aws:iam::111111111111:group/loop-a';
  const loopB = 'arn:aws:iam::111111111111:group/loop-b';
  const data: GraphData = {
    principals: [
      principal('aws', alice, 'user'),
      principal('aws', bob, 'user'),
      principal('aws', devs, 'group'),
      principal('aws', eng, 'group'),
      principal('aws', loopA, 'group'),
      principal('aws', loopB, 'group'),
      principal('aws', 'arn:aws:iam::111111111111:role/app', 'role'),
    ],
    scopes: [scope('aws', root, 'aws:root'), scope('aws', ou, 'aws:ou', root), scope('aws', account, 'aws:account', ou), scope('aws', bucket, 'aws:s3:bucket', account, true)],
    policies: [policy('aws', 'ReadOnly', 'aws:managed'), policy('aws', 'alice-inline', 'aws:inline'), policy('aws', 'DenyLeave', 'aws:scp'), policy('aws', 'bucket-policy', 'aws:resource')],
    memberships: [
      { member: alice, group: devs },
      { member: devs, group: eng }, // a group in a group: alice reaches eng through devs
      { member: bob, group: loopA },
      { member: loopA, group: loopB },
      { member: loopB, group: loopA }, // a cycle: must terminate and not list a group as its own member
    ],
    attachments: [
      { policy: 'ReadOnly', target: eng, kind: 'identity' },
      { policy: 'alice-inline', target: alice, kind: 'identity' },
      { policy: 'DenyLeave', target: root, kind: 'scp' },
      { policy: 'DenyLeave', target: ou, kind: 'scp' },
      { policy: 'bucket-policy', target: bucket, kind: 'resource' },
    ],
    bindings: [],
  };
  const g = new Graph(data);

  it('looks nodes up by id', () => {
    expect(g.principal(alice)?.kind).toBe('user');
    expect(g.scope(bucket)?.resource).toBe(true);
    expect(g.policy('DenyLeave')?.type).toBe('aws:scp');
    expect(g.principal(bucket)).toBeUndefined();
    expect(g.scope(alice)).toBeUndefined();
  });

  it('groupsOf is transitive through nested groups', () => {
    expect([...g.groupsOf(alice)].sort()).toEqual([devs, eng].sort());
    expect(g.groupsOf(devs)).toEqual([eng]);
    expect(g.groupsOf(eng)).toEqual([]);
    expect(g.groupsOf('arn:aws:iam::111111111111:role/app')).toEqual([]);
  });

  it('groupsOf terminates on a membership cycle and never lists a group in itself', () => {
    expect([...g.groupsOf(bob)].sort()).toEqual([loopA, loopB].sort());
    expect(g.groupsOf(loopA)).toEqual([loopB]);
    expect(g.groupsOf(loopB)).toEqual([loopA]);
  });

  it('membersOf is the inverse, nested members included', () => {
    expect([...g.membersOf(eng)].sort()).toEqual([alice, devs].sort());
    expect(g.membersOf(devs)).toEqual([alice]);
    expect([...g.membersOf(loopA)].sort()).toEqual([bob, loopB].sort());
    expect([...g.membersOf(loopB)].sort()).toEqual([bob, loopA].sort());
    expect(g.membersOf(alice)).toEqual([]);
  });

  it('ancestors: the scope itself first, the organization root last', () => {
    expect(ids(g.ancestors(bucket))).toEqual([bucket, account, ou, root]);
    expect(ids(g.ancestors(account))).toEqual([account, ou, root]);
    expect(ids(g.ancestors(root))).toEqual([root]);
    expect(g.ancestors('no-such-scope')).toEqual([]);
    expect(g.warnings).toEqual([]);
  });

  it('attachedTo and attachmentsOf index both ends of an attachment', () => {
    expect(g.attachedTo(eng).map((a) => a.policy)).toEqual(['ReadOnly']);
    expect(g.attachedTo(devs)).toEqual([]);
    expect(g.attachedTo(bucket)).toEqual([{ policy: 'bucket-policy', target: bucket, kind: 'resource' }]);
    expect(g.attachmentsOf('DenyLeave').map((a) => a.target)).toEqual([root, ou]);
    // The SCPs that reach the bucket: every attachment on its ancestors.
    const scps = g.ancestors(bucket).flatMap((s) => g.attachedTo(s.id)).filter((a) => a.kind === 'scp');
    expect(scps.map((a) => a.target)).toEqual([ou, root]);
  });

  it('the identity policies of alice: her own and those of every group she is in', () => {
    const reach = [alice, ...g.groupsOf(alice)].flatMap((p) => g.attachedTo(p)).map((a) => a.policy);
    expect(reach.sort()).toEqual(['ReadOnly', 'alice-inline']);
  });

  it('counts by kind and type', () => {
    expect(g.counts()).toEqual({
      principals: { user: 2, group: 4, role: 1 },
      scopes: { 'aws:root': 1, 'aws:ou': 1, 'aws:account': 1, 'aws:s3:bucket': 1 },
      policies: { 'aws:managed': 1, 'aws:inline': 1, 'aws:scp': 1, 'aws:resource': 1 },
      memberships: 5,
      attachments: 5,
      bindings: 0,
    });
  });

  it('an empty graph answers everything with nothing', () => {
    const e = new Graph(emptyGraphData());
    expect(e.groupsOf(alice)).toEqual([]);
    expect(e.ancestors(bucket)).toEqual([]);
    expect(e.bindingsAt(bucket)).toEqual([]);
    expect(e.counts()).toEqual({ principals: {}, scopes: {}, policies: {}, memberships: 0, attachments: 0, bindings: 0 });
  });
});

describe('Graph: Azure-shaped estate', () => {
  const tenant = '/providers/Microsoft.Management/managementGroups/tenant-root';
  const mg = '/providers/Microsoft.Management/managementGroups/platform';
  const sub = '/subscriptions/00000000-0000-0000-0000-000000000001';
  const rg = `${sub}/resourceGroups/rg-data`;
  const sa = `${rg}/providers/Microsoft.Storage/storageAccounts/stdata`;
  const user = 'user-1111';
  const group = 'group-2222';
  const reader = `${sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`;
  const blobContributor = `${sub}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`;
  const atSub: Binding = { principal: group, role: reader, scope: sub };
  const atRg: Binding = { principal: user, role: blobContributor, scope: rg, attrs: { assignmentId: 'a2' } };
  const data: GraphData = {
    principals: [principal('azure', user, 'user'), principal('azure', group, 'group'), principal('azure', 'sp-3333', 'service_principal')],
    scopes: [
      scope('azure', tenant, 'azure:management_group'),
      scope('azure', mg, 'azure:management_group', tenant),
      scope('azure', sub, 'azure:subscription', mg),
      scope('azure', rg, 'azure:resource_group', sub),
      scope('azure', sa, 'azure:Microsoft.Storage/storageAccounts', rg, true),
    ],
    policies: [policy('azure', reader, 'azure:role_definition'), policy('azure', blobContributor, 'azure:role_definition')],
    memberships: [{ member: user, group }],
    attachments: [],
    bindings: [atSub, atRg],
  };
  const g = new Graph(data);

  it('the storage account chain runs to the tenant root management group', () => {
    expect(ids(g.ancestors(sa))).toEqual([sa, rg, sub, mg, tenant]);
  });

  it('bindingsAt answers each scope on the chain with only its own assignments', () => {
    const at = Object.fromEntries(g.ancestors(sa).map((s) => [s.id, g.bindingsAt(s.id)]));
    expect(at).toEqual({ [sa]: [], [rg]: [atRg], [sub]: [atSub], [mg]: [], [tenant]: [] });
  });

  it('bindingsFor the group and the user', () => {
    expect(g.bindingsFor(group)).toEqual([atSub]);
    expect(g.bindingsFor(user)).toEqual([atRg]);
    expect(g.bindingsFor('sp-3333')).toEqual([]);
  });

  it('the assignments that reach the user on the storage account: own and through the group, on any ancestor', () => {
    const who = new Set([user, ...g.groupsOf(user)]);
    const reach = g.ancestors(sa).flatMap((s) => g.bindingsAt(s.id)).filter((b) => who.has(b.principal));
    expect(reach).toEqual([atRg, atSub]);
    // Each binding's role is a role definition in the graph.
    for (const b of reach) expect(g.policy(b.role)?.type).toBe('azure:role_definition');
  });

  it('counts', () => {
    expect(g.counts()).toMatchObject({
      principals: { user: 1, group: 1, service_principal: 1 },
      scopes: { 'azure:management_group': 2, 'azure:subscription': 1, 'azure:resource_group': 1, 'azure:Microsoft.Storage/storageAccounts': 1 },
      policies: { 'azure:role_definition': 2 },
      memberships: 1,
      attachments: 0,
      bindings: 2,
    });
  });
});

describe('Graph: GCP-shaped estate', () => {
  const org = 'organizations/123';
  const f1 = 'folders/200';
  const f2 = 'folders/300';
  const project = 'projects/analytics';
  const bucket = '//storage.googleapis.com/projects/_/buckets/analytics-raw';
  const user = 'user:ana@example.com';
  const inner = 'group:data-eng@example.com';
  const outer = 'group:eng@example.com';
  const condition = { title: 'weekdays', expression: 'request.time.getDayOfWeek("UTC") < 5' };
  const folderBinding: Binding = { principal: outer, role: 'roles/storage.objectViewer', scope: f1, condition };
  const projectBinding: Binding = { principal: 'serviceAccount:etl@analytics.iam.gserviceaccount.com', role: 'roles/storage.admin', scope: project };
  const deny: Attachment = { policy: 'policies/cloudresourcemanager.googleapis.com%2Forganizations%2F123/denypolicies/no-delete', target: org, kind: 'deny' };
  const data: GraphData = {
    principals: [
      principal('gcp', user, 'user'),
      principal('gcp', inner, 'group'),
      principal('gcp', outer, 'group'),
      principal('gcp', 'serviceAccount:etl@analytics.iam.gserviceaccount.com', 'service_account'),
    ],
    scopes: [
      // Listed leaf first: the chains must not depend on the order scopes arrive in.
      scope('gcp', bucket, 'gcp:storage.googleapis.com/Bucket', project, true),
      scope('gcp', project, 'gcp:project', f2),
      scope('gcp', f2, 'gcp:folder', f1),
      scope('gcp', f1, 'gcp:folder', org),
      scope('gcp', org, 'gcp:organization'),
    ],
    policies: [policy('gcp', deny.policy, 'gcp:deny')],
    memberships: [
      { member: user, group: inner },
      { member: inner, group: outer },
    ],
    attachments: [deny],
    bindings: [folderBinding, projectBinding],
  };
  const g = new Graph(data);

  it('the bucket chain runs through both folders to the organization', () => {
    expect(ids(g.ancestors(bucket))).toEqual([bucket, project, f2, f1, org]);
  });

  it('the union of bindings over the bucket ancestors, the folder condition kept as given', () => {
    const union = g.ancestors(bucket).flatMap((s) => g.bindingsAt(s.id));
    expect(union).toEqual([projectBinding, folderBinding]);
    expect(union[1]!.condition).toBe(condition);
  });

  it('the user reaches the folder binding through the nested group', () => {
    expect([...g.groupsOf(user)].sort()).toEqual([inner, outer].sort());
    const who = new Set([user, ...g.groupsOf(user)]);
    const mine = g.ancestors(bucket).flatMap((s) => g.bindingsAt(s.id)).filter((b) => who.has(b.principal));
    expect(mine).toEqual([folderBinding]);
    expect([...g.membersOf(outer)].sort()).toEqual([inner, user].sort());
  });

  it('the deny policy on the organization reaches the bucket through its ancestors', () => {
    const denies = g.ancestors(bucket).flatMap((s) => g.attachedTo(s.id)).filter((a) => a.kind === 'deny');
    expect(denies).toEqual([deny]);
    expect(g.attachedTo(bucket)).toEqual([]);
    expect(g.policy(deny.policy)?.type).toBe('gcp:deny');
  });
});

describe('Graph: a cycle in scope parents', () => {
  const data: GraphData = {
    ...emptyGraphData(),
    scopes: [
      scope('aws', 'a', 'aws:ou', 'b'),
      scope('aws', 'b', 'aws:ou', 'a'),
      scope('aws', 'leaf', 'aws:account', 'a'),
      scope('aws', 'self', 'aws:ou', 'self'),
      scope('aws', 'dangling', 'aws:account', 'missing'),
    ],
  };
  const g = new Graph(data);

  it('is cut: each chain visits a scope once', () => {
    expect(ids(g.ancestors('a'))).toEqual(['a', 'b']);
    expect(ids(g.ancestors('b'))).toEqual(['b', 'a']);
    expect(ids(g.ancestors('leaf'))).toEqual(['leaf', 'a', 'b']);
    expect(ids(g.ancestors('self'))).toEqual(['self']);
  });

  it('is reported in warnings, one per scope whose chain meets it', () => {
    expect(g.warnings).toHaveLength(4);
    expect(g.warnings.some((w) => w.includes('leaf') && w.includes('cycle'))).toBe(true);
    expect(g.warnings.some((w) => w.includes('self'))).toBe(true);
    // A parent that is not in the graph ends the chain; it is not a cycle.
    expect(g.warnings.some((w) => w.includes('dangling'))).toBe(false);
    expect(ids(g.ancestors('dangling'))).toEqual(['dangling']);
  });
});
