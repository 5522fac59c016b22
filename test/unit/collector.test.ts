/** The collectors' shared runner: retries on throttling and service errors, failures recorded, output swapped in whole. */
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collect/collector.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamsim-collector-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A call that fails with each given error in turn, then answers 'ok'. */
function flaky(errors: unknown[]) {
  let n = 0;
  return async () => {
    if (n < errors.length) throw errors[n++];
    return 'ok';
  };
}

describe('Collector', () => {
  it('retries throttling and service errors, and records the rest without throwing', async () => {
    const c = new Collector('test', { baseDelayMs: 1 });
    expect(await c.call('a', 'Get', flaky([{ name: 'ThrottlingException' }, { statusCode: 503 }, { code: 'ECONNRESET' }]))).toBe('ok');
    expect(await c.call('b', 'Get', flaky([{ name: 'AccessDenied', message: 'no' }]))).toBeUndefined();
    expect(await c.call('c', 'Get', flaky(Array(10).fill({ statusCode: 429 })))).toBeUndefined();
    const r = c.report();
    expect(r.retries).toBe(3 + 5);
    expect(r.failures).toEqual([
      { target: 'b', call: 'Get', code: 'AccessDenied', message: 'no', attempts: 1 },
      expect.objectContaining({ target: 'c', call: 'Get', attempts: 6 }),
    ]);
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    const c = new Collector('test', { concurrency: 2 });
    let now = 0;
    let most = 0;
    const call = () => c.call('t', 'Get', async () => {
      most = Math.max(most, ++now);
      await new Promise((r) => setTimeout(r, 5));
      now--;
    });
    await Promise.all(Array.from({ length: 8 }, call));
    expect(most).toBe(2);
  });

  it('replaces the output directory whole, with collect-report.json', async () => {
    const out = join(dir, 'estate');
    await mkdir(out);
    await writeFile(join(out, 'stale.json'), '{}');
    const c = new Collector('test');
    c.add('a.json', { x: 1 });
    c.add('b.ndjson', [{ y: 1 }, { y: 2 }]);
    await c.write(out);
    expect((await readdir(out)).sort()).toEqual(['a.json', 'b.ndjson', 'collect-report.json']);
    expect(await readFile(join(out, 'b.ndjson'), 'utf8')).toBe('{"y":1}\n{"y":2}\n');
    expect(JSON.parse(await readFile(join(out, 'collect-report.json'), 'utf8'))).toMatchObject({ provider: 'test', files: [{ name: 'a.json' }, { name: 'b.ndjson', items: 2 }] });
    expect((await readdir(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
