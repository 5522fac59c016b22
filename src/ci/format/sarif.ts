/**
 * SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html) for code scanning:
 * one result per failed or errored expectation, pointing at its line in the expectations file, and one per
 * diff entry. Changes from a Terraform plan appear as logical locations named by the resource address
 * (kind `resource`, §3.33.7), the decisive cause's policy file as a related location.
 * Passed expectations are left out: code scanning shows every result it receives as an alert.
 */
import { createHash } from 'node:crypto';
import type { ChangeRef, ChangeSet, CheckReport, CheckResult, DiffEntry, DiffKind, DiffReport, ExpectationKind, Finding } from '../report.js';
import { causeSource, changeSetHeadline, changeSummary, checkHeadline, describeCause, diffHeadline, DIFF_LEVEL, expectationLocation, DIFF_WORDS, entryLines, findingsOf, questionText, resultLines } from './describe.js';
import type { RenderOptions } from './options.js';

type Json = Record<string, unknown>;
type RuleId = ExpectationKind | DiffKind;

const SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

const RULES: { id: RuleId; name: string; text: string; level: 'error' | 'warning' }[] = [
  { id: 'must', name: 'MustExpectation', text: 'A request listed under `must` does not get the decision the expectations file names (allowed by default).', level: 'error' },
  { id: 'mustNot', name: 'MustNotExpectation', text: 'A request listed under `mustNot` does not get the decision the expectations file names (denied by default).', level: 'error' },
  { id: 'invariant', name: 'Invariant', text: 'A principal in the invariant\'s set may do what the invariant says no one outside it may do.', level: 'error' },
  { id: 'new_access', name: 'NewAccess', text: 'The change lets a principal do what it could not do before.', level: DIFF_LEVEL.new_access },
  { id: 'removed_access', name: 'RemovedAccess', text: 'The change takes away access a principal had.', level: DIFF_LEVEL.removed_access },
  { id: 'changed', name: 'ChangedDecision', text: 'The change alters a decision (its reason, or denied to conditional) without granting or removing access.', level: DIFF_LEVEL.changed },
];

const rules = RULES.map((r) => ({ id: r.id, name: r.name, shortDescription: { text: r.text }, defaultConfiguration: { level: r.level } }));
const ruleIndex = (id: RuleId) => RULES.findIndex((r) => r.id === id);

/** A relative or absolute path as a URI reference: each segment percent-encoded, `\` read as `/`. */
function fileUri(path: string): string {
  return path.split(/[\\/]/).map(encodeURIComponent).join('/');
}

function physical(loc: { file: string; line?: number; column?: number }): Json {
  const region = loc.line !== undefined ? { region: { startLine: loc.line, ...(loc.column !== undefined ? { startColumn: loc.column } : {}) } } : {};
  return { artifactLocation: { uri: fileUri(loc.file) }, ...region };
}

const terraformResources = (refs: readonly ChangeRef[]) => [...new Set(refs.flatMap((r) => r.addresses ?? []))].map((fullyQualifiedName) => ({ fullyQualifiedName, kind: 'resource' }));

/** Related locations: each plan resource that changed an answer, and each decisive cause's policy file. */
function related(findings: readonly Finding[], cs: ChangeSet | undefined): Json[] {
  const out = new Map<string, Json>();
  const add = (l: Json) => out.set(JSON.stringify(l), l);
  for (const f of findings) {
    for (const res of terraformResources(f.changedBy)) {
      const summary = changeSummary(cs, res.fullyQualifiedName);
      add({ ...(cs?.file ? { physicalLocation: physical({ file: cs.file }) } : {}), logicalLocations: [res], message: { text: `changed by ${res.fullyQualifiedName}${summary ? `: ${summary}` : ''}` } });
    }
    for (const c of f.decision.causes) {
      const src = causeSource(c);
      if (src && src.file !== 'request') add({ physicalLocation: physical(src), message: { text: describeCause(c, f.changedBy) } });
    }
  }
  return [...out.values()].map((l, id) => ({ id, ...l }));
}

const fingerprint = (parts: unknown[]) => ({ 'iamsim/v1': createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32) });

function log(results: Json[], properties: Json, executionSuccessful: boolean, opts: RenderOptions): string {
  const driver = { name: 'iamsim', ...(opts.version ? { version: opts.version } : {}), rules };
  const run = { tool: { driver }, invocations: [{ executionSuccessful }], results, properties };
  return `${JSON.stringify({ $schema: SCHEMA, version: '2.1.0', runs: [run] }, null, 2)}\n`;
}

function checkResult(r: CheckResult, report: CheckReport): Json {
  const findings = findingsOf(r);
  const resources = terraformResources(findings.flatMap((f) => f.changedBy));
  return {
    ruleId: r.kind,
    ruleIndex: ruleIndex(r.kind),
    kind: 'fail',
    level: 'error',
    message: { text: resultLines(r).join('\n') },
    locations: [{ physicalLocation: physical(expectationLocation(r, report.expectations)), ...(resources.length ? { logicalLocations: resources } : {}) }],
    relatedLocations: related(findings, report.changes),
    partialFingerprints: fingerprint([r.kind, r.provider, r.name]),
    properties: { status: r.status, provider: r.provider, ...(r.expected ? { expected: r.expected } : {}), ...(r.actual ? { actual: r.actual } : {}) },
  };
}

export function checkSarif(report: CheckReport, opts: RenderOptions): string {
  const results = report.results.filter((r) => r.status !== 'passed').map((r) => checkResult(r, report));
  const properties = { snapshot: report.snapshot, summary: report.summary, headline: checkHeadline(report.summary), ...(report.changes ? { changes: changeSetHeadline(report.changes) } : {}) };
  return log(results, properties, report.summary.errors === 0, opts);
}

/** A diff entry points at the plan resources that changed it, else at the candidate's decisive policy. */
function entryLocation(e: DiffEntry, cs: ChangeSet): Json[] {
  const resources = terraformResources(e.changedBy);
  if (resources.length || cs.file) return [{ ...(cs.file ? { physicalLocation: physical({ file: cs.file }) } : {}), ...(resources.length ? { logicalLocations: resources } : {}) }];
  const src = e.candidate.causes.map(causeSource).find((s) => s && s.file !== 'request');
  return src ? [{ physicalLocation: physical(src) }] : [];
}

function diffResult(e: DiffEntry, report: DiffReport): Json {
  const q = e.question;
  return {
    ruleId: e.kind,
    ruleIndex: ruleIndex(e.kind),
    kind: 'fail',
    level: DIFF_LEVEL[e.kind],
    message: { text: [`${DIFF_WORDS[e.kind]}: ${questionText(q)}`, ...entryLines(e)].join('\n') },
    locations: entryLocation(e, report.changes),
    relatedLocations: related([{ question: e.question, decision: e.candidate, changedBy: e.changedBy }], report.changes),
    partialFingerprints: fingerprint([e.kind, q.provider, q.principal, q.action, q.resource, q.context ?? null]),
    properties: { provider: q.provider, principal: q.principal, action: q.action, resource: q.resource, baseline: e.baseline.decision, candidate: e.candidate.decision, origin: e.origin, ...(e.expectation ? { expectation: e.expectation } : {}) },
  };
}

export function diffSarif(report: DiffReport, opts: RenderOptions): string {
  const properties = { baseline: report.baseline, questions: report.questions, summary: report.summary, headline: diffHeadline(report), changes: changeSetHeadline(report.changes) };
  return log(
    report.entries.map((e) => diffResult(e, report)),
    properties,
    true,
    opts,
  );
}
