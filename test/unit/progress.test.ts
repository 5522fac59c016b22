/** The CLI's progress bar: drawn on a terminal only, throttled, and cleared at the end. */
import { describe, expect, it } from 'vitest';
import { progressBar } from '../../src/cli/progress.js';

function stream(isTTY: boolean) {
  const out: string[] = [];
  return { out, s: { isTTY, write: (x: string) => out.push(x) } as unknown as NodeJS.WriteStream };
}

describe('progressBar', () => {
  it('draws on a terminal: the first tick, the last, and a clear line at the end', () => {
    const { out, s } = stream(true);
    const bar = progressBar('checking', s);
    bar.tick(1, 10);
    bar.tick(2, 10); // within 100 ms of the last draw: skipped
    bar.tick(10, 10);
    bar.end();
    expect(out).toEqual([`\rchecking [###---------------------------] 1/10`, `\rchecking [##############################] 10/10`, '\r\x1b[K']);
  });

  it('writes nothing when stderr is not a terminal', () => {
    const { out, s } = stream(false);
    const bar = progressBar('checking', s);
    bar.tick(1, 2);
    bar.tick(2, 2);
    bar.end();
    expect(out).toEqual([]);
  });
});
