/**
 * What the AWS collector modules share: one SDK client per service, account and region, all pointed at
 * the same endpoint when one is given (tests, private endpoints), and the small helpers that turn SDK
 * answers into the files docs/aws-inputs.md describes.
 */
import type { IAMClientConfig } from '@aws-sdk/client-iam';
import type { Collector } from '../../src/collect/collector.js';

/** Static credentials or a provider, as every SDK client accepts them. */
export type AwsCredentials = NonNullable<IAMClientConfig['credentials']>;

/** Whose credentials a call runs with: an account and, when not the default chain, its credentials. */
export interface Session {
  account: string;
  /** `aws`, `aws-cn`, `aws-us-gov`: from the caller's ARN, for the ARNs the collector builds. */
  partition: string;
  credentials?: AwsCredentials;
}

interface ClientConfig {
  region: string;
  maxAttempts: number;
  credentials?: AwsCredentials;
  endpoint?: string;
  forcePathStyle?: boolean;
  followRegionRedirects?: boolean;
  endpointProvider?: () => { url: URL };
}

/**
 * How a client addresses its service: S3 buckets (path-style at a given endpoint, following a bucket to its
 * region) and S3 Control (whose endpoint rules put the account id in front of the host) differ from the rest.
 */
export type Addressing = 'plain' | 's3' | 's3-control';

type Client = { destroy(): void };

export class AwsClients {
  private readonly made = new Map<string, Client>();

  /**
   * `home` is the region of the global services (IAM, STS, Organizations, S3 ListBuckets).
   * The SDK's own retries are off (maxAttempts 1): the Collector retries throttled calls and counts them.
   */
  constructor(
    readonly home: string,
    private readonly endpoint?: string,
  ) {}

  get<C extends Client>(Ctor: new (config: ClientConfig) => C, s: Session, region = this.home, addressing: Addressing = 'plain'): C {
    const key = `${Ctor.name}/${s.account}/${region}`;
    let client = this.made.get(key) as C | undefined;
    if (!client) {
      const config: ClientConfig = { region, maxAttempts: 1 };
      if (s.credentials) config.credentials = s.credentials;
      if (this.endpoint) config.endpoint = this.endpoint;
      if (addressing === 's3') Object.assign(config, { followRegionRedirects: true, forcePathStyle: this.endpoint !== undefined });
      // S3 Control's endpoint rules turn a given endpoint into <account>.<host> (an invalid URL for an IP
      // address, an unknown host for a proxy). The SDK's EndpointInputConfig documents that a custom
      // endpointProvider "will override built-in transformations of the endpoint": every call then goes to
      // the endpoint itself, and the account travels in the x-amz-account-id header as the API defines.
      if (addressing === 's3-control' && this.endpoint) {
        const url = new URL(this.endpoint);
        config.endpointProvider = () => ({ url });
      }
      client = new Ctor(config);
      this.made.set(key, client);
    }
    return client;
  }

  destroy(): void {
    for (const c of this.made.values()) c.destroy();
    this.made.clear();
  }
}

/** An API answer as the CLI prints it: the SDK's `$metadata` left out. */
export function body<T extends object>(r: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = r as T & { $metadata?: unknown };
  return rest;
}

/**
 * One read call whose "not found" answer means "nothing configured" (NoSuchBucketPolicy,
 * ResourceNotFoundException, ...): that answer is null, not a failure. A failed call is undefined.
 */
export function read<T extends object>(c: Collector, target: string, call: string, absent: readonly string[], fn: () => Promise<T>): Promise<Omit<T, '$metadata'> | null | undefined> {
  return c.call(target, call, async () => {
    try {
      return body(await fn());
    } catch (e) {
      if (absent.includes((e as { name?: string }).name ?? '')) return null;
      throw e;
    }
  });
}

/** Every page of a list call: `items` picks a page's items, `next` its next token. */
export async function listAll<R, T>(c: Collector, target: string, call: string, send: (token: string | undefined) => Promise<R>, items: (r: R) => T[] | undefined, next: (r: R) => string | undefined): Promise<T[]> {
  return (await c.pages(target, call, async (token) => {
    const r = await send(token);
    return { items: items(r) ?? [], next: next(r) };
  })) ?? [];
}
