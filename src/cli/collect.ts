/**
 * `iamsim collect aws|azure|gcp`: reads a live estate with the cloud's own SDK (read-only calls only),
 * writes the native inputs and collect-report.json to --out (replaced whole at the end), and uploads them
 * to a server with --server. Each cloud's SDK is loaded only when its collector runs.
 */
import { Command } from 'commander';
import { Collector, type CollectReport } from '../collect/collector.js';
import { InputError } from '../core/problem.js';
import { readInputs } from './inputs.js';
import { progressBar } from './progress.js';
import { remoteEngine } from './engine.js';

const list = (v: string, acc: string[] = []) => [...acc, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

interface Common {
  out: string;
  concurrency: string;
  server?: string;
  name?: string;
}

type Run = (c: Collector, o: Record<string, unknown>) => Promise<void>;

const RUNS: Record<'aws' | 'azure' | 'gcp', Run> = {
  async aws(c, o) {
    const { collectAws } = await import('../../providers/aws/collect.js');
    await collectAws(c, {
      ...(o.accounts ? { accounts: o.accounts as string[] } : {}),
      ...(o.regions ? { regions: o.regions as string[] } : {}),
      ...(o.assumeRoleName ? { assumeRoleName: String(o.assumeRoleName) } : {}),
      ...(o.region ? { region: String(o.region) } : {}),
      ...(o.endpointUrl ? { endpoint: String(o.endpointUrl) } : {}),
      organization: o.organization !== false,
    });
  },
  async azure(c, o) {
    const { collectAzure } = await import('../../providers/azure/collect.js');
    const { DefaultAzureCredential } = await import('@azure/identity');
    await collectAzure(c, {
      credential: new DefaultAzureCredential(),
      ...(o.subscriptions ? { subscriptions: o.subscriptions as string[] } : {}),
      ...(o.managementGroups ? { managementGroups: o.managementGroups as string[] } : {}),
      ...(o.armEndpoint ? { endpoint: String(o.armEndpoint) } : {}),
      ...(o.graphEndpoint ? { graphEndpoint: String(o.graphEndpoint) } : {}),
      graph: o.graph !== false,
    });
  },
  async gcp(c, o) {
    const { collectGcp } = await import('../../providers/gcp/collect.js');
    await collectGcp(c, {
      ...(o.organization ? { organization: String(o.organization) } : {}),
      ...(o.projects ? { projects: o.projects as string[] } : {}),
      ...(o.assetInventory ? { assetInventory: String(o.assetInventory) } : {}),
    });
  },
};

function summary(r: CollectReport, out: string): string {
  const lines = [`collected ${r.provider}: ${r.files.length} files in ${out}, ${r.calls} calls, ${r.retries} retried after throttling`];
  if (r.failures.length) lines.push(`${r.failures.length} calls failed; what they would have read is missing (see ${out}/collect-report.json):`);
  for (const f of r.failures.slice(0, 20)) lines.push(`  ! ${f.target} ${f.call}: ${f.code ? `${f.code}: ` : ''}${f.message}`);
  for (const w of r.warnings) lines.push(`  ! ${w}`);
  return lines.join('\n') + '\n';
}

/** The `collect` command; setExit gets 0 when every call succeeded, 1 when some failed (the output is still written). */
export function collectCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('collect').description('read a live estate with the cloud SDKs (read-only) into a directory of native inputs');
  const common = (c: Command) =>
    c
      .requiredOption('--out <dir>', 'where to write the inputs and collect-report.json (replaced whole)')
      .option('--concurrency <n>', 'calls in flight at once', '8')
      .option('--server <url>', 'also upload the result to a running iamsim server as a snapshot (IAMSIM_TOKEN as bearer token)')
      .option('--name <name>', 'name of the uploaded snapshot');
  const run = (cloud: keyof typeof RUNS) => async (o: Common & Record<string, unknown>) => {
    const concurrency = Number(o.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new InputError('invalid_request', '/concurrency', '--concurrency must be an integer from 1 to 64');
    const bar = progressBar(`collecting ${cloud}`);
    const collector = new Collector(cloud, { concurrency, progress: bar.tick });
    let report: CollectReport;
    try {
      await RUNS[cloud](collector, o);
      report = await collector.write(o.out);
    } finally {
      bar.end();
    }
    process.stderr.write(summary(report, o.out));
    if (o.server) {
      const meta = await remoteEngine(o.server, undefined, process.env.IAMSIM_TOKEN).importSnapshot(await readInputs([o.out]), { activate: true, ...(o.name ? { name: o.name } : {}) });
      process.stdout.write(`uploaded snapshot ${meta.id} to ${o.server}\n`);
    }
    setExit(report.failures.length ? 1 : 0);
  };
  common(cmd.command('aws').description('IAM, Organizations, S3 and regional resource policies (credentials: the SDK default chain)'))
    .option('--accounts <ids>', 'accounts to read (comma-separated); default: every active account of the organization with --assume-role-name, else the caller\'s', list)
    .option('--regions <names>', 'regions of KMS, SQS, SNS, Lambda, Secrets Manager and ECR (comma-separated)', list)
    .option('--assume-role-name <name>', 'assume arn:aws:iam::<account>:role/<name> in each account')
    .option('--region <name>', 'region of the global services')
    .option('--no-organization', 'do not read AWS Organizations')
    .option('--endpoint-url <url>', 'send every call to this endpoint (a proxy)')
    .action(run('aws'));
  common(cmd.command('azure').description('RBAC, deny assignments, Azure Policy, locks, resources and Microsoft Graph groups (credentials: DefaultAzureCredential)'))
    .option('--subscriptions <ids>', 'subscriptions to read (comma-separated)', list)
    .option('--management-groups <ids>', 'management groups to read, with everything below them (comma-separated)', list)
    .option('--no-graph', 'do not read Microsoft Graph (group-based grants cannot then be resolved)')
    .option('--arm-endpoint <url>', 'Azure Resource Manager base URL (sovereign clouds)')
    .option('--graph-endpoint <url>', 'Microsoft Graph base URL (sovereign clouds)')
    .action(run('azure'));
  common(cmd.command('gcp').description('allow, deny and PAB policies, org policies, buckets, custom roles (credentials: Application Default Credentials)'))
    .option('--organization <id>', 'the organization to read (default: every one visible)')
    .option('--projects <ids>', 'only these projects and their ancestors (comma-separated)', list)
    .option('--asset-inventory <file>', 'a Cloud Asset Inventory export to use instead of reading buckets and policies one by one')
    .action(run('gcp'));
  return cmd;
}
