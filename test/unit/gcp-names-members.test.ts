/**
 * GCP names and members: the rules behind many scenarios, checked one by one (full resource names, the
 * several names of one resource, member identifier forms and how each matches a caller).
 */
import { describe, expect, it } from 'vitest';
import { matchMember, parseMember, principalId, serviceAccountProject, type Caller, type MemberContext } from '../../providers/gcp/members.js';
import { crmKind, parseFullName, ProjectAliases, resourceTypeOf, storageParts } from '../../providers/gcp/names.js';

describe('full resource names', () => {
  it('splits host and relative name, and refuses what is not one', () => {
    expect(parseFullName('//storage.googleapis.com/projects/_/buckets/b1/objects/a/b.txt')).toEqual({ host: 'storage.googleapis.com', relative: 'projects/_/buckets/b1/objects/a/b.txt' });
    expect(parseFullName('projects/p1')).toBeUndefined();
    expect(parseFullName('//host/')).toBeUndefined();
  });

  it('keeps the slashes of object names and finds managed folders', () => {
    expect(storageParts('projects/_/buckets/b1/objects/a/b/c.txt')).toEqual({ bucket: 'b1', object: 'a/b/c.txt' });
    expect(storageParts('projects/_/buckets/b1/managedFolders/reports/')).toEqual({ bucket: 'b1', managedFolder: 'reports/' });
    expect(storageParts('projects/p1/buckets/b1')).toBeUndefined();
  });

  it('derives resource.type as conditions see it', () => {
    expect(resourceTypeOf('//storage.googleapis.com/projects/_/buckets/b1/objects/x')).toBe('storage.googleapis.com/Object');
    expect(resourceTypeOf('//storage.googleapis.com/projects/_/buckets/b1')).toBe('storage.googleapis.com/Bucket');
    expect(resourceTypeOf('//cloudresourcemanager.googleapis.com/projects/p1')).toBe('cloudresourcemanager.googleapis.com/Project');
    expect(resourceTypeOf('//compute.googleapis.com/projects/p1/zones/z/instances/vm')).toBe('compute.googleapis.com/Instance');
    expect(resourceTypeOf('//cloudkms.googleapis.com/projects/p/locations/l/keyRings/r/cryptoKeys/k')).toBe('cloudkms.googleapis.com/CryptoKey');
    expect(resourceTypeOf('//bigquery.googleapis.com/projects/p/datasets/d/tables/t')).toBe('bigquery.googleapis.com/Table');
  });

  it('tells organization, folder and project nodes from service resources', () => {
    expect(crmKind('//cloudresourcemanager.googleapis.com/folders/456')).toBe('folder');
    expect(crmKind('//cloudresourcemanager.googleapis.com/projects/p1/foo/bar')).toBeUndefined();
    expect(crmKind('//storage.googleapis.com/projects/_/buckets/b1')).toBeUndefined();
  });

  it('maps every name of one resource to one canonical name', () => {
    const a = new ProjectAliases();
    a.add('p1', '1001');
    a.alias('//iam.googleapis.com/projects/p1/serviceAccounts/1234567890', '//iam.googleapis.com/projects/p1/serviceAccounts/sa@p1.iam.gserviceaccount.com');
    expect(a.normalize('//cloudresourcemanager.googleapis.com/projects/1001')).toBe('//cloudresourcemanager.googleapis.com/projects/p1');
    expect(a.normalize('//compute.googleapis.com/projects/1001/zones/z/instances/vm')).toBe('//compute.googleapis.com/projects/p1/zones/z/instances/vm');
    expect(a.normalize('//storage.googleapis.com/b1')).toBe('//storage.googleapis.com/projects/_/buckets/b1');
    expect(a.normalize('//iam.googleapis.com/projects/1001/serviceAccounts/1234567890')).toBe('//iam.googleapis.com/projects/p1/serviceAccounts/sa@p1.iam.gserviceaccount.com');
    expect(a.idOf('2002')).toBe('2002');
    expect(a.numberOf('p1')).toBe('1001');
  });
});

describe('member identifiers', () => {
  it('reads the v1 and v2 spellings of one principal alike', () => {
    expect(parseMember('user:Alice@Example.com')).toEqual({ kind: 'user', email: 'alice@example.com' });
    expect(parseMember('principal://goog/subject/alice@example.com')).toEqual({ kind: 'user', email: 'alice@example.com' });
    expect(parseMember('principal://iam.googleapis.com/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com')).toEqual({ kind: 'serviceAccount', email: 'sa@p.iam.gserviceaccount.com' });
    expect(parseMember('principalSet://goog/group/eng@example.com')).toEqual({ kind: 'group', email: 'eng@example.com' });
    expect(parseMember('principalSet://goog/public:all')).toEqual({ kind: 'allUsers' });
    expect(parseMember('principalSet://goog/cloudIdentityCustomerId/C01')).toEqual({ kind: 'customer', id: 'C01' });
    expect(parseMember('deleted:serviceAccount:x@p.iam.gserviceaccount.com?uid=1')).toEqual({ kind: 'deleted', of: 'serviceAccount:x@p.iam.gserviceaccount.com?uid=1' });
    expect(parseMember('projectViewer:p1')).toEqual({ kind: 'projectRole', role: 'viewer', project: 'p1' });
    expect(parseMember('principalSet://cloudresourcemanager.googleapis.com/projects/1001/type/ServiceAgent')).toEqual({ kind: 'saSet', node: '//cloudresourcemanager.googleapis.com/projects/1001', agents: true });
    expect(parseMember('principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p1.svc.id.goog/namespace/prod')).toEqual({
      kind: 'poolSet', pool: 'iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p1.svc.id.goog', selector: 'namespace', value: 'prod',
    });
    expect(parseMember('someone')).toEqual({ kind: 'unsupported', text: 'someone' });
  });

  it('gives callers a graph id; a bare email is a user or a service account', () => {
    expect(principalId('Alice@example.com')).toBe('user:alice@example.com');
    expect(principalId('etl@p1.iam.gserviceaccount.com')).toBe('serviceAccount:etl@p1.iam.gserviceaccount.com');
    expect(principalId('group:Eng@example.com')).toBe('group:eng@example.com');
  });

  it('finds the project of every kind of service account', () => {
    expect(serviceAccountProject('etl@p1.iam.gserviceaccount.com')).toEqual({ project: 'p1', agent: false });
    expect(serviceAccountProject('service-1001@gcp-sa-logging.iam.gserviceaccount.com')).toEqual({ project: '1001', agent: true });
    expect(serviceAccountProject('1001-compute@developer.gserviceaccount.com')).toEqual({ project: '1001', agent: false });
    expect(serviceAccountProject('p1@appspot.gserviceaccount.com')).toEqual({ project: 'p1', agent: false });
    expect(serviceAccountProject('alice@example.com')).toBeUndefined();
  });
});

describe('matching members', () => {
  const ctx: MemberContext = { customerOfDomain: () => undefined, holdsBasicRole: () => false, canonicalNode: (n) => n };
  const user: Caller = { text: 'user:alice@example.com', kind: 'user', id: 'user:alice@example.com', email: 'alice@example.com', groups: new Set() };
  const sa: Caller = { text: 'serviceAccount:a@p1.iam.gserviceaccount.com', kind: 'serviceAccount', id: 'serviceAccount:a@p1.iam.gserviceaccount.com', email: 'a@p1.iam.gserviceaccount.com', groups: new Set(), projectChain: ['//cloudresourcemanager.googleapis.com/projects/p1', '//cloudresourcemanager.googleapis.com/folders/9'] };
  const pool = 'iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p1.svc.id.goog';
  const pod: Caller = { text: `principal://${pool}/subject/ns/prod/sa/web`, kind: 'federated', id: `principal://${pool}/subject/ns/prod/sa/web`, groups: new Set(), pool, subject: 'ns/prod/sa/web' };
  const anonymous: Caller = { text: 'allUsers', kind: 'anonymous', id: 'allUsers', groups: new Set() };
  const m = (member: string, caller: Caller) => matchMember(parseMember(member), caller, ctx).membership;

  it('allAuthenticatedUsers covers Google accounts and service accounts, not federated or anonymous callers', () => {
    expect([user, sa, pod, anonymous].map((c) => m('allAuthenticatedUsers', c))).toEqual(['MATCHED', 'MATCHED', 'NOT_MATCHED', 'NOT_MATCHED']);
    expect([user, sa, pod, anonymous].map((c) => m('allUsers', c))).toEqual(['MATCHED', 'MATCHED', 'MATCHED', 'MATCHED']);
    expect(matchMember(parseMember('allUsers'), user, ctx).public).toBe(true);
  });

  it('a domain without a customer map matches the email domain only, and never a service account', () => {
    expect(m('domain:example.com', user)).toBe('MATCHED');
    expect(m('domain:example.org', user)).toBe('NOT_MATCHED');
    expect(m('domain:p1.iam.gserviceaccount.com', sa)).toBe('NOT_MATCHED');
  });

  it('a service-account set follows the project hierarchy; a service-agent set needs a service agent', () => {
    expect(m('principalSet://cloudresourcemanager.googleapis.com/folders/9/type/ServiceAccount', sa)).toBe('MATCHED');
    expect(m('principalSet://cloudresourcemanager.googleapis.com/folders/8/type/ServiceAccount', sa)).toBe('NOT_MATCHED');
    expect(m('principalSet://cloudresourcemanager.googleapis.com/folders/9/type/ServiceAgent', sa)).toBe('NOT_MATCHED');
    expect(m('principalSet://cloudresourcemanager.googleapis.com/folders/9/type/ServiceAgent', { ...sa, serviceAgent: true })).toBe('MATCHED');
  });

  it('workload pool sets: the whole pool, a Kubernetes namespace, the exact subject', () => {
    expect(m(`principalSet://${pool}/*`, pod)).toBe('MATCHED');
    expect(m(`principalSet://${pool}/namespace/prod`, pod)).toBe('MATCHED');
    expect(m(`principalSet://${pool}/namespace/dev`, pod)).toBe('NOT_MATCHED');
    expect(m(`principal://${pool}/subject/ns/prod/sa/web`, pod)).toBe('MATCHED');
    expect(m(`principal://${pool}/subject/ns/prod/sa/api`, pod)).toBe('NOT_MATCHED');
  });

  it('tombstones match nobody, not even the same email', () => {
    expect(m('deleted:user:alice@example.com?uid=1', user)).toBe('NOT_MATCHED');
  });
});
