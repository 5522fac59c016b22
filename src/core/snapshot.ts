/**
 * A snapshot: the files a user uploaded, the graph the providers built from them, and each provider's
 * compiled indexes. Immutable once built; its id is the hash of its files.
 */
import { createHash } from 'node:crypto';
import type { Provider } from './decision.js';
import { Graph, emptyGraphData, type GraphData, type ScopeNode } from './graph.js';
import { JsonTextIndex, type Position } from './json-text.js';
import { guardJson } from './json-guard.js';
import { InputError } from './problem.js';
import type { LoadWarning, ParsedFile, ProviderModule } from './provider.js';

export interface InputFile {
  name: string;
  text: string;
}

export interface SnapshotMeta {
  id: string;
  name?: string;
  createdAt: string;
  providers: Provider[];
  files: { name: string; bytes: number }[];
  counts: Record<string, Record<string, number> | number>;
  warnings: LoadWarning[];
}

/** sha256 over the files, sorted by name: the same files always give the same id. */
export function snapshotId(files: readonly InputFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    h.update(f.name).update('\u0000').update(f.text).update('\u0000');
  }
  return h.digest('hex').slice(0, 32);
}

/** Names of the files an upload or a fixture directory contributes: JSON and NDJSON. */
export function isInputFileName(name: string): boolean {
  return /\.(json|ndjson|jsonl)$/i.test(name);
}

/** Newline-delimited JSON (Cloud Asset Inventory exports): by name, .ndjson or .jsonl. */
export function isNdjson(name: string): boolean {
  return /\.(ndjson|jsonl)$/i.test(name);
}

interface NdjsonLine {
  /** 0-based line number in the text. */
  line: number;
  text: string;
}

/** The lines of an NDJSON file that hold a value. */
function ndjsonLines(text: string): NdjsonLine[] {
  return text.split('\n').flatMap((t, line) => (t.trim() ? [{ line, text: t }] : []));
}

/**
 * A file's value: one JSON document, or for NDJSON the array of its non-blank lines' values, so that
 * pointer /i/... names the i-th value.
 */
export function parseFile(f: InputFile): ParsedFile {
  let value: unknown;
  if (isNdjson(f.name)) {
    value = ndjsonLines(f.text).map((l, i) => {
      try {
        return JSON.parse(l.text) as unknown;
      } catch {
        throw new InputError('malformed_json', `/${i}`, `${f.name} line ${l.line + 1} is not valid JSON`).inFile(f.name);
      }
    });
  } else {
    try {
      value = JSON.parse(f.text);
    } catch {
      throw new InputError('malformed_json', '', `${f.name} is not valid JSON`).inFile(f.name);
    }
  }
  try {
    guardJson(value);
  } catch (e) {
    throw e instanceof InputError ? e.inFile(f.name) : e;
  }
  return { name: f.name, text: f.text, value };
}

/** Scopes can come from several files (an account from the org export and from its IAM export): merge them. */
function mergeScopes(scopes: ScopeNode[]): ScopeNode[] {
  const byId = new Map<string, ScopeNode>();
  for (const s of scopes) {
    const seen = byId.get(s.id);
    byId.set(s.id, seen ? { ...seen, ...s, name: s.name || seen.name, parent: s.parent ?? seen.parent, attrs: { ...seen.attrs, ...s.attrs } } : s);
  }
  return [...byId.values()].map((s) => (s.name ? s : { ...s, name: s.id }));
}

/** Where pointers are in one file: JSON text indexed as a whole, NDJSON line by line (/i/... is line i). */
class FileLocator {
  private readonly whole?: JsonTextIndex;
  private readonly lines?: (NdjsonLine & { index?: JsonTextIndex })[];

  constructor(name: string, text: string) {
    if (isNdjson(name)) this.lines = ndjsonLines(text);
    else this.whole = new JsonTextIndex(text);
  }

  /** Answers repeat the same decisive statements: each pointer is looked up once. */
  private readonly found = new Map<string, Position | undefined>();

  locate(pointer: string): Position | undefined {
    if (this.found.has(pointer)) return this.found.get(pointer);
    const pos = this.lookup(pointer);
    this.found.set(pointer, pos);
    return pos;
  }

  private lookup(pointer: string): Position | undefined {
    if (this.whole) return this.whole.locate(pointer);
    const m = /^\/(\d+)(\/.*)?$/.exec(pointer);
    const l = m ? this.lines?.[Number(m[1])] : undefined;
    if (!l) return undefined;
    l.index ??= new JsonTextIndex(l.text);
    const pos = l.index.locate(m![2] ?? '');
    return pos && { line: l.line + pos.line, column: pos.column };
  }
}

export class Snapshot {
  private readonly compiled = new Map<Provider, unknown>();
  /** Built on the first lookup in each file. */
  private readonly locators = new Map<string, FileLocator>();

  constructor(
    readonly meta: SnapshotMeta,
    readonly graph: Graph,
    readonly files: ReadonlyMap<string, string>,
    readonly providers: ReadonlyMap<Provider, ProviderModule>,
  ) {}

  /** Line and column of a JSON pointer in one of the snapshot's files (looked up when an answer needs it). */
  locate(file: string, pointer: string): Position | undefined {
    let locator = this.locators.get(file);
    if (!locator) {
      const text = this.files.get(file);
      if (text === undefined) return undefined;
      this.locators.set(file, (locator = new FileLocator(file, text)));
    }
    return locator.locate(pointer);
  }

  /** The provider's compiled indexes for this snapshot; the provider must be one of the snapshot's. */
  compiledFor<T>(provider: Provider): T {
    if (!this.compiled.has(provider)) throw new Error(`snapshot ${this.meta.id} has no ${provider} inputs`);
    return this.compiled.get(provider) as T;
  }

  setCompiled(provider: Provider, data: unknown): void {
    this.compiled.set(provider, data);
  }
}

/**
 * Parses the files (unless already parsed by parseFile), lets each provider load those it recognises into
 * the graph, and compiles. Throws InputError naming the file when one cannot be read: nothing is stored then.
 */
export function buildSnapshot(files: readonly (InputFile | ParsedFile)[], modules: readonly ProviderModule[], opts: { name?: string; createdAt: string }): Snapshot {
  if (files.length === 0) throw new InputError('invalid_request', '/files', 'the bundle holds no files');
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) throw new InputError('invalid_request', '/files', `two files are named ${f.name}`);
    names.add(f.name);
  }
  const parsed = files.map((f) => ('value' in f ? f : parseFile(f)));
  const warnings: LoadWarning[] = [];
  const warn = (w: LoadWarning) => warnings.push(w);
  const data: GraphData = emptyGraphData();
  const used: ProviderModule[] = [];
  const claimed = new Set<string>();
  for (const m of modules) {
    const mine = parsed.filter((f) => m.recognizes(f));
    if (!mine.length) continue;
    for (const f of mine) claimed.add(f.name);
    used.push(m);
    const g = m.load(mine, warn);
    data.principals.push(...g.principals);
    data.scopes.push(...g.scopes);
    data.policies.push(...g.policies);
    data.memberships.push(...g.memberships);
    data.attachments.push(...g.attachments);
    data.bindings.push(...g.bindings);
  }
  const stray = parsed.find((f) => !claimed.has(f.name));
  if (stray) throw new InputError('invalid_request', '', `${stray.name} is not an input any provider recognises (see docs/aws-inputs.md, docs/gcp-inputs.md, docs/azure-inputs.md)`).inFile(stray.name);
  data.scopes = mergeScopes(data.scopes);
  const graph = new Graph(data);
  for (const w of graph.warnings) warn({ code: 'scope_cycle', message: w });
  const meta: SnapshotMeta = {
    id: snapshotId(files),
    createdAt: opts.createdAt,
    providers: used.map((m) => m.name),
    files: files.map((f) => ({ name: f.name, bytes: Buffer.byteLength(f.text) })),
    counts: graph.counts(),
    warnings,
  };
  if (opts.name !== undefined) meta.name = opts.name;
  const snap = new Snapshot(meta, graph, new Map(files.map((f) => [f.name, f.text])), new Map(used.map((m) => [m.name, m])));
  for (const m of used) snap.setCompiled(m.name, m.compile(snap, warn));
  return snap;
}
