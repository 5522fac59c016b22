#!/usr/bin/env node
/**
 * The iamsim command line: serve, simulate, snapshot import, check and diff. Offline by default (the
 * embedded engine on a snapshot directory or file); `--server URL` asks a running service instead.
 * Exit codes: 0 all passed, 1 expectations failed or forbidden access found, 2 bad input or usage,
 * 3 internal error.
 */
import { Command, CommanderError, Option } from 'commander';
import { FORMATS, renderCheck, renderDiff, type Format } from '../ci/format/index.js';
import type { CheckBody, DiffBody } from '../api/ci.js';
import { InputError } from '../core/problem.js';
import { parseExpectations } from '../ci/expectations.js';
import { writeFileAtomic } from '../store/atomic.js';
import { VERSION } from '../version.js';
import { painter } from '../ci/format/paint.js';
import { decisionText } from './decision-text.js';
import { localEngine, remoteEngine, RemoteFailure, RemoteProblem, type Engine } from './engine.js';
import { displayName, readInputs, readJson, readText } from './inputs.js';
import { progressBar } from './progress.js';
import { collectCommand } from './collect.js';

const EXIT = { ok: 0, failed: 1, usage: 2, internal: 3 } as const;

interface Common {
  snapshot?: string[];
  server?: string;
  dataDir: string;
}

function engineFor(o: Common): Engine {
  const server = o.server ?? process.env.IAMSIM_SERVER;
  return server ? remoteEngine(server, o.snapshot, process.env.IAMSIM_TOKEN) : localEngine(o.snapshot, o.dataDir);
}

const useColour = (stream: NodeJS.WriteStream) => stream.isTTY === true && !process.env.NO_COLOR;

/** Writes the output to a file (whole or not at all) or to stdout. */
async function emit(text: string, output: string | undefined): Promise<void> {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  if (output) await writeFileAtomic(output, body);
  else process.stdout.write(body);
}

/** A context value from the command line: JSON when it parses (numbers, booleans, arrays), else the text. */
function contextPair(pair: string, acc: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new InputError('invalid_request', '/context', `--context takes key=value, got '${pair}'`);
  const raw = pair.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // plain text
  }
  return { ...acc, [pair.slice(0, eq)]: value };
}

/** The provider a principal's spelling implies, when --provider is not given. */
function providerOf(principal: string): string {
  if (principal.startsWith('arn:') || principal === '*') return 'aws';
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(principal)) return 'azure';
  return 'gcp';
}

async function changes(o: { plan?: string; overlay?: string }): Promise<Pick<CheckBody, 'terraformPlan' | 'planFile' | 'overlay'>> {
  if (o.plan && o.overlay) throw new InputError('invalid_request', '', 'give --plan or --overlay, not both');
  if (o.plan) return { terraformPlan: await readJson(o.plan), planFile: displayName(o.plan) };
  if (o.overlay) return { overlay: await readJson(o.overlay) };
  return {};
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('--snapshot <path-or-id...>', 'estate directory, files or .tar.gz to load; or a snapshot id or ref (default: active)')
    .option('--server <url>', 'ask a running iamsim server instead of the embedded engine (IAMSIM_TOKEN is sent as a bearer token)')
    .option('--data-dir <dir>', 'where stored snapshots live (offline mode)', process.env.IAMSIM_DATA_DIR ?? 'data');
}

const formatOption = () => new Option('--format <format>', 'output format').choices(FORMATS as unknown as string[]).default('text');

function program(setExit: (code: number) => void): Command {
  const cli = new Command('iamsim')
    .description('Why would principal X get a 403 on action Y on resource Z? For AWS, Azure and Google Cloud.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  cli
    .command('serve')
    .description('start the HTTP API (and /docs) on the stored or bundled snapshots')
    .option('--port <port>', 'TCP port', process.env.PORT ?? '8080')
    .option('--host <host>', 'address to listen on', process.env.HOST ?? '127.0.0.1')
    .option('--data-dir <dir>', 'where snapshots are stored', process.env.IAMSIM_DATA_DIR ?? 'data')
    .action(async (o: { port: string; host: string; dataDir: string }) => {
      const { startServer } = await import('../server/start.js');
      await startServer({ ...process.env, PORT: o.port, HOST: o.host, IAMSIM_DATA_DIR: o.dataDir });
    });

  addCommon(
    cli
      .command('simulate')
      .description('explain one decision (human-readable; --json for the API answer)')
      .option('--provider <provider>', 'aws, gcp or azure (default: read from the principal)')
      .option('--principal <principal>', 'who asks: an ARN, a GCP member, an Azure object id')
      .option('--action <action>', 'the action or permission')
      .option('--resource <resource>', 'the resource')
      .option('--context <key=value>', 'a context value (repeatable; JSON values are read as JSON)', contextPair)
      .option('--body <file>', 'a whole POST /v1/simulate body instead of the options above')
      .option('--explain <level>', 'summary or full', 'summary')
      .option('--json', 'print the Decision as JSON'),
  ).action(async (o: Common & { provider?: string; principal?: string; action?: string; resource?: string; context?: Record<string, unknown>; body?: string; explain: string; json?: boolean }) => {
    let body: Record<string, unknown>;
    if (o.body) body = (await readJson(o.body)) as Record<string, unknown>;
    else {
      for (const k of ['principal', 'action', 'resource'] as const) if (!o[k]) throw new InputError('invalid_request', `/${k}`, `--${k} is required (or --body FILE)`);
      body = { provider: o.provider ?? providerOf(o.principal!), principal: o.principal, action: o.action, resource: o.resource, options: { explain: o.explain } };
      if (o.context) body.context = o.context;
    }
    const d = await engineFor(o).simulate(body);
    await emit(o.json ? JSON.stringify(d, null, 2) : decisionText(d, painter(useColour(process.stdout))), undefined);
  });

  const snapshot = cli.command('snapshot').description('snapshots of an estate');
  snapshot
    .command('import')
    .description('load native exports (directories, files, .tar.gz) into a snapshot: stored in --data-dir, or uploaded with --server')
    .argument('<paths...>')
    .option('--name <name>', 'a name for the snapshot')
    .option('--no-activate', 'do not make it the active snapshot')
    .option('--server <url>', 'upload to a running iamsim server')
    .option('--data-dir <dir>', 'where snapshots are stored', process.env.IAMSIM_DATA_DIR ?? 'data')
    .option('--json', 'print the snapshot metadata as JSON')
    .action(async (paths: string[], o: Common & { name?: string; activate: boolean; json?: boolean }) => {
      const files = await readInputs(paths);
      const meta = await engineFor(o).importSnapshot(files, { activate: o.activate, ...(o.name ? { name: o.name } : {}) });
      if (o.json) return emit(JSON.stringify(meta, null, 2), undefined);
      const counts = meta.counts as { principals?: Record<string, number>; policies?: Record<string, number> };
      const sum = (r: Record<string, number> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);
      const lines = [`snapshot ${meta.id}${meta.active ? ' (active)' : ''}: ${meta.files.length} files, providers ${meta.providers.join(', ')}, ${sum(counts.principals)} principals, ${sum(counts.policies)} policies`];
      for (const w of meta.warnings) lines.push(`  ! ${w.code}: ${w.message}${w.file ? ` (${w.file}${w.pointer ? ` ${w.pointer}` : ''})` : ''}`);
      return emit(lines.join('\n'), undefined);
    });

  addCommon(
    cli
      .command('check')
      .description('check an expectations file against the snapshot, or the snapshot with a Terraform plan or overlay applied')
      .requiredOption('--expect <file>', 'the expectations (access.yaml)')
      .option('--plan <file>', 'terraform show -json output')
      .option('--overlay <file>', 'an overlay per provider ({"aws": {...}, "gcp": {...}, "azure": {...}})')
      .addOption(formatOption())
      .option('--output <file>', 'write the report to a file instead of stdout'),
  ).action(async (o: Common & { expect: string; plan?: string; overlay?: string; format: Format; output?: string }) => {
    const body: CheckBody = { expectationsText: await readText(o.expect), expectationsFile: displayName(o.expect), ...(await changes(o)) };
    const bar = progressBar('checking');
    const report = await engineFor(o).check(body, bar.tick).finally(bar.end);
    await emit(renderCheck(report, o.format, { color: !o.output && useColour(process.stdout), version: VERSION }), o.output);
    setExit(report.summary.errors ? EXIT.usage : report.summary.failed ? EXIT.failed : EXIT.ok);
  });

  addCommon(
    cli
      .command('diff')
      .description('every decision a Terraform plan or an overlay would change: new and removed access, with both explanations')
      .option('--plan <file>', 'terraform show -json output')
      .option('--overlay <file>', 'an overlay per provider')
      .option('--expect <file>', 'ask the questions of an expectations file too')
      .option('--no-probes', 'ask only the expectations, not the automatic probe set')
      .addOption(new Option('--fail-on <what>', 'exit 1 on new access, on any change, or never').choices(['new', 'any', 'none']).default('new'))
      .addOption(formatOption())
      .option('--output <file>', 'write the report to a file instead of stdout'),
  ).action(async (o: Common & { plan?: string; overlay?: string; expect?: string; probes: boolean; failOn: string; format: Format; output?: string }) => {
    const ch = await changes(o);
    if (!ch.overlay && !ch.terraformPlan) throw new InputError('invalid_request', '', 'diff needs --plan or --overlay');
    const body: DiffBody = { ...ch, probes: o.probes };
    if (o.expect) body.expectations = parseExpectations(await readText(o.expect), displayName(o.expect)).doc;
    const bar = progressBar('diffing');
    const report = await engineFor(o).diff(body, bar.tick).finally(bar.end);
    await emit(renderDiff(report, o.format, { color: !o.output && useColour(process.stdout), version: VERSION }), o.output);
    const s = report.summary;
    const fail = o.failOn === 'new' ? s.newAccess > 0 : o.failOn === 'any' ? s.newAccess + s.removedAccess + s.changed > 0 : false;
    setExit(fail ? EXIT.failed : EXIT.ok);
  });
  cli.addCommand(collectCommand(setExit));
  return cli;
}

/** A problem in words for stderr: what is wrong, and where (file:line:column, or the JSON pointer). */
function problemText(e: InputError | RemoteProblem): string {
  const p = e instanceof RemoteProblem ? e.problem : { detail: e.message, pointer: e.pointer, file: e.file, line: e.line, column: e.column };
  const at = p.file ? `${p.file}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}${p.pointer ? ` ${p.pointer}` : ''}` : p.pointer;
  return `iamsim: ${p.detail}${at ? ` (at ${at})` : ''}\n`;
}

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program((c) => (code = c)).parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (e instanceof InputError || e instanceof RemoteProblem) {
      process.stderr.write(problemText(e));
      return EXIT.usage;
    }
    process.stderr.write(`iamsim: ${e instanceof RemoteFailure ? e.message : `internal error: ${(e as Error).stack ?? String(e)}`}\n`);
    return EXIT.internal;
  }
}

const code = await main(process.argv);
if (code !== EXIT.ok || process.argv[2] !== 'serve') process.exitCode = code;
