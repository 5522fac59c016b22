/**
 * A pull-request comment (GitHub Flavored Markdown): a headline with the counts, a table of what failed
 * with its decisive cause and the change that caused it, the passed expectations folded in <details>.
 * Everything taken from the report is escaped, so a name or a message cannot break the table or add HTML.
 */
import type { ChangeRef, ChangeSet, CheckReport, CheckResult, DiffEntry, DiffKind, DiffReport, Finding } from '../report.js';
import { changeSetHeadline, changeText, checkHeadline, decisiveCause, diffHeadline, DIFF_WORDS, expectationLocation, fileLocationText, findingsOf, originText, problemText, questionText } from './describe.js';

/** Prose: backslash-escape the characters Markdown or HTML would read; line breaks as <br>. */
function md(s: string): string {
  return s.replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`).replace(/\r?\n/g, '<br>');
}

/** An identifier as a code span; `|` still needs its backslash inside a table cell. */
function code(s: string): string {
  const t = s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  return t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- |').join('')}`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function details(summary: string, body: string[]): string[] {
  return ['<details>', `<summary>${summary}</summary>`, '', ...body, '', '</details>'];
}

function changeSetSection(cs: ChangeSet | undefined): string[] {
  if (!cs) return [];
  const out: string[] = [];
  const left = [...cs.unknowns.map((u) => `- ${code(u.address)} ${code(u.path)} is known only after apply: ${md(u.effect)}`), ...cs.warnings.map((w) => `- ${code(w.address)}: ${md(w.message)}`)];
  if (left.length) out.push('', '**Not evaluated:**', '', ...left);
  if (cs.changes.length) out.push('', ...details(`Candidate: ${md(changeSetHeadline(cs))}`, cs.changes.map((c) => `- ${code(c.address)} (${md(c.actions.join(', '))}): ${md(c.summary)}`)));
  return out;
}

const changesCell = (refs: readonly ChangeRef[]) => refs.map((c) => code(changeText(c))).join('<br>');

const FAILURE_HEAD = ['Expectation', 'Kind', 'Provider', 'Expected', 'Actual', 'Decisive cause', 'Changed by'];

function failureRow(r: CheckResult, f: Finding | undefined, expectations: string): string[] {
  const where = md(fileLocationText(expectationLocation(r, expectations)));
  const name = `**${md(r.name)}**<br>${where}${f ? `<br>${md(questionText(f.question))}` : ''}`;
  const actual = r.status === 'error' ? 'error' : (f?.decision.decision ?? r.actual ?? '');
  const cause = r.problem ? md(`${r.message}\n${problemText(r.problem)}`) : f ? md(decisiveCause(f.decision, f.changedBy)) : md(r.message);
  return [name, r.kind, r.provider, r.expected ?? '', actual, cause, changesCell(f?.changedBy ?? [])];
}

/** One row per must / mustNot failure or error, one per invariant violation. */
function failureRows(r: CheckResult, expectations: string): string[][] {
  const findings = findingsOf(r);
  const rows = findings.length ? findings.map((f) => failureRow(r, f, expectations)) : [failureRow(r, undefined, expectations)];
  if (r.truncated) rows.push([`**${md(r.name)}**`, r.kind, r.provider, '', '', md(`more violations than the ${findings.length} listed`), '']);
  return rows;
}

export function checkMarkdown(report: CheckReport): string {
  const s = report.summary;
  const ok = s.failed === 0 && s.errors === 0;
  const failing = report.results.filter((r) => r.status !== 'passed');
  const passed = report.results.filter((r) => r.status === 'passed');
  const lines = [
    `## ${ok ? '✅' : '❌'} iamsim check: ${md(checkHeadline(s))}`,
    '',
    `Expectations ${code(report.expectations)} on snapshot ${code(report.snapshot.id)}${report.snapshot.name ? ` (${md(report.snapshot.name)})` : ''}.`,
    ...changeSetSection(report.changes),
  ];
  if (failing.length) lines.push('', '### Failures', '', ...table(FAILURE_HEAD, failing.flatMap((r) => failureRows(r, report.expectations))));
  if (passed.length) {
    const rows = passed.map((r) => [`**${md(r.name)}**`, r.kind, r.provider, r.actual ?? '', md(r.message)]);
    lines.push('', ...details(`${passed.length} passed`, table(['Expectation', 'Kind', 'Provider', 'Decision', 'Result'], rows)));
  }
  return `${lines.join('\n')}\n`;
}

const DIFF_HEAD = ['Principal', 'Action', 'Resource', 'Before', 'After', 'Decisive cause (after)', 'Changed by', 'Asked by'];

function entryRow(e: DiffEntry): string[] {
  const q = e.question;
  return [code(q.principal), code(q.action), code(q.resource), e.baseline.decision, e.candidate.decision, md(decisiveCause(e.candidate, e.changedBy)), changesCell(e.changedBy), md(originText(e))];
}

const DIFF_SECTIONS: DiffKind[] = ['new_access', 'removed_access', 'changed'];

export function diffMarkdown(report: DiffReport): string {
  const lines = [
    `## ${report.summary.newAccess ? '⚠️' : '✅'} iamsim diff: ${md(diffHeadline(report))}`,
    '',
    `Baseline snapshot ${code(report.baseline.id)}${report.baseline.name ? ` (${md(report.baseline.name)})` : ''}.`,
    ...changeSetSection(report.changes),
  ];
  for (const kind of DIFF_SECTIONS) {
    const entries = report.entries.filter((e) => e.kind === kind);
    const title = DIFF_WORDS[kind];
    if (entries.length) lines.push('', `### ${title[0]!.toUpperCase()}${title.slice(1)}`, '', ...table(DIFF_HEAD, entries.map(entryRow)));
  }
  return `${lines.join('\n')}\n`;
}
