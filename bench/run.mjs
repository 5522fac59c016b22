// npm run bench: in-process decisions per second and median µs per decision on three inputs, then HTTP
// throughput of /v1/simulate against a trivial route of the same server, measured in the same run.
// Figures are printed, never asserted: bench/README.md lists what each table measures and its target.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import autocannon from 'autocannon';
import { simulate, simulateBatch } from '../dist/src/index.js';
import { typicalRequest, largeRequest, batchRequests, smallRequest } from './inputs.mjs';
import { asClient, pinningNote, serverCommand } from './pin.mjs';

function measure(fn, { minMs = 1500, warm = 300 } = {}) {
  for (let i = 0; i < warm; i++) fn();
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < minMs) {
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / 50);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  return { median, perSecond: 1e6 / median };
}

const rows = [];
const row = (name, r, baseline) =>
  rows.push({ input: name, 'median µs': r.median.toFixed(2), 'decisions/s': Math.round(r.perSecond).toLocaleString('en'), 'vs baseline': baseline ? `${(r.median / baseline.median).toFixed(1)}x` : '1.0x' });

const anonymous = { provider: 'aws', principal: 'anonymous', action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', resourceAccount: '111122223333', policies: {} };
const baseline = measure(() => simulate(anonymous));
row('baseline: no policies (anonymous)', baseline);
const typical = typicalRequest();
const typicalFull = { ...typical, options: { explain: 'full' } };
row('typical (10x8 identity, 3 SCP levels, bucket policy), summary', measure(() => simulate(typical)), baseline);
row('typical, explain full', measure(() => simulate(typicalFull)), baseline);
// Fresh objects each time, as the HTTP server gets them: policies are found in the cache by content.
const copies = Array.from({ length: 256 }, () => JSON.parse(JSON.stringify(typical)));
let next = 0;
row('typical, a fresh parsed copy each time, summary', measure(() => simulate(copies[next++ & 255])), baseline);
const large = largeRequest();
row('200-statement policy set, summary', measure(() => simulate(large)), baseline);
row('200-statement policy set, explain full', measure(() => simulate({ ...large, options: { explain: 'full' } })), baseline);
const batch = batchRequests(10_000);
const b = measure(() => simulateBatch(batch), { minMs: 3000, warm: 2 });
row('batch of 10,000 (per decision)', { median: b.median / 10_000, perSecond: b.perSecond * 10_000 }, baseline);
console.log('\nIn-process (library API, the same code as the HTTP handlers)');
console.table(rows);

// HTTP: the same server answers every route; autocannon runs in this process, on loopback. The server
// starts on an empty data directory, so the bundled fixtures are its active snapshot.
async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
const port = await freePort();
const dataDir = await mkdtemp(join(tmpdir(), 'iamsim-bench-'));
const [serverCmd, serverArgs] = serverCommand(['dist/src/server/main.js']);
const server = spawn(serverCmd, serverArgs, { env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', IAMSIM_DATA_DIR: dataDir }, stdio: 'inherit' });
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
// The README's first request: an engineer asks about a principal of the active snapshot.
const inSnapshot = JSON.stringify({ provider: 'aws', principal: 'arn:aws:sts::222222222222:assumed-role/deployer/ci-pipeline-4711', action: 's3:PutObject', resource: 'arn:aws:s3:::prod-artifacts/releases/app-1.4.2.zip', context: { 'aws:RequestedRegion': 'eu-west-1' } });
const small = JSON.stringify(smallRequest());
const httpBody = JSON.stringify(typical);
const load = (path, opts) => autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: 10, duration: 5, ...opts });
const post = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
const [trivial, simSnapshot, simSmall, simTypical] = await asClient(async () => {
  await load('/healthz', { duration: 1 });
  await load('/v1/simulate', { duration: 1, ...post(small) });
  await load('/v1/simulate', { duration: 1, ...post(inSnapshot) });
  return [await load('/healthz'), await load('/v1/simulate', post(inSnapshot)), await load('/v1/simulate', post(small)), await load('/v1/simulate', post(httpBody))];
});
const inSnapshotAnswer = await (await fetch(`http://127.0.0.1:${port}/v1/simulate`, post(inSnapshot))).text();
server.kill();
await rm(dataDir, { recursive: true, force: true });
const failed = [simSnapshot, simSmall, simTypical].some((r) => r.non2xx > 0 || r.errors > 0);
const ratio = (r) => `${((r.requests.average / trivial.requests.average) * 100).toFixed(0)}%`;
const httpRow = (route, r) => ({ route, 'req/s': Math.round(r.requests.average), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, 'vs trivial': ratio(r) });
console.log(`\nHTTP (autocannon, 10 connections, 5 s each, on loopback; ${pinningNote})`);
console.table([
  httpRow('GET /healthz (trivial)', trivial),
  httpRow(`POST /v1/simulate, in the active snapshot (${inSnapshot.length} B)`, simSnapshot),
  httpRow(`POST /v1/simulate, custom, small (${small.length} B)`, simSmall),
  httpRow(`POST /v1/simulate, custom, typical (${httpBody.length} B)`, simTypical),
]);
if (failed) console.log('some requests failed!');

// What the loopback alone allows (bench/http-floor.mjs): the same bodies, answered by a server that does nothing.
const { transportFloor } = await import('./http-floor.mjs');
const floorRows = [];
for (const [label, body] of [['in the active snapshot', inSnapshot], ['custom, small', small], ['custom, typical', httpBody]]) {
  const answerBytes = body === inSnapshot ? inSnapshotAnswer.length : JSON.stringify(simulate(JSON.parse(body))).length;
  const f = await transportFloor(body, answerBytes);
  const vs = (x) => `${((x / f.trivial) * 100).toFixed(0)}%`;
  floorRows.push({ body: `${label} (${body.length} B)`, 'bare GET req/s': Math.round(f.trivial), 'reads body, fixed answer': vs(f.post), 'also JSON.parse': vs(f.parse) });
}
console.log(`\nTransport floor: a bare Fastify server reads the same body and sends a fixed reply of the answer's size (${pinningNote})`);
console.table(floorRows);

// Snapshots: a large synthetic estate (bench/estate.mjs) at scale 1 and 2, each measured in its own process.
const { execFileSync } = await import('node:child_process');
const estateRows = [1, 2].map((scale) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', 'bench/estate-run.mjs', String(scale)], { encoding: 'utf8' }).trim().split('\n').pop()));
const grow = (k, f = (x) => x) => `${(f(estateRows[1][k]) / f(estateRows[0][k])).toFixed(2)}x`;
console.log('\nSnapshot of a large estate (scale 1: 50 accounts, 5,000 roles, 20,000 attachments, 500 SCP statements, 1,000 bucket policies)');
console.table([
  ...estateRows.map((r) => ({
    estate: `x${r.scale}: ${r.shape.accounts} accounts, ${r.shape.roles} roles, ${r.shape.attachments} attachments`,
    'upload+compile s': (r.uploadMs / 1000).toFixed(2),
    'on disk MB': (r.bytes / 1048576).toFixed(1),
    'RSS MB': r.rssMB.toFixed(0),
    'median µs/decision': r.medianUs.toFixed(1),
    'decisions/s': Math.round(1e6 / r.medianUs).toLocaleString('en'),
  })),
  { estate: 'growth when the estate doubles', 'upload+compile s': grow('uploadMs'), 'on disk MB': grow('bytes'), 'RSS MB': grow('rssMB'), 'median µs/decision': grow('medianUs'), 'decisions/s': '' },
]);

// A large Google Cloud organization and a large Azure tenant (bench/gcp-estate.mjs, bench/azure-estate.mjs),
// each in its own process so RSS is its own.
function cloudEstate(script, describe) {
  const r = JSON.parse(execFileSync(process.execPath, ['--expose-gc', script, '1'], { encoding: 'utf8' }).trim().split('\n').pop());
  console.log(`\nSnapshot of ${describe(r.shape)}`);
  console.table([{
    'load+compile s': (r.loadMs / 1000).toFixed(2), 'input MB': (r.bytes / 1048576).toFixed(1), 'RSS MB': r.rssMB.toFixed(0),
    'median µs/decision': r.medianUs.toFixed(1), 'decisions/s': Math.round(1e6 / r.medianUs).toLocaleString('en'),
  }]);
  console.log(`decision mix: ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}
const n = (x) => x.toLocaleString('en');
cloudEstate('bench/gcp-estate.mjs', (s) => `a large Google Cloud organization (${s.folders} folders, ${n(s.projects)} projects, ${n(s.bindings)} bindings, ${s.denyRules} deny rules, ${n(s.groups)} nested groups)`);
cloudEstate('bench/azure-estate.mjs', (s) => `a large Azure tenant (${s.managementGroupLevels} management-group levels, ${s.subscriptions} subscriptions, ${n(s.resources)} resources, ${n(s.roleAssignments)} role assignments, ${s.policyAssignments} policy assignments)`);

// The CI gate (bench/ci-gate.mjs): `iamsim check` as a pipeline runs it, on the scale-1 AWS estate.
const gate = JSON.parse(execFileSync(process.execPath, ['bench/ci-gate.mjs'], { encoding: 'utf8' }).trim().split('\n').pop());
console.log(`\nThe CI gate: iamsim check on the large AWS estate (${n(gate.principals)} principals); CLI start-up alone ${gate.startupMs.toFixed(0)} ms, snapshot load ${(gate.loadMs / 1000).toFixed(2)} s`);
console.table([
  { check: '1,000 expectations', 'CLI wall s (target ≤ 2)': (gate.thousand.wallMs / 1000).toFixed(2), 'questions s (in process)': (gate.thousand.questionsMs / 1000).toFixed(2), results: `${gate.thousand.summary.passed} passed, ${gate.thousand.summary.failed} failed` },
  { check: `invariant over every principal (${n(gate.invariant.questions)} questions)`, 'CLI wall s (target ≤ 2)': (gate.invariant.wallMs / 1000).toFixed(2), 'questions s (in process)': (gate.invariant.questionsMs / 1000).toFixed(2), results: `${gate.invariant.violations} violations listed` },
]);
