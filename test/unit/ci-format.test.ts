/**
 * Every output format of the CI gate, rendered from reports whose decisions come from real simulations of
 * the bundled estates: SARIF validated against the SARIF 2.1.0 schema, JUnit XML against the Ant JUnit
 * schema (test/data/schemas), GitHub workflow-command escaping, the Markdown tables and ANSI colours.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { FORMATS, renderCheck, renderDiff, type Format } from '../../src/ci/format/index.js';
import { escapeData, escapeProperty } from '../../src/ci/format/github.js';
import type { ChangeRef, ChangeSet, CheckReport, CheckResult, DiffReport, Finding, Question } from '../../src/ci/report.js';
import type { Decision } from '../../src/core/decision.js';
import { InputError, toProblem } from '../../src/core/problem.js';
import type { ProviderModule } from '../../src/core/provider.js';
import { buildSnapshot, type Snapshot } from '../../src/core/snapshot.js';
import { providers } from '../../src/all-providers.js';
import { sarifSchema, validateJunit as validateXmlReport, validateSarif } from '../helpers/report-schemas.js';

const EXPECTATIONS = 'ci/access.yaml';
const PLAN = 'plan.json';
const NOW = new Date('2026-12-02T10:11:12.345Z');

const ALICE = 'arn:aws:iam::222222222222:user/alice';
const DEPLOYER = 'arn:aws:sts::222222222222:assumed-role/deployer/ci-pipeline-4711';
const TABLE = 'arn:aws:dynamodb:eu-west-1:222222222222:table/orders';
const RELEASE = 'arn:aws:s3:::prod-artifacts/releases/app-1.4.2.zip';
const EU = { 'aws:RequestedRegion': 'eu-west-1' };

/** Terraform-shaped overlays: each item stands for the plan resource named in `ADDRESS`. */
const CLEANUP = { add: [{ name: 'let-alice-clean-up', attachment: 'identity', target: ALICE, document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:DeleteTable', Resource: '*' }] } }] };
const FREEZE = { add: [{ name: 'freeze-releases', attachment: 'identity', target: 'arn:aws:iam::222222222222:role/deployer', document: { Version: '2012-10-17', Statement: [{ Sid: 'Freeze', Effect: 'Deny', Action: ['s3:PutObject', 'dynamodb:DeleteTable'], Resource: '*' }] } }] };
const ADDRESS = { cleanup: 'aws_iam_user_policy.alice_cleanup', freeze: 'module.release.aws_iam_role_policy.freeze["prod"]' };

let snap: Snapshot;

function provider(name: Question['provider']): ProviderModule {
  const p = providers[name];
  if (!p) throw new Error(`no ${name} provider`);
  return p;
}

function simulate(q: Question, overlay?: Record<string, unknown>): Decision {
  return provider(q.provider).simulateIn(snap, { ...q, ...(overlay ? { overlay } : {}), options: { explain: 'full' } });
}

function finding(q: Question, overlay?: Record<string, unknown>, changedBy: ChangeRef[] = []): Finding {
  return { question: q, decision: simulate(q, overlay), changedBy };
}

const changes: ChangeSet = {
  source: 'terraform',
  file: PLAN,
  changes: [
    { address: ADDRESS.cleanup, type: 'aws_iam_user_policy', actions: ['create'], summary: 'attaches inline policy let-alice-clean-up to user alice' },
    { address: ADDRESS.freeze, type: 'aws_iam_role_policy', actions: ['update'], summary: 'attaches inline policy freeze-releases to role deployer' },
  ],
  unknowns: [{ address: 'aws_iam_role_policy.later', path: 'policy', effect: 'left out: its policy document is known only after apply' }],
  warnings: [{ address: 'aws_iam_group_membership.ops', message: 'iamsim does not read aws_iam_group_membership: what it changes is not in the answers' }],
};

const cleanupRef: ChangeRef = { provider: 'aws', pointer: '/add/0', addresses: [ADDRESS.cleanup] };
const freezeRef: ChangeRef = { provider: 'aws', pointer: '/add/0', addresses: [ADDRESS.freeze] };

/** A name and message holding every character the GitHub escaping must handle. */
const AWKWARD = 'deploy: 100%, prod | stage';

let check: CheckReport;
let diff: DiffReport;

beforeAll(async () => {
  snap = buildSnapshot(await fixtureFiles(), Object.values(providers), { createdAt: '2026-12-02T00:00:00Z' });

  const deployerPut: Question = { provider: 'aws', principal: DEPLOYER, action: 's3:PutObject', resource: RELEASE, context: EU };
  const outsideEu: Question = { provider: 'aws', principal: ALICE, action: 'ec2:DescribeInstances', resource: '*', context: { 'aws:RequestedRegion': 'us-east-1' } };
  const cleanup: Question = { provider: 'aws', principal: ALICE, action: 'dynamodb:DeleteTable', resource: TABLE };
  const patDelete: Question = { provider: 'gcp', principal: 'pat@example.com', action: 'storage.buckets.delete', resource: '//storage.googleapis.com/projects/_/buckets/ex-prod-web-assets' };
  const arjun: Question = { provider: 'gcp', principal: 'arjun@example.com', action: 'resourcemanager.projects.get', resource: '//cloudresourcemanager.googleapis.com/projects/ex-prod-web' };
  const ana: Question = { provider: 'gcp', principal: 'ana@example.com', action: 'storage.objects.get', resource: '//storage.googleapis.com/projects/_/buckets/ex-analytics-curated/objects/2026/11/orders.parquet' };
  const ghost: Question = { provider: 'azure', principal: '00000000-0000-0000-0000-00000000dead', action: 'Microsoft.Storage/storageAccounts/read', resource: '/subscriptions/fcacc8bc-5cb8-4382-94bd-4bfc5b2a3d14/resourceGroups/rg-app/providers/Microsoft.Storage/storageAccounts/stcontosoapp' };

  let problem;
  try {
    simulate(ghost);
    throw new Error('the unknown Azure principal was answered');
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    problem = toProblem(e.under('/must/1'));
  }

  const f = {
    deployerPut: finding(deployerPut),
    outsideEu: finding(outsideEu),
    cleanup: finding(cleanup, CLEANUP, [cleanupRef]),
    patDelete: finding(patDelete),
    arjun: finding(arjun),
    ana: finding(ana),
  };
  // The reports below restate these answers; check them so a change in the estates shows here first.
  expect([f.deployerPut, f.outsideEu, f.cleanup, f.patDelete, f.arjun, f.ana].map((x) => `${x.decision.decision} ${x.decision.reason}`)).toEqual([
    'allowed allowed',
    'denied explicit_deny',
    'allowed allowed',
    'denied explicit_deny',
    'allowed allowed',
    'allowed allowed',
  ]);

  const results: CheckResult[] = [
    { name: 'deployer ships releases', kind: 'must', provider: 'aws', status: 'passed', message: 'allowed as expected (resource policy arn:aws:s3:::prod-artifacts policy statement AllowDeployerWrite)', location: { file: EXPECTATIONS, pointer: '/must/0', line: 3, column: 5 }, expected: 'allowed', actual: 'allowed', finding: f.deployerPut },
    { name: AWKWARD, kind: 'must', provider: 'aws', status: 'failed', message: `expected allowed, got denied (explicit_deny):\n${f.outsideEu.decision.summary}`, location: { file: EXPECTATIONS, pointer: '/must/1', line: 9, column: 5 }, expected: 'allowed', actual: 'denied', finding: f.outsideEu },
    { name: 'azure reader', kind: 'must', provider: 'azure', status: 'error', message: `could not be asked: ${problem.detail}`, location: { file: EXPECTATIONS, pointer: '/must/2', line: 15, column: 5 }, expected: 'allowed', problem },
    { name: 'alice never drops tables', kind: 'mustNot', provider: 'aws', status: 'failed', message: `expected denied, got allowed (allowed): ${f.cleanup.decision.summary}`, location: { file: EXPECTATIONS, pointer: '/mustNot/0', line: 21, column: 5 }, expected: 'denied', actual: 'allowed', finding: f.cleanup },
    { name: 'no one deletes prod buckets', kind: 'mustNot', provider: 'gcp', status: 'passed', message: 'denied as expected (deny policy protect-prod)', location: { file: EXPECTATIONS, pointer: '/mustNot/1', line: 27, column: 5 }, expected: 'denied', actual: 'denied', finding: f.patDelete },
    { name: 'only analysts read curated data', kind: 'invariant', provider: 'gcp', status: 'failed', message: '2 of 40 questions give a principal outside allowOnly access', location: { file: EXPECTATIONS, pointer: '/invariants/0', line: 33, column: 5 }, expected: 'denied', actual: 'allowed', questions: 40, violations: [f.arjun, f.ana], truncated: true },
  ];
  check = {
    snapshot: { id: snap.meta.id, name: 'bundled estates' },
    expectations: EXPECTATIONS,
    changes,
    results,
    summary: { total: 6, passed: 2, failed: 3, errors: 1 },
  };

  const entry = (kind: DiffReport['entries'][number]['kind'], q: Question, overlay: Record<string, unknown>, ref: ChangeRef, origin: 'probe' | 'expectation') => ({
    kind,
    question: q,
    origin,
    ...(origin === 'expectation' ? { expectation: 'deployer ships releases' } : {}),
    baseline: simulate(q),
    candidate: simulate(q, overlay),
    changedBy: [ref],
  });
  diff = {
    baseline: { id: snap.meta.id },
    changes,
    questions: 120,
    entries: [entry('new_access', cleanup, CLEANUP, cleanupRef, 'probe'), entry('removed_access', deployerPut, FREEZE, freezeRef, 'expectation'), entry('changed', { ...cleanup, principal: DEPLOYER }, FREEZE, freezeRef, 'probe')],
    summary: { newAccess: 1, removedAccess: 1, changed: 1 },
  };
  // Each entry's two sides differ as its kind says.
  expect(diff.entries.map((e) => `${e.baseline.decision}/${e.baseline.reason} -> ${e.candidate.decision}/${e.candidate.reason}`)).toEqual([
    'denied/no_grant -> allowed/allowed',
    'allowed/allowed -> denied/explicit_deny',
    'denied/no_grant -> denied/explicit_deny',
  ]);
});

describe('every format', () => {
  it.each(FORMATS.map((f) => [f]))('%s renders a check and a diff, ending in a newline', (format: Format) => {
    for (const out of [renderCheck(check, format, { now: NOW }), renderDiff(diff, format, { now: NOW })]) {
      expect(out.length).toBeGreaterThan(100);
      expect(out.endsWith('\n')).toBe(true);
    }
  });

  it('json is the report as it is', () => {
    expect(JSON.parse(renderCheck(check, 'json'))).toEqual(check);
    expect(JSON.parse(renderDiff(diff, 'json'))).toEqual(diff);
  });
});

describe('sarif', () => {
  const valid = (log: unknown) => validateSarif(log).join('\n') || 'valid';

  it('the schema is the draft-04 SARIF 2.1.0 schema and uses no keyword that changed meaning after draft-04', () => {
    expect(sarifSchema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect((sarifSchema.properties as { version: { enum: string[] } }).version.enum).toEqual(['2.1.0']);
    expect(JSON.stringify(sarifSchema)).not.toMatch(/"exclusive(Minimum|Maximum)":\s*(true|false)/);
  });

  it('a check validates; failures and errors point at their expectation lines, plan resources as logical locations', () => {
    const log = JSON.parse(renderCheck(check, 'sarif', { version: '0.1.0' }));
    expect(valid(log)).toBe('valid');
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('iamsim');
    expect(run.tool.driver.version).toBe('0.1.0');
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(['must', 'mustNot', 'invariant', 'new_access', 'removed_access', 'changed']);
    expect(run.invocations[0].executionSuccessful).toBe(false);
    // Passed results are not alerts: 3 failed + 1 error.
    expect(run.results.map((r: { ruleId: string; level: string }) => `${r.ruleId} ${r.level}`)).toEqual(['must error', 'must error', 'mustNot error', 'invariant error']);
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe(EXPECTATIONS);
    }
    expect(run.results.map((r: { locations: { physicalLocation: { region: unknown } }[] }) => r.locations[0].physicalLocation.region)).toEqual([
      { startLine: 9, startColumn: 5 },
      { startLine: 15, startColumn: 5 },
      { startLine: 21, startColumn: 5 },
      { startLine: 33, startColumn: 5 },
    ]);

    const [scp, error, cleanup] = run.results;
    // The SCP's statement is cited at its line in the estate file.
    expect(scp.message.text).toContain('explicit deny (scp): scp DenyOutsideEU attached to ou-ab12-11111111 (Workloads), statement 0 (Sid DenyAllOutsideEU) at fixtures/aws/estate/org.json:138:18');
    expect(scp.relatedLocations).toEqual([{ id: 0, physicalLocation: { artifactLocation: { uri: 'fixtures/aws/estate/org.json' }, region: { startLine: 138, startColumn: 18 } }, message: { text: expect.stringContaining('DenyOutsideEU') } }]);
    expect(error.properties.status).toBe('error');
    expect(error.message.text).toContain('principal 00000000-0000-0000-0000-00000000dead is not in the snapshot');
    // The grant comes from the plan: the address is a logical location, the cause names it.
    expect(cleanup.locations[0].logicalLocations).toEqual([{ fullyQualifiedName: ADDRESS.cleanup, kind: 'resource' }]);
    expect(cleanup.relatedLocations).toEqual([
      { id: 0, physicalLocation: { artifactLocation: { uri: PLAN } }, logicalLocations: [{ fullyQualifiedName: ADDRESS.cleanup, kind: 'resource' }], message: { text: `changed by ${ADDRESS.cleanup}: attaches inline policy let-alice-clean-up to user alice` } },
    ]);
    expect(cleanup.message.text).toContain(`granted (identity): overlay let-alice-clean-up attached to ${ALICE}, statement 0 at ${ADDRESS.cleanup}`);
  });

  it('a diff validates: levels by kind, the plan file and the resource address as locations', () => {
    const log = JSON.parse(renderDiff(diff, 'sarif'));
    expect(valid(log)).toBe('valid');
    const results = log.runs[0].results;
    expect(results.map((r: { ruleId: string; level: string }) => `${r.ruleId} ${r.level}`)).toEqual(['new_access error', 'removed_access warning', 'changed warning']);
    expect(results[1].locations).toEqual([{ physicalLocation: { artifactLocation: { uri: PLAN } }, logicalLocations: [{ fullyQualifiedName: ADDRESS.freeze, kind: 'resource' }] }]);
    expect(results[1].message.text).toContain(`explicit deny (identity): overlay freeze-releases attached to arn:aws:iam::222222222222:role/deployer, statement 0 (Sid Freeze) at ${ADDRESS.freeze}`);
    expect(new Set(results.map((r: { partialFingerprints: Record<string, string> }) => r.partialFingerprints['iamsim/v1'])).size).toBe(3);
  });

  it('the validator rejects what the schema forbids', () => {
    const log = JSON.parse(renderCheck(check, 'sarif'));
    log.runs[0].results[0].level = 'fatal';
    expect(valid(log)).toMatch(/level/);
  });
});

describe('junit', () => {
  const validateJunit = async (xml: string) => (await validateXmlReport(xml)).join('\n') || 'valid';
  const count = (xml: string, tag: string) => xml.split(`<${tag} `).length - 1;

  it('a check is valid against the JUnit schema: one suite per kind and provider, one case per result', async () => {
    const xml = renderCheck(check, 'junit', { now: NOW, hostname: 'ci-runner' });
    expect(await validateJunit(xml)).toBe('valid');
    expect([...xml.matchAll(/<testsuite name="([^"]+)"[^>]* tests="(\d+)" failures="(\d+)" errors="(\d+)"/g)].map((m) => m.slice(1).join(' '))).toEqual([
      'iamsim must aws 2 1 0',
      'iamsim must azure 1 0 1',
      'iamsim mustNot aws 1 1 0',
      'iamsim mustNot gcp 1 0 0',
      'iamsim invariant gcp 1 1 0',
    ]);
    expect(xml).toContain('timestamp="2026-12-02T10:11:12" hostname="ci-runner"');
    expect(count(xml, 'testcase')).toBe(6);
    expect(count(xml, 'failure')).toBe(3);
    expect(count(xml, 'error')).toBe(1);
    // The failure carries the decisive cause with its file and line; the message keeps its line break.
    expect(xml).toContain('name="deploy: 100%, prod | stage"');
    expect(xml).toMatch(/<failure type="must" message="expected allowed, got denied \(explicit_deny\):&#10;Denied: SCP DenyOutsideEU/);
    expect(xml).toContain('cause: explicit deny (scp): scp DenyOutsideEU attached to ou-ab12-11111111 (Workloads), statement 0 (Sid DenyAllOutsideEU) at fixtures/aws/estate/org.json:138:18');
    expect(xml).toContain(`changed by: ${ADDRESS.cleanup}`);
    expect(xml).toMatch(/<error type="not_found" message="could not be asked: principal 00000000-0000-0000-0000-00000000dead/);
    expect(xml).toContain(`<property name="change ${ADDRESS.cleanup}" value="attaches inline policy let-alice-clean-up to user alice"/>`);
  });

  it('a diff is valid: one case per entry, each a failure typed by its kind', async () => {
    const xml = renderDiff(diff, 'junit', { now: NOW });
    expect(await validateJunit(xml)).toBe('valid');
    expect(count(xml, 'testcase')).toBe(3);
    expect([...xml.matchAll(/<failure type="([a-z_]+)"/g)].map((m) => m[1])).toEqual(['new_access', 'removed_access', 'changed']);
    // The quoted key of the module address is escaped in the attribute.
    expect(xml).toContain('module.release.aws_iam_role_policy.freeze[&quot;prod&quot;]');
  });

  it('the schema rejects what it forbids', async () => {
    const xml = renderCheck(check, 'junit', { now: NOW }).replace(/ hostname="[^"]*"/, '');
    expect(await validateJunit(xml)).toMatch(/hostname/);
  });
});

describe('github', () => {
  it('escapes data and properties as @actions/core does', () => {
    expect(escapeData('50%\r\nof: a, b')).toBe('50%25%0D%0Aof: a, b');
    expect(escapeProperty('50%\r\nof: a, b')).toBe('50%25%0D%0Aof%3A a%2C b');
  });

  it('one annotation per failed or errored expectation, on its line, each on one line of output', () => {
    const lines = renderCheck(check, 'github').trimEnd().split('\n');
    expect(lines.map((l) => l.slice(0, l.indexOf(' ')))).toEqual(['::warning', '::warning', '::error', '::error', '::error', '::error', '::notice']);
    const awkward = lines.find((l) => l.includes('deploy%3A'))!;
    const [, props, message] = /^::error (.*?)::(.*)$/.exec(awkward)!;
    expect(props).toBe('file=ci/access.yaml,line=9,col=5,title=iamsim must deploy%3A 100%25%2C prod | stage failed');
    expect(message).toMatch(/^expected allowed, got denied \(explicit_deny\):%0ADenied: SCP DenyOutsideEU/);
    expect(message).toContain('%0A  cause: explicit deny (scp): scp DenyOutsideEU');
    expect(lines[0]).toBe('::warning file=plan.json,title=iamsim%3A aws_iam_role_policy.later unknown after apply::policy: left out: its policy document is known only after apply');
    expect(lines.at(-1)).toBe('::notice title=iamsim check::3 failed, 1 error, 2 passed (6 expectations)');
  });

  it('a diff: an error for new access, warnings for removed or changed access', () => {
    const lines = renderDiff(diff, 'github').trimEnd().split('\n');
    expect(lines.slice(2).map((l) => l.slice(0, l.indexOf(' ')))).toEqual(['::error', '::warning', '::warning', '::notice']);
    expect(lines[2]).toContain(`::error file=plan.json,title=iamsim new access%3A ${ALICE.replace(/:/g, '%3A')} dynamodb%3ADeleteTable::`);
    expect(lines[2]).toContain(`%0Achanged by: ${ADDRESS.cleanup}`);
  });
});

describe('markdown', () => {
  const rows = (md: string, header: string) => {
    const lines = md.split('\n');
    const start = lines.indexOf(header);
    const body: string[] = [];
    for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) body.push(lines[i]!);
    // Cells split on unescaped pipes, read as they render (backslash escapes dropped).
    return body.map((l) => l.slice(2, -2).split(/(?<!\\) \| /).map((c) => c.replace(/\\([\\`*_[\]<>|~&])/g, '$1')));
  };

  it('a headline with counts, a table of failures, the passed ones folded', () => {
    const md = renderCheck(check, 'markdown');
    expect(md.split('\n')[0]).toBe('## ❌ iamsim check: 3 failed, 1 error, 2 passed (6 expectations)');
    const head = '| Expectation | Kind | Provider | Expected | Actual | Decisive cause | Changed by |';
    const table = rows(md, head);
    // One row per must / mustNot failure or error, one per invariant violation, one for the truncation.
    expect(table.map((r) => r.slice(1, 5).join(' '))).toEqual(['must aws allowed denied', 'must azure allowed error', 'mustNot aws denied allowed', 'invariant gcp denied allowed', 'invariant gcp denied allowed', 'invariant gcp  ']);
    const [scp, error, cleanup, arjun] = table;
    expect(scp![0]).toBe('**deploy: 100%, prod | stage**<br>ci/access.yaml:9:5<br>arn:aws:iam::222222222222:user/alice → ec2:DescribeInstances on * with context {"aws:RequestedRegion":"us-east-1"}');
    // Raw, the pipe and the star are escaped so they neither split the row nor start emphasis.
    expect(md).toContain('**deploy: 100%, prod \\| stage**');
    expect(md).toContain('ec2:DescribeInstances on \\* with');
    expect(scp![5]).toBe('explicit deny (scp): scp DenyOutsideEU attached to ou-ab12-11111111 (Workloads), statement 0 (Sid DenyAllOutsideEU) at fixtures/aws/estate/org.json:138:18');
    expect(scp![6]).toBe('');
    expect(error![5]).toMatch(/^could not be asked: principal 00000000-0000-0000-0000-00000000dead is not in the snapshot;.*<br>Not found \(not_found\) at \/must\/1\/principal$/);
    expect(cleanup![5]).toBe(`granted (identity): overlay let-alice-clean-up attached to ${ALICE}, statement 0 at ${ADDRESS.cleanup}`);
    expect(cleanup![6]).toBe(`\`${ADDRESS.cleanup}\``);
    expect(arjun![5]).toBe('granted (allow): gcp:allow roles/browser attached to //cloudresourcemanager.googleapis.com/organizations/123456789012, statement 1 at fixtures/gcp/estate/assets.ndjson:21:286');

    const folded = md.slice(md.indexOf('<summary>2 passed</summary>'));
    expect(folded).toContain('| **deployer ships releases** | must | aws | allowed |');
    expect(folded).toContain('| **no one deletes prod buckets** | mustNot | gcp | denied |');
    expect(md).toContain('**Not evaluated:**');
    expect(md).toContain('- `aws_iam_role_policy.later` `policy` is known only after apply');
  });

  it('a diff: new, removed and changed access tables', () => {
    const md = renderDiff(diff, 'markdown');
    expect(md.split('\n')[0]).toBe('## ⚠️ iamsim diff: 1 new access, 1 removed access, 1 changed (120 questions)');
    const head = '| Principal | Action | Resource | Before | After | Decisive cause (after) | Changed by | Asked by |';
    const sections = md.split('\n').filter((l) => l.startsWith('### '));
    expect(sections).toEqual(['### New access', '### Removed access', '### Changed']);
    const all = rows(md.slice(md.indexOf('### New access')), head);
    expect(all[0]).toEqual([`\`${ALICE}\``, '`dynamodb:DeleteTable`', `\`${TABLE}\``, 'denied', 'allowed', `granted (identity): overlay let-alice-clean-up attached to ${ALICE}, statement 0 at ${ADDRESS.cleanup}`, `\`${ADDRESS.cleanup}\``, 'probe']);
    const removed = rows(md.slice(md.indexOf('### Removed access')), head);
    expect(removed[0]!.slice(3, 5)).toEqual(['allowed', 'denied']);
    expect(removed[0]![7]).toBe('expectation deployer ships releases');
  });
});

describe('text', () => {
  it('has no ANSI codes unless colour is asked for', () => {
    for (const opts of [{}, { color: false }]) {
      expect(renderCheck(check, 'text', opts)).not.toContain('\u001b[');
      expect(renderDiff(diff, 'text', opts)).not.toContain('\u001b[');
    }
    expect(renderCheck(check, 'text', { color: true })).toContain('\u001b[31m');
    expect(renderDiff(diff, 'text', { color: true })).toContain('\u001b[31m');
  });

  it('failures first with their causes, then errors, then passes; the counts last', () => {
    const out = renderCheck(check, 'text');
    const heads = out.split('\n').filter((l) => /^(FAIL|ERROR|PASS)/.test(l));
    expect(heads).toEqual([
      `FAIL  must aws ${AWKWARD}  ci/access.yaml:9:5`,
      'FAIL  mustNot aws alice never drops tables  ci/access.yaml:21:5',
      'FAIL  invariant gcp only analysts read curated data  ci/access.yaml:33:5',
      'ERROR must azure azure reader  ci/access.yaml:15:5',
      'PASS  must aws deployer ships releases  ci/access.yaml:3:5',
      'PASS  mustNot gcp no one deletes prod buckets  ci/access.yaml:27:5',
    ]);
    expect(out).toContain('        cause: explicit deny (scp): scp DenyOutsideEU attached to ou-ab12-11111111 (Workloads), statement 0 (Sid DenyAllOutsideEU) at fixtures/aws/estate/org.json:138:18');
    expect(out).toContain('        cloud error: 403 UnauthorizedOperation User: arn:aws:iam::222222222222:user/alice is not authorized');
    expect(out).toContain('more violations than the 2 listed');
    expect(out).toContain(`changes: Terraform plan ${PLAN}: 2 changes, 1 unknown after apply, 1 not read`);
    expect(out.trimEnd().split('\n').at(-1)).toBe('3 failed, 1 error, 2 passed (6 expectations)');
  });

  it('a diff lists each entry with both sides', () => {
    const out = renderDiff(diff, 'text');
    expect(out).toContain(`NEW ACCESS aws ${ALICE} → dynamodb:DeleteTable on ${TABLE}`);
    expect(out).toContain('      baseline: denied (no_grant): no grant (identity): no identity-based policy allows the request');
    expect(out).toContain(`      candidate: allowed (allowed): granted (identity): overlay let-alice-clean-up attached to ${ALICE}, statement 0 at ${ADDRESS.cleanup}`);
    expect(out.trimEnd().split('\n').at(-1)).toBe('1 new access, 1 removed access, 1 changed (120 questions)');
  });
});
