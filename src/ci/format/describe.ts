/**
 * Words for what every output format shows: a decision's decisive causes, where they are written, and
 * which candidate changes they come from. One place, so text, JUnit, SARIF, GitHub and Markdown say the
 * same thing.
 */
import type { Cause, CauseKind, Decision, SourceLocation, StatementRef } from '../../core/decision.js';
import type { Problem } from '../../core/problem.js';
import type { ChangeRef, ChangeSet, CheckResult, FileLocation, CheckSummary, DiffEntry, DiffKind, DiffReport, Finding, Question } from '../report.js';

const CAUSE_WORDS: Record<CauseKind, string> = {
  explicit_deny: 'explicit deny',
  missing_grant: 'no grant',
  blocked_by_guardrail: 'blocked by guardrail',
  grant: 'granted',
};

export const DIFF_WORDS: Record<DiffKind, string> = { new_access: 'new access', removed_access: 'removed access', changed: 'changed' };

/** New access is what a reviewer must look at; a removal or another change may break a caller. */
export const DIFF_LEVEL: Record<DiffKind, 'error' | 'warning'> = { new_access: 'error', removed_access: 'warning', changed: 'warning' };

/** `file:line:column`, or `file#pointer` when the file was not text with positions. */
export function fileLocationText(loc: { file: string; pointer: string; line?: number; column?: number }): string {
  if (loc.line === undefined) return `${loc.file}#${loc.pointer}`;
  return `${loc.file}:${loc.line}${loc.column === undefined ? '' : `:${loc.column}`}`;
}

/** Where a result's expectation is written, in the expectations file as the user named it. */
export function expectationLocation(r: CheckResult, expectations: string): FileLocation {
  return { ...r.location, file: expectations };
}

/** Where a cause is written: the statement's place, or the policy's when only that one has a line. */
export function causeSource(c: Cause): SourceLocation | undefined {
  const places = [c.statement?.source, c.policy?.source];
  return places.find((s) => s?.line !== undefined) ?? places.find((s) => s !== undefined);
}

/** The candidate change an answer's `request` location belongs to: sources cite `/overlay/<item>/...`. */
function changeAt(loc: SourceLocation, refs: readonly ChangeRef[]): ChangeRef | undefined {
  if (loc.file !== 'request') return undefined;
  return refs.find((r) => loc.pointer === `/overlay${r.pointer}` || loc.pointer.startsWith(`/overlay${r.pointer}/`));
}

export function changeText(ref: ChangeRef): string {
  return ref.addresses?.join(', ') ?? `${ref.provider} overlay ${ref.pointer}`;
}

function changedByText(refs: readonly ChangeRef[]): string {
  return refs.map(changeText).join(', ');
}

function placeText(loc: SourceLocation, refs: readonly ChangeRef[]): string {
  const ref = changeAt(loc, refs);
  return ref ? changeText(ref) : fileLocationText(loc);
}

function statementText(st: StatementRef, policyName: string | undefined): string {
  const notes = [st.sid !== undefined && `Sid ${st.sid}`, st.rule !== undefined && `"${st.rule}"`, st.binding !== undefined && st.binding !== policyName && `binding ${st.binding}`].filter(Boolean);
  const head = st.index === undefined ? 'statement' : `statement ${st.index}`;
  return notes.length ? `${head} (${notes.join(', ')})` : head;
}

/**
 * One cause in one line: kind and layer, the policy (type, name, what it is attached to), the statement
 * (index, sid, rule, binding) and where it is written (file:line, or the plan address of an overlay item).
 */
export function describeCause(c: Cause, refs: readonly ChangeRef[] = []): string {
  const head = `${CAUSE_WORDS[c.kind]} (${c.layer})`;
  if (!c.policy) return `${head}: ${c.why}`;
  const p = c.policy;
  const parts = [`${p.type} ${p.name}${p.attachedTo ? ` attached to ${p.attachedTo}` : ''}`];
  if (c.statement) parts.push(statementText(c.statement, p.name));
  const src = causeSource(c);
  return `${head}: ${parts.join(', ')}${src ? ` at ${placeText(src, refs)}` : ''}`;
}

/** All decisive causes of a decision, in one line. */
export function decisiveCause(d: Decision, refs: readonly ChangeRef[] = []): string {
  return d.causes.length ? d.causes.map((c) => describeCause(c, refs)).join('; ') : d.reason;
}

export function questionText(q: Question): string {
  const context = q.context && Object.keys(q.context).length ? ` with context ${JSON.stringify(q.context)}` : '';
  return `${q.principal} → ${q.action} on ${q.resource}${context}`;
}

/** A decision explained in lines: the answer, the cloud's error, each cause and why, what it lacks, the changes. */
function decisionLines(d: Decision, refs: readonly ChangeRef[]): string[] {
  const lines = [`${d.decision} (${d.reason})`];
  if (d.error.status !== 200) lines.push(`cloud error: ${[d.error.status, d.error.code, d.error.message].filter((x) => x !== null).join(' ')}`);
  for (const c of d.causes) {
    lines.push(`cause: ${describeCause(c, refs)}`);
    if (c.policy) lines.push(`  why: ${c.why}`);
  }
  if (d.missingContext.length) lines.push(`missing context: ${d.missingContext.map((m) => m.key).join(', ')}`);
  if (refs.length) lines.push(`changed by: ${changedByText(refs)}`);
  return lines;
}

/** A finding: the question, then its explanation indented under it. */
function findingLines(f: Finding): string[] {
  const [answer, ...rest] = decisionLines(f.decision, f.changedBy);
  return [`${questionText(f.question)}: ${answer}`, ...rest.map((l) => `  ${l}`)];
}

/** The findings a result carries: the must / mustNot question, or an invariant's violations. */
export function findingsOf(r: CheckResult): Finding[] {
  return r.finding ? [r.finding] : (r.violations ?? []);
}

/** Where a problem is (the expectation's field, by JSON pointer) and what kind it is; its detail is the result's message. */
export function problemText(p: Problem): string {
  const at = p.file ? fileLocationText({ ...p, file: p.file }) : p.pointer;
  return `${p.title} (${p.code}) at ${at}`;
}

/** A result's full explanation: its message, then each finding (or the problem for an error). */
export function resultLines(r: CheckResult): string[] {
  const lines = [r.message];
  if (r.problem) lines.push(problemText(r.problem));
  for (const f of findingsOf(r)) lines.push(...findingLines(f));
  if (r.truncated) lines.push(`more violations than the ${r.violations?.length ?? 0} listed`);
  return lines;
}

/** A diff entry explained: both sides' decisions and causes, where the question came from, the changes. */
export function entryLines(e: DiffEntry): string[] {
  const lines = [
    `baseline: ${e.baseline.decision} (${e.baseline.reason}): ${decisiveCause(e.baseline)}`,
    `candidate: ${e.candidate.decision} (${e.candidate.reason}): ${decisiveCause(e.candidate, e.changedBy)}`,
  ];
  if (e.changedBy.length) lines.push(`changed by: ${changedByText(e.changedBy)}`);
  lines.push(`asked by: ${originText(e)}`);
  return lines;
}

export function originText(e: DiffEntry): string {
  return e.origin === 'expectation' ? `expectation ${e.expectation ?? ''}`.trim() : 'probe';
}

export function checkHeadline(s: CheckSummary): string {
  if (s.total === 0) return 'no expectations';
  if (s.failed === 0 && s.errors === 0) return `all ${s.total} expectations passed`;
  return `${s.failed} failed, ${s.errors} ${s.errors === 1 ? 'error' : 'errors'}, ${s.passed} passed (${s.total} expectations)`;
}

export function diffHeadline(r: DiffReport): string {
  const s = r.summary;
  return `${s.newAccess} new access, ${s.removedAccess} removed access, ${s.changed} changed (${r.questions} questions)`;
}

/** The candidate in one line: where its changes came from and how many were left out. */
export function changeSetHeadline(cs: ChangeSet): string {
  const from = cs.source === 'terraform' ? 'Terraform plan' : 'overlay';
  const extra = [cs.unknowns.length && `${cs.unknowns.length} unknown after apply`, cs.warnings.length && `${cs.warnings.length} not read`].filter(Boolean);
  return `${from}${cs.file ? ` ${cs.file}` : ''}: ${cs.changes.length} ${cs.changes.length === 1 ? 'change' : 'changes'}${extra.length ? `, ${extra.join(', ')}` : ''}`;
}

/** Summary of the plan change an address names, when the change set has it. */
export function changeSummary(cs: ChangeSet | undefined, address: string): string | undefined {
  return cs?.changes.find((c) => c.address === address)?.summary;
}
