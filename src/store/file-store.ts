/**
 * The embedded store, under <dir>: snapshots/<id>.files.json holds a snapshot's files and
 * snapshots/<id>.json its metadata, written last, so a snapshot exists once its metadata does; refs/<name>.json
 * names a snapshot. Every write is atomic (see atomic.ts). Snapshots survive restarts; a failed or interrupted
 * write leaves the store as it was.
 */
import { statSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotMeta } from '../core/snapshot.js';
import { TEMP_MARK, syncDir, writeFileAtomic, type WriteHooks } from './atomic.js';
import type { SnapshotStore, StoredSnapshot } from './store.js';

const ID = /^[0-9a-f]{32}$/;
const REF = /^[a-z][a-z0-9-]{0,62}$/;

/** A ref file as last read, and what it named. */
interface SeenRef {
  ino: bigint;
  mtimeNs: bigint;
  snapshot: string;
}

/**
 * A ref is remembered only once its file is this old. File times can be coarse (a clock tick), so two
 * writes close together may share an mtime; a write after this much time has passed cannot share it.
 */
const SETTLED_MS = 1000;

export class FileStore implements SnapshotStore {
  private readonly snapshots: string;
  private readonly refs: string;
  private readonly seenRefs = new Map<string, SeenRef>();

  constructor(
    readonly dir: string,
    private readonly hooks: WriteHooks = {},
  ) {
    this.snapshots = join(dir, 'snapshots');
    this.refs = join(dir, 'refs');
  }

  /** Creates the directories and removes what a crash left behind: temporary files, files without metadata. */
  async open(): Promise<this> {
    for (const d of [this.snapshots, this.refs]) {
      await mkdir(d, { recursive: true });
      const names = await readdir(d);
      for (const f of names) {
        const orphan = f.endsWith('.files.json') && !names.includes(f.replace('.files.json', '.json'));
        if (f.includes(TEMP_MARK) || orphan) await unlink(join(d, f)).catch(() => undefined);
      }
    }
    return this;
  }

  private async readJson<T>(path: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async list(): Promise<SnapshotMeta[]> {
    const out: SnapshotMeta[] = [];
    for (const f of await readdir(this.snapshots)) {
      if (!ID.test(f.slice(0, -5)) || !f.endsWith('.json')) continue;
      const meta = await this.readJson<SnapshotMeta>(join(this.snapshots, f));
      if (meta) out.push(meta);
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  async read(id: string): Promise<StoredSnapshot | undefined> {
    if (!ID.test(id)) return undefined;
    const meta = await this.readJson<SnapshotMeta>(join(this.snapshots, `${id}.json`));
    if (!meta) return undefined;
    const files = await this.readJson<StoredSnapshot['files']>(join(this.snapshots, `${id}.files.json`));
    if (!files) throw new Error(`snapshot ${id} has metadata but no files`);
    return { meta, files };
  }

  async write(snapshot: StoredSnapshot): Promise<void> {
    const { id } = snapshot.meta;
    if (!ID.test(id)) throw new Error(`bad snapshot id ${id}`);
    if (await this.readJson(join(this.snapshots, `${id}.json`))) return;
    await writeFileAtomic(join(this.snapshots, `${id}.files.json`), JSON.stringify(snapshot.files), this.hooks);
    await writeFileAtomic(join(this.snapshots, `${id}.json`), JSON.stringify(snapshot.meta), this.hooks);
  }

  async remove(id: string): Promise<boolean> {
    if (!ID.test(id)) return false;
    try {
      await unlink(join(this.snapshots, `${id}.json`));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    await unlink(join(this.snapshots, `${id}.files.json`)).catch(() => undefined);
    await syncDir(this.snapshots);
    return true;
  }

  /**
   * Every simulation against `active` asks for a ref. Another process (the CLI, a replica) may move it, so
   * each call stats the file, and reads it again when its inode or mtime changed: a synchronous stat costs
   * a few microseconds, reading the file through the thread pool about a hundred.
   */
  async getRef(name: string): Promise<string | undefined> {
    if (!REF.test(name)) return undefined;
    const path = join(this.refs, `${name}.json`);
    const st = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (!st) {
      this.seenRefs.delete(name);
      return undefined;
    }
    const seen = this.seenRefs.get(name);
    if (seen && seen.ino === st.ino && seen.mtimeNs === st.mtimeNs) return seen.snapshot;
    try {
      const { snapshot } = JSON.parse(await readFile(path, 'utf8')) as { snapshot: string };
      if (Date.now() - Number(st.mtimeMs) > SETTLED_MS) this.seenRefs.set(name, { ino: st.ino, mtimeNs: st.mtimeNs, snapshot });
      else this.seenRefs.delete(name);
      return snapshot;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async setRef(name: string, id: string | undefined): Promise<void> {
    if (!REF.test(name)) throw new Error(`bad ref name ${name}`);
    const path = join(this.refs, `${name}.json`);
    if (id === undefined) {
      await unlink(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      await syncDir(this.refs);
      return;
    }
    await writeFileAtomic(path, JSON.stringify({ snapshot: id }), this.hooks);
  }
}
