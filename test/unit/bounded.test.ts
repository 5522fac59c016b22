/** The bounded caches request inputs go into: the oldest entry leaves first, an update keeps its place. */
import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../src/core/bounded.js';

describe('BoundedMap', () => {
  it('keeps at most its limit, dropping the oldest', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1);
    expect(m.remember('b', 2)).toBe(2);
    m.set('a', 10); // an existing key: nothing is dropped
    expect([...m]).toEqual([['a', 10], ['b', 2]]);
    m.set('c', 3);
    expect([...m.keys()]).toEqual(['b', 'c']);
  });
});
