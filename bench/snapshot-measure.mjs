// The measurement the snapshot benches share: build a snapshot from native files with the built library,
// then time decisions over a request mix. Run each bench in its own process so RSS is its estate's alone.
import { loadSnapshot, simulate } from '../dist/src/index.js';

/**
 * Load ms, input bytes, RSS after load (after a warm-up and a GC when --expose-gc is on), the median µs per
 * decision over batches of 100, and how the first 400 requests were answered (by `outcome(decision)`).
 * medianCpuUs is the same median in process CPU time (all threads, GC included): on a shared machine the
 * other processes inflate the wall clock far more than it.
 */
export function measureSnapshot(files, requests, name, outcome = (d) => `${d.decision}/${d.reason}`) {
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  const t0 = performance.now();
  const snapshot = loadSnapshot(files, name);
  const loadMs = performance.now() - t0;
  for (const r of requests.slice(0, 2000)) simulate(r, snapshot);
  globalThis.gc?.();
  const rss = process.memoryUsage().rss;
  const samples = [];
  const cpu = [];
  for (let k = 0; k + 100 <= requests.length; k += 100) {
    const t = performance.now();
    const c = process.cpuUsage();
    for (let i = k; i < k + 100; i++) simulate(requests[i], snapshot);
    const used = process.cpuUsage(c);
    samples.push(((performance.now() - t) * 1000) / 100);
    cpu.push((used.user + used.system) / 100);
  }
  samples.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const outcomes = {};
  for (const r of requests.slice(0, 400)) {
    const key = outcome(simulate(r, snapshot));
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  return { warnings: snapshot.meta.warnings.length, loadMs, bytes, rssMB: rss / 1048576, medianUs: samples[samples.length >> 1], medianCpuUs: cpu[cpu.length >> 1], outcomes };
}
