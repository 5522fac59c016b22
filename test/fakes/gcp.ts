/**
 * A fake Google Cloud on 127.0.0.1 serving fixtures/gcp/estate over the REST APIs the collector's client
 * libraries speak (JSON bodies, `nextPageToken` paging, `{"error": {code, message, status}}` errors):
 * Resource Manager v3, IAM v1/v2/v3, Org Policy v2, Cloud Storage JSON API v1, Cloud Identity v1 and the
 * Admin SDK Directory API (domains).
 * Organization policies, exported as v1 in the estate, are served in their v2 form.
 *
 * It checks what a real endpoint would refuse: a bearer token that is not a JWT signed by the test's
 * service account key (401), a conditional policy asked for without requestedPolicyVersion 3 (400), a deny
 * policy parent whose attachment point is not URL-encoded (404). It can answer the first request of each
 * kind with 429 RESOURCE_EXHAUSTED, and every request about some projects with 403 PERMISSION_DENIED.
 */
import { verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

type Json = Record<string, unknown>;

const ESTATE = join(import.meta.dirname, '..', '..', 'fixtures', 'gcp', 'estate');
const read = (f: string) => JSON.parse(readFileSync(join(ESTATE, f), 'utf8')) as Json;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** v1 organization policy (Cloud Asset export) as the Org Policy v2 API answers it. */
function orgPolicyV2(node: string, p: Json): Json {
  const constraint = String(p.constraint).replace(/^constraints\//, '');
  const list = p.list_policy as Json | undefined;
  const bool = p.boolean_policy as Json | undefined;
  const spec: Json = p.restore_default
    ? { reset: true }
    : list
      ? {
          ...(list.inherit_from_parent ? { inheritFromParent: true } : {}),
          rules: [list.all_values === 'ALLOW' ? { allowAll: true } : list.all_values === 'DENY' ? { denyAll: true } : { values: { ...(list.allowed_values ? { allowedValues: list.allowed_values } : {}), ...(list.denied_values ? { deniedValues: list.denied_values } : {}) } }],
        }
      : { rules: [{ enforce: bool?.enforced === true }] };
  return { name: `${node}/policies/${constraint}`, spec };
}

/** The estate, indexed the way the APIs look it up. */
class Estate {
  readonly orgs: Json[] = [];
  readonly folders: Json[] = [];
  readonly projects: Json[] = [];
  readonly iam = new Map<string, Json>();
  readonly orgPolicies = new Map<string, Json[]>();
  readonly buckets: Json[] = [];
  readonly serviceAccounts: Json[] = [];
  readonly deny = new Map<string, Json[]>();
  readonly pab: Json[];
  readonly bindings: Json[];
  readonly roles: Json[];
  readonly customers = read('customers.json') as Record<string, string>;
  readonly groups: { name: string; groupKey: { id: string }; members: string[] }[];

  constructor() {
    const lines = readFileSync(join(ESTATE, 'assets.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json);
    for (const a of lines) {
      const name = String(a.name);
      const rel = name.replace(/^\/\/[^/]+\//, '');
      const data = (a.resource as Json | undefined)?.data as Json | undefined;
      if (a.iam_policy) this.iam.set(a.asset_type === 'storage.googleapis.com/Bucket' ? `b/${rel}` : rel, a.iam_policy as Json);
      if (Array.isArray(a.org_policy)) this.orgPolicies.set(rel, a.org_policy.map((p) => orgPolicyV2(rel, p as Json)));
      if (!data) continue;
      switch (a.asset_type) {
        case 'cloudresourcemanager.googleapis.com/Organization':
          this.orgs.push({ name: rel, displayName: data.displayName, directoryCustomerId: (data.owner as Json).directoryCustomerId, state: 'ACTIVE' });
          break;
        case 'cloudresourcemanager.googleapis.com/Folder':
          this.folders.push({ name: rel, parent: data.parent, displayName: data.displayName, state: 'ACTIVE' });
          break;
        case 'cloudresourcemanager.googleapis.com/Project': {
          const parent = data.parent as Json;
          this.projects.push({ name: rel, projectId: data.projectId, parent: `${String(parent.type)}s/${String(parent.id)}`, displayName: data.name, state: 'ACTIVE' });
          break;
        }
        case 'storage.googleapis.com/Bucket':
          this.buckets.push(data);
          break;
        case 'iam.googleapis.com/ServiceAccount':
          this.serviceAccounts.push(data);
          this.iam.set(String(data.name), (lines.find((l) => l.name === name && l.iam_policy)?.iam_policy as Json | undefined) ?? { version: 1, etag: 'ACAB' });
          break;
      }
    }
    for (const p of read('deny-policies.json').policies as Json[]) {
      const at = String(p.name).split('/')[1]!;
      this.deny.set(at, [...(this.deny.get(at) ?? []), p]);
    }
    const pab = read('pab.json');
    this.pab = pab.principalAccessBoundaryPolicies as Json[];
    this.bindings = pab.policyBindings as Json[];
    this.roles = read('custom-roles.json').roles as Json[];
    this.groups = Object.entries(read('groups.json') as Record<string, string[]>).map(([g, members], i) => ({ name: `groups/0${(i + 10).toString(36)}fake`, groupKey: { id: g.replace(/^group:/, '') }, members }));
  }

  /** A project by `projects/ID` or `projects/NUMBER`. */
  project(ref: string): Json | undefined {
    const id = ref.replace(/^projects\//, '');
    return this.projects.find((p) => p.name === `projects/${id}` || p.projectId === id);
  }

  /** A node's canonical name (projects by number), or undefined when the estate has no such node. */
  node(ref: string): string | undefined {
    if (ref.startsWith('projects/')) return this.project(ref)?.name as string | undefined;
    return [...this.orgs, ...this.folders].some((n) => n.name === ref) ? ref : undefined;
  }
}

export interface FakeGcpOptions {
  /** PEM public key of the service account whose self-signed JWTs the clients send. */
  publicKey: string;
  /** Most items per page of every list (so that every list pages). */
  pageSize?: number;
  /** Answer the first request of each kind of call with 429 RESOURCE_EXHAUSTED. */
  throttleFirst?: boolean;
  /** Project ids whose every call answers 403 PERMISSION_DENIED. */
  forbiddenProjects?: string[];
  /** Path prefixes answered 403 PERMISSION_DENIED (e.g. Cloud Identity, for credentials without a Workspace role). */
  forbiddenPaths?: string[];
}

export interface FakeGcp {
  host: string;
  port: number;
  /** `METHOD path` of every request, in order. */
  requests: string[];
  /** Requests answered 429. */
  throttled: number;
  close(): Promise<void>;
}

function page(items: Json[], q: URLSearchParams, size: number, key: string): Json {
  const start = Number(q.get('pageToken') || 0);
  const asked = Number(q.get('pageSize') ?? q.get('maxResults') ?? 0);
  const n = asked > 0 ? Math.min(asked, size) : size;
  const next = start + n < items.length ? String(start + n) : undefined;
  return { [key]: items.slice(start, start + n), ...(next ? { nextPageToken: next } : {}) };
}

/** Does `text` name `needle` as a whole project (not as the prefix of a longer id)? */
function mentions(text: string, needle: string): boolean {
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
    const next = text[i + needle.length];
    if (next === undefined || !/[\w-]/.test(next)) return true;
  }
  return false;
}

/** Is the bearer token a JWT signed with the test key (a self-signed service account JWT)? */
function signedByKey(req: IncomingMessage, publicKey: string): boolean {
  const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(String(req.headers.authorization ?? ''));
  return !!m && verify('RSA-SHA256', Buffer.from(`${m[1]}.${m[2]}`), publicKey, Buffer.from(m[3]!, 'base64url'));
}

function needsV3(policy: Json, body: Json | undefined, q: URLSearchParams): void {
  const asked = Number((body?.options as Json | undefined)?.requestedPolicyVersion ?? q.get('optionsRequestedPolicyVersion') ?? q.get('options.requestedPolicyVersion') ?? 1);
  const conditional = (policy.bindings as Json[] | undefined)?.some((b) => b.condition);
  if (conditional && asked < 3) throw new HttpError(400, 'INVALID_ARGUMENT', 'the policy has conditional role bindings: request policy version 3');
}

export async function startFakeGcp(opts: FakeGcpOptions): Promise<FakeGcp> {
  const estate = new Estate();
  const size = opts.pageSize ?? 2;
  const seen = new Set<string>();
  const forbidden = (opts.forbiddenProjects ?? []).flatMap((id) => [id, String(estate.project(id)?.name ?? '').replace('projects/', '')]).filter(Boolean);
  const fake: FakeGcp = { host: '127.0.0.1', port: 0, requests: [], throttled: 0, close: async () => undefined };

  const route = (method: string, path: string, q: URLSearchParams, body: Json | undefined): Json => {
    const seg = path.split('/').slice(1).map(decodeURIComponent);
    const list = (items: Json[], key: string) => page(items, q, size, key);
    const notFound = () => new HttpError(404, 'NOT_FOUND', `${method} ${path}: not found`);
    const iamOf = (key: string) => {
      const p = estate.iam.get(key) ?? { version: 1, etag: 'ACAB' };
      needsV3(p, body, q);
      return p;
    };
    // Resource Manager v3
    if (method === 'GET' && path === '/v3/organizations:search') return list(estate.orgs, 'organizations');
    if (method === 'GET' && path === '/v3/folders') return list(estate.folders.filter((f) => f.parent === q.get('parent')), 'folders');
    if (method === 'GET' && path === '/v3/projects') return list(estate.projects.filter((p) => p.parent === q.get('parent')), 'projects');
    if (method === 'GET' && path === '/v3/projects:search') return list(estate.projects, 'projects');
    if (method === 'GET' && path === '/v3/tagBindings') return list([], 'tagBindings');
    if (seg[0] === 'v3' && seg.length === 3 && method === 'GET') {
      const name = `${seg[1]}/${seg[2]}`;
      const found = seg[1] === 'projects' ? estate.project(name) : [...estate.orgs, ...estate.folders].find((n) => n.name === name);
      if (!found) throw notFound();
      return found;
    }
    if (seg[0] === 'v3' && seg.length === 3 && method === 'POST' && seg[2]!.endsWith(':getIamPolicy')) {
      const node = estate.node(`${seg[1]}/${seg[2]!.replace(/:getIamPolicy$/, '')}`);
      if (!node) throw notFound();
      return iamOf(node);
    }
    // IAM v2 deny policies: /v2/policies/{URL-encoded attachment point}/denypolicies[/{id}]
    if (seg[0] === 'v2' && seg[1] === 'policies' && seg[3] === 'denypolicies' && method === 'GET') {
      const attached = estate.deny.get(seg[2]!) ?? [];
      if (seg.length === 4) return list(attached.map((p) => ({ name: p.name, uid: p.uid, kind: p.kind, displayName: p.displayName, etag: p.etag })), 'policies');
      const p = attached.find((x) => String(x.name).endsWith(`/${seg[4]}`));
      if (!p || seg.length !== 5) throw notFound();
      return p;
    }
    // IAM v3 principal access boundary policies and policy bindings
    if (seg[0] === 'v3' && seg[3] === 'locations' && seg[4] === 'global' && method === 'GET') {
      const parent = estate.node(`${seg[1]}/${seg[2]}`);
      const under = (items: Json[]) => items.filter((x) => estate.node(String(x.name).split('/').slice(0, 2).join('/')) === parent);
      if (seg[5] === 'principalAccessBoundaryPolicies') return list(under(estate.pab), 'principalAccessBoundaryPolicies');
      if (seg[5] === 'policyBindings') return list(under(estate.bindings), 'policyBindings');
    }
    // Org Policy v2
    if (seg[0] === 'v2' && seg.length === 4 && seg[3] === 'policies' && method === 'GET') {
      const node = estate.node(`${seg[1]}/${seg[2]}`);
      if (!node) throw notFound();
      return list(estate.orgPolicies.get(node) ?? [], 'policies');
    }
    // IAM v1: custom roles, service accounts
    if (seg[0] === 'v1' && seg.length === 4 && seg[3] === 'roles' && method === 'GET') {
      const parent = estate.node(`${seg[1]}/${seg[2]}`);
      return list(estate.roles.filter((r) => estate.node(String(r.name).split('/').slice(0, 2).join('/')) === parent), 'roles');
    }
    if (seg[0] === 'v1' && seg[1] === 'projects' && seg[3] === 'serviceAccounts') {
      const project = estate.project(seg[2]!);
      if (method === 'GET' && seg.length === 4) return list(estate.serviceAccounts.filter((s) => s.projectId === project?.projectId), 'accounts');
      if (method === 'POST' && seg.length === 5 && seg[4]!.endsWith(':getIamPolicy')) {
        const email = seg[4]!.replace(/:getIamPolicy$/, '');
        const sa = estate.serviceAccounts.find((s) => s.email === email || s.uniqueId === email);
        if (!sa) throw notFound();
        return iamOf(String(sa.name));
      }
    }
    // Cloud Storage JSON API
    if (method === 'GET' && path === '/storage/v1/b') {
      const project = estate.project(`projects/${q.get('project')}`);
      return { kind: 'storage#buckets', ...list(estate.buckets.filter((b) => `projects/${String(b.projectNumber)}` === project?.name), 'items') };
    }
    if (method === 'GET' && seg[0] === 'storage' && seg[3] && seg[4] === 'iam' && seg.length === 5) {
      if (!estate.buckets.some((b) => b.name === seg[3])) throw notFound();
      return { kind: 'storage#policy', resourceId: `projects/_/buckets/${seg[3]}`, ...iamOf(`b/${seg[3]}`) };
    }
    // Cloud Identity v1
    if (method === 'GET' && path === '/v1/groups') {
      const customer = String(q.get('parent')).replace(/^customers\//, '');
      const groups = estate.orgs.some((o) => o.directoryCustomerId === customer) ? estate.groups : [];
      return list(groups.map((g) => ({ name: g.name, groupKey: g.groupKey, parent: `customers/${customer}`, labels: { 'cloudidentity.googleapis.com/groups.discussion_forum': '' } })), 'groups');
    }
    if (method === 'GET' && seg[0] === 'v1' && seg[1] === 'groups' && seg[3] === 'memberships') {
      const g = estate.groups.find((x) => x.name === `groups/${seg[2]}`);
      if (!g) throw notFound();
      const TYPES: Record<string, string> = { user: 'USER', group: 'GROUP', serviceAccount: 'SERVICE_ACCOUNT' };
      return list(
        g.members.map((m, i) => {
          const [kind, id] = m.split(':') as [string, string];
          return { name: `${g.name}/memberships/${i}`, preferredMemberKey: { id }, roles: [{ name: 'MEMBER' }], type: TYPES[kind] ?? 'OTHER' };
        }),
        'memberships',
      );
    }
    // Admin SDK Directory API: the customer's domains (the estate's customers.json)
    if (method === 'GET' && seg[0] === 'admin' && seg[4] && seg[5] === 'domains') {
      const names = Object.entries(estate.customers).filter(([, c]) => c === seg[4]).map(([d]) => d);
      if (!names.length) throw notFound();
      return { kind: 'admin#directory#domainsList', domains: names.map((domainName, i) => ({ domainName, isPrimary: i === 0, verified: true })) };
    }
    throw notFound();
  };

  /** Does the request concern a forbidden project (in its path or parameters, once or twice URL-encoded)? */
  const aboutForbidden = (url: URL): boolean => {
    const text = decodeURIComponent(decodeURIComponent(url.pathname + url.search));
    const bucket = /^\/storage\/v1\/b\/([^/]+)/.exec(url.pathname)?.[1];
    const owner = bucket ? String(estate.buckets.find((b) => b.name === bucket)?.projectNumber ?? '') : '';
    return forbidden.some((p) => owner === p || mentions(text, `projects/${p}`) || mentions(text, `project=${p}`));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      fake.requests.push(`${method} ${url.pathname}`);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      try {
        // Cloud Storage with a custom endpoint sends no credentials (the library's default for emulators).
        if (!url.pathname.startsWith('/storage/') && !signedByKey(req, opts.publicKey)) throw new HttpError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
        const kind = `${method} ${url.pathname.replace(/\d{6,}|ex-[\w-]+|[\w.-]+@[\w.-]+|groups\/\w+/g, '*')}`;
        if (opts.throttleFirst && !seen.has(kind)) {
          seen.add(kind);
          fake.throttled++;
          throw new HttpError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric Read requests');
        }
        if (aboutForbidden(url) || opts.forbiddenPaths?.some((p) => url.pathname.startsWith(p))) throw new HttpError(403, 'PERMISSION_DENIED', 'The caller does not have permission');
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json) : undefined;
        send(200, route(method, url.pathname, url.searchParams, body));
      } catch (e) {
        const h = e instanceof HttpError ? e : new HttpError(500, 'INTERNAL', String(e));
        send(h.status, { error: { code: h.status, message: h.message, status: h.code } });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.port = (server.address() as AddressInfo).port;
  fake.close = () => new Promise<void>((r) => server.close(() => r()));
  return fake;
}
