// A large synthetic Google Cloud organization in the native formats (docs/gcp-inputs.md), and its bench.
// Scale 1: 50 folders (two levels), 2,000 projects with a bucket each, 20,000 allow bindings (10% conditional),
// 200 deny rules in 40 deny policies, 5,000 groups nested as a tree over 10,000 users. Linear in the scale.
//
// node --expose-gc bench/gcp-estate.mjs [SCALE]: builds the snapshot with the built library (loadSnapshot,
// bench/snapshot-measure.mjs), then prints one JSON line: load ms, bytes, RSS after load, median µs per decision
// over a mix of requests (granted, denied by a deny rule, no grant, conditional) and the outcomes seen.
import { pathToFileURL } from 'node:url';

const ORG = '900000000001';
const CUSTOMER = 'C0bench01';
const CRM = '//cloudresourcemanager.googleapis.com/';
const T = '2026-11-30T06:00:00.000000Z';

export function gcpEstateShape(scale) {
  return { folders: 50 * scale, projects: 2000 * scale, bindings: 20000 * scale, denyRules: 200 * scale, groups: 5000 * scale, users: 10000 * scale };
}

const projectId = (p) => `bench-p${p}`;
const projectNumber = (p) => String(500000000000 + p);
const folderId = (f) => String(700000000000 + f);
const user = (u) => `u${u}@bench.example.com`;
const group = (g) => `g${g}@bench.example.com`;
const appSa = (p) => `app@${projectId(p)}.iam.gserviceaccount.com`;
const bucketName = (p) => `bench-bucket-${p}`;

/** Folders 0..top-1 sit under the organization, the others under folder (f % top): two levels. */
function folderParent(f, top) {
  return f < top ? `organizations/${ORG}` : `folders/${folderId(f % top)}`;
}
function folderChain(f, top) {
  return f < top ? [`folders/${folderId(f)}`, `organizations/${ORG}`] : [`folders/${folderId(f)}`, `folders/${folderId(f % top)}`, `organizations/${ORG}`];
}
/** Projects live in the nested folders. */
function projectFolder(p, shape) {
  const top = shape.folders / 5;
  return top + (p % (shape.folders - top));
}
function projectAncestors(p, shape) {
  return [`projects/${projectNumber(p)}`, ...folderChain(projectFolder(p, shape), shape.folders / 5)];
}

const binding = (role, members, condition) => (condition ? { role, members, condition } : { role, members });

/** Six project bindings (the sixth conditional) and four bucket bindings: ten per project. */
function projectBindings(p, shape) {
  const { users, groups } = shape;
  const condition = p % 2 === 0
    ? { title: 'expires', expression: "request.time < timestamp('2027-01-01T00:00:00Z')" }
    : { title: 'own bucket only', expression: `resource.name.startsWith('projects/_/buckets/${bucketName(p)}/')` };
  return [
    binding('roles/viewer', [`group:${group(p % groups)}`]),
    binding('roles/editor', [`user:${user((p * 7) % users)}`]),
    binding('roles/bigquery.dataViewer', [`group:${group((p * 3 + 1) % groups)}`]),
    binding('roles/pubsub.publisher', [`serviceAccount:${appSa(p)}`]),
    binding('roles/logging.viewer', [`user:${user((p * 11) % users)}`]),
    binding('roles/storage.objectViewer', [`user:${user((p * 17 + 3) % users)}`], condition),
  ];
}
function bucketBindings(p, shape) {
  const { users, groups } = shape;
  return [
    binding('roles/storage.legacyBucketReader', [`projectViewer:${projectId(p)}`]),
    binding('roles/storage.objectAdmin', [`user:${user((p * 13) % users)}`]),
    binding('roles/storage.objectCreator', [`serviceAccount:${appSa(p)}`]),
    binding('roles/storage.objectViewer', [`user:${user((p * 5) % users)}`, `group:${group((p + 17) % groups)}`]),
  ];
}

/** Groups deep in the tree (index 1,000 and up) have small subtrees: deny rules and folder grants name those. */
const denyGroup = (j, r, shape) => (shape.groups / 5 + j * 5 + r) % shape.groups;

/** Deny policy j (five rules) is attached to folder j; rule r denies deletes to one group. */
function denyPolicies(shape) {
  const policies = [];
  for (let j = 0; j < shape.denyRules / 5; j++) {
    const attachment = encodeURIComponent(`cloudresourcemanager.googleapis.com/folders/${folderId(j)}`);
    policies.push({
      name: `policies/${attachment}/denypolicies/guard-${j}`, uid: `00000000-0000-4000-8000-${String(j).padStart(12, '0')}`, kind: 'DenyPolicy',
      displayName: `Guardrails ${j}`, etag: 'MTc2MDQ0MTIxOQ==', createTime: T, updateTime: T,
      rules: Array.from({ length: 5 }, (_, r) => ({
        description: `rule ${r} of guard-${j}`,
        denyRule: {
          deniedPrincipals: [`principalSet://goog/group/${group(denyGroup(j, r, shape))}`],
          ...(r === 4 ? { exceptionPrincipals: [`principal://goog/subject/${user(j)}`] } : {}),
          deniedPermissions: ['storage.googleapis.com/objects.delete', 'storage.googleapis.com/buckets.delete', `bigquery.googleapis.com/tables.${r % 2 ? 'delete' : '*'}`],
        },
      })),
    });
  }
  return { policies };
}

/** Groups form a tree (group i contains groups 2i+1 and 2i+2) and each holds two users directly. */
function groupsFile(shape) {
  const out = {};
  for (let g = 0; g < shape.groups; g++) {
    const members = [`user:${user((g * 2) % shape.users)}`, `user:${user((g * 2 + 1) % shape.users)}`];
    for (const c of [2 * g + 1, 2 * g + 2]) if (c < shape.groups) members.push(`group:${group(c)}`);
    out[`group:${group(g)}`] = members;
  }
  return out;
}

/** The files of the estate at the given scale. */
export function generateGcpEstate(scale = 1) {
  const shape = gcpEstateShape(scale);
  const top = shape.folders / 5;
  const lines = [];
  const resource = (name, assetType, discoveryName, parent, data, ancestors) =>
    lines.push({ name, asset_type: assetType, resource: { version: 'v1', discovery_document_uri: 'https://cloudresourcemanager.googleapis.com/$discovery/rest', discovery_name: discoveryName, ...(parent ? { parent } : {}), data }, ancestors, update_time: T });
  const iam = (name, assetType, ancestors, bindings) => lines.push({ name, asset_type: assetType, iam_policy: { version: 3, bindings, etag: 'BwYk3m1sX2A=' }, ancestors, update_time: T });

  resource(`${CRM}organizations/${ORG}`, 'cloudresourcemanager.googleapis.com/Organization', 'Organization', undefined,
    { name: `organizations/${ORG}`, displayName: 'bench.example.com', owner: { directoryCustomerId: CUSTOMER }, lifecycleState: 'ACTIVE' }, [`organizations/${ORG}`]);
  iam(`${CRM}organizations/${ORG}`, 'cloudresourcemanager.googleapis.com/Organization', [`organizations/${ORG}`], [binding('roles/browser', ['domain:bench.example.com'])]);
  for (let f = 0; f < shape.folders; f++) {
    const name = `${CRM}folders/${folderId(f)}`;
    resource(name, 'cloudresourcemanager.googleapis.com/Folder', 'Folder', CRM + folderParent(f, top),
      { name: `folders/${folderId(f)}`, parent: folderParent(f, top), displayName: `folder-${f}`, lifecycleState: 'ACTIVE' }, folderChain(f, top));
    iam(name, 'cloudresourcemanager.googleapis.com/Folder', folderChain(f, top), [binding('roles/storage.admin', [`group:${group((shape.groups / 2 + f * 47) % shape.groups)}`])]);
  }
  for (let p = 0; p < shape.projects; p++) {
    const ancestors = projectAncestors(p, shape);
    const parentFolder = folderId(projectFolder(p, shape));
    resource(`${CRM}projects/${projectNumber(p)}`, 'cloudresourcemanager.googleapis.com/Project', 'Project', `${CRM}folders/${parentFolder}`,
      { projectNumber: projectNumber(p), projectId: projectId(p), lifecycleState: 'ACTIVE', name: projectId(p), parent: { type: 'folder', id: parentFolder } }, ancestors);
    iam(`${CRM}projects/${projectNumber(p)}`, 'cloudresourcemanager.googleapis.com/Project', ancestors, projectBindings(p, shape));
    lines.push({
      name: `//storage.googleapis.com/${bucketName(p)}`, asset_type: 'storage.googleapis.com/Bucket',
      resource: { version: 'v1', discovery_document_uri: 'https://www.googleapis.com/discovery/v1/apis/storage/v1/rest', discovery_name: 'Bucket', parent: `${CRM}projects/${projectNumber(p)}`,
        data: { kind: 'storage#bucket', name: bucketName(p), id: bucketName(p), projectNumber: projectNumber(p), location: 'EU', iamConfiguration: { uniformBucketLevelAccess: { enabled: true }, publicAccessPrevention: 'inherited' } }, location: 'eu' },
      ancestors, update_time: T,
    });
    iam(`//storage.googleapis.com/${bucketName(p)}`, 'storage.googleapis.com/Bucket', ancestors, bucketBindings(p, shape));
  }
  return [
    { name: 'assets.ndjson', text: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' },
    { name: 'deny-policies.json', text: JSON.stringify(denyPolicies(shape)) },
    { name: 'groups.json', text: JSON.stringify(groupsFile(shape)) },
    { name: 'customers.json', text: JSON.stringify({ 'bench.example.com': CUSTOMER }) },
  ];
}

/**
 * A mix of requests, a quarter each: granted (a bucket's direct objectViewer), denied by a deny rule (a direct
 * member of the group that rule 0 of the top folder's deny policy names), no grant (the admin of another bucket)
 * and conditional (the request.time binding without the time).
 */
export function gcpEstateRequests(scale, n) {
  const shape = gcpEstateShape(scale);
  const object = (p, i) => `//storage.googleapis.com/projects/_/buckets/${bucketName(p)}/objects/data/${i}.csv`;
  return Array.from({ length: n }, (_, i) => {
    const p = (i * 7919) % shape.projects;
    const base = { provider: 'gcp', action: 'storage.objects.get', resource: object(p, i) };
    switch (i % 4) {
      case 0:
        return { ...base, principal: user((p * 5) % shape.users) };
      case 1: {
        // Every project's top folder t carries deny policy t, whose rule 0 denies deletes to one group.
        const g = denyGroup(projectFolder(p, shape) % (shape.folders / 5), 0, shape);
        return { ...base, principal: user((g * 2) % shape.users), action: 'storage.objects.delete' };
      }
      case 2:
        return { ...base, principal: user((((p + 1) % shape.projects) * 13) % shape.users), action: 'storage.objects.update' };
      default: {
        const q = p - (p % 2);
        return { ...base, principal: user((q * 17 + 3) % shape.users), resource: object(q, i) };
      }
    }
  });
}

async function main() {
  const { measureSnapshot } = await import('./snapshot-measure.mjs');
  const scale = Number(process.argv[2] ?? 1);
  const result = measureSnapshot(generateGcpEstate(scale), gcpEstateRequests(scale, 20_000), `gcp-bench-x${scale}`);
  console.log(JSON.stringify({ scale, shape: gcpEstateShape(scale), ...result }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
