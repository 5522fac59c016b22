/**
 * Contract checks: every response a test receives from a route in openapi.yaml must be declared there
 * (status and content type) and its body must validate against the declared schema.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { operations, specAjv, specSchema } from '../../src/api/spec.js';
import { readScenario, type Scenario } from './scenario.js';

type Json = Record<string, unknown>;

const ajv = specAjv();
const compiled = new Map<string, ValidateFunction>();
export const checkedOperations = new Set<string>();

/** The spec operation for a method and a concrete URL path, if the path is in the contract. */
export function findOperation(method: string, url: string): { path: string; op: Json } | undefined {
  const path = url.split('?')[0]!;
  return operations().find((o) => o.method === method.toLowerCase() && new RegExp(`^${o.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`).test(path));
}

export function checkResponse(method: string, url: string, status: number, contentType: string | undefined, body: string): void {
  const found = findOperation(method, url);
  if (!found) return; // outside the contract (the docs UI and 404s for unknown routes)
  const id = String(found.op.operationId);
  const responses = found.op.responses as Json;
  const declared = (responses[String(status)] ?? responses.default) as Json | undefined;
  if (!declared) throw new Error(`${method} ${url}: status ${status} is not declared for ${id} in openapi.yaml`);
  const type = (contentType ?? '').split(';')[0]!.trim();
  const content = declared.content as Json | undefined;
  if (!content) return;
  const media = content[type] as Json | undefined;
  if (!media) throw new Error(`${method} ${url}: ${status} ${type} is not declared for ${id} (declared: ${Object.keys(content).join(', ')})`);
  checkedOperations.add(`${id} ${status}`);
  if (!media.schema) return;
  const key = `${id}|${status}|${type}`;
  let v = compiled.get(key);
  if (!v) compiled.set(key, (v = ajv.compile(specSchema(media.schema))));
  const value = type.endsWith('json') ? JSON.parse(body) : body;
  if (!v(value)) throw new Error(`${method} ${url}: ${status} body does not match openapi.yaml: ${ajv.errorsText(v.errors)}`);
}

export interface Reply {
  status: number;
  type: string;
  body: any;
  raw: string;
}

/** app.inject with the contract check applied to the response. */
export async function call(app: FastifyInstance, opts: InjectOptions & { url: string; method: string }): Promise<Reply> {
  const res = await app.inject(opts);
  checkResponse(opts.method, opts.url, res.statusCode, res.headers['content-type'] as string | undefined, res.body);
  const type = String(res.headers['content-type'] ?? '');
  return { status: res.statusCode, type, raw: res.body, body: type.includes('json') ? JSON.parse(res.body) : res.body };
}

/** `call` for JSON bodies: `json('POST', '/v1/simulate', body)`. */
export function jsonClient(app: FastifyInstance) {
  return (method: string, url: string, body?: unknown) =>
    call(app, { method, url, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
}

/** Uploads native input files (name -> JSON value, NDJSON array or text) as an inactive snapshot; its id. */
export async function uploadInputs(json: ReturnType<typeof jsonClient>, inputs: Record<string, unknown>, name: string): Promise<string> {
  const r = await json('POST', '/v1/snapshots?activate=false', { name, files: Object.entries(inputs).map(([file, content]) => ({ name: file, content })) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}

/**
 * Every scenario through POST /v1/simulate at both explain levels: its inputs uploaded by `upload` (which
 * returns the snapshot id), each answer a 200 with the scenario's decision, then given to `check` (the
 * cloud's own section).
 */
export async function simulateScenarios(
  json: ReturnType<typeof jsonClient>,
  files: readonly string[],
  upload: (inputs: Record<string, unknown>) => Promise<string>,
  check: (body: any, file: string, scenario: Scenario) => void,
): Promise<void> {
  for (const f of files) {
    const s = readScenario(f);
    const id = await upload(s.inputs as Record<string, unknown>);
    for (const explain of ['summary', 'full']) {
      const r = await json('POST', '/v1/simulate', { ...(s.request as object), snapshot: id, options: { explain } });
      expect(r.status, f).toBe(200);
      expect(r.body.decision, f).toBe(s.expect.decision);
      check(r.body, f, s);
    }
  }
}
