#!/usr/bin/env node
/**
 * Regenerates providers/gcp/data/* from the iann0036/iam-dataset files (MIT):
 *   node scripts/gen-gcp-data.mjs [sourceDir] [outDir]
 * sourceDir defaults to ../shared/data/iam-dataset and outDir to providers/gcp/data, both relative to the
 * current directory. It reads gcp-predefined-roles.json, gcp-service-mapping.json,
 * gcp-api-method-permissions.json, SOURCE-COMMIT and LICENSE, and writes:
 *   roles.json            { source, permissions: [group...], roles: { "roles/x": [title, stage, runs, deleted?] } }
 *                         group = "<prefix><sep>|<resource>:<verb>,<verb>|..." with sep "." (v1) or "/" (FQDN),
 *                         and the permission index is the position in the order the groups list them;
 *                         runs = the role's sorted permission indices as space-separated base-36
 *                         "<gap>[+<extra>]" runs (gap from the previous run's end, extra = run length - 1).
 *   service-mapping.json  { api: {apiName: iamPrefix}, iam: {iamPrefix: apiName} } (as published)
 *   methods.json          { "<api.resource.method>": ["perm", {"permission", "ifBodyPath"}...] }
 *   SOURCE, LICENSE-iam-dataset
 * Output is deterministic (sorted keys), so a rerun reproduces the shipped files byte for byte.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { resolve, join } from 'node:path';

const src = resolve(process.cwd(), process.argv[2] ?? '../shared/data/iam-dataset');
const out = resolve(process.cwd(), process.argv[3] ?? 'providers/gcp/data');
const readJson = (f) => JSON.parse(readFileSync(join(src, f), 'utf8'));
const byKey = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

const [commit, date] = readFileSync(join(src, 'SOURCE-COMMIT'), 'utf8').trim().split(/\s+/);
const source = { dataset: 'https://github.com/iann0036/iam-dataset', licence: 'MIT', commit, date };

/** "storage.objects.get" -> ["storage.", "objects", "get"]; "iam.googleapis.com/oauthClients.create" -> ["iam.googleapis.com/", ...] */
function split(permission) {
  const slash = permission.indexOf('/');
  const head = slash >= 0 ? slash + 1 : permission.indexOf('.') + 1;
  const rest = permission.slice(head);
  const dot = rest.lastIndexOf('.');
  if (head <= 0 || dot <= 0) throw new Error(`unexpected permission name: ${permission}`);
  return [permission.slice(0, head), rest.slice(0, dot), rest.slice(dot + 1)];
}

// --- roles.json -----------------------------------------------------------------------------------------
const rolesIn = readJson('gcp-predefined-roles.json');
const tree = new Map(); // prefix -> resource -> Set(verb)
for (const role of Object.values(rolesIn)) {
  for (const p of role.includedPermissions ?? []) {
    const [prefix, resource, verb] = split(p);
    if (!tree.has(prefix)) tree.set(prefix, new Map());
    const resources = tree.get(prefix);
    if (!resources.has(resource)) resources.set(resource, new Set());
    resources.get(resource).add(verb);
  }
}
const groups = [];
const index = new Map();
for (const prefix of [...tree.keys()].sort(byKey)) {
  const resources = tree.get(prefix);
  const parts = [prefix];
  for (const resource of [...resources.keys()].sort(byKey)) {
    const verbs = [...resources.get(resource)].sort(byKey);
    for (const verb of verbs) index.set(prefix + resource + '.' + verb, index.size);
    parts.push(resource + ':' + verbs.join(','));
  }
  groups.push(parts.join('|'));
}

function runs(permissions) {
  const ids = [...new Set(permissions.map((p) => index.get(p)))].sort((a, b) => a - b);
  const outRuns = [];
  let prev = -1;
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    const gap = ids[i] - prev - 1;
    outRuns.push(gap.toString(36) + (j > i ? '+' + (j - i).toString(36) : ''));
    prev = ids[j];
    i = j + 1;
  }
  return outRuns.join(' ');
}

const roleLines = Object.keys(rolesIn)
  .sort(byKey)
  .map((name) => {
    const r = rolesIn[name];
    const entry = [r.title ?? '', r.stage ?? '', runs(r.includedPermissions ?? [])];
    if (r.deleted) entry.push(true);
    return JSON.stringify(name) + ':' + JSON.stringify(entry);
  });

// --- methods.json ---------------------------------------------------------------------------------------
const methods = [];
for (const api of Object.values(readJson('gcp-api-method-permissions.json').api)) {
  for (const [method, m] of Object.entries(api.methods ?? {})) {
    if (!m.permissions?.length) continue;
    const perms = m.permissions.map((p) => (p.condition?.bodyPathExists ? { permission: p.name, ifBodyPath: p.condition.bodyPathExists } : p.name));
    methods.push([method, perms]);
  }
}
methods.sort((a, b) => byKey(a[0], b[0]));

// --- service-mapping.json -------------------------------------------------------------------------------
const mapping = readJson('gcp-service-mapping.json');
const sortObj = (o) => Object.fromEntries(Object.entries(o).sort((a, b) => byKey(a[0], b[0])));

mkdirSync(out, { recursive: true });
const lines = (entries) => '{\n' + entries.join(',\n') + '\n}';
writeFileSync(
  join(out, 'roles.json'),
  '{\n"source":' + JSON.stringify(source) + ',\n"permissions":[\n' + groups.map((g) => JSON.stringify(g)).join(',\n') + '\n],\n"roles":' + lines(roleLines) + '\n}\n',
);
writeFileSync(join(out, 'methods.json'), lines(methods.map(([k, v]) => JSON.stringify(k) + ':' + JSON.stringify(v))) + '\n');
writeFileSync(join(out, 'service-mapping.json'), JSON.stringify({ api: sortObj(mapping.api), iam: sortObj(mapping.iam) }, null, 2) + '\n');
writeFileSync(join(out, 'SOURCE'), `iann0036/iam-dataset (MIT) https://github.com/iann0036/iam-dataset commit ${commit} (${date})\n`);
writeFileSync(join(out, 'LICENSE-iam-dataset'), readFileSync(join(src, 'LICENSE')));
console.log(`gen-gcp-data: ${Object.keys(rolesIn).length} roles, ${index.size} permissions, ${methods.length} methods -> ${out}`);
