/**
 * Scenario files (fixtures/aws/README.md): a request, the expected decision, reason and the exact set of
 * decisive causes. Shared by the custom-simulation and the snapshot runners.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Cause, Decision } from '../../src/index.js';

export interface ExpectedCause {
  kind: string;
  layer: string;
  policy?: string;
  /** sid/index for AWS statements; binding (GCP role, Azure assignment name) and rule for the others. */
  statement?: { sid?: string; index?: number; binding?: string; rule?: string };
  level?: string;
  /** Where the policy is attached (a GCP resource, an Azure scope), compared case-insensitively. */
  attachedTo?: string;
  /** Where the statement starts, when the policy came as text. */
  line?: number;
  column?: number;
}

export interface Scenario {
  name: string;
  doc: string;
  rule: string;
  /**
   * Native input files (name -> JSON value, or text), loaded as a snapshot the request is answered against.
   * "estate" instead: the provider's bundled estate (fixtures/<provider>/estate). Absent (AWS only): custom simulation.
   */
  inputs?: Record<string, unknown> | 'estate';
  request: unknown;
  expect: {
    decision: Decision['decision'];
    reason: Decision['reason'];
    causes: ExpectedCause[];
    errorContains?: string;
    /** The cloud's HTTP status for the call (403, 400, 409, 412, ...). */
    status?: number;
    /** The cloud's error code (AccessDenied, AuthorizationFailed, FAILED_PRECONDITION, ...). */
    code?: string;
    missingContext?: string[];
    warnings?: string[];
    /** Near misses that must be listed: layer, the policy (role) named, what failed, a part of the why. */
    nearMisses?: { layer: string; policy?: string; failed?: string[]; whyContains?: string }[];
    /** A layer whose trace note must say this (an assignment left out, an exemption that does not apply). */
    layerNotes?: { layer: string; contains: string }[];
  };
}

/** Where each cloud's documentation lives: every scenario names the page its rule comes from. */
const DOCS: Record<string, RegExp> = {
  aws: /^https:\/\/(docs\.)?aws\.amazon\.com\//,
  gcp: /^https:\/\/(cloud\.google\.com|docs\.cloud\.google\.com|developers\.google\.com|github\.com\/google\/cel-spec)\//,
  azure: /^https:\/\/learn\.microsoft\.com\//,
};

export function scenarioFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? scenarioFiles(p) : p.endsWith('.json') ? [p] : [];
  });
}

export function readScenario(file: string): Scenario {
  return JSON.parse(readFileSync(file, 'utf8')) as Scenario;
}

function matches(actual: Cause, want: ExpectedCause): boolean {
  if (actual.kind !== want.kind || actual.layer !== want.layer) return false;
  if (want.policy !== undefined && actual.policy?.name !== want.policy) return false;
  if (want.statement?.sid !== undefined && actual.statement?.sid !== want.statement.sid) return false;
  if (want.statement?.index !== undefined && actual.statement?.index !== want.statement.index) return false;
  if (want.statement?.binding !== undefined && actual.statement?.binding !== want.statement.binding) return false;
  if (want.statement?.rule !== undefined && actual.statement?.rule !== want.statement.rule) return false;
  if (want.attachedTo !== undefined && actual.policy?.attachedTo?.toLowerCase() !== want.attachedTo.toLowerCase()) return false;
  if (want.level !== undefined && actual.level !== want.level) return false;
  if (want.line !== undefined && actual.statement?.source?.line !== want.line) return false;
  if (want.column !== undefined && actual.statement?.source?.column !== want.column) return false;
  return true;
}

function describeCause(c: Cause): string {
  return JSON.stringify({ kind: c.kind, layer: c.layer, policy: c.policy?.name, statement: c.statement ? { sid: c.statement.sid, index: c.statement.index, binding: c.statement.binding, rule: c.statement.rule } : undefined, level: c.level, attachedTo: c.policy?.attachedTo });
}

/** Asserts the answer against the scenario: decision, reason, the exact cause set, and the optional checks. */
export function checkScenario(s: Scenario, d: Decision): void {
  const provider = (s.request as { provider?: string }).provider ?? 'aws';
  expect(s.doc, 'each scenario names its documentation page').toMatch(DOCS[provider] ?? /^$/);
  expect(s.expect.causes, 'each scenario states its decisive causes').toBeInstanceOf(Array);
  const got = { decision: d.decision, reason: d.reason, causes: d.causes.map(describeCause) };
  expect({ decision: got.decision, reason: got.reason }, JSON.stringify(got, null, 1)).toEqual({ decision: s.expect.decision, reason: s.expect.reason });
  const unexpected = d.causes.filter((c) => !s.expect.causes.some((w) => matches(c, w)));
  const missing = s.expect.causes.filter((w) => !d.causes.some((c) => matches(c, w)));
  expect({ unexpected: unexpected.map(describeCause), missing }, d.summary).toEqual({ unexpected: [], missing: [] });
  if (s.expect.errorContains) expect(d.error.message ?? '').toContain(s.expect.errorContains);
  if (s.expect.status !== undefined) expect(d.error.status).toBe(s.expect.status);
  if (s.expect.code !== undefined) expect(d.error.code).toBe(s.expect.code);
  if (s.expect.missingContext) {
    expect(d.missingContext.map((m) => m.key.toLowerCase()).sort()).toEqual(s.expect.missingContext.map((k) => k.toLowerCase()).sort());
  }
  for (const w of s.expect.warnings ?? []) expect(d.warnings.map((x) => x.code)).toContain(w);
  for (const n of s.expect.nearMisses ?? []) {
    const found = d.nearMisses.some((m) => m.layer === n.layer && (n.policy === undefined || m.policy?.name === n.policy) && (n.failed === undefined || JSON.stringify(m.failed) === JSON.stringify(n.failed)) && (n.whyContains === undefined || m.why.includes(n.whyContains)));
    expect(found, `near miss ${JSON.stringify(n)} in ${JSON.stringify(d.nearMisses)}`).toBe(true);
  }
  for (const n of s.expect.layerNotes ?? []) {
    expect(d.layers.find((l) => l.layer === n.layer)?.note ?? '', `${n.layer} layer note`).toContain(n.contains);
  }
}
