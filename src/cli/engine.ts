/**
 * Where the CLI's questions are answered: the embedded engine on a snapshot it loads (a directory, files,
 * an archive, or an id or ref in the local data directory), or a running server (`--server URL`, with
 * IAMSIM_TOKEN as a bearer token). Both take the request bodies of the HTTP API.
 */
import { existsSync } from 'node:fs';
import { checkFromBody, diffFromBody, type CheckBody, type DiffBody } from '../api/ci.js';
import { SnapshotService } from '../api/snapshots.js';
import { simulateOne } from '../api/simulate.js';
import type { CheckReport, DiffReport } from '../ci/report.js';
import type { Decision } from '../core/decision.js';
import { guardJson } from '../core/json-guard.js';
import { InputError, type Problem } from '../core/problem.js';
import { buildSnapshot, parseFile, type InputFile, type Snapshot, type SnapshotMeta } from '../core/snapshot.js';
import { loadProviders, providersFor } from '../providers.js';
import { FileStore } from '../store/file-store.js';
import { readInputs } from './inputs.js';
import type { ProgressFn } from './progress.js';

export interface Engine {
  simulate(body: Record<string, unknown>): Promise<Decision>;
  check(body: CheckBody, progress?: ProgressFn): Promise<CheckReport>;
  diff(body: DiffBody, progress?: ProgressFn): Promise<DiffReport>;
  importSnapshot(files: InputFile[], opts: { name?: string; activate: boolean }): Promise<SnapshotMeta & { active: boolean }>;
}

/** A problem the server answered, kept whole for the CLI to print. */
export class RemoteProblem extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.title}: ${problem.detail}${problem.pointer ? ` (at ${problem.pointer})` : ''}`);
  }
}

/** Failure to reach the server, or an answer that is not the API's (exit code 3). */
export class RemoteFailure extends Error {}

const isPath = (s: string) => existsSync(s);

async function service(dataDir: string): Promise<SnapshotService> {
  const [store, modules] = await Promise.all([new FileStore(dataDir).open(), loadProviders()]);
  return new SnapshotService(store, modules);
}

/** A snapshot of the files, loading only the providers whose inputs they hold. */
async function snapshotOf(files: InputFile[]): Promise<Snapshot> {
  const parsed = files.map(parseFile);
  return buildSnapshot(parsed, await loadProviders(providersFor(parsed)), { createdAt: new Date().toISOString() });
}

/** The embedded engine. `snapshot` is a path (directory, file, archive) or an id or ref in `dataDir`. */
export function localEngine(snapshot: string[] | undefined, dataDir: string): Engine {
  let loaded: Promise<Snapshot> | undefined;
  const load = (): Promise<Snapshot> => {
    loaded ??= (async () => {
      const paths = snapshot ?? [];
      if (paths.length && paths.every(isPath)) {
        return snapshotOf(await readInputs(paths));
      }
      const ref = paths[0] ?? 'active';
      if (paths.length > 1 || !/^([0-9a-f]{32}|[a-z][a-z0-9-]{0,62})$/.test(ref)) throw new InputError('not_found', '', `${paths.join(' ')} is neither a path nor a snapshot id or ref`);
      return (await service(dataDir)).resolve(ref, '');
    })();
    return loaded;
  };
  const resolve = () => load();
  return {
    async simulate(body) {
      guardJson(body);
      const snapshot = await load();
      await loadProviders([String(body.provider)]); // a body with its own policies needs its provider's engine
      return simulateOne(body, snapshot);
    },
    check: (body, progress) => checkFromBody(body, resolve, progress ? { progress } : {}),
    diff: (body, progress) => diffFromBody(body, resolve, progress ? { progress } : {}),
    async importSnapshot(files, opts) {
      const { meta, active } = await (await service(dataDir)).upload(files, opts);
      return { ...meta, active };
    },
  };
}

/** A running iamsim server. A snapshot given as a path is uploaded first (not activated) and named by id. */
export function remoteEngine(base: string, snapshot: string[] | undefined, token: string | undefined): Engine {
  const call = async (method: string, path: string, body: unknown, query = ''): Promise<unknown> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, application/problem+json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(new URL(path + query, base), { method, headers, body: JSON.stringify(body) });
    } catch (e) {
      throw new RemoteFailure(`cannot reach ${base}: ${(e as Error).cause ? String((e as Error & { cause: unknown }).cause) : (e as Error).message}`);
    }
    const text = await res.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new RemoteFailure(`${base} answered ${res.status} with a body that is not JSON`);
    }
    if (res.ok) return value;
    const p = value as Problem;
    if (res.status >= 500 || typeof p?.code !== 'string') throw new RemoteFailure(`${base} answered ${res.status}: ${p?.detail ?? text.slice(0, 200)}`);
    throw new RemoteProblem(p);
  };
  const upload = (files: InputFile[], opts: { name?: string; activate: boolean }) =>
    call('POST', '/v1/snapshots', { files: files.map((f) => ({ name: f.name, content: f.text })), activate: opts.activate, ...(opts.name ? { name: opts.name } : {}) }) as Promise<SnapshotMeta & { active: boolean }>;
  let ref: Promise<string | undefined> | undefined;
  const snapshotRef = () => {
    ref ??= (async () => {
      const paths = snapshot ?? [];
      if (!paths.length) return undefined;
      if (!paths.every(isPath)) return paths[0];
      return (await upload(await readInputs(paths), { activate: false })).id;
    })();
    return ref;
  };
  const withSnapshot = async <T extends object>(body: T): Promise<T> => {
    const id = await snapshotRef();
    return id ? { ...body, snapshot: id } : body;
  };
  return {
    simulate: async (body) => (await call('POST', '/v1/simulate', await withSnapshot(body))) as Decision,
    check: async (body) => (await call('POST', '/v1/checks', await withSnapshot(body))) as CheckReport,
    diff: async (body) => (await call('POST', '/v1/diff', await withSnapshot(body))) as DiffReport,
    importSnapshot: upload,
  };
}
