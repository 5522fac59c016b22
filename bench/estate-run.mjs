// One estate measurement, in its own process so RSS is this estate's alone: node bench/estate-run.mjs SCALE
// Prints one JSON line: upload+compile ms, bytes on disk, RSS after load, median µs per decision.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotService } from '../dist/src/api/snapshots.js';
import { simulate } from '../dist/src/index.js';
import { providers } from '../dist/src/all-providers.js';
import { FileStore } from '../dist/src/store/file-store.js';
import { estateRequests, estateShape, generateEstate } from './estate.mjs';

const scale = Number(process.argv[2] ?? 1);
const files = generateEstate(scale);
const dir = await mkdtemp(join(tmpdir(), 'iamsim-bench-'));
try {
  const service = new SnapshotService(await new FileStore(dir).open(), Object.values(providers));
  const t0 = performance.now();
  const { meta } = await service.upload(files, { name: `bench-x${scale}` });
  const uploadMs = performance.now() - t0;
  let bytes = 0;
  for (const f of await readdir(join(dir, 'snapshots'))) bytes += (await stat(join(dir, 'snapshots', f))).size;
  const snapshot = await service.resolve('active');
  const requests = estateRequests(scale, 20_000);
  for (const r of requests.slice(0, 2000)) simulate(r, snapshot);
  globalThis.gc?.();
  const rss = process.memoryUsage().rss;
  const samples = [];
  for (let k = 0; k < requests.length; k += 100) {
    const t = performance.now();
    for (let i = k; i < k + 100; i++) simulate(requests[i], snapshot);
    samples.push(((performance.now() - t) * 1000) / 100);
  }
  samples.sort((a, b) => a - b);
  const decisions = requests.slice(0, 50).map((r) => simulate(r, snapshot).decision);
  console.log(JSON.stringify({
    scale, shape: estateShape(scale), warnings: meta.warnings.length, uploadMs, bytes, rssMB: rss / 1048576,
    medianUs: samples[samples.length >> 1], outcomes: [...new Set(decisions)],
  }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
