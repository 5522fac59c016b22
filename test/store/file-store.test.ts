/**
 * The embedded store: snapshots survive restarts, a snapshot is stored whole or not at all, and a crash at any
 * point of a write leaves the store as it was once it is opened again. The crash cases run the built store
 * (dist/) in a child process that exits from the beforeRename hook, as a power cut would stop it.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../../src/api/fixtures.js';
import { ACTIVE, SnapshotService } from '../../src/api/snapshots.js';
import { InputError } from '../../src/core/problem.js';
import { snapshotId, type InputFile, type SnapshotMeta } from '../../src/core/snapshot.js';
import { simulate } from '../../src/index.js';
import { providers } from '../../src/all-providers.js';
import { FileStore } from '../../src/store/file-store.js';
import type { SnapshotStore, StoredSnapshot } from '../../src/store/store.js';

const projectRoot = join(import.meta.dirname, '..', '..');
const builtStore = join(projectRoot, 'dist', 'src', 'store', 'file-store.js');
const modules = Object.values(providers);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamsim-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const newId = () => randomBytes(16).toString('hex');

function stored(id = newId(), createdAt = '2025-01-01T00:00:00.000Z', files: InputFile[] = [{ name: 'a.json', text: `{"id":"${id}"}` }]): StoredSnapshot {
  const meta: SnapshotMeta = {
    id,
    createdAt,
    providers: ['aws'],
    files: files.map((f) => ({ name: f.name, bytes: Buffer.byteLength(f.text) })),
    counts: { memberships: 0 },
    warnings: [],
  };
  return { meta, files };
}

const open = (d = dir) => new FileStore(d).open();
const snapshotDir = () => readdir(join(dir, 'snapshots'));
const refDir = () => readdir(join(dir, 'refs'));

/** The estate with one file changed: a second, different bundle (another id) that still loads. */
async function secondBundle(): Promise<InputFile[]> {
  return (await fixtureFiles('fixtures/aws/estate')).map((f) => (f.name.endsWith('org.json') ? { ...f, text: f.text + '\n' } : f));
}

/** A few requests from the snapshot scenarios: allowed and denied answers, with and without context. */
async function scenarioRequests(): Promise<unknown[]> {
  const root = join(projectRoot, 'fixtures', 'aws', 'snapshot-scenarios');
  const names = (await readdir(root)).filter((f) => f.endsWith('.json')).sort().slice(0, 12);
  return Promise.all(names.map(async (f) => (JSON.parse(await readFile(join(root, f), 'utf8')) as { request: unknown }).request));
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('FileStore: basic operations', () => {
  it('reads back what it wrote', async () => {
    const store = await open();
    const s = stored();
    await store.write(s);
    expect(await store.read(s.meta.id)).toEqual(s);
    expect(await store.list()).toEqual([s.meta]);
    expect((await snapshotDir()).sort()).toEqual([`${s.meta.id}.files.json`, `${s.meta.id}.json`]);
  });

  it('read of an id never written is undefined', async () => {
    const store = await open();
    expect(await store.read(newId())).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('lists metadata sorted by createdAt, not by id or write order', async () => {
    const store = await open();
    // Ids chosen so that name order (what readdir tends to give) is the reverse of time order.
    const late = stored('0'.repeat(32), '2025-03-01T00:00:00.000Z');
    const early = stored('f'.repeat(32), '2025-01-01T00:00:00.000Z');
    const middle = stored('8'.repeat(32), '2025-02-01T00:00:00.000Z');
    for (const s of [middle, late, early]) await store.write(s);
    expect((await store.list()).map((m) => m.createdAt)).toEqual(['2025-01-01T00:00:00.000Z', '2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z']);
    expect(await store.list()).toEqual([early.meta, middle.meta, late.meta]);
  });

  it('writing an id that exists changes nothing', async () => {
    const store = await open();
    const first = stored();
    await store.write(first);
    // Same id, other content: the store keeps the first (ids are content hashes, so this cannot be a real update).
    await store.write(stored(first.meta.id, '2030-01-01T00:00:00.000Z', [{ name: 'other.json', text: '{}' }]));
    expect(await store.read(first.meta.id)).toEqual(first);
    expect(await store.list()).toEqual([first.meta]);
  });

  it('remove deletes metadata and files, once', async () => {
    const store = await open();
    const keep = stored();
    const gone = stored();
    await store.write(keep);
    await store.write(gone);
    expect(await store.remove(gone.meta.id)).toBe(true);
    expect(await store.read(gone.meta.id)).toBeUndefined();
    expect(await store.list()).toEqual([keep.meta]);
    expect((await snapshotDir()).filter((f) => f.startsWith(gone.meta.id))).toEqual([]);
    expect(await store.remove(gone.meta.id)).toBe(false);
    expect(await store.read(keep.meta.id)).toEqual(keep);
  });

  it('refs: set, move, get, clear', async () => {
    const store = await open();
    const a = newId();
    const b = newId();
    expect(await store.getRef('active')).toBeUndefined();
    await store.setRef('active', a);
    await store.setRef('prod-1', b);
    expect(await store.getRef('active')).toBe(a);
    await store.setRef('active', b);
    expect(await store.getRef('active')).toBe(b);
    expect(await store.getRef('prod-1')).toBe(b);
    await store.setRef('active', undefined);
    expect(await store.getRef('active')).toBeUndefined();
    expect(await store.getRef('prod-1')).toBe(b);
    // Clearing a ref that does not exist is not an error.
    await store.setRef('never-set', undefined);
    expect(await refDir()).toEqual(['prod-1.json']);
  });

  it('a ref another process moves or removes is seen at once, though settled refs are remembered', async () => {
    const server = await open();
    const other = await open();
    const [a, b, c] = [newId(), newId(), newId()];
    const refFile = join(dir, 'refs', 'active.json');
    // Files older than a second are remembered: age the file so that the next read is the remembered one.
    const settle = (seconds: number) => utimes(refFile, Date.now() / 1000 - seconds, Date.now() / 1000 - seconds);
    await server.setRef('active', a);
    await settle(60);
    expect(await server.getRef('active')).toBe(a);
    expect(await server.getRef('active')).toBe(a);
    await other.setRef('active', b);
    expect(await server.getRef('active')).toBe(b);
    await settle(60);
    expect(await server.getRef('active')).toBe(b);
    await other.setRef('active', undefined);
    expect(await server.getRef('active')).toBeUndefined();
    await other.setRef('active', c);
    await settle(60);
    expect(await server.getRef('active')).toBe(c);
    // Rewritten in place by hand (the same inode), the file is read again because its mtime moved.
    await writeFile(refFile, JSON.stringify({ snapshot: a }));
    await settle(30);
    expect(await server.getRef('active')).toBe(a);
  });

  it('ids that are not 32 lowercase hex digits are rejected or name nothing', async () => {
    const store = await open();
    const s = stored();
    await store.write(s);
    // Path traversal and look-alikes must never reach the file system as names.
    const bad = ['', '../refs/active', `${s.meta.id}/../${s.meta.id}`, s.meta.id.toUpperCase(), s.meta.id.slice(1), `${s.meta.id}0`, `${s.meta.id.slice(0, 31)}g`, `${s.meta.id}.files`];
    for (const id of bad) {
      expect(await store.read(id), id).toBeUndefined();
      expect(await store.remove(id), id).toBe(false);
      await expect(store.write(stored(id)), id).rejects.toThrow(/bad snapshot id/);
    }
    expect(await store.list()).toEqual([s.meta]);
    expect(await store.read(s.meta.id)).toEqual(s);
  });

  it('ref names outside [a-z][a-z0-9-]{0,62} are rejected or name nothing', async () => {
    const store = await open();
    const id = newId();
    for (const name of ['', 'Active', '1st', '-x', 'a_b', 'a.b', 'a/b', '../snapshots/x', 'a'.repeat(64), 'é']) {
      await expect(store.setRef(name, id), name).rejects.toThrow(/bad ref name/);
      expect(await store.getRef(name), name).toBeUndefined();
    }
    expect(await refDir()).toEqual([]);
    // The bounds themselves are accepted.
    for (const name of ['a', 'a'.repeat(63), 'z-9']) {
      await store.setRef(name, id);
      expect(await store.getRef(name), name).toBe(id);
    }
  });

  it('list ignores files that are not snapshot metadata', async () => {
    const store = await open();
    const s = stored();
    await store.write(s);
    await writeFile(join(dir, 'snapshots', 'notes.json'), '{"id":"x","createdAt":"0"}');
    await writeFile(join(dir, 'snapshots', 'README'), 'hello');
    expect(await store.list()).toEqual([s.meta]);
  });

  it('a write that fails before the rename leaves no snapshot, and open() cleans up after it', async () => {
    let calls = 0;
    const store = await new FileStore(dir, {
      beforeRename: () => {
        // Fail the second rename: the files are in place, the metadata is not.
        if (++calls === 2) throw new Error('disk full');
      },
    }).open();
    const s = stored();
    await expect(store.write(s)).rejects.toThrow('disk full');
    expect(await store.read(s.meta.id)).toBeUndefined();
    expect(await store.list()).toEqual([]);
    await open();
    expect(await snapshotDir()).toEqual([]);
  });
});

describe('FileStore: restart', () => {
  it('a new FileStore on the same directory sees the same snapshots and refs', async () => {
    const before = await open();
    const a = stored(newId(), '2025-01-01T00:00:00.000Z');
    const b = stored(newId(), '2025-01-02T00:00:00.000Z');
    await before.write(a);
    await before.write(b);
    await before.setRef('active', b.meta.id);
    await before.setRef('old', a.meta.id);

    const after = await open();
    expect(await after.list()).toEqual([a.meta, b.meta]);
    expect(await after.read(a.meta.id)).toEqual(a);
    expect(await after.read(b.meta.id)).toEqual(b);
    expect(await after.getRef('active')).toBe(b.meta.id);
    expect(await after.getRef('old')).toBe(a.meta.id);
  });

  it('open() keeps complete snapshots and removes only leftovers', async () => {
    const store = await open();
    const s = stored();
    await store.write(s);
    const orphan = newId();
    await writeFile(join(dir, 'snapshots', `${orphan}.files.json`), '[]');
    await writeFile(join(dir, 'snapshots', `${s.meta.id}.json.tmp-1-abcd`), '{"partial":');
    await writeFile(join(dir, 'refs', 'active.json.tmp-1-abcd'), '{"snap');
    await open();
    expect((await snapshotDir()).sort()).toEqual([`${s.meta.id}.files.json`, `${s.meta.id}.json`]);
    expect(await refDir()).toEqual([]);
    expect(await store.read(s.meta.id)).toEqual(s);
  });

  it('a SnapshotService over a new store resolves active to the same snapshot and answers the same', async () => {
    const files = await fixtureFiles();
    const first = new SnapshotService(await open(), modules);
    const { meta, active } = await first.upload(files, { name: 'estate' });
    expect(active).toBe(true);
    expect(meta.id).toBe(snapshotId(files));
    const snapBefore = await first.resolve(ACTIVE);
    const requests = await scenarioRequests();
    expect(requests.length).toBeGreaterThan(5);
    const answersBefore = requests.map((r) => simulate(r, snapBefore));

    // A restart: nothing shared with the first service but the directory.
    const second = new SnapshotService(await open(), modules);
    expect(await second.list()).toEqual({ snapshots: [meta], active: meta.id });
    const snapAfter = await second.resolve(ACTIVE);
    expect(snapAfter).not.toBe(snapBefore);
    expect(snapAfter.meta).toEqual(meta);
    expect(snapAfter.meta.name).toBe('estate');
    expect(snapAfter.graph.counts()).toEqual(snapBefore.graph.counts());
    const answersAfter = requests.map((r) => simulate(r, snapAfter));
    expect(answersAfter).toEqual(answersBefore);
    // Not vacuous: the scenarios include both outcomes.
    const decisions = new Set(answersAfter.map((d) => (d as { decision: string }).decision));
    expect(decisions.has('allowed')).toBe(true);
    expect(decisions.size).toBeGreaterThan(1);
  });
});

describe('SnapshotService: a failed upload leaves the store unchanged', () => {
  async function state(service: SnapshotService) {
    return { list: await service.list(), files: (await snapshotDir()).sort(), refs: (await refDir()).sort() };
  }

  const broken: [string, InputFile, string][] = [
    ['a file that is not JSON', { name: 'fixtures/aws/estate/broken.json', text: '{"Users": [' }, 'malformed_json'],
    ['a JSON file no provider recognises', { name: 'notes/other.json', text: '{"hello":"world"}' }, 'invalid_request'],
  ];

  for (const [what, bad, code] of broken) {
    it(`${what}: throws an InputError naming the file; list and active ref unchanged`, async () => {
      const service = new SnapshotService(await open(), modules);
      const good = await service.upload(await fixtureFiles());
      const before = await state(service);
      expect(before.list.active).toBe(good.meta.id);

      const e = await rejection(service.upload([...(await secondBundle()), bad]));
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).file).toBe(bad.name);
      expect((e as InputError).code).toBe(code);
      expect(await state(service)).toEqual(before);
      // And after a restart too.
      const again = new SnapshotService(await open(), modules);
      expect(await state(again)).toEqual(before);
      expect((await again.resolve(ACTIVE)).meta.id).toBe(good.meta.id);
    });
  }

  it('on an empty store: still empty, still no active snapshot', async () => {
    const service = new SnapshotService(await open(), modules);
    const e = await rejection(service.upload([{ name: 'x.json', text: 'not json' }]));
    expect((e as InputError).file).toBe('x.json');
    expect(await service.list()).toEqual({ snapshots: [], active: null });
    expect(await snapshotDir()).toEqual([]);
    expect(await refDir()).toEqual([]);
    await expect(service.resolve(ACTIVE)).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('a store write that fails midway: the active ref still names the old snapshot', async () => {
    const files = await fixtureFiles();
    await new SnapshotService(await open(), modules).upload(files);
    let calls = 0;
    const failing = await new FileStore(dir, {
      beforeRename: () => {
        if (++calls === 2) throw new Error('EIO');
      },
    }).open();
    const service = new SnapshotService(failing, modules);
    await expect(service.upload(await secondBundle())).rejects.toThrow('EIO');
    expect(await service.list()).toEqual({ snapshots: [expect.objectContaining({ id: snapshotId(files) })], active: snapshotId(files) });
    expect(await failing.read(snapshotId(await secondBundle()))).toBeUndefined();
  });
});

describe('SnapshotService: concurrent upload and read', () => {
  it('reads of the first snapshot all succeed, intact, while a second is uploaded; then both exist', async () => {
    const files1 = await fixtureFiles();
    const files2 = await secondBundle();
    const id1 = snapshotId(files1);
    const id2 = snapshotId(files2);
    expect(id2).not.toBe(id1);

    const inner = await open();
    await new SnapshotService(inner, modules).upload(files1);
    // The second upload is held at the start of its store write until the reads are under way, so they overlap
    // it whatever the machine's speed; then the write runs while the reads are still in flight.
    let started!: () => void;
    const writeStarted = new Promise<void>((r) => (started = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gated: SnapshotStore = {
      list: () => inner.list(),
      read: (id) => inner.read(id),
      remove: (id) => inner.remove(id),
      getRef: (n) => inner.getRef(n),
      setRef: (n, id) => inner.setRef(n, id),
      write: async (s) => {
        started();
        await gate;
        return inner.write(s);
      },
    };
    const service = new SnapshotService(gated, modules);

    const upload = service.upload(files2, { name: 'second' });
    await writeStarted;
    // Readers that bypass the in-memory cache, to read the disk while it is being written.
    const cold = () => new SnapshotService(inner, modules);
    const reads = Promise.all(
      Array.from({ length: 40 }, async (_, k) => {
        const via = k % 4;
        if (via === 0) return { k, snap: (await service.resolve(id1)).meta.id, files: undefined };
        if (via === 1) {
          const snap = await cold().resolve(id1);
          return { k, snap: snap.meta.id, files: snap.files };
        }
        if (via === 2) {
          const s = await inner.read(id1);
          return { k, snap: s?.meta.id, files: s && new Map(s.files.map((f) => [f.name, f.text])) };
        }
        // The second snapshot, mid-write: either not there yet or whole, never half.
        const s2 = await inner.read(id2);
        if (s2) expect(s2.files).toEqual(files2);
        const listed = await inner.list();
        expect(listed.map((m) => m.id)).toContain(id1);
        return { k, snap: id1, files: undefined };
      }),
    );
    // Meanwhile, poll the second snapshot until its upload ends: metadata is written last, so a read finds
    // nothing or all of it, never metadata without files.
    let uploaded = false;
    const poll = (async () => {
      let polls = 0;
      while (!uploaded || polls === 0) {
        polls++;
        const s2 = await inner.read(id2);
        if (s2) expect(s2.files).toEqual(files2);
      }
      return polls;
    })();
    release();
    const results = await reads;
    const want = new Map(files1.map((f) => [f.name, f.text]));
    expect(results).toHaveLength(40);
    for (const r of results) {
      expect(r.snap, `read ${r.k}`).toBe(id1);
      if (r.files) expect(new Map(r.files), `read ${r.k}`).toEqual(want);
    }

    const second = await upload.finally(() => (uploaded = true));
    expect(await poll).toBeGreaterThan(0);
    expect(second.meta.id).toBe(id2);
    expect((await service.list()).snapshots.map((m) => m.id).sort()).toEqual([id1, id2].sort());
    expect(await service.getRef(ACTIVE)).toBe(id2);
    expect((await inner.read(id1))?.files).toEqual(files1);
    expect((await inner.read(id2))?.files).toEqual(files2);
  });
});

describe('FileStore: a crash between the temporary file and the rename', () => {
  beforeAll(() => {
    if (!existsSync(builtStore)) throw new Error(`${builtStore} is missing: run npx tsc -p tsconfig.build.json (npm test does)`);
  });

  /**
   * Runs the built store in a child that exits with 9 at the n-th beforeRename: after the temporary file is
   * durable and before it replaces its target, as a process killed there would leave it.
   */
  async function crashAt(n: number, op: { write?: StoredSnapshot; ref?: [string, string] }): Promise<SpawnSyncReturns<string>> {
    const script = join(dir, 'crash.mjs');
    await writeFile(
      script,
      `import { FileStore } from ${JSON.stringify(pathToFileURL(builtStore).href)};
const [dir, n, op] = process.argv.slice(2);
let calls = 0;
const store = await new FileStore(dir, { beforeRename: () => { if (++calls === Number(n)) process.exit(9); } }).open();
const { write, ref } = JSON.parse(op);
if (write) await store.write(write);
if (ref) await store.setRef(ref[0], ref[1]);
process.exit(0);
`,
    );
    return spawnSync(process.execPath, [script, join(dir, 'data'), String(n), JSON.stringify(op)], { encoding: 'utf8' });
  }

  let data: string;
  let old: StoredSnapshot;
  beforeEach(async () => {
    data = join(dir, 'data');
    const store = await open(data);
    old = stored(newId(), '2025-01-01T00:00:00.000Z');
    await store.write(old);
    await store.setRef('active', old.meta.id);
  });
  const dataSnapshots = () => readdir(join(data, 'snapshots'));

  async function expectOldIntact(): Promise<FileStore> {
    const store = await open(data);
    expect(await store.list()).toEqual([old.meta]);
    expect(await store.read(old.meta.id)).toEqual(old);
    expect(await store.getRef('active')).toBe(old.meta.id);
    return store;
  }

  it('the child really writes when it does not crash (the harness works)', async () => {
    const s = stored(newId(), '2025-02-01T00:00:00.000Z');
    const r = await crashAt(99, { write: s });
    expect(r.status, r.stderr).toBe(0);
    expect(await (await open(data)).read(s.meta.id)).toEqual(s);
  });

  it('crash at the files file: the temporary file is left, open() removes it, no half snapshot', async () => {
    const s = stored(newId(), '2025-02-01T00:00:00.000Z');
    const r = await crashAt(1, { write: s });
    expect(r.status, r.stderr).toBe(9);
    const left = await dataSnapshots();
    expect(left.filter((f) => f.includes('.tmp-'))).toEqual([expect.stringMatching(new RegExp(`^${s.meta.id}\\.files\\.json\\.tmp-`))]);

    const store = await expectOldIntact();
    expect((await dataSnapshots()).sort()).toEqual([`${old.meta.id}.files.json`, `${old.meta.id}.json`]);
    expect(await store.read(s.meta.id)).toBeUndefined();
    // The same snapshot can be written again after the crash.
    await store.write(s);
    expect(await store.read(s.meta.id)).toEqual(s);
  });

  it('crash after the files file, before the metadata: the orphan files file is removed, the snapshot does not exist', async () => {
    const s = stored(newId(), '2025-02-01T00:00:00.000Z');
    const r = await crashAt(2, { write: s });
    expect(r.status, r.stderr).toBe(9);
    const left = await dataSnapshots();
    expect(left).toContain(`${s.meta.id}.files.json`);
    expect(left).not.toContain(`${s.meta.id}.json`);
    expect(left.filter((f) => f.includes('.tmp-'))).toEqual([expect.stringMatching(new RegExp(`^${s.meta.id}\\.json\\.tmp-`))]);
    // Even before cleanup, a store does not see it: metadata is what makes a snapshot exist.
    const before = new FileStore(data);
    expect(await before.read(s.meta.id)).toBeUndefined();
    expect(await before.list()).toEqual([old.meta]);

    const store = await expectOldIntact();
    expect((await dataSnapshots()).sort()).toEqual([`${old.meta.id}.files.json`, `${old.meta.id}.json`]);
    expect(await store.read(s.meta.id)).toBeUndefined();
    await store.write(s);
    expect(await store.read(s.meta.id)).toEqual(s);
  });

  it('crash while moving a ref: the ref keeps its old value', async () => {
    const r = await crashAt(1, { ref: ['active', newId()] });
    expect(r.status, r.stderr).toBe(9);
    expect((await readdir(join(data, 'refs'))).some((f) => f.includes('.tmp-'))).toBe(true);
    await expectOldIntact();
    expect(await readdir(join(data, 'refs'))).toEqual(['active.json']);
  });
});
