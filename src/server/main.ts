/** Starts the HTTP server. Configuration comes from the environment (see the README's table). */
import { fixtureFiles } from '../api/fixtures.js';
import { SnapshotService } from '../api/snapshots.js';
import { providers } from '../providers.js';
import { FileStore } from '../store/file-store.js';
import { buildApp } from './app.js';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

const store = await new FileStore(process.env.IAMSIM_DATA_DIR ?? 'data').open();
const snapshots = new SnapshotService(store, Object.values(providers));
if ((await store.list()).length === 0) await snapshots.upload(await fixtureFiles(), { name: 'fixtures' });

const app = await buildApp({
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
  bodyLimit: intFromEnv('IAMSIM_BODY_LIMIT', 1024 * 1024),
  batchBodyLimit: intFromEnv('IAMSIM_BATCH_BODY_LIMIT', 64 * 1024 * 1024),
  uploadLimit: intFromEnv('IAMSIM_UPLOAD_LIMIT', 256 * 1024 * 1024),
  snapshots,
});
const port = intFromEnv('PORT', 8080);
const host = process.env.HOST ?? '127.0.0.1';
await app.listen({ port, host });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down');
    void app.close().then(() => process.exit(0));
  });
}
