/**
 * The Fastify app: routes come from openapi.yaml (one handler per operationId), bodies are parsed with
 * bounds, validated against the spec, and every error leaves as application/problem+json.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { guardJson } from '../core/json-guard.js';
import { parseJsonText } from '../core/json-text.js';
import { InputError, toProblem, type Problem } from '../core/problem.js';
import { MAX_BATCH, simulateMany, simulateOne } from '../api/simulate.js';
import { operations, spec, specText, validateBody } from '../api/spec.js';

export interface AppOptions {
  logger?: boolean | { level: string };
  /** Largest body for single requests, in bytes. */
  bodyLimit?: number;
  /** Largest body for batch requests, in bytes. */
  batchBodyLimit?: number;
}

export const VERSION = '0.1.0';

type Handler = (req: FastifyRequest, reply: FastifyReply) => unknown;

function parseBody(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Parse again with positions, to name where the text stops being JSON.
    parseJsonText(text);
    throw new InputError('malformed_json', '', 'the body is not valid JSON');
  }
  guardJson(value);
  return value;
}

const handlers: Record<string, Handler> = {
  health: () => ({ status: 'ok', version: VERSION }),
  getOpenApiYaml: (_req, reply) => reply.type('application/yaml').send(specText),
  getOpenApiJson: () => spec,
  simulate: (req) => simulateOne(req.body),
  simulateBatch: (req) => {
    const body = req.body as { requests?: unknown[] };
    try {
      validateBody('simulateBatch', body);
    } catch (e) {
      // One bad item gets its own problem entry; only a bad envelope fails the whole batch.
      const itemError = e instanceof InputError && /^\/requests\/\d+/.test(e.pointer);
      if (!itemError || !Array.isArray(body.requests) || body.requests.length > MAX_BATCH) throw e;
    }
    return { results: simulateMany(body.requests!) };
  },
};

function problemFor(err: FastifyError | InputError | Error): Problem {
  if (err instanceof InputError) return toProblem(err);
  const code = (err as FastifyError).code;
  const status = (err as FastifyError).statusCode ?? 500;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return toProblem(new InputError('body_too_large', '', 'the body is larger than the limit for this route', 413));
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return toProblem(new InputError('unsupported_media_type', '', 'send the body as application/json', 415));
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return toProblem(new InputError('malformed_json', '', 'the body is empty'));
  if (status >= 400 && status < 500) return toProblem(new InputError('invalid_request', '', err.message, status));
  return { type: 'urn:iamsim:problem:internal', title: 'Internal error', status: 500, detail: 'the server failed to answer; see its log', code: 'internal' as Problem['code'], pointer: '' };
}

export async function buildApp(opts: AppOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = opts.bodyLimit ?? 1024 * 1024;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestTimeout: 30_000,
    routerOptions: { maxParamLength: 200 },
  });

  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text: string | Buffer, done) => {
    try {
      done(null, parseBody(String(text)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    const problem = problemFor(err as Error);
    if (problem.status >= 500) req.log.error(err);
    return reply.status(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).type('application/problem+json').send(toProblem(new InputError('not_found', '', `no route ${req.method} ${req.url.split('?')[0]}`, 404))),
  );

  await app.register(swagger, { mode: 'static', specification: { document: spec as never } });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { tryItOutEnabled: true } });

  for (const { method, path, op } of operations()) {
    const handler = handlers[op.operationId as string];
    if (!handler) throw new Error(`openapi.yaml operation ${String(op.operationId)} has no handler`);
    app.route({
      method: method.toUpperCase() as 'GET' | 'POST',
      // Fastify reads ':' as a parameter; '::' is a literal colon (as in /v1/simulate:batch).
      url: path.replace(/:/g, '::').replace(/\{([^}]+)\}/g, ':$1'),
      bodyLimit: op.operationId === 'simulateBatch' ? opts.batchBodyLimit ?? 64 * 1024 * 1024 : bodyLimit,
      handler,
    });
  }
  return app;
}
