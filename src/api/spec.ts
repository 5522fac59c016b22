/**
 * openapi.yaml is the contract: it is loaded once, and request bodies are validated against the schemas
 * it declares (JSON Schema 2020-12, with ajv). Nothing here restates a schema in code.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { InputError, pointerToken } from '../core/problem.js';

type Json = Record<string, unknown>;

/** The project root: the folder holding openapi.yaml, found from this file (src/ or dist/src/). */
export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'openapi.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('openapi.yaml not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
})();

const specPath = join(projectRoot, 'openapi.yaml');
export const specText: string = readFileSync(specPath, 'utf8');

/**
 * The contract, parsed. The build writes dist/openapi.json (scripts/spec-json.mjs); reading it instead of
 * parsing the YAML saves a quarter of a second at every CLI start. A JSON copy older than the YAML is ignored.
 */
function loadSpec(): Json {
  const copy = join(projectRoot, 'dist', 'openapi.json');
  if (existsSync(copy) && statSync(copy).mtimeMs >= statSync(specPath).mtimeMs) return JSON.parse(readFileSync(copy, 'utf8')) as Json;
  return parse(specText) as Json;
}
export const spec: Json = loadSpec();

const COMPONENTS_ID = 'iamsim:components';

/** Rewrites '#/components/schemas/X' references to the schema registered with ajv. */
function rewriteRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rewriteRefs);
  if (v === null || typeof v !== 'object') return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = k === '$ref' && typeof x === 'string' && x.startsWith('#/components/schemas/') ? `${COMPONENTS_ID}#/$defs/${x.slice('#/components/schemas/'.length)}` : rewriteRefs(x);
  }
  return out;
}

/**
 * An Ajv2020 instance that knows every component schema. coerceTypes off: IAM semantics depend on types.
 * `source` keeps the generated code, for the build's precompiled validators.
 */
export function specAjv(source = false): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: true, strictTypes: false, strictTuples: false, strictRequired: false, ...(source ? { code: { source: true } } : {}) });
  addFormats.default(ajv);
  for (const k of ['example', 'discriminator', 'xml', 'externalDocs']) ajv.addKeyword(k);
  const schemas = ((spec.components as Json | undefined)?.schemas ?? {}) as Json;
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(schemas) as Json });
  return ajv;
}

export function specSchema(schema: unknown): Json {
  return rewriteRefs(schema) as Json;
}

/** Every operation in the spec: method, path and operation object. */
export function operations(): { method: string; path: string; op: Json }[] {
  const out: { method: string; path: string; op: Json }[] = [];
  for (const [path, item] of Object.entries(spec.paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      if (['get', 'post', 'put', 'delete', 'patch'].includes(method)) out.push({ method, path, op: op as Json });
    }
  }
  return out;
}

/** The JSON request body schema of an operation, if it takes one. */
export function bodySchema(operationId: string): unknown {
  const found = operations().find((o) => o.op.operationId === operationId);
  return (((found?.op.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema;
}

/** Component schemas validated on their own (validateComponent): the build precompiles them with the bodies. */
export const VALIDATED_COMPONENTS: readonly string[] = ['Expectations', 'Overlays', 'TerraformPlan'];

/** Built on first use: a command that validates nothing does not pay for it. */
let shared: Ajv2020 | undefined;
const ajv = (): Ajv2020 => (shared ??= specAjv());
const validators = new Map<string, ValidateFunction>();

/**
 * The validators the build compiled ahead (dist/validators.cjs, scripts/spec-json.mjs): loading them costs a
 * few milliseconds where compiling costs a tenth of a second at every CLI start. Ignored when older than
 * openapi.yaml, like dist/openapi.json.
 */
let ahead: Record<string, ValidateFunction> | null | undefined;
function compiledAhead(key: string): ValidateFunction | undefined {
  if (ahead === undefined) {
    const file = join(projectRoot, 'dist', 'validators.cjs');
    ahead = existsSync(file) && statSync(file).mtimeMs >= statSync(specPath).mtimeMs ? (createRequire(import.meta.url)(file) as Record<string, ValidateFunction>) : null;
  }
  return ahead?.[key];
}

function requestValidator(operationId: string): ValidateFunction {
  let v = validators.get(operationId);
  if (v) return v;
  const schema = bodySchema(operationId);
  if (!schema) throw new Error(`no JSON request body for operation ${operationId} in openapi.yaml`);
  v = compiledAhead(operationId) ?? ajv().compile(specSchema(schema));
  validators.set(operationId, v);
  return v;
}

/** The pointer of the field an ajv error is about. */
function errorPointer(e: ErrorObject): string {
  const p = e.params as Record<string, string>;
  if (e.keyword === 'additionalProperties') return `${e.instancePath}/${pointerToken(p.additionalProperty!)}`;
  if (e.keyword === 'required') return `${e.instancePath}/${pointerToken(p.missingProperty!)}`;
  if (e.keyword === 'propertyNames' && p.propertyName !== undefined) return `${e.instancePath}/${pointerToken(p.propertyName)}`;
  return e.instancePath;
}

function errorDetail(e: ErrorObject): string {
  const p = e.params as Record<string, string>;
  if (e.keyword === 'additionalProperties') return `unknown field '${p.additionalProperty}'`;
  if (e.keyword === 'required') return `'${p.missingProperty}' is required`;
  if (e.keyword === 'false schema') return `${e.instancePath} is not allowed here (a request that carries its policies is answered on its own, not against a snapshot)`;
  return `${e.instancePath || 'the body'} ${e.message ?? 'is invalid'}`;
}

function check(v: ValidateFunction, value: unknown, base: string): void {
  if (v(value)) return;
  const e = v.errors![0]!;
  throw new InputError('invalid_request', base + errorPointer(e), errorDetail(e));
}

/** Validates a body for an operation; throws InputError naming the first offending field. */
export function validateBody(operationId: string, body: unknown): void {
  check(requestValidator(operationId), body, '');
}

/** Validates a value against a component schema; the error's pointer is `base` + the field's pointer. */
export function validateComponent(name: string, value: unknown, base = ''): void {
  let v = validators.get(`#${name}`);
  if (!v) validators.set(`#${name}`, (v = compiledAhead(`#${name}`) ?? ajv().compile(specSchema({ $ref: `#/components/schemas/${name}` }))));
  check(v, value, base);
}

interface ParamCheck {
  name: string;
  in: 'query' | 'path';
  required: boolean;
  type: string;
  validate: ValidateFunction;
}
const paramChecks = new Map<string, ParamCheck[]>();

function checksFor(operationId: string): ParamCheck[] {
  let checks = paramChecks.get(operationId);
  if (checks) return checks;
  const found = operations().find((o) => o.op.operationId === operationId);
  checks = ((found?.op.parameters as Json[] | undefined) ?? []).map((p) => {
    const schema = (p.schema ?? {}) as Json;
    return { name: String(p.name), in: p.in as 'query' | 'path', required: p.required === true, type: String(schema.type ?? 'string'), validate: ajv().compile(specSchema(schema)) };
  });
  paramChecks.set(operationId, checks);
  return checks;
}

/**
 * Checks the query and path parameters of an operation against the spec; numbers and booleans in the query
 * are read from their text first. Unknown query parameters are rejected. Pointers are /query/<name>, /path/<name>.
 */
export function validateParams(operationId: string, query: Record<string, unknown>, params: Record<string, unknown>): void {
  const checks = checksFor(operationId);
  // Operations that take query parameters reject unknown ones (a typo is an error, not a default).
  const strict = checks.some((c) => c.in === 'query');
  for (const key of strict ? Object.keys(query ?? {}) : []) {
    if (!checks.some((c) => c.in === 'query' && c.name === key)) throw new InputError('invalid_request', `/query/${pointerToken(key)}`, `unknown query parameter '${key}'`);
  }
  for (const c of checks) {
    const source = c.in === 'query' ? query : params;
    const raw = source?.[c.name];
    if (raw === undefined) {
      if (c.required) throw new InputError('invalid_request', `/${c.in}/${c.name}`, `${c.in} parameter '${c.name}' is required`);
      continue;
    }
    let value: unknown = raw;
    if ((c.type === 'integer' || c.type === 'number') && typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
    if (c.type === 'boolean' && (raw === 'true' || raw === 'false')) value = raw === 'true';
    if (!c.validate(value)) throw new InputError('invalid_request', `/${c.in}/${c.name}`, `${c.in} parameter '${c.name}' ${c.validate.errors?.[0]?.message ?? 'is invalid'}`);
    source[c.name] = value;
  }
}
