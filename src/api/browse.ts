/**
 * Browsing a snapshot: its principals and its scopes and resources, filtered and paged, so a user can find
 * what to ask about.
 */
import type { Snapshot } from '../core/snapshot.js';

interface Page<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

interface Query {
  filter?: string;
  kind?: string;
  limit?: number | string;
  cursor?: string;
}

function page<T extends { id: string; name: string; kind: string }>(all: T[], q: Query): Page<T> {
  const needle = q.filter?.toLowerCase();
  const matching = all.filter((x) => (!q.kind || x.kind === q.kind) && (!needle || x.id.toLowerCase().includes(needle) || x.name.toLowerCase().includes(needle)));
  const start = q.cursor ? Number(q.cursor) || 0 : 0;
  const limit = Number(q.limit ?? 50);
  const items = matching.slice(start, start + limit);
  return { items, total: matching.length, nextCursor: start + limit < matching.length ? String(start + limit) : null };
}

export function browsePrincipals(snap: Snapshot, q: Query) {
  const g = snap.graph;
  const all = g.data.principals.map((p) => ({ id: p.id, kind: p.kind, name: p.name, provider: p.provider, scope: p.scope ?? null, scopeName: p.scope ? g.scope(p.scope)?.name ?? p.scope : null }));
  return page(all, q);
}

export function browseResources(snap: Snapshot, q: Query) {
  const g = snap.graph;
  const all = g.data.scopes.map((s) => ({ id: s.id, kind: s.kind, name: s.name, provider: s.provider, resource: s.resource, parent: s.parent ?? null, path: g.ancestors(s.id).slice(1).map((a) => a.id) }));
  return page(all, q);
}
