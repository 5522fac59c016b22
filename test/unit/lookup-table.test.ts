import { describe, expect, it } from 'vitest';
import { lookupTable } from '../../src/core/lookup-table.js';

describe('lookup tables indexed by input text', () => {
  it('find their own entries and nothing of Object', () => {
    const t = lookupTable({ eu: ['eur4'], us: ['nam4'] });
    expect(t.eu).toEqual(['eur4']);
    for (const k of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) expect(t[k], k).toBeUndefined();
    expect(Object.keys(t)).toEqual(['eu', 'us']);
    expect(Object.isFrozen(t)).toBe(true);
  });
});
