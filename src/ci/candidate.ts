/**
 * The candidate a check or diff asks about: the baseline snapshot plus one overlay per provider, from an
 * overlay file or a Terraform plan, and the way back from an overlay item an answer cites to the plan
 * resource that made it.
 */
import type { TerraformChange, TerraformPlan } from '../core/ci.js';
import type { Decision, Provider } from '../core/decision.js';
import { InputError } from '../core/problem.js';
import type { Snapshot } from '../core/snapshot.js';
import { validateComponent } from '../api/spec.js';
import { terraformOwner } from '../providers.js';
import type { ChangeRef, ChangeSet } from './report.js';

export interface Candidate {
  overlays: Partial<Record<Provider, Record<string, unknown>>>;
  /** Per provider: overlay item pointer (`/add/0`) → the plan addresses it came from. */
  sources: Partial<Record<Provider, Record<string, string[]>>>;
  set: ChangeSet;
}

/** Lists an overlay's items as changes, for a report on an overlay file. */
function overlayChanges(provider: Provider, overlay: Record<string, unknown>): ChangeSet['changes'] {
  const out: ChangeSet['changes'] = [];
  for (const [list, items] of Object.entries(overlay)) {
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      const o = item as Record<string, unknown> | string;
      const what = typeof o === 'string' ? o : String(o.id ?? o.name ?? o.resource ?? o.target ?? '');
      out.push({ address: `${provider}/${list}/${i}`, type: `${provider}:${list}`, actions: [list === 'remove' ? 'delete' : list === 'add' ? 'create' : 'update'], summary: `${list} ${what}`.trim() });
    });
  }
  return out;
}

/** Candidate changes given as an overlay per provider (validated against `Overlays`). */
export function candidateFromOverlays(value: unknown, snapshot: Snapshot, base: string, file?: string): Candidate {
  validateComponent('Overlays', value, base);
  const overlays = value as Candidate['overlays'];
  const set: ChangeSet = { source: 'overlay', changes: [], unknowns: [], warnings: [] };
  if (file) set.file = file;
  for (const [p, overlay] of Object.entries(overlays) as [Provider, Record<string, unknown>][]) {
    if (!snapshot.providers.has(p)) throw new InputError('invalid_request', `${base}/${p}`, `snapshot ${snapshot.meta.id} holds no ${p} inputs`);
    set.changes.push(...overlayChanges(p, overlay));
  }
  return { overlays, sources: {}, set };
}

/** Candidate changes from `terraform show -json` output: each provider reads the resource types it knows. */
export async function candidateFromPlan(value: unknown, snapshot: Snapshot, base: string, file?: string): Promise<Candidate> {
  validateComponent('TerraformPlan', value, base);
  const plan = value as TerraformPlan;
  const set: ChangeSet = { source: 'terraform', changes: [], unknowns: [], warnings: [] };
  if (file) set.file = file;
  const out: Candidate = { overlays: {}, sources: {}, set };
  const changes = (plan.resource_changes ?? []).filter((c) => (c.mode ?? 'managed') === 'managed');
  const claimed = new Set<TerraformChange>();
  for (const [name, provider] of snapshot.providers) {
    const types = new Set(provider.ci.terraformTypes);
    const mine = changes.filter((c) => types.has(c.type));
    if (!mine.length) continue;
    for (const c of mine) claimed.add(c);
    let read;
    try {
      read = provider.ci.fromTerraform(mine, plan, snapshot);
    } catch (e) {
      throw e instanceof InputError ? e.under(base) : e;
    }
    if (read.overlay) {
      validateComponent('Overlays', { [name]: read.overlay }, `${base}/resource_changes`);
      out.overlays[name] = read.overlay;
    }
    out.sources[name] = read.sources;
    set.changes.push(...read.changes);
    set.unknowns.push(...read.unknowns);
    set.warnings.push(...read.warnings);
  }
  // Say which IAM changes the answers leave out: a cloud the snapshot lacks, or a type iamsim does not read.
  for (const c of changes) {
    if (claimed.has(c)) continue;
    const owner = await terraformOwner(c.type);
    if (owner?.ci.terraformTypes.includes(c.type)) set.warnings.push({ address: c.address, message: `not read: the snapshot holds no ${owner.name} inputs` });
    else if (isIamType(c.type)) set.warnings.push({ address: c.address, message: `iamsim does not read ${c.type}: what it changes is not in the answers` });
  }
  return out;
}

/** Resource types whose names say they change access: worth a warning when unread. */
function isIamType(type: string): boolean {
  return /^(aws|google|azurerm)_.*(iam|polic|role)/.test(type);
}

function refTo(candidate: Candidate, provider: Decision['provider'], item: string): ChangeRef {
  const ref: ChangeRef = { provider, pointer: item };
  const addresses = candidate.sources[provider]?.[item];
  if (addresses?.length) ref.addresses = addresses;
  return ref;
}

/** The overlay items an answer cites as sources of its decisive causes, mapped back to the plan addresses. */
export function changedBy(decision: Decision, candidate: Candidate | undefined): ChangeRef[] {
  if (!candidate) return [];
  const items = new Set<string>();
  for (const c of decision.causes) {
    for (const src of [c.policy?.source, c.statement?.source]) {
      const item = src?.file === 'request' ? /^\/overlay(\/[^/]+\/\d+)/.exec(src.pointer)?.[1] : undefined;
      if (item) items.add(item);
    }
  }
  return [...items].map((item) => refTo(candidate, decision.provider, item));
}

/** Both lists of change references, each item once. */
export function mergeRefs(a: readonly ChangeRef[], b: readonly ChangeRef[]): ChangeRef[] {
  return [...new Map([...a, ...b].map((r) => [r.pointer, r])).values()];
}

/** What an overlay item names: a removed id, or the id, name or resource of an object it replaces or sets. */
function itemKey(item: unknown): string | undefined {
  if (typeof item === 'string') return item;
  const o = item as Record<string, unknown> | null;
  const key = o?.id ?? o?.name ?? o?.resource;
  return typeof key === 'string' ? key : undefined;
}

/**
 * The overlay items that took away what a baseline answer relied on: a removed or replaced policy its
 * decisive causes cite (by id, or the resource a replaced policy is attached to). Removed access cites
 * nothing of the overlay in the candidate's answer, so this is where its cause is found.
 */
export function removedBy(baseline: Decision, candidate: Candidate): ChangeRef[] {
  const overlay = candidate.overlays[baseline.provider] ?? {};
  const cited = new Set(baseline.causes.flatMap((c) => [c.policy?.id, c.policy?.attachedTo]).filter((x): x is string => !!x).map((x) => x.toLowerCase()));
  const out: ChangeRef[] = [];
  for (const [list, items] of Object.entries(overlay)) {
    if (!Array.isArray(items) || list === 'add') continue;
    items.forEach((item, i) => {
      const key = itemKey(item)?.toLowerCase();
      if (key && cited.has(key)) out.push(refTo(candidate, baseline.provider, `/${list}/${i}`));
    });
  }
  return out;
}
