/**
 * How answers name the snapshot's objects (role, deny and policy assignments, policy definitions, role
 * blocks, locks). Layer traces and near misses show the file and pointer; decisive causes also show line and
 * column, looked up in the file. A reference depends on its object alone, so each is built once per object
 * (kept on it: compiled objects belong to one snapshot, and an overlay's die with its request), frozen and
 * shared by every answer that shows it (no answer can change another's).
 */
import type { PolicyRef, SourceLocation, StatementRef } from '../../src/core/decision.js';
import type { Origin } from '../../src/core/graph.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import type { RoleDefinition } from './rbac-model.js';
import type { AzureRequest } from './request.js';

/** What answers show of an object, kept on it once made (its `refs`): under the name answers call it by. */
export interface Refs {
  name: string;
  entry: { policy: PolicyRef } | undefined;
  cause: PolicyRef | undefined;
}

/** An object a reference names. */
interface Named {
  id: string;
  scopeAsGiven: string;
  origin?: Origin;
  /** Compiled objects start with it (undefined), so that setting it keeps their shape. */
  refs?: Refs;
}

/** The object's refs under this name (an assignment is named by its role, which an overlay can replace). */
function refsOf(o: Named, name: string): Refs {
  let r = o.refs;
  if (!r || r.name !== name) o.refs = r = { name, entry: undefined, cause: undefined };
  return r;
}

/** A cause's sources are located in this snapshot's files; a trace's are not. */
type Where = Snapshot | undefined;

/** Causes' sources of role blocks and policy definitions, by block or definition. */
const sources = new WeakMap<object, SourceLocation>();

/** Where an object came from: file and pointer, with line and column when a snapshot is given to look them up in. */
function sourceOf(where: Where, origin: Origin, pointer: string): SourceLocation {
  const out: SourceLocation = { file: origin.file, pointer };
  const pos = where && origin.file !== 'request' ? where.locate(origin.file, pointer) : undefined;
  if (pos) {
    out.line = pos.line;
    out.column = pos.column;
  }
  return out;
}

/** The shared source of the thing `key` stands for (a role block, a policy definition). */
function sharedSource(where: Where, key: object, origin: Origin, pointer: string): SourceLocation {
  if (!where) return sourceOf(where, origin, pointer);
  let s = sources.get(key);
  if (!s) sources.set(key, (s = Object.freeze(sourceOf(where, origin, pointer))));
  return s;
}

function build(o: Named, name: string, type: string, where: Where): PolicyRef {
  const out: PolicyRef = { id: o.id, name, type, attachedTo: o.scopeAsGiven };
  if (o.origin) out.source = Object.freeze(sourceOf(where, o.origin, o.origin.pointer));
  return Object.freeze(out);
}

/** A layer trace's entry for an object: what it is, where it sits, where it came from (summary answers show no more). */
export function traceEntry(o: Named, name: string, type: string): { policy: PolicyRef } {
  const r = refsOf(o, name);
  return (r.entry ??= Object.freeze({ policy: build(o, name, type, undefined) }));
}

/** A cause's reference to an object: as traceEntry's, its source with line and column. */
export function causeRef(o: Named, name: string, type: string, where: Snapshot): PolicyRef {
  const r = refsOf(o, name);
  return (r.cause ??= build(o, name, type, where));
}

/** The permission block of a role assignment's role that a cause or trace names. */
export function blockStatement(binding: string, role: RoleDefinition | undefined, index: number | undefined, where: Where): StatementRef {
  const st: StatementRef = { binding };
  if (index !== undefined) {
    st.index = index;
    const block = role?.blocks[index];
    if (block?.pointer && role?.origin) st.source = sharedSource(where, block, role.origin, block.pointer);
  }
  return st;
}

/** The source of a policy definition, as a cause's statement shows it. */
export function definitionSource(definition: { origin?: Origin }, where: Where): SourceLocation | undefined {
  return definition.origin ? sharedSource(where, definition, definition.origin, definition.origin.pointer) : undefined;
}

/** Who an assignment is to, as sentences say it: the caller, or (id: a group of its) `group NAME (ID)`. */
export function who(req: AzureRequest, id: string | undefined): string {
  if (!id) return req.display;
  const g = req.estate.snapshot.graph.principal(id);
  return `group ${g && g.name !== g.id ? `${g.name} (${id})` : id}`;
}
