/**
 * Resources with allow policies of their own, read per project when no Cloud Asset Inventory export is
 * given, written as Cloud Asset lines: Cloud Storage buckets (metadata with iamConfiguration, location and
 * ACLs; the bucket's IAM policy) and service accounts (IAM v1 REST, which the IAM client library does not
 * wrap: who may impersonate them is their own allow policy).
 */
import type { Collector } from '../../src/collect/collector.js';
import type { GetBucketsRequest } from '@google-cloud/storage';
import { google, listAll, token, type GoogleClients } from './collect-google.js';
import { ancestorsOf, nodeRef, type CrmNode } from './collect-hierarchy.js';
import { CRM } from './names.js';

type Raw = Record<string, unknown>;

/** A Cloud Asset line for a resource under a project. */
function resourceAsset(name: string, assetType: string, project: CrmNode, nodes: ReadonlyMap<string, CrmNode>, data: Raw, iamPolicy: unknown): Raw {
  return {
    name,
    asset_type: assetType,
    ancestors: ancestorsOf(project, nodes),
    resource: { parent: `${CRM}${project.name}`, data },
    ...(iamPolicy !== undefined ? { iam_policy: iamPolicy } : {}),
  };
}

/**
 * The project's buckets (projection full: ACLs included) and each one's IAM policy, version 3.
 * https://cloud.google.com/storage/docs/json_api/v1/buckets/list
 * https://cloud.google.com/storage/docs/json_api/v1/buckets/getIamPolicy
 */
export async function buckets(c: Collector, g: GoogleClients, project: CrmNode, nodes: ReadonlyMap<string, CrmNode>): Promise<Raw[]> {
  const target = nodeRef(project);
  const list = await listAll<Raw>(c, target, 'storage.buckets.list', async (pageToken) => {
    // projection=full adds the ACLs; the library passes it through as a query parameter.
    const request: GetBucketsRequest & { projection: string } = { project: project.projectId ?? project.name.slice('projects/'.length), projection: 'full', autoPaginate: false, ...token(pageToken) };
    const [items, next] = await g.storage.getBuckets(request);
    return { items: items.map((b) => b.metadata as Raw), next: (next as { pageToken?: string } | null)?.pageToken };
  });
  return Promise.all(
    (list ?? []).map(async (b) => {
      const bucket = String(b.name);
      const policy = await c.call(`${target}/buckets/${bucket}`, 'storage.buckets.getIamPolicy', google(() => g.storage.bucket(bucket).iam.getPolicy({ requestedPolicyVersion: 3 })));
      return resourceAsset(`//storage.googleapis.com/${bucket}`, 'storage.googleapis.com/Bucket', project, nodes, b, policy?.[0]);
    }),
  );
}

/**
 * The project's service accounts and each one's allow policy. Cloud Asset names a service account by its
 * unique id, as here.
 * https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/list
 * https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/getIamPolicy
 */
export async function serviceAccounts(c: Collector, g: GoogleClients, project: CrmNode, nodes: ReadonlyMap<string, CrmNode>): Promise<Raw[]> {
  const target = nodeRef(project);
  const list = await listAll<Raw>(c, target, 'iam.serviceAccounts.list', async (pageToken) => {
    const r = await g.rest('iam.googleapis.com', `/v1/${target}/serviceAccounts`, { pageSize: 100, ...token(pageToken) });
    return { items: r.accounts as Raw[] | undefined, next: r.nextPageToken as string | undefined };
  });
  return Promise.all(
    (list ?? []).map(async (sa) => {
      const name = String(sa.name);
      const policy = await c.call(name, 'iam.serviceAccounts.getIamPolicy', google(() => g.rest('iam.googleapis.com', `/v1/${name}:getIamPolicy`, { 'options.requestedPolicyVersion': 3 }, 'POST')));
      const id = typeof sa.uniqueId === 'string' ? sa.uniqueId : String(sa.email);
      return resourceAsset(`//iam.googleapis.com/projects/${String(sa.projectId ?? project.projectId)}/serviceAccounts/${id}`, 'iam.googleapis.com/ServiceAccount', project, nodes, sa, policy);
    }),
  );
}
