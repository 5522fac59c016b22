// Azure Policy results are reused per resource and verb (providers/azure/policy.ts), but never one whose rule
// read the clock: utcNow() without a request `time` is the current time, so the answer can change by itself.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadSnapshot, simulate } from '../../src/index.js';

const scenario = JSON.parse(readFileSync('fixtures/azure/scenarios/policy/deny-action-blocks-delete.json', 'utf8')) as { inputs: Record<string, unknown>; request: Record<string, unknown> };

/** The scenario's estate, its denyAction rule limited to a freeze window that utcNow() reads. */
function estate(rule: unknown) {
  const inputs = structuredClone(scenario.inputs) as Record<string, { value: { properties: { policyRule?: { if: unknown } } }[] }>;
  const def = inputs['policies.json']!.value[0]!.properties.policyRule!;
  def.if = { allOf: [def.if, rule] };
  return loadSnapshot(Object.entries(inputs).map(([name, value]) => ({ name, text: JSON.stringify(value) })));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Azure Policy and the clock', () => {
  it('asks again when the rule reads utcNow(): the freeze ends while the service runs', () => {
    const snap = estate({ value: '[utcNow()]', less: '2026-12-24T00:00:00Z' });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-20T12:00:00Z'));
    expect(simulate(scenario.request, snap)).toMatchObject({ decision: 'denied', reason: 'guardrail' });
    vi.setSystemTime(new Date('2026-12-28T12:00:00Z'));
    expect(simulate(scenario.request, snap).decision).toBe('allowed');
    vi.setSystemTime(new Date('2026-12-21T12:00:00Z'));
    expect(simulate(scenario.request, snap).decision).toBe('denied');
  });

  it('reuses a result whose rule does not read the clock, with the same answer', () => {
    const snap = estate({ field: 'location', equals: 'westeurope' });
    const first = simulate(scenario.request, snap);
    expect(first).toMatchObject({ decision: 'denied', reason: 'guardrail' });
    expect(simulate(scenario.request, snap)).toEqual(first);
  });
});
