/**
 * Baseline against candidate: every question (the expectations', and the providers' automatic probes of
 * what the change touches) is asked of both, and each decision that differs is listed with both
 * explanations, as Access Analyzer's CheckNoNewAccess does for one policy.
 */
import type { Decision } from '../core/decision.js';
import { InputError } from '../core/problem.js';
import type { Snapshot } from '../core/snapshot.js';
import { ask, OverlayError, question } from './ask.js';
import { changedBy, mergeRefs, removedBy, type Candidate } from './candidate.js';
import { invariantPrincipals, invariantQuestions } from './check.js';
import type { Expectations } from './expectations.js';
import type { DiffEntry, DiffKind, DiffReport, Question } from './report.js';

export interface DiffOptions {
  expectations?: Expectations;
  /** Ask the providers' probe set (default true). */
  probes?: boolean;
  progress?: (done: number, total: number) => void;
}

interface Asked {
  q: Question;
  origin: 'expectation' | 'probe';
  expectation?: string;
  /** Where an expectation's question comes from, for errors. */
  pointer?: string;
}

function expectationQuestions(snapshot: Snapshot, exps: Expectations, candidate: Candidate): Asked[] {
  const out: Asked[] = [];
  for (const kind of ['must', 'mustNot'] as const) {
    (exps.doc[kind] ?? []).forEach((e, i) => out.push({ q: question(e), origin: 'expectation', expectation: e.name, pointer: `/${kind}/${i}` }));
  }
  (exps.doc.invariants ?? []).forEach((inv, i) => {
    let principals: string[];
    try {
      principals = invariantPrincipals(snapshot, inv, candidate);
    } catch (e) {
      throw e instanceof InputError ? e.under(`/invariants/${i}`) : e;
    }
    for (const q of invariantQuestions(inv, principals)) out.push({ q, origin: 'expectation', expectation: inv.name, pointer: `/invariants/${i}` });
  });
  return out;
}

function kindOf(before: Decision, after: Decision): DiffKind | undefined {
  if (before.decision === after.decision && before.reason === after.reason) return undefined;
  if (before.decision === 'denied' && after.decision !== 'denied') return 'new_access';
  if (before.decision !== 'denied' && after.decision === 'denied') return 'removed_access';
  return 'changed';
}

const keyOf = (q: Question) => JSON.stringify([q.provider, q.principal, q.action, q.resource, q.context ?? null]);

export function runDiff(snapshot: Snapshot, candidate: Candidate, opts: DiffOptions = {}): DiffReport {
  const asked: Asked[] = opts.expectations ? expectationQuestions(snapshot, opts.expectations, candidate) : [];
  if (opts.probes !== false) {
    for (const [name, overlay] of Object.entries(candidate.overlays)) {
      const provider = snapshot.providers.get(name as Question['provider'])!;
      for (const p of provider.ci.probes(snapshot, overlay)) asked.push({ q: { provider: provider.name, ...p }, origin: 'probe' });
    }
  }
  const seen = new Set<string>();
  const unique = asked.filter((a) => {
    const k = keyOf(a.q);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const entries: DiffEntry[] = [];
  unique.forEach((a, i) => {
    // Probes and invariants may name a principal only the candidate knows; a typo in must/mustNot still fails.
    // The candidate is asked first: a principal it accepts (its changes may introduce it) is no error in the baseline.
    const lenient = a.origin === 'probe' || a.pointer?.startsWith('/invariants/') === true;
    let before: Decision, after: Decision;
    try {
      after = ask(snapshot, a.q, candidate, 'summary', lenient);
      before = ask(snapshot, a.q, undefined, 'summary', true);
    } catch (e) {
      throw e instanceof InputError && !(e instanceof OverlayError) && a.pointer ? e.under(`/expectations${a.pointer}`) : e;
    }
    opts.progress?.(i + 1, unique.length);
    const kind = kindOf(before, after);
    if (!kind) return;
    const baselineFull = ask(snapshot, a.q, undefined, 'full', true);
    const candidateFull = ask(snapshot, a.q, candidate, 'full', lenient);
    const refs = mergeRefs(changedBy(candidateFull, candidate), removedBy(baselineFull, candidate));
    const entry: DiffEntry = { kind, question: a.q, origin: a.origin, baseline: baselineFull, candidate: candidateFull, changedBy: refs };
    if (a.expectation) entry.expectation = a.expectation;
    entries.push(entry);
  });
  const count = (k: DiffKind) => entries.filter((e) => e.kind === k).length;
  return {
    baseline: { id: snapshot.meta.id, ...(snapshot.meta.name ? { name: snapshot.meta.name } : {}) },
    changes: candidate.set,
    questions: unique.length,
    entries,
    summary: { newAccess: count('new_access'), removedAccess: count('removed_access'), changed: count('changed') },
  };
}
