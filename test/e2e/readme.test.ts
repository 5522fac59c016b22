/**
 * Starts the real server (the built dist/, as `npm start` does) and runs the README's curl examples
 * against it, checking each answer against the contract and the example's `# expect:` line.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResponse } from '../helpers/contract.js';

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
let server: ChildProcess;
let port = 0;
let dataDir = '';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

beforeAll(async () => {
  port = await freePort();
  dataDir = await mkdtemp(join(tmpdir(), 'iamsim-e2e-'));
  server = spawn(process.execPath, ['dist/src/server/main.js'], { cwd: root, env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', IAMSIM_DATA_DIR: dataDir }, stdio: 'inherit' });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not start');
});
afterAll(async () => {
  server?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

interface Example {
  cmd: string;
  /** The `# expect:` line after the command, if any. */
  expectLine: string;
}

/** The README's shell commands that call the API (a command runs until its quotes balance). */
function examples(): Example[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const out: Example[] = [];
  for (const [, block] of readme.matchAll(/```bash\n([\s\S]*?)```/g)) {
    let cur: string[] = [];
    const flush = () => {
      if (cur.length) out.push({ cmd: cur.join('\n'), expectLine: '' });
      cur = [];
    };
    for (const line of block!.split('\n')) {
      const expectMatch = /^# expect: (.+)/.exec(line);
      if (expectMatch) {
        flush();
        out[out.length - 1]!.expectLine = expectMatch[1]!.trim();
        continue;
      }
      if (/^(curl|tar) /.test(line) && (cur.join('\n').split("'").length - 1) % 2 === 0) flush();
      if (cur.length || /^(curl|tar) /.test(line)) cur.push(line);
    }
    flush();
  }
  return out.filter((e) => e.cmd.includes('curl '));
}

describe('README tour against the running server', () => {
  const list = examples();
  it('the README has curl examples, most with an expectation', () => {
    expect(list.length).toBeGreaterThanOrEqual(8);
    expect(list.filter((e) => e.expectLine).length).toBeGreaterThanOrEqual(7);
  });

  for (const [i, e] of list.entries()) {
    it(`example ${i + 1}: ${e.expectLine || e.cmd.split('\n')[0]!.slice(0, 80)}`, async () => {
      const cmd = e.cmd.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`).replace('curl -s', 'curl -s -w "\\n%{http_code} %{content_type}"');
      const { stdout } = await run('bash', ['-c', cmd], { cwd: root });
      const lines = stdout.trimEnd().split('\n');
      const [status, type] = lines.pop()!.split(' ');
      const body = lines.join('\n');
      const url = /curl -s '?(http:\/\/[^\s']+)/.exec(e.cmd)![1]!.replace(/^http:\/\/[^/]+/, '');
      const method = /(^|\s)(-d|--data-binary) /.test(e.cmd) ? 'POST' : 'GET';
      checkResponse(method, url, Number(status), type, body);
      expect(Number(status)).toBeLessThan(300);
      if (!e.expectLine) return;
      const answer = JSON.parse(body);
      if (e.expectLine === 'batch') {
        expect(answer.results[0].decision).toBe('allowed');
        expect(answer.results[1].code).toBe('invalid_arn');
        return;
      }
      const [decision, reason] = e.expectLine.split(' ');
      expect({ decision: answer.decision, reason: answer.reason }, answer.summary).toEqual({ decision, reason });
      expect(answer.causes.length).toBeGreaterThan(0);
    });
  }

  it('serves the docs UI and its assets without the internet', async () => {
    const page = await fetch(`http://127.0.0.1:${port}/docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => /^https?:\/\//.test(a))).toBe(false);
    for (const a of assets) {
      const res = await fetch(new URL(a, `http://127.0.0.1:${port}/docs/`));
      expect(res.status, a).toBe(200);
    }
    // The UI loads the spec from this server and calls no validator or CDN (comments aside).
    const init = (await (await fetch(`http://127.0.0.1:${port}/docs/static/swagger-initializer.js`)).text()).replace(/\/\/.*$/gm, '');
    expect(init).not.toMatch(/https?:\/\//);
    expect(init).toContain('validatorUrl: null');
    const specForUi = await fetch(`http://127.0.0.1:${port}/docs/json`);
    expect(specForUi.status).toBe(200);
    expect((await specForUi.json()).paths['/v1/simulate']).toBeDefined();
  });

  it('serves the contract as YAML and JSON', async () => {
    const yaml = await fetch(`http://127.0.0.1:${port}/openapi.yaml`);
    expect(yaml.status).toBe(200);
    expect(await yaml.text()).toContain('openapi: 3.1');
    const json = await (await fetch(`http://127.0.0.1:${port}/openapi.json`)).json();
    expect(json.openapi).toMatch(/^3\.1/);
  });
});
