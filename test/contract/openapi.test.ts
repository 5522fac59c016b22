/**
 * openapi.yaml lints clean, its examples are valid against its own schemas, and every scenario's answer,
 * in both explain levels, travels through the HTTP API and matches the contract.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations, projectRoot, validateBody } from '../../src/api/spec.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { call, checkResponse } from '../helpers/contract.js';

const run = promisify(execFile);

describe('openapi.yaml', () => {
  it('lints clean with redocly', async () => {
    const bin = join(projectRoot, 'node_modules', '.bin', 'redocly');
    const { stdout, stderr } = await run(bin, ['lint', 'openapi.yaml', '--format', 'stylish'], { cwd: projectRoot, env: { ...process.env, REDOCLY_TELEMETRY: 'off', NO_COLOR: '1' } });
    expect(`${stdout}${stderr}`).not.toMatch(/\b[1-9]\d* (error|warning)s?\b/);
  });

  it('its request and response examples match its own schemas', () => {
    let checked = 0;
    for (const { method, path, op } of operations()) {
      const body = (op.requestBody as any)?.content?.['application/json'];
      for (const ex of Object.values<any>(body?.examples ?? {})) {
        validateBody(String(op.operationId), ex.value);
        checked++;
      }
      for (const [status, res] of Object.entries<any>(op.responses ?? {})) {
        for (const [type, media] of Object.entries<any>(res.content ?? {})) {
          for (const ex of Object.values<any>(media.examples ?? {})) {
            checkResponse(method, path.replace(/\{[^}]+\}/g, 'x'), Number(status), type, type.endsWith('json') ? JSON.stringify(ex.value) : String(ex.value));
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(3);
  });
});

describe('every scenario through POST /v1/simulate matches the contract', () => {
  let t: TestApp;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = await testApp({ withFixtures: false });
    app = t.app;
  });
  afterAll(() => t.close());

  const dir = join(projectRoot, 'fixtures', 'aws', 'scenarios');
  const files = readdirSync(dir).flatMap((d) => (statSync(join(dir, d)).isDirectory() ? readdirSync(join(dir, d)).map((f) => join(dir, d, f)) : []));

  it('answers each scenario with a valid Decision, summary and full', async () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const { request, expect: want } = JSON.parse(readFileSync(f, 'utf8'));
      for (const explain of ['summary', 'full']) {
        const body = { ...request, options: { ...(request.options ?? {}), explain } };
        const r = await call(app, { method: 'POST', url: '/v1/simulate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        expect(r.status, f).toBe(200);
        expect(r.body.decision, f).toBe(want.decision);
      }
    }
  });
});
