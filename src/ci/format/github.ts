/**
 * GitHub Actions workflow commands (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands):
 * an `::error` annotation on the expectation's line for each failed or errored expectation, `::warning` for
 * plan changes left out, one per diff entry, and a closing `::notice` with the counts. GitHub shows only
 * the first few annotations of each level per step, so each result is one annotation, its findings inside.
 */
import type { ChangeSet, CheckReport, CheckResult, DiffEntry, DiffReport } from '../report.js';
import { checkHeadline, diffHeadline, DIFF_LEVEL, DIFF_WORDS, entryLines, questionText, resultLines } from './describe.js';

type Level = 'error' | 'warning' | 'notice';

/** The escaping of @actions/core's escapeData: `%`, CR and LF. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Property values also escape `:` and `,`, which separate properties (@actions/core escapeProperty). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

interface Props {
  file?: string | undefined;
  line?: number | undefined;
  col?: number | undefined;
  title: string;
}

function command(level: Level, props: Props, message: string): string {
  const p = Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${level} ${p}::${escapeData(message)}`;
}

function changeSetCommands(cs: ChangeSet | undefined): string[] {
  if (!cs) return [];
  return [
    ...cs.unknowns.map((u) => command('warning', { file: cs.file, title: `iamsim: ${u.address} unknown after apply` }, `${u.path}: ${u.effect}`)),
    ...cs.warnings.map((w) => command('warning', { file: cs.file, title: `iamsim: ${w.address} not read` }, w.message)),
  ];
}

function resultCommand(r: CheckResult, report: CheckReport): string {
  const title = `iamsim ${r.kind} ${r.name}${r.status === 'error' ? ' could not be checked' : ' failed'}`;
  return command('error', { file: report.expectations, line: r.location.line, col: r.location.column, title }, resultLines(r).join('\n'));
}

export function checkGithub(report: CheckReport): string {
  const lines = [
    ...changeSetCommands(report.changes),
    ...report.results.filter((r) => r.status !== 'passed').map((r) => resultCommand(r, report)),
    command('notice', { title: 'iamsim check' }, checkHeadline(report.summary)),
  ];
  return `${lines.join('\n')}\n`;
}

function entryCommand(e: DiffEntry, report: DiffReport): string {
  const title = `iamsim ${DIFF_WORDS[e.kind]}: ${e.question.principal} ${e.question.action}`;
  return command(DIFF_LEVEL[e.kind], { file: report.changes.file, title }, [questionText(e.question), ...entryLines(e)].join('\n'));
}

export function diffGithub(report: DiffReport): string {
  const lines = [...changeSetCommands(report.changes), ...report.entries.map((e) => entryCommand(e, report)), command('notice', { title: 'iamsim diff' }, diffHeadline(report))];
  return `${lines.join('\n')}\n`;
}
