/**
 * The resource hierarchy the collector works through: organizations, folders and projects from Resource
 * Manager v3, each with its parent chain, and each node's allow policy (requestedPolicyVersion 3, so
 * conditional bindings come back whole) as a Cloud Asset Inventory line.
 * https://cloud.google.com/resource-manager/reference/rest (organizations.search, folders.list, projects.list,
 * projects.search, *.get, *.getIamPolicy)
 * https://cloud.google.com/iam/docs/policies#versions (requestedPolicyVersion)
 */
import type { Collector } from '../../src/collect/collector.js';
import { google, listPaged, plain, token, type GoogleClients } from './collect-google.js';
import { CRM } from './names.js';

export interface CrmNode {
  /** The Resource Manager name: organizations/123, folders/456, projects/1001 (projects by number). */
  name: string;
  kind: 'organization' | 'folder' | 'project';
  parent?: string;
  displayName?: string;
  projectId?: string;
  /** The organization's Cloud Identity customer. */
  customerId?: string;
}

/** How a node is named where ids are wanted: projects by id, the others by their name. */
export const nodeRef = (n: CrmNode): string => (n.kind === 'project' && n.projectId ? `projects/${n.projectId}` : n.name);

/** The node and its ancestors, closest first, as Cloud Asset writes `ancestors`. */
export function ancestorsOf(n: CrmNode, nodes: ReadonlyMap<string, CrmNode>): string[] {
  const out: string[] = [];
  for (let cur: CrmNode | undefined = n; cur && !out.includes(cur.name); cur = cur.parent ? nodes.get(cur.parent) : undefined) out.push(cur.name);
  const last = nodes.get(out[out.length - 1]!);
  if (last?.parent && !nodes.has(last.parent)) out.push(last.parent);
  return out;
}

type Raw = Record<string, unknown>;

/** The fields read from a Resource Manager v3 Organization, Folder or Project. */
interface CrmResource {
  name?: string | null;
  parent?: string | null;
  displayName?: string | null;
  projectId?: string | null;
  directoryCustomerId?: string | null;
  state?: unknown;
}

function toNode(kind: CrmNode['kind'], r: CrmResource): CrmNode {
  const n: CrmNode = { name: String(r.name), kind };
  if (typeof r.parent === 'string' && r.parent) n.parent = r.parent;
  if (typeof r.displayName === 'string' && r.displayName) n.displayName = r.displayName;
  if (typeof r.projectId === 'string') n.projectId = r.projectId;
  if (typeof r.directoryCustomerId === 'string' && r.directoryCustomerId) n.customerId = r.directoryCustomerId;
  return n;
}

const ACTIVE = (r: CrmResource) => r.state === undefined || r.state === 'ACTIVE' || r.state === 1;

export interface HierarchyScope {
  /** Collect this organization (`123` or `organizations/123`); default: every organization the caller can see. */
  organization?: string;
  /** Collect only these projects (ids or numbers) and their ancestors. */
  projects?: string[];
}

/** Walks the hierarchy: from the organizations down, or from the projects named up to their organization. */
export async function walkHierarchy(c: Collector, g: GoogleClients, scope: HierarchyScope): Promise<Map<string, CrmNode>> {
  const nodes = new Map<string, CrmNode>();
  const put = (n: CrmNode) => {
    if (!nodes.has(n.name)) nodes.set(n.name, n);
  };

  const getOrg = (name: string) => c.call(name, 'cloudresourcemanager.organizations.get', google(() => g.organizations.getOrganization({ name }))).then((r) => r && put(toNode('organization', r[0])));
  const getFolder = (name: string) => c.call(name, 'cloudresourcemanager.folders.get', google(() => g.folders.getFolder({ name }))).then((r) => r && put(toNode('folder', r[0])));

  /** Climbs from the nodes known to the root, reading the parents not known yet. */
  const climb = async () => {
    for (;;) {
      const missing = [...new Set([...nodes.values()].map((n) => n.parent).filter((p): p is string => !!p && !nodes.has(p)))];
      const before = nodes.size;
      await Promise.all(missing.map((p) => (p.startsWith('folders/') ? getFolder(p) : p.startsWith('organizations/') ? getOrg(p) : undefined)));
      if (nodes.size === before) return;
    }
  };

  if (scope.projects?.length) {
    await Promise.all(scope.projects.map((p) => {
      const name = p.startsWith('projects/') ? p : `projects/${p}`;
      return c.call(name, 'cloudresourcemanager.projects.get', google(() => g.projects.getProject({ name }))).then((r) => r && put(toNode('project', r[0])));
    }));
    await climb();
    return nodes;
  }

  if (scope.organization) {
    const name = scope.organization.startsWith('organizations/') ? scope.organization : `organizations/${scope.organization}`;
    await getOrg(name);
    // Named but unreadable: what lies below it, and its other policies, may still be readable.
    put({ name, kind: 'organization' });
  } else {
    const orgs = await listPaged(c, 'organizations', 'cloudresourcemanager.organizations.search', (t) => g.organizations.searchOrganizations({ ...token(t) }, { autoPaginate: false }));
    for (const o of orgs ?? []) if (ACTIVE(o)) put(toNode('organization', o));
  }

  /** Folders and projects under `parent`, then under each of its folders. */
  const below = async (parent: string): Promise<void> => {
    const [folders, projects] = await Promise.all([
      listPaged(c, parent, 'cloudresourcemanager.folders.list', (t) => g.folders.listFolders({ parent, ...token(t) }, { autoPaginate: false })),
      listPaged(c, parent, 'cloudresourcemanager.projects.list', (t) => g.projects.listProjects({ parent, ...token(t) }, { autoPaginate: false })),
    ]);
    for (const p of (projects ?? []).filter(ACTIVE)) put(toNode('project', p));
    const sub = (folders ?? []).filter(ACTIVE).map((f) => toNode('folder', f));
    sub.forEach(put);
    await Promise.all(sub.map((f) => below(f.name)));
  };

  const roots = [...nodes.values()];
  if (roots.length) await Promise.all(roots.map((o) => below(o.name)));
  else {
    // No organization visible: every project the caller can see, with whatever ancestors it may read.
    c.warn('no organization is visible to these credentials: collecting the projects they can see (projects.search)');
    const projects = await listPaged(c, 'projects', 'cloudresourcemanager.projects.search', (t) => g.projects.searchProjects({ ...token(t) }, { autoPaginate: false }));
    for (const p of (projects ?? []).filter(ACTIVE)) put(toNode('project', p));
    await climb();
  }
  return nodes;
}

const ASSET_TYPE: Record<CrmNode['kind'], string> = {
  organization: 'cloudresourcemanager.googleapis.com/Organization',
  folder: 'cloudresourcemanager.googleapis.com/Folder',
  project: 'cloudresourcemanager.googleapis.com/Project',
};

/** The node's RESOURCE data as Cloud Asset Inventory exports it (Resource Manager v1 shapes). */
function resourceData(n: CrmNode): Raw {
  if (n.kind === 'organization') return { name: n.name, ...(n.displayName ? { displayName: n.displayName } : {}), ...(n.customerId ? { owner: { directoryCustomerId: n.customerId } } : {}) };
  if (n.kind === 'folder') return { name: n.name, ...(n.parent ? { parent: n.parent } : {}), ...(n.displayName ? { displayName: n.displayName } : {}) };
  const [type, id] = (n.parent ?? '').split('/');
  return {
    projectNumber: n.name.slice('projects/'.length),
    ...(n.projectId ? { projectId: n.projectId } : {}),
    ...(n.displayName ? { name: n.displayName } : {}),
    ...(type && id ? { parent: { type: type === 'folders' ? 'folder' : 'organization', id } } : {}),
  };
}

/** A Cloud Asset line for a node: its resource, and its allow policy when one was read. */
export function nodeAsset(n: CrmNode, nodes: ReadonlyMap<string, CrmNode>, iamPolicy?: unknown): Raw {
  return {
    name: `${CRM}${n.name}`,
    asset_type: ASSET_TYPE[n.kind],
    ancestors: ancestorsOf(n, nodes),
    resource: { ...(n.parent ? { parent: `${CRM}${n.parent}` } : {}), data: resourceData(n) },
    ...(iamPolicy !== undefined ? { iam_policy: iamPolicy } : {}),
  };
}

/** The node's allow policy (getIamPolicy with requestedPolicyVersion 3). */
export async function allowPolicy(c: Collector, g: GoogleClients, n: CrmNode): Promise<unknown> {
  const request = { resource: n.name, options: { requestedPolicyVersion: 3 } };
  const client = n.kind === 'organization' ? g.organizations : n.kind === 'folder' ? g.folders : g.projects;
  const r = await c.call(nodeRef(n), `cloudresourcemanager.${n.kind}s.getIamPolicy`, google(() => client.getIamPolicy(request)));
  return r ? plain(r[0]) : undefined;
}
