// Providers load on first need (src/providers.ts): the command line engine on one cloud's estate loads that
// cloud's engine only. This file must not import src/all-providers.ts, which loads every provider.
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, test } from 'vitest';
import { localEngine } from '../../src/cli/engine.js';
import { parseFile } from '../../src/core/snapshot.js';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { loadedProvider, providersFor } from '../../src/providers.js';

describe('provider registry', () => {
  test('tells which providers a set of files needs', async () => {
    const parse = async (dir: string) => (await fixtureFiles(dir)).map(parseFile);
    expect(providersFor(await parse('fixtures/aws/estate'))).toEqual(['aws']);
    expect(providersFor(await parse('fixtures/gcp/estate'))).toEqual(['gcp']);
    expect(providersFor(await parse('fixtures/azure/estate'))).toEqual(['azure']);
    expect(providersFor([...(await parse('fixtures/gcp/estate')), ...(await parse('fixtures/aws/estate'))])).toEqual(['aws', 'gcp']);
  });

  test('a check on an AWS estate loads the AWS engine alone, and a Google plan change loads Google only to say it is not read', async () => {
    const engine = localEngine(['fixtures/aws/estate'], tmpdir());
    const must = [{ name: 'deployer uploads', provider: 'aws', principal: 'arn:aws:sts::222222222222:assumed-role/deployer/ci-pipeline-4711', action: 's3:PutObject', resource: 'arn:aws:s3:::prod-artifacts/releases/app-1.4.2.zip', context: { 'aws:RequestedRegion': 'eu-west-1' } }];
    const report = await engine.check({ expectations: { version: 1, must } });
    expect(report.summary).toMatchObject({ passed: 1, failed: 0 });
    expect(loadedProvider('aws')).toBeDefined();
    expect(loadedProvider('gcp')).toBeUndefined();
    expect(loadedProvider('azure')).toBeUndefined();

    const plan = JSON.parse(await readFile('fixtures/ci/terraform/gcp-grants.plan.json', 'utf8')) as { resource_changes: { address: string; type: string }[] };
    const withPlan = await engine.check({ expectations: { version: 1, must }, terraformPlan: plan });
    const notRead = withPlan.changes?.warnings.filter((w) => w.message === 'not read: the snapshot holds no gcp inputs').map((w) => w.address);
    const read = new Set(loadedProvider('gcp')!.ci.terraformTypes);
    expect(notRead).toEqual(plan.resource_changes.filter((c) => read.has(c.type)).map((c) => c.address));
    expect(notRead!.length).toBeGreaterThan(5);
    expect(loadedProvider('azure')).toBeUndefined();
  });
});
