/**
 * What every collector shares: a bounded number of calls in flight, retries with backoff when a cloud
 * throttles (AWS Throttling, ARM 429 with Retry-After, Google RESOURCE_EXHAUSTED) or fails on its side
 * (5xx, a dropped connection), a record of every call
 * that failed instead of an aborted run, and an output directory replaced whole (collect-report.json
 * included) only when the run ends. Collectors only read: nothing here can write to a cloud.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic, syncDir } from '../store/atomic.js';

export interface CallFailure {
  /** The account, subscription, management group, organization or project the call was for. */
  target: string;
  /** The API call, as the cloud names it (`iam:GetAccountAuthorizationDetails`, `GET roleAssignments`). */
  call: string;
  /** The error code the cloud returned (`AccessDenied`, `AuthorizationFailed`, `PERMISSION_DENIED`), if any. */
  code?: string;
  message: string;
  attempts: number;
}

export interface CollectReport {
  provider: string;
  startedAt: string;
  finishedAt: string;
  files: { name: string; items?: number }[];
  calls: number;
  retries: number;
  failures: CallFailure[];
  warnings: string[];
}

export interface CollectorOptions {
  /** Calls in flight at once. */
  concurrency?: number;
  /** Attempts per call when throttled (the first included). */
  maxAttempts?: number;
  /** First backoff delay in ms; doubles each attempt, with jitter, unless the cloud says how long to wait. */
  baseDelayMs?: number;
  progress?: (done: number, total: number) => void;
}

/** Is this error the cloud asking us to slow down? */
function isThrottle(e: unknown): boolean {
  const x = e as { name?: string; code?: string | number; statusCode?: number; status?: number; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  const name = String(x?.name ?? '');
  const code = String(x?.code ?? '');
  const status = x?.statusCode ?? x?.status ?? x?.$metadata?.httpStatusCode;
  return (
    x?.$retryable?.throttling === true ||
    /^(Throttling|ThrottlingException|TooManyRequestsException|RequestLimitExceeded|SlowDown|RequestThrottled)$/.test(name) ||
    /^(Throttling|ThrottlingException|TooManyRequests|RESOURCE_EXHAUSTED|429|8)$/.test(code) ||
    status === 429
  );
}

/**
 * A failure worth another try: the service's own error (HTTP 5xx, gRPC UNAVAILABLE) or the network's. The
 * SDKs' own retries are off in the collectors, so this is the only retrying there is.
 */
function isTransient(e: unknown): boolean {
  const x = e as { code?: string | number; statusCode?: number; status?: number; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; cause?: { code?: string } };
  const status = x?.statusCode ?? x?.status ?? x?.$metadata?.httpStatusCode;
  const code = String(x?.code ?? x?.cause?.code ?? '');
  return (typeof status === 'number' && status >= 500) || x?.$retryable !== undefined || /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR_SOCKET|UNAVAILABLE|14|INTERNAL|13)$/.test(code);
}

/** How long the cloud asked us to wait (a Retry-After header, in seconds), in ms. */
function retryAfterMs(e: unknown): number | undefined {
  const x = e as { response?: { headers?: { get?(k: string): string | undefined } | Record<string, string> }; $response?: { headers?: Record<string, string> } };
  const h = x?.response?.headers;
  const raw = (typeof (h as { get?: unknown })?.get === 'function' ? (h as { get(k: string): string | undefined }).get('retry-after') : (h as Record<string, string> | undefined)?.['retry-after']) ?? x?.$response?.headers?.['retry-after'];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) ? Math.min(n * 1000, 60_000) : undefined;
}

/** The cloud's error code and message, whatever the SDK calls them. */
function describeError(e: unknown): { code?: string; message: string } {
  const x = e as { name?: string; code?: string | number; message?: string; details?: unknown };
  const code = x?.code !== undefined && x.code !== '' ? String(x.code) : x?.name && x.name !== 'Error' ? x.name : undefined;
  // gRPC errors carry the text in `details`; Azure's RestError carries the parsed error body there instead.
  const details = typeof x?.details === 'string' ? x.details : undefined;
  return { ...(code ? { code } : {}), message: String(details || x?.message || e) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Collector {
  private readonly files = new Map<string, unknown>();
  private readonly failures: CallFailure[] = [];
  private readonly warnings: string[] = [];
  private readonly startedAt = new Date().toISOString();
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private calls = 0;
  private retries = 0;
  private done = 0;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(
    readonly provider: string,
    private readonly opts: CollectorOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 8;
    this.maxAttempts = opts.maxAttempts ?? 6;
    this.baseDelayMs = opts.baseDelayMs ?? 250;
  }

  private async slot(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.running--;
  }

  /**
   * Runs one read call: waits for a free slot, retries while throttled, and on any other error records
   * the failure and answers undefined, so one forbidden account or project never ends the run.
   */
  async call<T>(target: string, call: string, fn: () => Promise<T>): Promise<T | undefined> {
    this.calls++;
    this.opts.progress?.(this.done, this.calls);
    await this.slot();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn();
        } catch (e) {
          if ((isThrottle(e) || isTransient(e)) && attempt < this.maxAttempts) {
            this.retries++;
            const backoff = this.baseDelayMs * 2 ** (attempt - 1);
            await sleep(retryAfterMs(e) ?? backoff / 2 + Math.random() * backoff);
            continue;
          }
          this.failures.push({ target, call, ...describeError(e), attempts: attempt });
          return undefined;
        }
      }
    } finally {
      this.release();
      this.opts.progress?.(++this.done, this.calls);
    }
  }

  /** Every page of a paged list call: `page(token)` answers the items and the next token. */
  async pages<T>(target: string, call: string, page: (token: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>): Promise<T[] | undefined> {
    const out: T[] = [];
    let token: string | undefined;
    do {
      const r = await this.call(target, call, () => page(token));
      if (!r) return out.length ? out : undefined;
      out.push(...r.items);
      token = r.next;
    } while (token);
    return out;
  }

  /** Adds an output file: a JSON value, or for a `.ndjson` name an array written one item per line. */
  add(name: string, value: unknown): void {
    this.files.set(name, value);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  report(): CollectReport {
    return {
      provider: this.provider,
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      files: [...this.files].map(([name, v]) => ({ name, ...(Array.isArray(v) ? { items: v.length } : {}) })),
      calls: this.calls,
      retries: this.retries,
      failures: this.failures,
      warnings: this.warnings,
    };
  }

  /**
   * Writes the files and collect-report.json into a fresh directory next to `out`, then swaps it in:
   * a reader sees the old output or the new one, never a mix.
   */
  async write(out: string): Promise<CollectReport> {
    const report = this.report();
    const temp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp, { recursive: true });
    for (const [name, v] of this.files) {
      const text = name.endsWith('.ndjson') && Array.isArray(v) ? v.map((x) => JSON.stringify(x)).join('\n') + (v.length ? '\n' : '') : JSON.stringify(v, null, 2) + '\n';
      await mkdir(dirname(join(temp, name)), { recursive: true });
      await writeFileAtomic(join(temp, name), text);
    }
    await writeFileAtomic(join(temp, 'collect-report.json'), JSON.stringify(report, null, 2) + '\n');
    const old = join(dirname(out), `.${basename(out)}.old-${process.pid}`);
    const had = await rename(out, old).then(() => true, () => false);
    await rename(temp, out);
    await syncDir(dirname(out));
    if (had) await rm(old, { recursive: true, force: true });
    return report;
  }
}
