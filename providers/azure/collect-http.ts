/**
 * How the Azure collector reads: ARM list pages through the SDK clients, kept exactly as ARM sent them
 * (`properties` nested, every field, as docs/azure-inputs.md reads them: the SDK's models flatten objects
 * and drop the fields they do not know), and plain authenticated GETs for what no installed SDK covers
 * (`GET /subscriptions`, policy exemptions, Microsoft Graph). Every call goes through the Collector, so
 * throttling is retried and a refused call is recorded, never thrown.
 */
import { request } from 'node:https';
import type { PolicyClient } from '@azure/arm-policy';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { Collector } from '../../src/collect/collector.js';
import { isObj } from './load.js';

export type Obj = Record<string, unknown>;

/** Trusted CAs for the TLS connections (a test server's certificate); the SDK clients take the same option. */
export interface TlsOptions {
  ca?: string | Buffer | (string | Buffer)[];
}

/**
 * What the SDK clients accept: each response reaches `onResponse`, the documented OperationOptions hook;
 * its `bodyAsText` is the body as ARM sent it (`parsedBody` has already been through the SDK's models).
 */
type RawHook = { onResponse: (raw: { bodyAsText?: string | null }) => void };

type Paged = { byPage(settings?: { continuationToken?: string }): AsyncIterableIterator<unknown> };

/** A response's JSON body; undefined if it has none (the hook also sees error pages, which the SDK then throws). */
function bodyOf(text: string | null | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function pageOf(body: unknown): { items: Obj[]; next: string | undefined } {
  const page = isObj(body) ? body : {};
  const next = page.nextLink ?? page['@odata.nextLink'];
  return { items: Array.isArray(page.value) ? page.value.filter(isObj) : [], next: typeof next === 'string' && next !== '' ? next : undefined };
}

/**
 * Every page of an SDK list call, as ARM sent them. Each page is one Collector call (retried alone when
 * throttled): `byPage({continuationToken})` resumes the SDK's pager at that page's nextLink.
 */
export function sdkPages(c: Collector, target: string, call: string, list: (hook: RawHook) => Paged): Promise<Obj[] | undefined> {
  return c.pages(target, call, async (token) => {
    let body: unknown;
    const pages = list({ onResponse: (raw) => (body = bodyOf(raw.bodyAsText)) }).byPage(token === undefined ? undefined : { continuationToken: token });
    await pages.next();
    return pageOf(body);
  });
}

/** One SDK get, as ARM sent it. */
export async function sdkGet(c: Collector, target: string, call: string, get: (hook: RawHook) => Promise<unknown>): Promise<Obj | undefined> {
  return c.call(target, call, async () => {
    let body: unknown;
    await get({ onResponse: (raw) => (body = bodyOf(raw.bodyAsText)) });
    return isObj(body) ? body : undefined;
  });
}

/** An HTTP error as the Collector reads it: status, the service's error code, and the headers (Retry-After). */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly response: { headers: Record<string, string | string[] | undefined> },
  ) {
    super(message);
  }
}

/**
 * The run's credential, with a token cache in front: the SDK clients (several per subscription) would
 * each ask for a token, and the Azure CLI credential in DefaultAzureCredential's chain runs `az` each time.
 */
export class CachedCredential implements TokenCredential {
  private readonly cache = new Map<string, Promise<AccessToken | null>>();

  constructor(private readonly inner: TokenCredential) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    // A claims challenge (continuous access evaluation) or another tenant needs a fresh token.
    if (options?.claims || options?.tenantId) return this.inner.getToken(scopes, options);
    const key = [scopes].flat().join(' ');
    const cached = this.cache.get(key);
    if (cached) {
      const hit = await cached.catch(() => null);
      if (hit && hit.expiresOnTimestamp - 300_000 > Date.now()) return hit;
      // Expired or failed: one caller asks again, the others wait for it.
      if (this.cache.get(key) !== cached) return this.getToken(scopes, options);
    }
    const next = this.inner.getToken(scopes, options);
    this.cache.set(key, next);
    return next;
  }

  /** A bearer token for one audience (`https://graph.microsoft.com/.default`). */
  async bearer(scope: string): Promise<string> {
    const t = await this.getToken(scope);
    if (!t) throw new Error(`the credential gave no token for ${scope}`);
    return t.token;
  }
}

/** GET a JSON document with a bearer token; ARM and Graph errors (`{error: {code, message}}`) become HttpError. */
function getJson(url: string, token: string, tls: TlsOptions | undefined): Promise<unknown> {
  const u = new URL(url);
  // As the SDK's bearer token policy: a token never travels over plain HTTP.
  if (u.protocol !== 'https:') return Promise.reject(new Error(`refusing to send a token to ${u.origin}: not https`));
  return new Promise((resolve, reject) => {
    const req = request(u, { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, timeout: 120_000, ...(tls?.ca ? { ca: tls.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => {
        const body = bodyOf(Buffer.concat(chunks).toString('utf8'));
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300 && body !== undefined) return resolve(body);
        const err = isObj(body) && isObj(body.error) ? body.error : {};
        const code = typeof err.code === 'string' ? err.code : String(status);
        reject(new HttpError(status, code, typeof err.message === 'string' ? err.message : `GET ${u.pathname} answered HTTP ${status}`, { headers: res.headers }));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${u.pathname} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** A REST API read with plain GETs: every page (`nextLink` or `@odata.nextLink`), one Collector call each. */
export class RestReader {
  constructor(
    private readonly c: Collector,
    private readonly credential: CachedCredential,
    /** The API's base URL, e.g. https://management.azure.com or https://graph.microsoft.com/v1.0. */
    private readonly base: string,
    /** The token audience, e.g. https://management.azure.com/.default. */
    private readonly scope: string,
    private readonly tls: TlsOptions | undefined,
  ) {}

  private url(path: string): string {
    return path.startsWith('https://') ? path : this.base.replace(/\/+$/, '') + path;
  }

  async get(target: string, call: string, path: string): Promise<Obj | undefined> {
    const body = await this.c.call(target, call, async () => getJson(this.url(path), await this.credential.bearer(this.scope), this.tls));
    return isObj(body) ? body : undefined;
  }

  list(target: string, call: string, path: string): Promise<Obj[] | undefined> {
    return this.c.pages(target, call, async (token) => pageOf(await getJson(this.url(token ?? path), await this.credential.bearer(this.scope), this.tls)));
  }
}

/**
 * Objects gathered from several overlapping lists (a subscription's list repeats what its management groups
 * hold), one per key. `seen` says whether any list answered, so that a file is written only when it was read.
 */
export class Bag {
  private readonly items = new Map<string, Obj>();
  seen = false;

  constructor(private readonly keyOf: (o: Obj) => string | undefined = (o) => (typeof o.id === 'string' ? o.id.toLowerCase() : undefined)) {}

  add(items: Obj[] | undefined): void {
    if (!items) return;
    this.seen = true;
    for (const o of items) {
      const k = this.keyOf(o);
      if (k !== undefined && !this.items.has(k)) this.items.set(k, o);
    }
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  values(): Obj[] {
    return [...this.items.values()];
  }

  /** Adds the bag to the output as one ARM list page, if any list answered. */
  write(c: Collector, file: string): void {
    if (this.seen) c.add(file, { value: this.values() });
  }
}

/** Names or ids without case-insensitive repeats (ARM ids and names ignore case), each as first given. */
export function unique(names: string[]): string[] {
  const seen = new Map<string, string>();
  for (const n of names) if (!seen.has(n.toLowerCase())) seen.set(n.toLowerCase(), n);
  return [...seen.values()];
}

/** A management group's ARM id, its name as given. */
export function groupScope(name: string): string {
  return `/providers/Microsoft.Management/managementGroups/${name}`;
}

/** What the collect-*.ts modules share for one run. */
export interface AzureCollectContext {
  c: Collector;
  credential: CachedCredential;
  /** Options every SDK client gets: the endpoint, TLS, and no retries of its own (the Collector retries throttling, and counts it). */
  clientOptions: { endpoint: string; tlsOptions?: TlsOptions; retryOptions: { maxRetries: number } };
  /** A PolicyClient for tenant and management group calls (no subscription). */
  policy: PolicyClient;
  /** Plain GETs on ARM, for what no installed SDK covers. */
  arm: RestReader;
  graphEndpoint: string;
  tls: TlsOptions | undefined;
}
