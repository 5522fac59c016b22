/**
 * The Google Cloud client libraries as the collector drives them: one set of clients built from the
 * caller's options (Application Default Credentials by default; an endpoint, the REST transport and
 * credentials for emulators and tests), the few v1 REST APIs the libraries do not cover (IAM v1 roles and
 * service accounts, Cloud Identity groups) called through the libraries' own auth client, errors reduced to
 * Google's status names, and list responses turned back into the JSON the APIs print.
 * https://cloud.google.com/nodejs/docs/reference/google-gax/latest (ClientOptions: apiEndpoint, port, fallback, protocol)
 */
import { FoldersClient, OrganizationsClient, ProjectsClient, TagBindingsClient } from '@google-cloud/resource-manager';
import { v2 as iamV2, v3 as iamV3 } from '@google-cloud/iam';
import { OrgPolicyClient } from '@google-cloud/org-policy';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import type { Collector } from '../../src/collect/collector.js';

/** Options given to every Google Cloud client library client (google-gax ClientOptions). */
export interface GoogleClientOptions {
  /** Host of the API (an emulator or a fake); all services are then asked there. */
  apiEndpoint?: string;
  port?: number;
  /** `http` for a local emulator; only with the REST transport. */
  protocol?: 'http' | 'https';
  /** `true` / `'rest'`: HTTP/1.1 with JSON instead of gRPC. */
  fallback?: boolean | 'rest';
  /** A service account key (`client_email`, `private_key`); default: Application Default Credentials. */
  credentials?: { client_email?: string; private_key?: string; [k: string]: unknown };
  /** An auth client of google-auth-library, used as it is. */
  authClient?: unknown;
  projectId?: string;
}

type GapicOptions = ConstructorParameters<typeof ProjectsClient>[0];

/** What an auth client answers for a REST request (google-auth-library's GoogleAuth.request). */
interface RestAuth {
  request(opts: { url: string; method?: string; params?: Record<string, unknown>; data?: unknown }): Promise<{ data: unknown }>;
}

export class GoogleClients {
  readonly organizations: OrganizationsClient;
  readonly folders: FoldersClient;
  readonly projects: ProjectsClient;
  readonly tagBindings: TagBindingsClient;
  readonly deny: iamV2.PoliciesClient;
  readonly pabPolicies: iamV3.PrincipalAccessBoundaryPoliciesClient;
  readonly policyBindings: iamV3.PolicyBindingsClient;
  readonly orgPolicy: OrgPolicyClient;
  readonly storage: Storage;
  private readonly restBase?: string;

  constructor(opts: GoogleClientOptions = {}, storageOptions: StorageOptions = {}) {
    const o = opts as GapicOptions;
    this.organizations = new OrganizationsClient(o);
    this.folders = new FoldersClient(o);
    this.projects = new ProjectsClient(o);
    this.tagBindings = new TagBindingsClient(o);
    this.deny = new iamV2.PoliciesClient(o);
    this.pabPolicies = new iamV3.PrincipalAccessBoundaryPoliciesClient(o);
    this.policyBindings = new iamV3.PolicyBindingsClient(o);
    this.orgPolicy = new OrgPolicyClient(opts as ConstructorParameters<typeof OrgPolicyClient>[0]);
    // The Collector retries throttled calls itself (and counts them): the Storage client's own retries are off.
    const same: StorageOptions = { ...(opts.projectId ? { projectId: opts.projectId } : {}), ...(opts.credentials ? { credentials: opts.credentials } : {}) };
    this.storage = new Storage({ retryOptions: { autoRetry: false }, ...same, ...storageOptions });
    if (opts.apiEndpoint) this.restBase = `${opts.protocol ?? 'https'}://${opts.apiEndpoint}${opts.port ? `:${opts.port}` : ''}`;
  }

  /**
   * A GET (or a POST for `:getIamPolicy`) on a Google REST API the client libraries do not wrap, e.g.
   * `iam.googleapis.com` `/v1/projects/p1/roles`, authenticated by the libraries' own auth client.
   */
  async rest(host: string, path: string, params: Record<string, unknown> = {}, method: 'GET' | 'POST' = 'GET'): Promise<Record<string, unknown>> {
    const auth = this.projects.auth as unknown as RestAuth;
    const url = `${this.restBase ?? `https://${host}`}${path}`;
    const r = await auth.request({ url, method, params, ...(method === 'POST' ? { data: {} } : {}) });
    return (r.data ?? {}) as Record<string, unknown>;
  }

  async close(): Promise<void> {
    await Promise.all([this.organizations, this.folders, this.projects, this.tagBindings, this.deny, this.pabPolicies, this.policyBindings, this.orgPolicy].map((c) => c.close().catch(() => undefined)));
  }
}

/** gRPC status codes by number (google.rpc.Code), for errors that carry the number only. */
const GRPC = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/** HTTP statuses as Google's error model names them. https://cloud.google.com/apis/design/errors#handling_errors */
const HTTP: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 501: 'UNIMPLEMENTED', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED' };

/** The `{error: {status, message}}` body of a Google REST error, wherever the library left it. */
function errorBody(e: { message?: unknown; response?: { data?: unknown } }): { status?: string; message?: string } | undefined {
  for (const candidate of [e.response?.data, e.message]) {
    let v = candidate;
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        continue;
      }
    }
    const err = (v as { error?: { status?: unknown; message?: unknown } } | undefined)?.error;
    if (err && typeof err === 'object') return { ...(typeof err.status === 'string' ? { status: err.status } : {}), ...(typeof err.message === 'string' ? { message: err.message } : {}) };
  }
  return undefined;
}

/**
 * One Google error, whichever library threw it (google-gax GoogleError with a gRPC number, a GaxiosError
 * holding the REST body, a Storage ApiError with the HTTP status), as `code` = the status name
 * (PERMISSION_DENIED, RESOURCE_EXHAUSTED, ...) and a readable message. The response stays attached, so a
 * Retry-After header still reaches the Collector.
 */
function googleError(e: unknown): Error {
  const x = (e ?? {}) as { code?: unknown; status?: unknown; message?: unknown; details?: unknown; response?: { status?: number; data?: unknown } };
  const body = errorBody(x);
  const n = typeof x.code === 'number' ? x.code : typeof x.status === 'number' ? x.status : x.response?.status;
  const code = body?.status ?? (n === undefined ? (typeof x.code === 'string' ? x.code : undefined) : n < 100 ? GRPC[n] : HTTP[n] ?? String(n));
  const message = body?.message ?? (typeof x.details === 'string' && x.details ? x.details : String(x.message ?? e));
  return Object.assign(new Error(message), { code, ...(x.response ? { response: x.response } : {}) });
}

/** `fn` with its errors reduced by googleError, for Collector.call. */
export function google<T>(fn: () => Promise<T>): () => Promise<T> {
  return () =>
    fn().catch((e: unknown) => {
      throw googleError(e);
    });
}

/** Every page of a Google list call (`nextPageToken` paging), through the Collector. */
export function listAll<T>(c: Collector, target: string, call: string, page: (pageToken: string | undefined) => Promise<{ items: T[] | null | undefined; next?: string | null | undefined }>): Promise<T[] | undefined> {
  return c.pages<T>(target, call, (token) => google(() => page(token))().then((r) => ({ items: r.items ?? [], next: r.next || undefined })));
}

/** One page of a client library list method, called with `{autoPaginate: false}`: [items, next request, raw response]. */
export type Page<T> = Promise<[T[], unknown, { nextPageToken?: string | null } | undefined | null]>;

/** Every page of a client library list method: `page(pageToken)` calls it for one page. */
export function listPaged<T>(c: Collector, target: string, call: string, page: (pageToken: string | undefined) => Page<T>): Promise<T[] | undefined> {
  return listAll<T>(c, target, call, async (pageToken) => {
    const [items, , raw] = await page(pageToken);
    return { items, next: raw?.nextPageToken };
  });
}

/** The page token field of a list request, when there is one. */
export const token = (pageToken: string | undefined): { pageToken?: string } => (pageToken ? { pageToken } : {});

const isTimestamp = (o: Record<string, unknown>): boolean => {
  const keys = Object.keys(o);
  return keys.length === 2 && 'seconds' in o && 'nanos' in o;
};

/**
 * A message the REST transport decoded (every field present, unset ones as null or '', bytes as Buffers,
 * timestamps as {seconds, nanos}, and for each oneof a field naming the member set) back in the shape the
 * API's JSON has: unset fields left out, bytes in base64, timestamps in RFC 3339, no oneof names.
 */
export function plain(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return undefined;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(plain).filter((x) => x !== undefined);
  if (typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (isTimestamp(o)) return new Date(Number(o.seconds) * 1000 + Math.floor(Number(o.nanos) / 1e6)).toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    // protobuf.js names the member of a oneof that is set under the oneof's own name (`kind: "denyRule"`).
    if (typeof x === 'string' && x !== k && x in o) continue;
    const p = plain(x);
    if (p !== undefined && !(typeof p === 'object' && !Array.isArray(p) && Object.keys(p as object).length === 0)) out[k] = p;
  }
  return out;
}
