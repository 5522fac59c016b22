/** A test server on a fresh data directory, with the bundled estate as its active snapshot. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { SnapshotService } from '../../src/api/snapshots.js';
import { providers } from '../../src/all-providers.js';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import { FileStore } from '../../src/store/file-store.js';
import { jsonClient } from './contract.js';

export interface TestApp {
  app: FastifyInstance;
  snapshots: SnapshotService;
  dir: string;
  close(): Promise<void>;
}

export async function testApp(opts: Omit<AppOptions, 'snapshots'> & { withFixtures?: boolean } = {}): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'iamsim-test-'));
  const store = await new FileStore(dir).open();
  const snapshots = new SnapshotService(store, Object.values(providers));
  if (opts.withFixtures !== false) await snapshots.upload(await fixtureFiles(), { name: 'fixtures' });
  const app = await buildApp({ ...opts, snapshots });
  return {
    app,
    snapshots,
    dir,
    async close() {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file: a test server built before its tests and closed after them. `json` calls it with the
 * contract check (jsonClient); `app()` is the server for other calls.
 */
export function appForFile(opts: Parameters<typeof testApp>[0] = {}) {
  let t: TestApp | undefined;
  beforeAll(async () => {
    t = await testApp(opts);
  });
  afterAll(() => t?.close());
  return {
    app: () => t!.app,
    json: (method: string, url: string, body?: unknown) => jsonClient(t!.app)(method, url, body),
  };
}
