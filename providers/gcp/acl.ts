/**
 * Cloud Storage ACLs. In a fine-grained bucket IAM and ACLs are parallel: either one granting is enough.
 * With uniform bucket-level access ACLs are ignored and only IAM decides. Cloud Asset exports carry a
 * bucket's `acl` and `defaultObjectAcl`, not object ACLs: an object is taken to carry its bucket's default
 * object ACL (what objects get when created without one), with a warning.
 * https://cloud.google.com/storage/docs/access-control/lists
 * https://cloud.google.com/storage/docs/uniform-bucket-level-access
 */
import type { ScopeNode } from '../../src/core/graph.js';
import { isObj } from './inputs.js';
import { matchMember, type Caller, type Member, type MemberCheck, type MemberContext } from './members.js';
import { lookupTable } from '../../src/core/lookup-table.js';

/** What each ACL role lets its holder do (bucket READER/WRITER/OWNER, object READER/OWNER). */
const BUCKET_ROLES: Record<string, readonly string[]> = lookupTable({
  READER: ['storage.buckets.get', 'storage.objects.list'],
  WRITER: ['storage.buckets.get', 'storage.objects.list', 'storage.objects.create', 'storage.objects.delete'],
  OWNER: ['storage.buckets.get', 'storage.objects.list', 'storage.objects.create', 'storage.objects.delete', 'storage.buckets.update', 'storage.buckets.getIamPolicy', 'storage.buckets.setIamPolicy'],
});
const OBJECT_ROLES: Record<string, readonly string[]> = lookupTable({
  READER: ['storage.objects.get'],
  OWNER: ['storage.objects.get', 'storage.objects.update', 'storage.objects.getIamPolicy', 'storage.objects.setIamPolicy'],
});

/** An ACL entity as a principal: allUsers, user-EMAIL, group-EMAIL, domain-DOMAIN, project-owners-NUMBER, ... */
function entityMember(entity: string): Member {
  if (entity === 'allUsers' || entity === 'allAuthenticatedUsers') return { kind: entity };
  const m = /^(user|group|domain)-(.+)$/.exec(entity);
  if (m) return m[1] === 'domain' ? { kind: 'domain', domain: m[2]!.toLowerCase() } : m[1] === 'group' ? { kind: 'group', email: m[2]!.toLowerCase() } : { kind: 'user', email: m[2]!.toLowerCase() };
  const p = /^project-(owners|editors|viewers)-(.+)$/.exec(entity);
  if (p) return { kind: 'projectRole', role: p[1] === 'owners' ? 'owner' : p[1] === 'editors' ? 'editor' : 'viewer', project: p[2]! };
  return { kind: 'unsupported', text: entity };
}

export interface AclEntry {
  list: 'acl' | 'defaultObjectAcl';
  index: number;
  entity: string;
  role: string;
  /** Does the role cover the permission? */
  covers: boolean;
  check: MemberCheck;
}

export interface AclResult {
  bucket: string;
  /** Uniform bucket-level access: the ACLs are ignored. */
  uniform: boolean;
  /** The object's ACL is assumed to be the bucket's default object ACL. */
  assumed: boolean;
  entries: AclEntry[];
}

/** The ACL entries that bear on a request on a bucket (its `acl`) or an object (the default object ACL). */
export function evaluateAcl(bucket: ScopeNode, object: boolean, permission: string, caller: Caller, ctx: MemberContext): AclResult | undefined {
  const list = object ? 'defaultObjectAcl' : 'acl';
  const acl = bucket.attrs?.[list];
  if (!Array.isArray(acl) || !acl.length) return undefined;
  const roles = object ? OBJECT_ROLES : BUCKET_ROLES;
  // A user- entity names a Google account or a service account by email.
  const who: Caller = caller.kind === 'serviceAccount' ? { ...caller, kind: 'user' } : caller;
  const entries = acl.flatMap((e, index): AclEntry[] => {
    if (!isObj(e) || typeof e.entity !== 'string' || typeof e.role !== 'string') return [];
    const member = entityMember(e.entity);
    const check = matchMember(member, member.kind === 'user' ? who : caller, ctx);
    return [{ list, index, entity: e.entity, role: e.role, covers: roles[e.role]?.includes(permission) ?? false, check }];
  });
  return { bucket: bucket.id, uniform: bucket.attrs?.uniformBucketLevelAccess === true, assumed: object, entries };
}

/** The entries that grant: the role covers the permission and the entity matches the caller. */
export function aclGrants(acl: AclResult | undefined, publicBlocked: boolean): AclEntry[] {
  if (!acl || acl.uniform) return [];
  return acl.entries.filter((e) => e.covers && e.check.membership === 'MATCHED' && !(publicBlocked && e.check.public));
}
