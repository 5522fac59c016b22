/**
 * The iamsim binary (the built dist/, as `npx iamsim` runs it), spawned as a pipeline would: exit codes,
 * each output format (SARIF and JUnit validated against their official schemas), offline and --server
 * modes giving the same report, snapshot import, and bad input.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateJunit, validateSarif } from '../helpers/report-schemas.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { projectRoot as root, runCli, type CliRun } from '../helpers/cli.js';

const ESTATES = ['fixtures/aws/estate', 'fixtures/gcp/estate', 'fixtures/azure/estate'];
const ACCESS = 'fixtures/ci/access.yaml';
const PLAN = 'fixtures/ci/plan.json';

let dataDir = '';
function iamsim(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { cwd: root, env: { ...process.env, NO_COLOR: '', IAMSIM_DATA_DIR: dataDir, ...env } });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'iamsim-cli-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const check = (...extra: string[]) => iamsim(['check', '--snapshot', ...ESTATES, '--expect', ACCESS, ...extra]);

describe('iamsim check', () => {
  it('exits 0 when every expectation holds, with a text report and nothing on stderr', async () => {
    const r = await check();
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/passed/);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it('exits 1 on the plan that breaks a must-hold expectation and creates forbidden access, in every format', async () => {
    const json = await check('--plan', PLAN, '--format', 'json');
    expect(json.code, json.stderr).toBe(1);
    const report = JSON.parse(json.stdout);
    const failed = report.results.filter((r: { status: string }) => r.status === 'failed');
    expect(failed.map((r: { kind: string }) => r.kind).sort()).toEqual(['invariant', 'must']);
    for (const f of failed) {
      const findings = f.finding ? [f.finding] : f.violations;
      expect(findings.some((x: { changedBy: { addresses?: string[] }[] }) => x.changedBy.some((c) => c.addresses?.length)), JSON.stringify(f).slice(0, 500)).toBe(true);
    }
    expect(report.changes.source).toBe('terraform');

    const sarif = await check('--plan', PLAN, '--format', 'sarif');
    expect(sarif.code).toBe(1);
    const log = JSON.parse(sarif.stdout);
    expect(validateSarif(log)).toEqual([]);
    const results = log.runs[0].results.filter((r: { level: string }) => r.level === 'error');
    expect(results.length).toBe(2);
    for (const r of results) {
      expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe(ACCESS);
      expect(r.locations[0].physicalLocation.region.startLine).toBeGreaterThan(1);
    }
    expect(JSON.stringify(log)).toMatch(/"fullyQualifiedName":"[a-z_]+\.[^"]+"/);

    const junit = await check('--plan', PLAN, '--format', 'junit');
    expect(junit.code).toBe(1);
    expect(await validateJunit(junit.stdout)).toEqual([]);
    expect(junit.stdout).toMatch(/<failure/);

    const github = await check('--plan', PLAN, '--format', 'github');
    expect(github.stdout).toMatch(new RegExp(`^::error file=${ACCESS},line=\\d+`, 'm'));

    const md = await check('--plan', PLAN, '--format', 'markdown');
    expect(md.stdout).toMatch(/^\| Expectation \| Kind \| Provider \|/m);
  });

  it('writes the report to --output, atomically, and still exits 1', async () => {
    const out = join(dataDir, 'report.sarif');
    const r = await check('--plan', PLAN, '--format', 'sarif', '--output', out);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(validateSarif(JSON.parse(readFileSync(out, 'utf8')))).toEqual([]);
  });

  it('exits 2 on bad input and usage, naming the file and line', async () => {
    const bad = join(dataDir, 'bad.yaml');
    await writeFile(bad, 'must:\n  - name: x\n    provider: aws\n    principal: p\n    action: a\n    resource: r\n    expect: perhaps\n');
    const r = await iamsim(['check', '--snapshot', ...ESTATES, '--expect', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:7:\d+ \/must\/0\/expect/);
    expect((await iamsim(['check', '--snapshot', ...ESTATES])).code).toBe(2);
    expect((await iamsim(['check', '--expect', ACCESS, '--snapshot', 'no/such/dir'])).code).toBe(2);
    expect((await iamsim(['check', '--snapshot', ...ESTATES, '--expect', ACCESS, '--format', 'pdf'])).code).toBe(2);
    expect((await iamsim(['frobnicate'])).code).toBe(2);
  });

  it('exits 3 when the server cannot be reached', async () => {
    const r = await iamsim(['check', '--server', 'http://127.0.0.1:9', '--expect', ACCESS]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach/);
  });
});

describe('iamsim diff', () => {
  it('lists the new access the plan creates and exits 1', async () => {
    const r = await iamsim(['diff', '--snapshot', ...ESTATES, '--plan', PLAN, '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.summary.newAccess).toBeGreaterThan(0);
    const entry = report.entries.find((e: { kind: string }) => e.kind === 'new_access');
    expect(entry.baseline.decision).toBe('denied');
    expect(entry.changedBy[0].addresses[0]).toMatch(/\./);
    const none = await iamsim(['diff', '--snapshot', ...ESTATES, '--plan', PLAN, '--fail-on', 'none', '--format', 'markdown']);
    expect(none.code).toBe(0);
  });
});

describe('iamsim simulate and snapshot import', () => {
  it('explains one decision in words, or as JSON', async () => {
    const args = ['simulate', '--snapshot', 'fixtures/aws/estate', '--principal', 'arn:aws:iam::222222222222:user/alice', '--action', 'ec2:DescribeInstances', '--resource', '*', '--context', 'aws:RequestedRegion=us-east-1'];
    const text = await iamsim(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^DENIED \(explicit_deny\)/);
    expect(text.stdout).toMatch(/DenyOutsideEU/);
    expect(text.stdout).toMatch(/fixtures\/aws\/estate\/org\.json:\d+:\d+/);
    const json = await iamsim([...args, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ decision: 'denied', reason: 'explicit_deny' });
  });

  it('imports a snapshot into the data directory, and checks against it by ref', async () => {
    const dir = join(dataDir, 'store');
    const imp = await iamsim(['snapshot', 'import', ...ESTATES, '--name', 'estates', '--data-dir', dir, '--json']);
    expect(imp.code, imp.stderr).toBe(0);
    const meta = JSON.parse(imp.stdout);
    expect(meta).toMatchObject({ active: true, providers: expect.arrayContaining(['aws', 'gcp', 'azure']) });
    const r = await iamsim(['check', '--data-dir', dir, '--expect', ACCESS, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).snapshot.id).toBe(meta.id);
  });
});

describe('--server', () => {
  let t: TestApp;
  let url = '';
  beforeAll(async () => {
    t = await testApp({ token: 'ci-token' });
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it('gives the same report as the embedded engine, uploading the snapshot directory first', async () => {
    const remote = await iamsim(['check', '--server', url, '--snapshot', ...ESTATES, '--expect', ACCESS, '--plan', PLAN, '--format', 'json'], { IAMSIM_TOKEN: 'ci-token' });
    const local = await check('--plan', PLAN, '--format', 'json');
    expect(remote.code, remote.stderr).toBe(1);
    const strip = (s: string) => JSON.parse(s).results.map((r: { name: string; status: string; actual?: string }) => [r.name, r.status, r.actual]);
    expect(strip(remote.stdout)).toEqual(strip(local.stdout));
  });

  it('exits 2 with the server problem when the token is wrong', async () => {
    const r = await iamsim(['check', '--server', url, '--expect', ACCESS], { IAMSIM_TOKEN: 'wrong' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/requires Authorization: Bearer/);
  });
});

describe('iamsim serve', () => {
  it('serves the API on the bundled estates from an empty data directory', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const child = spawn(process.execPath, ['dist/src/cli/main.js', 'serve', '--port', String(port), '--data-dir', join(dataDir, 'serve')], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
    try {
      let health: Response | undefined;
      for (let i = 0; i < 100 && !health?.ok; i++) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        if (!health?.ok) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health?.ok).toBe(true);
      const r = await fetch(`http://127.0.0.1:${port}/v1/checks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ expectationsText: readFileSync(join(root, ACCESS), 'utf8') }) });
      expect(r.status).toBe(200);
      expect((await r.json()).summary.failed).toBe(0);
    } finally {
      child.kill();
    }
  });
});
