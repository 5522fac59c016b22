/**
 * Snapshots as the API sees them: upload (build, then store whole or not at all), look up by id or ref,
 * list, delete, and the `active` ref that requests use by default. Compiled snapshots are kept in memory
 * (a few, most recently used); any other is rebuilt from its stored files when asked for.
 */
import { InputError } from '../core/problem.js';
import type { ProviderModule } from '../core/provider.js';
import { buildSnapshot, snapshotId, type InputFile, type Snapshot, type SnapshotMeta } from '../core/snapshot.js';
import type { SnapshotStore } from '../store/store.js';

const KEEP_COMPILED = 4;
export const ACTIVE = 'active';

export class SnapshotService {
  private readonly compiled = new Map<string, Snapshot>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: SnapshotStore,
    private readonly modules: readonly ProviderModule[],
  ) {}

  /** Writes happen one at a time, so refs and snapshots stay consistent. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private keep(s: Snapshot): Snapshot {
    this.compiled.delete(s.meta.id);
    this.compiled.set(s.meta.id, s);
    while (this.compiled.size > KEEP_COMPILED) this.compiled.delete(this.compiled.keys().next().value!);
    return s;
  }

  /** Builds and stores a snapshot; the `active` ref moves to it unless activate is false. */
  upload(files: InputFile[], opts: { name?: string; activate?: boolean } = {}): Promise<{ meta: SnapshotMeta; active: boolean }> {
    return this.exclusive(async () => {
      const existing = await this.store.read(snapshotId(files));
      const snap = existing ? await this.rebuild(existing.meta, existing.files) : buildSnapshot(files, this.modules, { ...opts, createdAt: new Date().toISOString() });
      if (!existing) await this.store.write({ meta: snap.meta, files });
      this.keep(snap);
      const activate = opts.activate ?? true;
      if (activate) await this.store.setRef(ACTIVE, snap.meta.id);
      return { meta: snap.meta, active: activate || (await this.store.getRef(ACTIVE)) === snap.meta.id };
    });
  }

  /** Loading is deterministic: the stored files give back the same snapshot (same id, counts, warnings). */
  private async rebuild(meta: SnapshotMeta, files: InputFile[]): Promise<Snapshot> {
    const opts: { name?: string; createdAt: string } = { createdAt: meta.createdAt };
    if (meta.name !== undefined) opts.name = meta.name;
    return buildSnapshot(files, this.modules, opts);
  }

  /** The snapshot an id or a ref names, or a 404 InputError. */
  async resolve(ref: string, pointer = '/snapshot'): Promise<Snapshot> {
    const id = /^[0-9a-f]{32}$/.test(ref) ? ref : await this.store.getRef(ref);
    const hit = id && this.compiled.get(id);
    if (hit) return this.keep(hit);
    const stored = id ? await this.store.read(id) : undefined;
    if (!stored) {
      const what = ref === ACTIVE ? 'no snapshot is active: upload one with POST /v1/snapshots' : `no snapshot or ref '${ref}'`;
      throw new InputError('not_found', pointer, what, 404);
    }
    return this.keep(await this.rebuild(stored.meta, stored.files));
  }

  async list(): Promise<{ snapshots: SnapshotMeta[]; active: string | null }> {
    return { snapshots: await this.store.list(), active: (await this.store.getRef(ACTIVE)) ?? null };
  }

  async meta(ref: string): Promise<SnapshotMeta> {
    return (await this.resolve(ref, '')).meta;
  }

  /** Deletes a snapshot; a ref that named it is removed too. */
  remove(id: string): Promise<boolean> {
    return this.exclusive(async () => {
      const gone = await this.store.remove(id);
      if (gone && (await this.store.getRef(ACTIVE)) === id) await this.store.setRef(ACTIVE, undefined);
      this.compiled.delete(id);
      return gone;
    });
  }

  setRef(name: string, ref: string): Promise<string> {
    return this.exclusive(async () => {
      const snap = await this.resolve(ref, '/snapshot');
      await this.store.setRef(name, snap.meta.id);
      return snap.meta.id;
    });
  }

  async getRef(name: string): Promise<string | undefined> {
    return this.store.getRef(name);
  }
}
