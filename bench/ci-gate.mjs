// The CI gate on the large generated AWS estate (bench/estate.mjs, scale 1: 5,000 roles): `iamsim check`
// with 1,000 expectations, and with one invariant over every principal, run as the CLI binary a pipeline
// would run. Prints one JSON line: wall times of each run, the CLI's start-up alone, and the in-process
// split (snapshot load, questions) of the same work.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { checkFromBody } from '../dist/src/api/ci.js';
import { buildSnapshot } from '../dist/src/core/snapshot.js';
import { providers } from '../dist/src/all-providers.js';
import { simulate } from '../dist/src/index.js';
import { estateRequests, generateEstate } from './estate.mjs';

const cli = ['dist/src/cli/main.js'];
const dir = await mkdtemp(join(tmpdir(), 'iamsim-ci-bench-'));
const wall = (args) => {
  const t = performance.now();
  try {
    execFileSync(process.execPath, [...cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    if (e.status !== 1) throw e; // 1: some expectations failed, which is a result, not an error
  }
  return performance.now() - t;
};
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];

try {
  const estate = join(dir, 'estate');
  const files = generateEstate(1);
  await mkdir(estate);
  for (const f of files) await writeFile(join(estate, f.name), f.text);

  // In process: the same work split into loading the snapshot and asking the questions.
  const t0 = performance.now();
  const snap = buildSnapshot(files, Object.values(providers), { createdAt: new Date().toISOString() });
  const loadMs = performance.now() - t0;

  // 1,000 expectations as a team writes them: what the estate grants is `must`, what it denies `mustNot`,
  // and 10 of them (1%) wrong, so the report carries full explanations for some failures.
  const requests = estateRequests(1, 1000);
  const thousand = { version: 1, must: [], mustNot: [] };
  requests.forEach((r, i) => {
    const answer = simulate(r, snap).decision;
    const holds = (answer === 'allowed') !== (i % 100 === 0);
    (holds ? thousand.must : thousand.mustNot).push({ name: `expectation ${i}`, provider: 'aws', principal: r.principal, action: r.action, resource: r.resource, context: r.context });
  });
  const invariant = { version: 1, invariants: [{ name: 'only role-0 reads bucket 0', provider: 'aws', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket-400000000000-0/data/x.csv'], context: { 'aws:RequestedRegion': 'eu-west-1' }, allowOnly: ['arn:aws:iam::400000000000:role/role-0'] }] };
  const thousandFile = join(dir, 'thousand.yaml');
  const invariantFile = join(dir, 'invariant.yaml');
  await writeFile(thousandFile, stringify(thousand));
  await writeFile(invariantFile, stringify(invariant));

  const resolve = async () => snap;
  const inProcess = async (doc) => {
    const t = performance.now();
    const report = await checkFromBody({ expectations: doc }, resolve);
    return { ms: performance.now() - t, report };
  };
  const a = await inProcess(thousand);
  const b = await inProcess(invariant);

  const startup = median([0, 1, 2, 3, 4].map(() => wall(['--version'])));
  const runs = (file) => median([0, 1, 2].map(() => wall(['check', '--snapshot', estate, '--expect', file, '--format', 'json', '--output', join(dir, 'out.json')])));
  console.log(JSON.stringify({
    principals: providers.aws.ci.principals(snap, 'all').length,
    startupMs: startup,
    loadMs,
    thousand: { wallMs: runs(thousandFile), questionsMs: a.ms, summary: a.report.summary },
    invariant: { wallMs: runs(invariantFile), questionsMs: b.ms, questions: b.report.results[0].questions, violations: b.report.results[0].violations?.length ?? 0 },
  }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
