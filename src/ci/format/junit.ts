/**
 * JUnit XML, in the shape of the Apache Ant JUnit schema (test/data/schemas/JUnit.xsd, the one Jenkins and
 * most CI test viewers read): one testsuite per expectation kind and provider (for a diff, per provider),
 * one testcase per result or diff entry, <failure>/<error> carrying the explanation.
 */
import { hostname as osHostname } from 'node:os';
import { push } from '../../core/graph.js';
import type { ChangeSet, CheckReport, CheckResult, DiffEntry, DiffReport } from '../report.js';
import { decisiveCause, DIFF_WORDS, entryLines, expectationLocation, fileLocationText, questionText, resultLines } from './describe.js';
import type { RenderOptions } from './options.js';

/** XML 1.0 forbids most control characters even as references: they become U+FFFD. */
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function xml(s: string): string {
  return s.replace(INVALID_XML, '\ufffd').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values: line breaks as references, or parsers fold them into spaces. */
function attr(s: string): string {
  return xml(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function element(name: string, attrs: Record<string, string | number>, body?: string): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${attr(String(v))}"`)
    .join('');
  return body === undefined ? `<${name}${a}/>` : `<${name}${a}>${body}</${name}>`;
}

interface Case {
  name: string;
  classname: string;
  outcome?: { tag: 'failure' | 'error'; type: string; message: string; body: string[] };
}

interface Suite {
  name: string;
  cases: Case[];
}

/** The schema wants a timestamp without a time zone: UTC, to the second. */
const timestamp = (d: Date) => d.toISOString().slice(0, 19);

function properties(entries: [string, string | undefined][]): string {
  const props = entries.filter((e): e is [string, string] => e[1] !== undefined).map(([name, value]) => `      ${element('property', { name, value })}`);
  return props.length ? `<properties>\n${props.join('\n')}\n    </properties>` : '<properties/>';
}

function changeProperties(cs: ChangeSet | undefined): [string, string | undefined][] {
  if (!cs) return [];
  return [
    ['changes.source', cs.source],
    ['changes.file', cs.file],
    ...cs.changes.map((c): [string, string] => [`change ${c.address}`, c.summary]),
    ...cs.unknowns.map((u): [string, string] => [`unknown ${u.address} ${u.path}`, u.effect]),
    ...cs.warnings.map((w): [string, string] => [`not read ${w.address}`, w.message]),
  ];
}

function document(suites: Suite[], pkg: string, props: [string, string | undefined][], opts: RenderOptions): string {
  const when = timestamp(opts.now ?? new Date());
  const host = opts.hostname ?? (osHostname() || 'localhost');
  const propsXml = properties(props);
  const body = suites.map((s, id) => {
    const cases = s.cases.map((c) => {
      const o = c.outcome;
      const inner = o ? element(o.tag, { type: o.type, message: o.message }, xml(o.body.join('\n'))) : undefined;
      return `    ${element('testcase', { name: c.name, classname: c.classname, time: 0 }, inner)}`;
    });
    const count = (tag: 'failure' | 'error') => s.cases.filter((c) => c.outcome?.tag === tag).length;
    const attrs = { name: s.name, package: pkg, id, timestamp: when, hostname: host, tests: s.cases.length, failures: count('failure'), errors: count('error'), time: 0 };
    return `  ${element('testsuite', attrs, `\n    ${propsXml}\n${cases.map((c) => `${c}\n`).join('')}    <system-out/>\n    <system-err/>\n  `)}`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${body.map((b) => `${b}\n`).join('')}</testsuites>\n`;
}

/** Groups in first-seen order. */
function groupBy<T>(items: readonly T[], key: (t: T) => string): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const t of items) push(groups, key(t), t);
  return [...groups];
}

function resultCase(r: CheckResult, expectations: string): Case {
  const c: Case = { name: r.name, classname: `iamsim.${r.provider}.${r.kind}` };
  const body = [...resultLines(r), `expectation: ${fileLocationText(expectationLocation(r, expectations))}`];
  if (r.status === 'failed') c.outcome = { tag: 'failure', type: r.kind, message: r.message, body };
  if (r.status === 'error') c.outcome = { tag: 'error', type: r.problem?.code ?? 'error', message: r.message, body };
  return c;
}

export function checkJunit(report: CheckReport, opts: RenderOptions): string {
  const suites = groupBy(report.results, (r) => `${r.kind} ${r.provider}`).map(([name, rs]) => ({ name: `iamsim ${name}`, cases: rs.map((r) => resultCase(r, report.expectations)) }));
  const props: [string, string | undefined][] = [['snapshot', report.snapshot.id], ['snapshot.name', report.snapshot.name], ['expectations', report.expectations], ...changeProperties(report.changes)];
  return document(suites, report.expectations, props, opts);
}

function entryCase(e: DiffEntry): Case {
  const message = `${DIFF_WORDS[e.kind]}: ${e.baseline.decision} → ${e.candidate.decision}: ${decisiveCause(e.candidate, e.changedBy)}`;
  return { name: questionText(e.question), classname: `iamsim.${e.question.provider}.diff`, outcome: { tag: 'failure', type: e.kind, message, body: entryLines(e) } };
}

export function diffJunit(report: DiffReport, opts: RenderOptions): string {
  const suites = groupBy(report.entries, (e) => e.question.provider).map(([provider, es]) => ({ name: `iamsim diff ${provider}`, cases: es.map(entryCase) }));
  const props: [string, string | undefined][] = [['baseline', report.baseline.id], ['baseline.name', report.baseline.name], ['questions', String(report.questions)], ...changeProperties(report.changes)];
  return document(suites, report.changes.file ?? report.changes.source, props, opts);
}
