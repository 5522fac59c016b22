/** The human-readable report for a terminal: ANSI colours only when the caller asks (a TTY, NO_COLOR unset). */
import type { ChangeSet, CheckReport, CheckResult, DiffReport, ResultStatus } from '../report.js';
import { changeSetHeadline, checkHeadline, diffHeadline, DIFF_WORDS, entryLines, expectationLocation, fileLocationText, questionText, resultLines } from './describe.js';
import type { RenderOptions } from './options.js';
import { painter, type Style } from './paint.js';


const STATUS: Record<ResultStatus, { label: string; style: Style }> = {
  failed: { label: 'FAIL ', style: 'red' },
  error: { label: 'ERROR', style: 'yellow' },
  passed: { label: 'PASS ', style: 'green' },
};

/** Indents each physical line: a message may hold line breaks of its own. */
const indent = (lines: string[], by: string) => lines.flatMap((l) => l.split('\n')).map((l) => `${by}${l}`);

function changeSetLines(cs: ChangeSet | undefined): string[] {
  if (!cs) return [];
  return [
    `changes: ${changeSetHeadline(cs)}`,
    ...cs.changes.map((c) => `  ${c.address} (${c.actions.join(', ')}): ${c.summary}`),
    ...cs.unknowns.map((u) => `  unknown after apply: ${u.address} ${u.path}: ${u.effect}`),
    ...cs.warnings.map((w) => `  not read: ${w.address}: ${w.message}`),
  ];
}

function resultBlock(r: CheckResult, expectations: string, paint: ReturnType<typeof painter>): string[] {
  const s = STATUS[r.status];
  const head = `${paint(s.style, paint('bold', s.label))} ${r.kind} ${r.provider} ${paint('bold', r.name)}  ${paint('dim', fileLocationText(expectationLocation(r, expectations)))}`;
  // A passed result needs its one sentence; failures and errors carry the whole explanation.
  const body = r.status === 'passed' ? [r.message] : resultLines(r);
  return [head, ...indent(body, '      ')];
}

/** Failures first, then errors, then passes: what needs reading comes before what does not. */
const ORDER: ResultStatus[] = ['failed', 'error', 'passed'];

export function checkText(report: CheckReport, opts: RenderOptions): string {
  const paint = painter(opts.color);
  const failing = report.summary.failed + report.summary.errors > 0;
  const lines = [
    `iamsim check: ${report.expectations} against snapshot ${report.snapshot.id}${report.snapshot.name ? ` (${report.snapshot.name})` : ''}`,
    ...changeSetLines(report.changes),
    '',
    ...ORDER.flatMap((st) => report.results.filter((r) => r.status === st).flatMap((r) => resultBlock(r, report.expectations, paint))),
    '',
    paint(failing ? 'red' : 'green', checkHeadline(report.summary)),
  ];
  return `${lines.join('\n')}\n`;
}

const DIFF_STYLE = { new_access: 'red', removed_access: 'yellow', changed: 'cyan' } as const;

export function diffText(report: DiffReport, opts: RenderOptions): string {
  const paint = painter(opts.color);
  const lines = [
    `iamsim diff: baseline ${report.baseline.id}${report.baseline.name ? ` (${report.baseline.name})` : ''}`,
    ...changeSetLines(report.changes),
    '',
    ...report.entries.flatMap((e) => [
      `${paint(DIFF_STYLE[e.kind], paint('bold', DIFF_WORDS[e.kind].toUpperCase()))} ${e.question.provider} ${questionText(e.question)}`,
      ...indent(entryLines(e), '      '),
    ]),
    '',
    paint(report.entries.length ? 'yellow' : 'green', diffHeadline(report)),
  ];
  return `${lines.join('\n')}\n`;
}
