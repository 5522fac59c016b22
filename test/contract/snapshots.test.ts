/**
 * The snapshot routes through HTTP: upload (JSON, .tar.gz, multipart), list, get, delete, refs, browse, and
 * simulate against a snapshot with and without an overlay. Every response is checked against openapi.yaml.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { call } from '../helpers/contract.js';

let t: TestApp;
let app: FastifyInstance;
let fixturesId: string;

const json = (method: string, url: string, body?: unknown) =>
  call(app, { method, url, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });

const gaad = (user: string) => ({
  UserDetailList: [{ Path: '/', UserName: user, UserId: 'AIDAEXAMPLE000000001', Arn: `arn:aws:iam::555555555555:user/${user}`, GroupList: [], AttachedManagedPolicies: [],
    UserPolicyList: [{ PolicyName: 'read', PolicyDocument: { Version: '2012-10-17', Statement: [{ Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] } }] }],
  GroupDetailList: [], RoleDetailList: [], Policies: [],
});

beforeAll(async () => {
  t = await testApp();
  app = t.app;
  fixturesId = (await t.snapshots.resolve('active')).meta.id;
});
afterAll(() => t.close());

describe('snapshot store routes', () => {
  it('lists the bundled estate as the active snapshot', async () => {
    const r = await json('GET', '/v1/snapshots');
    expect(r.status).toBe(200);
    expect(r.body.active).toBe(fixturesId);
    expect(r.body.snapshots.map((s: { id: string }) => s.id)).toContain(fixturesId);
    const meta = await json('GET', '/v1/snapshots/active');
    expect(meta.body.id).toBe(fixturesId);
    expect(meta.body.counts.principals.user).toBeGreaterThan(0);
  });

  it('uploads JSON: the same files give the same id', async () => {
    const files = (await fixtureFiles()).map((f) => ({ name: f.name, content: f.text }));
    const r = await json('POST', '/v1/snapshots', { name: 'again', files });
    expect(r.status).toBe(201);
    expect(r.body.id).toBe(fixturesId);
  });

  it('uploads a .tar.gz without activating it, and deletes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iamsim-tar-'));
    writeFileSync(join(dir, 'iam-555555555555.json'), JSON.stringify(gaad('erin'), null, 2));
    const tgz = execFileSync('tar', ['czf', '-', '-C', dir, '.']);
    rmSync(dir, { recursive: true, force: true });
    const r = await call(app, { method: 'POST', url: '/v1/snapshots?activate=false&name=tarball', headers: { 'content-type': 'application/gzip' }, payload: tgz });
    expect(r.status).toBe(201);
    expect({ active: r.body.active, name: r.body.name, files: r.body.files.map((f: { name: string }) => f.name) }).toEqual({ active: false, name: 'tarball', files: ['iam-555555555555.json'] });
    expect((await json('GET', '/v1/snapshots')).body.active).toBe(fixturesId);
    const asked = await json('POST', '/v1/simulate', { provider: 'aws', snapshot: r.body.id, principal: 'arn:aws:iam::555555555555:user/erin', action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', resourceAccount: '555555555555' });
    expect(asked.body.decision).toBe('allowed');
    expect(asked.body.causes[0].statement.source).toMatchObject({ file: 'iam-555555555555.json', line: 16 });
    expect((await json('DELETE', `/v1/snapshots/${r.body.id}`)).status).toBe(204);
    expect((await json('GET', `/v1/snapshots/${r.body.id}`)).status).toBe(404);
    expect((await json('DELETE', `/v1/snapshots/${r.body.id}`)).status).toBe(404);
  });

  it('uploads multipart files', async () => {
    const boundary = 'iamsim-boundary';
    const part = (name: string, filename: string, content: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/json\r\n\r\n${content}\r\n`;
    const payload = `${part('file', 'iam-a.json', JSON.stringify(gaad('frank')))}--${boundary}\r\nContent-Disposition: form-data; name="activate"\r\n\r\nfalse\r\n--${boundary}--\r\n`;
    const r = await call(app, { method: 'POST', url: '/v1/snapshots', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(r.status).toBe(201);
    expect(r.body.counts.principals).toEqual({ user: 1 });
    expect(r.body.active).toBe(false);
    // Only the upload route reads multipart bodies.
    const elsewhere = await call(app, { method: 'POST', url: '/v1/simulate', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect({ status: elsewhere.status, code: elsewhere.body.code }).toEqual({ status: 415, code: 'unsupported_media_type' });
  });

  it('a failed upload names the file and leaves the store unchanged', async () => {
    const before = (await json('GET', '/v1/snapshots')).body;
    const bad = await json('POST', '/v1/snapshots', { files: [{ name: 'ok.json', content: gaad('gina') }, { name: 'broken.json', content: '{"UserDetailList": [' }] });
    expect({ status: bad.status, code: bad.body.code, file: bad.body.file }).toEqual({ status: 400, code: 'malformed_json', file: 'broken.json' });
    const stray = await json('POST', '/v1/snapshots', { files: [{ name: 'notes.json', content: { hello: 'world' } }] });
    expect({ status: stray.status, file: stray.body.file }).toEqual({ status: 400, file: 'notes.json' });
    expect((await json('GET', '/v1/snapshots')).body).toEqual(before);
  });

  it('points a ref at a snapshot', async () => {
    expect((await json('PUT', '/v1/refs/staging', { snapshot: 'active' })).body).toEqual({ name: 'staging', snapshot: fixturesId });
    expect((await json('GET', '/v1/refs/staging')).body.snapshot).toBe(fixturesId);
    expect((await json('GET', '/v1/refs/nothing')).status).toBe(404);
    expect((await json('PUT', '/v1/refs/staging', { snapshot: 'f'.repeat(32) })).status).toBe(404);
  });
});

describe('browsing a snapshot', () => {
  it('filters and pages principals', async () => {
    const r = await json('GET', '/v1/snapshots/active/principals?filter=alice');
    expect(r.body.items.map((p: { id: string }) => p.id)).toEqual(['arn:aws:iam::222222222222:user/alice']);
    const page1 = await json('GET', '/v1/snapshots/active/principals?kind=role&limit=2');
    expect(page1.body.items).toHaveLength(2);
    const page2 = await json('GET', `/v1/snapshots/active/principals?kind=role&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    expect((await json('GET', '/v1/snapshots/active/principals?limit=0')).body.pointer).toBe('/query/limit');
    expect((await json('GET', '/v1/snapshots/active/principals?colour=red')).body.pointer).toBe('/query/colour');
  });

  it('describes a principal: groups, policies, boundary and SCP path', async () => {
    const r = await json('GET', `/v1/snapshots/active/principals/${encodeURIComponent('arn:aws:iam::222222222222:user/alice')}`);
    expect(r.status).toBe(200);
    expect(r.body.groups.map((g: { name: string }) => g.name).sort()).toEqual(['developers', 'readers']);
    expect(r.body.scpPath.map((l: { target: string }) => l.target)).toEqual(['r-ab12', 'ou-ab12-11111111', '222222222222']);
    const role = await json('GET', `/v1/snapshots/active/principals/${encodeURIComponent('arn:aws:iam::222222222222:role/app')}`);
    expect(role.body.boundary.name).toBe('app-boundary');
    expect((await json('GET', `/v1/snapshots/active/principals/${encodeURIComponent('arn:aws:iam::222222222222:user/zed')}`)).status).toBe(404);
  });

  it('lists resources by kind', async () => {
    const r = await json('GET', '/v1/snapshots/active/resources?kind=aws:s3:bucket');
    expect(r.body.items.map((s: { id: string }) => s.id).sort()).toEqual(['arn:aws:s3:::prod-artifacts', 'arn:aws:s3:::prod-public-assets']);
    expect(r.body.items[0].path).toEqual(['222222222222', 'ou-ab12-11111111', 'r-ab12']);
  });
});

describe('simulate against a snapshot', () => {
  const alice = { provider: 'aws', principal: 'arn:aws:iam::222222222222:user/alice', action: 'dynamodb:DeleteTable', resource: 'arn:aws:dynamodb:eu-west-1:222222222222:table/orders' };

  it('names graph objects in its causes', async () => {
    const r = await json('POST', '/v1/simulate', { provider: 'aws', principal: 'arn:aws:iam::222222222222:user/alice', action: 'ec2:DescribeInstances', resource: '*', context: { 'aws:RequestedRegion': 'us-east-1' } });
    expect(r.body.causes[0]).toMatchObject({ kind: 'explicit_deny', layer: 'scp', level: 'ou-ab12-11111111', policy: { name: 'DenyOutsideEU', attachedTo: 'ou-ab12-11111111 (Workloads)' } });
    expect(r.body.causes[0].statement.source.file).toBe('fixtures/aws/estate/org.json');
    expect(r.body.summary).toMatch(/SCP DenyOutsideEU attached to ou-ab12-11111111 \(Workloads\), statement \d+ \(Sid \w+\), fixtures\/aws\/estate\/org\.json line \d+/);
  });

  it('404 with close matches for an unknown principal or resource', async () => {
    const p = await json('POST', '/v1/simulate', { ...alice, principal: 'arn:aws:iam::222222222222:user/alcie' });
    expect({ status: p.status, pointer: p.body.pointer }).toEqual({ status: 404, pointer: '/principal' });
    expect(p.body.detail).toContain('arn:aws:iam::222222222222:user/alice');
    const b = await json('POST', '/v1/simulate', { ...alice, action: 's3:GetObject', resource: 'arn:aws:s3:::prod-artefacts/x' });
    expect({ status: b.status, pointer: b.body.pointer }).toEqual({ status: 404, pointer: '/resource' });
    expect(b.body.detail).toContain('arn:aws:s3:::prod-artifacts');
    expect((await json('POST', '/v1/simulate', { ...alice, snapshot: 'nope' })).status).toBe(404);
  });

  it('an overlay changes the answer without storing anything', async () => {
    expect((await json('POST', '/v1/simulate', alice)).body.decision).toBe('denied');
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:DeleteTable', Resource: '*' }] };
    const added = await json('POST', '/v1/simulate', { ...alice, overlay: { add: [{ name: 'cleanup', attachment: 'identity', target: alice.principal, document }] } });
    expect(added.body.decision).toBe('allowed');
    expect(added.body.causes[0].policy.name).toBe('cleanup');
    expect((await json('POST', '/v1/simulate', alice)).body.decision).toBe('denied');
    const scp = { provider: 'aws', principal: alice.principal, action: 'ec2:DescribeInstances', resource: '*', context: { 'aws:RequestedRegion': 'us-east-1' } };
    const denyId = (await json('POST', '/v1/simulate', scp)).body.causes[0].policy.id;
    expect((await json('POST', '/v1/simulate', { ...scp, overlay: { remove: [denyId] } })).body.decision).toBe('allowed');
    const replaced = await json('POST', '/v1/simulate', { ...scp, overlay: { replace: [{ id: denyId, document: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }] } }] } });
    expect(replaced.body.decision).toBe('allowed');
    const unknown = await json('POST', '/v1/simulate', { ...scp, overlay: { remove: ['p-nothing'] } });
    expect({ status: unknown.status, pointer: unknown.body.pointer }).toEqual({ status: 404, pointer: '/overlay/remove/0' });
    const invalid = await json('POST', '/v1/simulate', { ...alice, overlay: { add: [{ attachment: 'identity', target: alice.principal, document: { Statement: [{ Effect: 'Permit', Action: '*', Resource: '*' }] } }] } });
    expect({ status: invalid.status, pointer: invalid.body.pointer }).toEqual({ status: 400, pointer: '/overlay/add/0/document/Statement/0/Effect' });
  });

  it('answers a batch against the snapshot, one problem per bad item', async () => {
    const r = await json('POST', '/v1/simulate:batch', { requests: [alice, { ...alice, principal: 'arn:aws:iam::222222222222:user/nobody' }] });
    expect(r.body.results[0].decision).toBe('denied');
    expect({ index: r.body.results[1].index, status: r.body.results[1].status }).toEqual({ index: 1, status: 404 });
  });
});
