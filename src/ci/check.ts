/**
 * Checks expectations against a snapshot or a candidate: each `must` / `mustNot` entry is one question;
 * each invariant asks every principal the provider lists (anonymous and public callers included) for each
 * action and resource. Questions are asked with the summary explanation, and again in full for the
 * results that fail, so a report carries the whole explanation only where someone will read it.
 */
import type { PrincipalSet } from '../core/ci.js';
import type { Decision, DecisionValue } from '../core/decision.js';
import { compileGlob, globMatch } from '../core/glob.js';
import { InputError, toProblem } from '../core/problem.js';
import type { Snapshot } from '../core/snapshot.js';
import { ask, OverlayError, question } from './ask.js';
import { changedBy, mergeRefs, removedBy, type Candidate } from './candidate.js';
import { decisiveCause } from './format/describe.js';
import type { Expectation, Expectations, Invariant } from './expectations.js';
import type { CheckReport, CheckResult, Finding, Question } from './report.js';

/** An invariant lists at most this many violations (and says when there are more). */
export const MAX_VIOLATIONS = 20;

export interface CheckOptions {
  candidate?: Candidate;
  /** Called after each question, for a progress bar. */
  progress?: (done: number, total: number) => void;
}

function finding(snapshot: Snapshot, q: Question, candidate: Candidate | undefined): Finding {
  const decision = ask(snapshot, q, candidate, 'full');
  return { question: q, decision, changedBy: changedBy(decision, candidate) };
}

/** Does a decisive cause match `because` (layer, and policy by name or id)? */
function becauseHolds(d: Decision, because: Expectation['because']): boolean {
  if (!because) return true;
  return d.causes.some((c) => (because.layer === undefined || c.layer === because.layer) && (because.policy === undefined || c.policy?.name === because.policy || c.policy?.id === because.policy));
}

function errorResult(base: Omit<CheckResult, 'status' | 'message'>, e: unknown, pointer: string): CheckResult {
  if (!(e instanceof InputError) || e instanceof OverlayError) throw e;
  const problem = toProblem(e.under(pointer));
  return { ...base, status: 'error', message: `could not be asked: ${e.message}`, problem };
}

function checkEntry(snapshot: Snapshot, exps: Expectations, kind: 'must' | 'mustNot', e: Expectation, i: number, candidate: Candidate | undefined): CheckResult {
  const pointer = `/${kind}/${i}`;
  const expected: DecisionValue = e.expect ?? (kind === 'must' ? 'allowed' : 'denied');
  const base = { name: e.name, kind, provider: e.provider, location: exps.locate(pointer), expected };
  const q = question(e);
  let d: Decision;
  try {
    d = ask(snapshot, q, candidate, 'summary');
  } catch (err) {
    return errorResult(base, err, pointer);
  }
  const passed = d.decision === expected && becauseHolds(d, e.because);
  const result: CheckResult = { ...base, actual: d.decision, status: passed ? 'passed' : 'failed', message: '' };
  // A pass is one sentence (its decisive cause); a failure carries the whole explanation.
  if (passed) result.message = `${d.decision} as expected (${decisiveCause(d)})`;
  else {
    result.finding = finding(snapshot, q, candidate);
    // Access the change took away cites nothing of the overlay in the candidate's answer: the baseline's does.
    // The candidate accepted the principal, so one only the candidate knows is no error in the baseline.
    if (candidate) result.finding.changedBy = mergeRefs(result.finding.changedBy, removedBy(ask(snapshot, q, undefined, 'full', true), candidate));
    const why = d.decision === expected ? `${d.decision}, but not because of ${[e.because?.layer, e.because?.policy].filter(Boolean).join(' ')}` : `${d.decision} (${d.reason})`;
    result.message = `expected ${expected}, got ${why}: ${result.finding.decision.summary}`;
  }
  return result;
}

const SET_OF: Record<'allowOnly' | 'noPublicAccess' | 'noCrossOrgAccess', PrincipalSet> = { allowOnly: 'all', noPublicAccess: 'public', noCrossOrgAccess: 'external' };

function invariantKind(inv: Invariant): keyof typeof SET_OF {
  return inv.allowOnly ? 'allowOnly' : inv.noPublicAccess ? 'noPublicAccess' : 'noCrossOrgAccess';
}

/** The principals an invariant asks about: those of its set (with those the candidate names) that `allowOnly` does not exempt. */
export function invariantPrincipals(snapshot: Snapshot, inv: Invariant, candidate?: Candidate): string[] {
  const provider = snapshot.providers.get(inv.provider);
  if (!provider) throw new InputError('invalid_request', '/provider', `snapshot ${snapshot.meta.id} holds no ${inv.provider} inputs`);
  const kind = invariantKind(inv);
  const all = provider.ci.principals(snapshot, SET_OF[kind], candidate?.overlays[inv.provider]);
  const exempt = (inv.allowOnly ?? []).map((p) => compileGlob(p));
  return exempt.length ? all.filter((p) => !exempt.some((g) => globMatch(g, p))) : all;
}

/** The questions an invariant asks: each of its actions on each of its resources, by each principal. */
export function* invariantQuestions(inv: Invariant, principals: readonly string[]): Generator<Question> {
  const context = inv.context ? { context: inv.context } : {};
  for (const action of inv.actions) {
    for (const resource of inv.resources) {
      for (const principal of principals) yield question({ provider: inv.provider, principal, action, resource, ...context });
    }
  }
}

function checkInvariant(snapshot: Snapshot, exps: Expectations, inv: Invariant, i: number, principals: string[] | InputError, opts: CheckOptions, tick: () => void): CheckResult {
  const pointer = `/invariants/${i}`;
  const base = { name: inv.name, kind: 'invariant' as const, provider: inv.provider, location: exps.locate(pointer), expected: 'denied' as const };
  if (principals instanceof InputError) return errorResult(base, principals, pointer);
  const violations: Finding[] = [];
  let count = 0;
  let questions = 0;
  for (const q of invariantQuestions(inv, principals)) {
    questions++;
    let d: Decision;
    try {
      d = ask(snapshot, q, opts.candidate, 'summary');
    } catch (err) {
      return errorResult({ ...base, questions }, err, pointer);
    }
    tick();
    if (d.decision === 'denied') continue;
    count++;
    if (violations.length < MAX_VIOLATIONS) violations.push(finding(snapshot, q, opts.candidate));
  }
  const who = { allowOnly: 'a principal outside allowOnly', noPublicAccess: 'an anonymous or public caller', noCrossOrgAccess: 'a caller outside the organization' }[invariantKind(inv)];
  const result: CheckResult = { ...base, status: count ? 'failed' : 'passed', questions, message: '' };
  if (count) {
    const first = violations[0]!;
    result.violations = violations;
    if (count > violations.length) result.truncated = true;
    result.actual = first.decision.decision;
    result.message = `${count} of ${questions} questions give ${who} access; first: ${first.question.principal} ${first.decision.decision} ${first.question.action} on ${first.question.resource} (${decisiveCause(first.decision)})`;
  } else {
    result.actual = 'denied';
    result.message = principals.length ? `denied for every one of ${principals.length} principal${principals.length === 1 ? '' : 's'} (${questions} question${questions === 1 ? '' : 's'})` : `no principal to ask: ${inv.provider} lists none in this set`;
  }
  return result;
}

/** Asks every expectation; the report lists results in file order (must, mustNot, invariants). */
export function runCheck(snapshot: Snapshot, exps: Expectations, opts: CheckOptions = {}): CheckReport {
  const { must = [], mustNot = [], invariants = [] } = exps.doc;
  const principals = invariants.map((inv) => {
    try {
      return invariantPrincipals(snapshot, inv, opts.candidate);
    } catch (e) {
      if (e instanceof InputError) return e;
      throw e;
    }
  });
  const total = invariants.reduce((n, inv, i) => n + (Array.isArray(principals[i]) ? principals[i].length * inv.actions.length * inv.resources.length : 0), must.length + mustNot.length);
  let done = 0;
  const tick = () => opts.progress?.(++done, total);
  const results: CheckResult[] = [];
  must.forEach((e, i) => {
    results.push(checkEntry(snapshot, exps, 'must', e, i, opts.candidate));
    tick();
  });
  mustNot.forEach((e, i) => {
    results.push(checkEntry(snapshot, exps, 'mustNot', e, i, opts.candidate));
    tick();
  });
  invariants.forEach((inv, i) => results.push(checkInvariant(snapshot, exps, inv, i, principals[i]!, opts, tick)));
  const report: CheckReport = {
    snapshot: { id: snapshot.meta.id, ...(snapshot.meta.name ? { name: snapshot.meta.name } : {}) },
    expectations: exps.file,
    results,
    summary: {
      total: results.length,
      passed: results.filter((r) => r.status === 'passed').length,
      failed: results.filter((r) => r.status === 'failed').length,
      errors: results.filter((r) => r.status === 'error').length,
    },
  };
  if (opts.candidate) report.changes = opts.candidate.set;
  return report;
}
