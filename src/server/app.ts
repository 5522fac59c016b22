/**
 * The Fastify app: routes come from openapi.yaml (one handler per operationId), bodies are parsed with
 * bounds, validated against the spec, and every error leaves as application/problem+json.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import multipart from '@fastify/multipart';
import { parseUserJson } from '../core/json-guard.js';
import { InputError, toProblem, type Problem } from '../core/problem.js';
import { MAX_BATCH, simulateManyResolved, simulateResolved } from '../api/simulate.js';
import { operations, spec, specText, validateBody, validateParams } from '../api/spec.js';
import { SnapshotService } from '../api/snapshots.js';
import { checkFromBody, diffFromBody } from '../api/ci.js';
import { browsePrincipals, browseResources } from '../api/browse.js';
import { MAX_FILES, cleanName, filesFromJson, filesFromTarGz, isTarGz, type JsonUpload } from '../api/upload.js';
import type { InputFile } from '../core/snapshot.js';
import { VERSION } from '../version.js';

export interface AppOptions {
  logger?: boolean | { level: string };
  /** Largest body for single requests, in bytes. */
  bodyLimit?: number;
  /** Largest body for batch requests, in bytes. */
  batchBodyLimit?: number;
  /** Largest snapshot upload (and what an archive may unpack to), in bytes. */
  uploadLimit?: number;
  snapshots: SnapshotService;
  /** When set, /v1 routes require `Authorization: Bearer <token>` (IAMSIM_TOKEN). */
  token?: string;
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => unknown;
type Operation = ReturnType<typeof operations>[number];

function makeHandlers(snapshots: SnapshotService, uploadLimit: number): Record<string, Handler> {
  const resolve = (ref: string) => snapshots.resolve(ref);
  const snapshotParam = (req: FastifyRequest) => (req.params as { id: string }).id;
  return {
    health: () => ({ status: 'ok', version: VERSION }),
    getOpenApiYaml: (_req, reply) => reply.type('application/yaml').send(specText),
    getOpenApiJson: () => spec,
    simulate: (req) => simulateResolved(req.body, resolve),
    runChecks: (req) => checkFromBody(req.body, resolve),
    runDiff: (req) => diffFromBody(req.body, resolve),
    simulateBatch: (req) => {
      const body = req.body as { requests?: unknown[] };
      try {
        validateBody('simulateBatch', body);
      } catch (e) {
        // One bad item gets its own problem entry; only a bad envelope fails the whole batch.
        const itemError = e instanceof InputError && /^\/requests\/\d+/.test(e.pointer);
        if (!itemError || !Array.isArray(body.requests) || body.requests.length > MAX_BATCH) throw e;
      }
      return simulateManyResolved(body.requests!, resolve).then((results) => ({ results }));
    },
    uploadSnapshot: async (req, reply) => {
      // Query values are already checked and typed against openapi.yaml (validateParams).
      const query = req.query as { name?: string; activate?: boolean };
      let name = query.name;
      let activate = query.activate ?? true;
      const files: InputFile[] = [];
      if (req.isMultipart()) {
        for await (const part of req.parts()) {
          if (part.type === 'file') {
            const data = await part.toBuffer();
            if (isTarGz(part.filename, part.mimetype)) files.push(...filesFromTarGz(data, uploadLimit));
            else files.push({ name: cleanName(part.filename, `/${part.fieldname}`), text: data.toString('utf8') });
          } else if (part.fieldname === 'name') name = String(part.value);
          else if (part.fieldname === 'activate') activate = String(part.value) !== 'false';
          if (files.length > MAX_FILES) throw new InputError('too_large', '', `more than ${MAX_FILES} files`, 413);
        }
      } else if (Buffer.isBuffer(req.body)) files.push(...filesFromTarGz(req.body, uploadLimit));
      else {
        validateBody('uploadSnapshot', req.body);
        const body = req.body as JsonUpload;
        files.push(...filesFromJson(body));
        name = body.name ?? name;
        activate = body.activate ?? activate;
      }
      const opts: { name?: string; activate: boolean } = { activate };
      if (name !== undefined) opts.name = name;
      const { meta, active } = await snapshots.upload(files, opts);
      return reply.status(201).send({ ...meta, active });
    },
    listSnapshots: () => snapshots.list(),
    getSnapshot: async (req) => snapshots.meta(snapshotParam(req)),
    deleteSnapshot: async (req, reply) => {
      const id = snapshotParam(req);
      if (!(await snapshots.remove(id))) throw new InputError('not_found', '', `no snapshot ${id}`, 404);
      return reply.status(204).send();
    },
    listPrincipals: async (req) => browsePrincipals(await snapshots.resolve(snapshotParam(req), ''), req.query as Record<string, string>),
    getPrincipal: async (req) => {
      const snap = await snapshots.resolve(snapshotParam(req), '');
      const id = (req.params as { principal: string }).principal;
      for (const p of snap.providers.values()) {
        const found = p.describePrincipal(snap, id);
        if (found) return found;
      }
      throw new InputError('not_found', '', `no principal ${id} in snapshot ${snap.meta.id}`, 404);
    },
    listResources: async (req) => browseResources(await snapshots.resolve(snapshotParam(req), ''), req.query as Record<string, string>),
    getRef: async (req) => {
      const name = (req.params as { name: string }).name;
      const id = await snapshots.getRef(name);
      if (!id) throw new InputError('not_found', '', `no ref ${name}`, 404);
      return { name, snapshot: id };
    },
    setRef: async (req) => {
      validateBody('setRef', req.body);
      const name = (req.params as { name: string }).name;
      return { name, snapshot: await snapshots.setRef(name, (req.body as { snapshot: string }).snapshot) };
    },
  };
}

function problemFor(err: FastifyError | InputError | Error): Problem {
  if (err instanceof InputError) return toProblem(err);
  const code = (err as FastifyError).code;
  const status = (err as FastifyError).statusCode ?? 500;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return toProblem(new InputError('body_too_large', '', 'the body is larger than the limit for this route', 413));
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return toProblem(new InputError('unsupported_media_type', '', 'send the body as application/json', 415));
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return toProblem(new InputError('malformed_json', '', 'the body is empty'));
  if (status >= 400 && status < 500) return toProblem(new InputError('invalid_request', '', err.message, status));
  return { type: 'urn:iamsim:problem:internal', title: 'Internal error', status: 500, detail: 'the server failed to answer; see its log', code: 'internal' as Problem['code'], pointer: '' };
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const bodyLimit = opts.bodyLimit ?? 1024 * 1024;
  const uploadLimit = opts.uploadLimit ?? 256 * 1024 * 1024;
  const handlers = makeHandlers(opts.snapshots, uploadLimit);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestTimeout: 30_000,
    routerOptions: { maxParamLength: 2048 },
  });

  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text: string | Buffer, done) => {
    try {
      done(null, parseUserJson(String(text)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.addContentTypeParser(['application/gzip', 'application/x-gzip', 'application/x-tar+gzip', 'application/x-gtar'], { parseAs: 'buffer', bodyLimit: uploadLimit }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, req, reply) => {
    const problem = problemFor(err as Error);
    if (problem.status >= 500) req.log.error(err);
    return reply.status(problem.status).type('application/problem+json').send(problem);
  });
  if (opts.token) {
    const expected = Buffer.from(`Bearer ${opts.token}`);
    app.addHook('onRequest', async (req) => {
      if (!req.url.startsWith('/v1/')) return;
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InputError('unauthorized', '', 'this server requires Authorization: Bearer <token> (IAMSIM_TOKEN)', 401);
    });
  }
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).type('application/problem+json').send(toProblem(new InputError('not_found', '', `no route ${req.method} ${req.url.split('?')[0]}`, 404))),
  );

  await app.register(swagger, { mode: 'static', specification: { document: spec as never } });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { tryItOutEnabled: true } });

  const addRoute = (target: FastifyInstance, { method, path, op }: Operation) => {
    const handler = handlers[op.operationId as string];
    if (!handler) throw new Error(`openapi.yaml operation ${String(op.operationId)} has no handler`);
    target.route({
      method: method.toUpperCase() as 'GET' | 'POST',
      // Fastify reads ':' as a parameter; '::' is a literal colon (as in /v1/simulate:batch).
      url: path.replace(/:/g, '::').replace(/\{([^}]+)\}/g, ':$1'),
      bodyLimit: ['simulateBatch', 'runChecks', 'runDiff'].includes(String(op.operationId)) ? opts.batchBodyLimit ?? 64 * 1024 * 1024 : op.operationId === 'uploadSnapshot' ? uploadLimit : bodyLimit,
      // Only operations with query or path parameters pay for the hook (simulate has none).
      ...((op.parameters as unknown[] | undefined)?.length
        ? { preValidation: async (req: FastifyRequest) => validateParams(String(op.operationId), req.query as Record<string, unknown>, req.params as Record<string, unknown>) }
        : {}),
      handler,
    });
  };
  const isUpload = (o: Operation) => o.op.operationId === 'uploadSnapshot';
  for (const o of operations()) if (!isUpload(o)) addRoute(app, o);
  // Multipart adds two hooks to every request of the context that registers it: only the upload route's.
  await app.register(async (uploads) => {
    await uploads.register(multipart, { limits: { fileSize: uploadLimit, files: MAX_FILES, fields: 10 } });
    for (const o of operations()) if (isUpload(o)) addRoute(uploads, o);
  });
  return app;
}
