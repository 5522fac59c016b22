/**
 * `iamsim collect gcp`: reads a Google Cloud estate with Google's client libraries, read-only, and writes
 * the files docs/gcp-inputs.md describes, so `iamsim snapshot import OUT/` loads what was collected:
 *
 * - assets.ndjson: Cloud Asset Inventory lines for organizations, folders, projects (with their allow
 *   policies), buckets and service accounts (with theirs) — or the lines of the export given with
 *   `--asset-inventory`, completed by what it lacks;
 * - deny-policies.json (IAM v2), pab.json (IAM v3), org-policies.json (Org Policy v2), tag-bindings.json,
 *   custom-roles.json (IAM v1), groups.json (Cloud Identity), customers.json.
 *
 * A failed or forbidden call is recorded by the Collector and the run goes on. docs/collect-gcp.md lists the
 * permissions needed.
 */
import { readFile } from 'node:fs/promises';
import type { StorageOptions } from '@google-cloud/storage';
import type { Collector } from '../../src/collect/collector.js';
import { InputError } from '../../src/core/problem.js';
import { GoogleClients, type GoogleClientOptions } from './collect-google.js';
import { allowPolicy, nodeAsset, walkHierarchy, type CrmNode } from './collect-hierarchy.js';
import { cloudIdentityGroups, customers } from './collect-identity.js';
import { customRoles, denyPolicies, orgPolicies, pabPolicies, policyBindings, tagBindings } from './collect-policies.js';
import { buckets, serviceAccounts } from './collect-resources.js';
import { CRM } from './names.js';
import { field, inputKind, isObj, itemsOf, type InputKind, type Obj } from './inputs.js';

export interface GcpCollectOptions {
  /** The organization to collect (`123` or `organizations/123`); default: every organization visible. */
  organization?: string;
  /** Only these projects (ids or numbers) and their ancestors; default: every project under the organization(s). */
  projects?: string[];
  /**
   * A Cloud Asset Inventory export (`gcloud asset export --content-type=resource|iam-policy|org-policy`, NDJSON,
   * or `gcloud asset list --format=json`): its lines are written as they are, and buckets, service accounts
   * and the allow and organization policies it holds are not read again.
   */
  assetInventory?: string;
  /** Passed to every client library client (google-gax ClientOptions); default: Application Default Credentials. */
  clientOptions?: GoogleClientOptions;
  /** Passed to the Cloud Storage client (`apiEndpoint` as a URL, ...). */
  storageOptions?: StorageOptions;
}

/** The lines of an asset export: NDJSON, a JSON array, or a list response (`{assets: [...]}`). */
async function readAssetExport(path: string): Promise<Obj[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError('not_found', '', `cannot read ${path}`).inFile(path);
  }
  let values: unknown[];
  try {
    values = itemsOf(JSON.parse(text), ['assets', 'results']).items;
  } catch {
    values = text.split('\n').flatMap((line, i) => {
      if (!line.trim()) return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch {
        throw new InputError('malformed_json', `/${i}`, `line ${i + 1} is not JSON`).inFile(path);
      }
    });
  }
  if (values.length && inputKind(values) !== 'assets') throw new InputError('invalid_request', '', 'not a Cloud Asset Inventory export: every line needs name (//…) and asset_type').inFile(path);
  return values as Obj[];
}

/** What an export already holds, by asset name. */
function covered(lines: Obj[]): { iam: Set<string>; org: Set<string>; roles: Set<string> } {
  const out = { iam: new Set<string>(), org: new Set<string>(), roles: new Set<string>() };
  for (const a of lines) {
    if (field(a, 'iamPolicy') !== undefined) out.iam.add(String(a.name));
    if (field(a, 'orgPolicy') !== undefined) out.org.add(String(a.name));
    const data = isObj(a.resource) && isObj(a.resource.data) ? a.resource.data : undefined;
    if (field(a, 'assetType') === 'iam.googleapis.com/Role' && typeof data?.name === 'string') out.roles.add(data.name);
  }
  return out;
}

/** Adds a file when it holds something (`size` items), checked to be what the loader reads as `kind`. */
function emit(c: Collector, name: string, value: unknown, kind: InputKind, size: number): void {
  if (!size) return;
  if (inputKind(value) !== kind) c.warn(`${name} was not written: iamsim would not read it as ${kind}`);
  else c.add(name, value);
}

const each = <T, R>(xs: T[], fn: (x: T) => Promise<R[]>): Promise<R[]> => Promise.all(xs.map(fn)).then((r) => r.flat());

export async function collectGcp(c: Collector, options: GcpCollectOptions = {}): Promise<void> {
  const exported = options.assetInventory ? await readAssetExport(options.assetInventory) : [];
  const has = covered(exported);
  const g = new GoogleClients(options.clientOptions, options.storageOptions);
  try {
    const nodes = await walkHierarchy(c, g, options);
    const all = [...nodes.values()];
    const orgs = all.filter((n) => n.kind === 'organization');
    const projects = all.filter((n) => n.kind === 'project');
    const fullName = (n: CrmNode) => `${CRM}${n.name}`;

    const [crmLines, resourceLines, deny, pab, bindings, org, tags, roles, groups, domains] = await Promise.all([
      Promise.all(all.map(async (n) => nodeAsset(n, nodes, has.iam.has(fullName(n)) ? undefined : await allowPolicy(c, g, n)))),
      // An export holds the resources: buckets and service accounts are read only without one.
      options.assetInventory ? Promise.resolve([]) : each(projects, async (p) => [...(await buckets(c, g, p, nodes)), ...(await serviceAccounts(c, g, p, nodes))]),
      each(all, (n) => denyPolicies(c, g, n)),
      each(orgs, (o) => pabPolicies(c, g, o)),
      each(all, (n) => policyBindings(c, g, n)),
      each(all.filter((n) => !has.org.has(fullName(n))), (n) => orgPolicies(c, g, n)),
      each(all, (n) => tagBindings(c, g, n)),
      each([...orgs, ...projects], (n) => customRoles(c, g, n)),
      cloudIdentityGroups(c, g, orgs),
      customers(c, g, orgs),
    ]);

    const assets = [...exported, ...crmLines, ...resourceLines];
    emit(c, 'assets.ndjson', assets, 'assets', assets.length);
    emit(c, 'deny-policies.json', { policies: deny }, 'deny', deny.length);
    emit(c, 'pab.json', { principalAccessBoundaryPolicies: pab, policyBindings: bindings }, 'pab', pab.length + bindings.length);
    // A policy with neither spec nor dryRunSpec sets nothing.
    const set = org.filter((p) => isObj(p.spec) || isObj(p.dryRunSpec));
    emit(c, 'org-policies.json', { policies: set }, 'orgPolicies', set.length);
    emit(c, 'tag-bindings.json', { tagBindings: tags }, 'tagBindings', tags.length);
    const newRoles = roles.filter((r) => !has.roles.has(String(r.name)));
    emit(c, 'custom-roles.json', { roles: newRoles }, 'roles', newRoles.length);
    emit(c, 'groups.json', { groups }, 'cloudIdentityGroups', groups.length);
    emit(c, 'customers.json', domains, 'customers', Object.keys(domains).length);
  } finally {
    await g.close();
  }
}
