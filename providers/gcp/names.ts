/**
 * Full resource names: `//{service}.googleapis.com/{relative name}`.
 * https://cloud.google.com/iam/docs/full-resource-names
 *
 * Organizations, folders and projects live under cloudresourcemanager.googleapis.com. A project is named by
 * its id or its number (APIs answer with either); an estate maps both to one node (see ProjectAliases).
 */
import { lookupTable } from '../../src/core/lookup-table.js';

export const CRM = '//cloudresourcemanager.googleapis.com/';

export interface FullName {
  /** e.g. storage.googleapis.com */
  host: string;
  /** e.g. projects/_/buckets/b1/objects/a.txt */
  relative: string;
}

/** Splits `//host/relative`; undefined when the text is not a full resource name. */
export function parseFullName(name: string): FullName | undefined {
  if (!name.startsWith('//')) return undefined;
  const slash = name.indexOf('/', 2);
  if (slash < 3 || slash === name.length - 1) return undefined;
  const host = name.slice(2, slash);
  if (!/^[a-z0-9.-]+$/i.test(host)) return undefined;
  return { host: host.toLowerCase(), relative: name.slice(slash + 1) };
}

/** `projects/123` → `//cloudresourcemanager.googleapis.com/projects/123` (org, folder, project names). */
export function crmName(relative: string): string {
  return CRM + relative;
}

/** The CRM kind of a full name: 'organization', 'folder', 'project', or undefined for a service resource. */
export function crmKind(name: string): 'organization' | 'folder' | 'project' | undefined {
  if (!name.startsWith(CRM)) return undefined;
  const m = /^(organizations|folders|projects)\/[^/]+$/.exec(name.slice(CRM.length));
  if (!m) return undefined;
  return m[1] === 'organizations' ? 'organization' : m[1] === 'folders' ? 'folder' : 'project';
}

/** The last segment of a name (`projects/p1` → `p1`). */
export function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/**
 * Maps the several names of one resource to one canonical full name: project numbers to ids, Cloud Asset
 * bucket names (`//storage.googleapis.com/BUCKET`, https://cloud.google.com/asset-inventory/docs/asset-names)
 * to the IAM form (`//storage.googleapis.com/projects/_/buckets/BUCKET`), and service accounts named by
 * unique id or with the `-` project to their email form.
 */
export class ProjectAliases {
  private readonly canonical = new Map<string, string>();
  private readonly numbers = new Map<string, string>();
  private readonly names = new Map<string, string>();

  /** Records another full name of a resource. */
  alias(from: string, to: string): void {
    if (from !== to) this.names.set(from, to);
  }

  /** Records that project `number` has id `id`. */
  add(id: string | undefined, number: string | undefined): void {
    if (id && number) {
      this.canonical.set(number, id);
      this.numbers.set(id, number);
    }
  }

  /** The project id for an id or a number. */
  idOf(idOrNumber: string): string {
    return this.canonical.get(idOrNumber) ?? idOrNumber;
  }

  numberOf(idOrNumber: string): string | undefined {
    if (/^\d+$/.test(idOrNumber)) return idOrNumber;
    return this.numbers.get(idOrNumber);
  }

  /** Rewrites `projects/<number>` anywhere at the start of a relative or full CRM-style name to the id. */
  normalize(name: string): string {
    const full = parseFullName(name);
    if (!full) return this.normalizeRelative(name);
    let rel = this.normalizeRelative(full.relative);
    if (full.host === 'storage.googleapis.com' && !rel.startsWith('projects/')) rel = `projects/_/buckets/${rel}`;
    const built = `//${full.host}/${rel}`;
    // Most names are canonical already: answer the given string, whose hash the lookups below have computed.
    const out = built === name ? name : built;
    return this.names.get(name) ?? (out === name ? undefined : this.names.get(out)) ?? out;
  }

  /** The other names recorded with alias(). */
  aliasEntries(): IterableIterator<[string, string]> {
    return this.names.entries();
  }

  private normalizeRelative(rel: string): string {
    const m = /^projects\/([^/]+)(\/.*)?$/.exec(rel);
    if (!m) return rel;
    const id = this.idOf(m[1]!);
    return id === m[1] ? rel : `projects/${id}${m[2] ?? ''}`;
  }
}

/** Storage: object names keep their slashes, so the bucket is found by position, not by splitting. */
export function storageParts(relative: string): { bucket: string; object?: string; managedFolder?: string } | undefined {
  const m = /^projects\/_\/buckets\/([^/]+)(?:\/(objects|managedFolders)\/(.+))?$/.exec(relative);
  if (!m) return undefined;
  if (m[2] === 'objects') return { bucket: m[1]!, object: m[3]! };
  if (m[2] === 'managedFolders') return { bucket: m[1]!, managedFolder: m[3]! };
  return { bucket: m[1]! };
}

const SINGULAR_EXCEPTIONS: Record<string, string> = lookupTable({ policies: 'Policy', keyRings: 'KeyRing', cryptoKeys: 'CryptoKey', serviceAccounts: 'ServiceAccount', managedFolders: 'ManagedFolder' });

/**
 * The resource type of a full name as IAM Conditions see it (`resource.type`), e.g.
 * `storage.googleapis.com/Object`, `cloudresourcemanager.googleapis.com/Project`: the service, then the
 * last collection in singular, capitalised.
 * https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-type
 */
export function resourceTypeOf(name: string): string | undefined {
  const full = parseFullName(name);
  if (!full) return undefined;
  if (full.host === 'storage.googleapis.com') {
    const s = storageParts(full.relative);
    if (!s) return undefined;
    return `storage.googleapis.com/${s.object !== undefined ? 'Object' : s.managedFolder !== undefined ? 'ManagedFolder' : 'Bucket'}`;
  }
  const segs = full.relative.split('/');
  if (segs.length < 2) return undefined;
  const collection = segs[segs.length - 2 - ((segs.length % 2) as 0 | 1)]!;
  const singular = SINGULAR_EXCEPTIONS[collection] ?? (collection.endsWith('ies') ? `${collection.slice(0, -3)}y` : collection.replace(/s$/, ''));
  return `${full.host}/${singular.charAt(0).toUpperCase()}${singular.slice(1)}`;
}

/** The relative name, the value of `resource.name` in conditions. */
export function relativeName(name: string): string {
  return parseFullName(name)?.relative ?? name;
}
