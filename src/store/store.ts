/**
 * Where snapshots live. The default is a directory on disk (FileStore); a store shared by many replicas
 * (PostgreSQL) implements the same interface and nothing else changes.
 */
import type { InputFile, SnapshotMeta } from '../core/snapshot.js';

export interface StoredSnapshot {
  meta: SnapshotMeta;
  files: InputFile[];
}

export interface SnapshotStore {
  list(): Promise<SnapshotMeta[]>;
  read(id: string): Promise<StoredSnapshot | undefined>;
  /** Stores a snapshot whole or not at all. Writing an id that exists changes nothing. */
  write(snapshot: StoredSnapshot): Promise<void>;
  remove(id: string): Promise<boolean>;
  getRef(name: string): Promise<string | undefined>;
  /** Points a ref at a snapshot, or removes it (undefined). Atomic. */
  setRef(name: string, id: string | undefined): Promise<void>;
}
