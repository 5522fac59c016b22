/** Starts the HTTP server from environment settings (the README's configuration table): `npm start` and `iamsim serve`. */
import { fixtureFiles } from '../api/fixtures.js';
import { SnapshotService } from '../api/snapshots.js';
import { providers } from '../all-providers.js';
import { FileStore } from '../store/file-store.js';
import { buildApp } from './app.js';

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

export async function startServer(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const store = await new FileStore(env.IAMSIM_DATA_DIR ?? 'data').open();
  const snapshots = new SnapshotService(store, Object.values(providers));
  if ((await store.list()).length === 0) await snapshots.upload(await fixtureFiles(), { name: 'fixtures' });

  const app = await buildApp({
    logger: { level: env.LOG_LEVEL ?? 'info' },
    bodyLimit: intFromEnv(env, 'IAMSIM_BODY_LIMIT', 1024 * 1024),
    batchBodyLimit: intFromEnv(env, 'IAMSIM_BATCH_BODY_LIMIT', 64 * 1024 * 1024),
    uploadLimit: intFromEnv(env, 'IAMSIM_UPLOAD_LIMIT', 256 * 1024 * 1024),
    ...(env.IAMSIM_TOKEN ? { token: env.IAMSIM_TOKEN } : {}),
    snapshots,
  });
  await app.listen({ port: intFromEnv(env, 'PORT', 8080), host: env.HOST ?? '127.0.0.1' });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      void app.close().then(() => process.exit(0));
    });
  }
}
