/**
 * Contract checks: every response a test receives from a route in openapi.yaml must be declared there
 * (status and content type) and its body must validate against the declared schema.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { operations, specAjv, specSchema } from '../../src/api/spec.js';

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
