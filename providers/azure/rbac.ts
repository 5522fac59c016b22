/**
 * Deny assignments, then role assignments, over the scope chain.
 * https://learn.microsoft.com/azure/role-based-access-control/overview#how-azure-rbac-determines-if-a-user-has-access-to-a-resource
 * - A deny assignment at the scope or above (only at the scope itself with doNotApplyToChildScopes) that
 *   names the principal, one of its groups or Everyone, and excludes none of them, blocks the actions of
 *   its Actions − NotActions (DataActions − NotDataActions): there NotActions carve exceptions out of the deny.
 * - Grants are the union of every role assignment on the chain, management groups and root included, to
 *   the principal or its groups (transitively). A block grants Actions − NotActions; NotActions only
 *   subtract, so another role can grant the same action again. Actions never grant data actions.
 * - Conditions on the assignment, and on the role definition's block, must hold; a false condition is not a
 *   deny: another grant still wins.
 */
import { BoundedMap } from '../../src/core/bounded.js';
import type { Tri } from '../../src/core/decision.js';
import type { Glob } from '../../src/core/glob.js';
import { andTri, evalCondition, type Condition, type ConditionResult } from './conditions.js';
import type { Assignment, Block, DenyAssignment, RoleDefinition } from './rbac-model.js';
import type { HeldAssignments } from './estate.js';
import type { AzureRequest } from './request.js';
import { isAtOrUnder, scopeLabel } from './ids.js';

export interface DenyHit {
  deny: DenyAssignment;
  block: Block;
  pattern: string;
  result: Tri;
  /** How the principal is named: itself, a group, or Everyone. */
  via: string;
  /** The attributes its conditions (the deny assignment's and the block's) read that the request did not give. */
  missing: string[];
}

export interface DenySkip {
  deny: DenyAssignment;
  why: string;
}

export interface Grant {
  assignment: Assignment;
  role: RoleDefinition;
  block: Block;
  pattern: string;
  result: Tri;
  /** The group the assignment is to, when not the principal itself. */
  via?: string;
  missing: string[];
  conditions: ConditionResult[];
}

export type MissKind = 'not_actions' | 'plane' | 'condition' | 'scope' | 'unknown_role';

export interface Miss {
  kind: MissKind;
  assignment: Assignment;
  role?: RoleDefinition;
  block?: Block;
  via?: string;
  why: string;
  /** For a false condition: how it evaluated. */
  conditions?: ConditionResult[];
}

/** How one permission block of an on-chain assignment fared, for the full trace. */
export interface BlockTrace {
  index: number;
  /** Did the block's (Data)Actions minus Not(Data)Actions cover the action? */
  action: boolean;
  detail: string;
  applies: Tri;
  conditions: readonly ConditionResult[];
}

export interface AssignmentTrace {
  assignment: Assignment;
  role?: RoleDefinition;
  via?: string;
  /** How each block fared: noted for full answers only. */
  blocks: BlockTrace[];
}

export interface RbacResult {
  denies: DenyHit[];
  denySkips: DenySkip[];
  grants: Grant[];
  misses: Miss[];
  /** One per assignment on the chain to the principal or its groups. */
  traces: AssignmentTrace[];
}

export function blockMatch(block: Block, req: AzureRequest): { pattern?: Glob; subtracted?: Glob } {
  const a = req.actionLower;
  const allow = (req.isData ? block.dataActions : block.actions).match(a);
  if (!allow) return {};
  const not = (req.isData ? block.notDataActions : block.notActions).match(a);
  return not ? { pattern: allow, subtracted: not } : { pattern: allow };
}

/** The first of the principal's ids (itself, then its groups) in a deny assignment's list. */
function firstIn(ids: readonly string[], list: ReadonlySet<string>): string | undefined {
  for (let i = 0; i < ids.length; i++) if (list.has(ids[i]!)) return ids[i];
  return undefined;
}

/** The conditions that must hold, evaluated, and what they come to together: false wins, then unknown. */
function conditionsOf(req: AzureRequest, first: Condition | undefined, second: Condition | undefined): { conditions: ConditionResult[]; result: Tri } {
  const conditions: ConditionResult[] = [];
  let result: Tri = true;
  for (const c of [first, second]) {
    if (c === undefined) continue;
    const r = evalCondition(c, req.action, req.subOperation, req.facts);
    conditions.push(r);
    result = andTri(result, r.value);
  }
  return { conditions, result };
}

function denies(req: AzureRequest): { hits: DenyHit[]; skips: DenySkip[] } {
  const hits: DenyHit[] = [];
  const skips: DenySkip[] = [];
  const target = req.chain[0]!;
  for (const at of req.links) {
    for (const deny of req.view.denyAssignmentsAt(at)) {
      if (deny.doNotApplyToChildScopes && deny.scope !== target) {
        skips.push({ deny, why: `doNotApplyToChildScopes: it applies at ${deny.scopeAsGiven} only, not below` });
        continue;
      }
      const named = deny.everyone ? 'Everyone' : firstIn(req.ids, deny.principals);
      if (!named) {
        skips.push({ deny, why: 'it does not name the principal, its groups or Everyone' });
        continue;
      }
      const excluded = firstIn(req.ids, deny.excluded);
      if (excluded) {
        skips.push({ deny, why: `${excluded === req.principal ? 'the principal' : `group ${excluded}`} is in excludePrincipals` });
        continue;
      }
      let skipped = false;
      let hit: DenyHit | undefined;
      for (const block of deny.blocks) {
        const m = blockMatch(block, req);
        if (m.subtracted) {
          skips.push({ deny, why: `${m.subtracted.source} in ${req.isData ? 'NotDataActions' : 'NotActions'} exempts ${req.action} from the deny` });
          skipped = true;
        }
        if (!m.pattern || m.subtracted) continue;
        const { conditions, result } = conditionsOf(req, deny.condition, block.condition);
        if (result === false) {
          skips.push({ deny, why: 'its condition is false for this request' });
          skipped = true;
          continue;
        }
        const via = named === 'Everyone' ? 'Everyone' : named === req.principal ? 'the principal' : `group ${named}`;
        hit = { deny, block, pattern: m.pattern.source, result, via, missing: conditions.flatMap((c) => c.missing) };
        break;
      }
      if (hit) hits.push(hit);
      else if (!skipped) skips.push({ deny, why: `${req.action} is not among its ${req.isData ? 'DataActions' : 'Actions'}` });
    }
  }
  return { hits, skips };
}

const NO_CONDITIONS: readonly ConditionResult[] = [];
const NO_BLOCKS = Object.freeze([]) as unknown as BlockTrace[];

/** Notes how a block fared, for the full trace (summary answers show none: their callers skip the detail). */
function note(blocks: BlockTrace[], block: Block, action: boolean, detail: string, applies: Tri, conditions = NO_CONDITIONS): void {
  blocks.push({ index: block.index, action, detail, applies, conditions });
}

/** A near miss, every field present (one object shape). */
function miss(kind: MissKind, assignment: Assignment, via: string | undefined, why: string, role?: RoleDefinition, block?: Block, conditions?: ConditionResult[]): Miss {
  return { kind, assignment, role, block, via, why, conditions };
}

/** The assignment's scope in sentences, worked out once per assignment. */
function labelOf(a: Assignment): string {
  return (a.label ??= scopeLabel(a.scopeAsGiven));
}

/** via: the group the assignment is to, undefined when it is to the principal itself. */
function evaluateAssignment(a: Assignment, via: string | undefined, req: AzureRequest, onChain: boolean, grants: Grant[], misses: Miss[], traces?: AssignmentTrace[], full = false): void {
  const role = req.view.roleDefinition(a.roleGuid);
  // Plain literals, not spreads: this runs for every assignment on the chain.
  const blocks = traces && full ? [] : undefined;
  if (traces) traces.push({ assignment: a, role, via, blocks: blocks ?? NO_BLOCKS });
  if (!role) {
    if (onChain) misses.push(miss('unknown_role', a, via, `role definition ${a.roleDefinitionId} is not in the snapshot and not built in`));
    return;
  }
  for (const block of role.blocks) {
    const m = blockMatch(block, req);
    if (!m.pattern) {
      // Control-plane Actions never grant a data action (and DataActions never a control action).
      const other = (req.isData ? block.actions : block.dataActions).match(req.actionLower);
      if (blocks) note(blocks, block, false, other ? `only ${other.source} in ${req.isData ? 'Actions' : 'DataActions'}, the other plane` : `not in its ${req.isData ? 'DataActions' : 'Actions'}`, false);
      if (other && onChain) {
        misses.push(miss('plane', a, via, `${role.roleName} at ${labelOf(a)} grants ${other.source} in its ${req.isData ? 'Actions' : 'DataActions'}, but ${req.action} is a ${req.isData ? 'data' : 'control-plane'} action: only ${req.isData ? 'DataActions' : 'Actions'} grant it`, role, block));
      }
      continue;
    }
    if (m.subtracted) {
      if (blocks) note(blocks, block, false, `${m.pattern.source} minus ${m.subtracted.source}`, false);
      if (onChain) misses.push(miss('not_actions', a, via, `${role.roleName} at ${labelOf(a)} grants ${m.pattern.source}, but its ${req.isData ? 'NotDataActions' : 'NotActions'} ${m.subtracted.source} subtract ${req.action}`, role, block));
      continue;
    }
    if (!onChain) {
      misses.push(miss('scope', a, via, `${role.roleName} is assigned on ${labelOf(a)}, not on ${req.scopeLabel} or a scope above it`, role, block));
      return;
    }
    const { conditions, result } = conditionsOf(req, block.condition, a.condition);
    if (blocks) note(blocks, block, true, m.pattern.source, result, conditions);
    if (result === false) {
      const onAssignment = a.condition !== undefined && conditions[conditions.length - 1]!.value === false;
      misses.push(miss('condition', a, via, `${role.roleName} at ${labelOf(a)} grants ${req.action}, but the ABAC condition on the ${onAssignment ? 'role assignment' : 'role definition'} evaluated false`, role, block, conditions));
      continue;
    }
    grants.push({ assignment: a, via, role, block, pattern: m.pattern.source, result, missing: conditions.flatMap((c) => c.missing), conditions });
    if (result === true) return;
  }
}

/** Whether a role's (Data)Actions match an action, by role, plane (control, data) and action: the near-miss scan asks it of every role a principal holds. */
const matchesAction = new WeakMap<RoleDefinition, readonly [BoundedMap<string, boolean>, BoundedMap<string, boolean>]>();

/** Could the role grant the action, NotActions aside (its Actions, or DataActions for a data action, match it)? */
function roleMatches(role: RoleDefinition, req: AzureRequest): boolean {
  let byPlane = matchesAction.get(role);
  if (!byPlane) matchesAction.set(role, (byPlane = [new BoundedMap(1000), new BoundedMap(1000)]));
  const known = byPlane[req.isData ? 1 : 0];
  return known.get(req.actionLower) ?? known.remember(req.actionLower, role.blocks.some((b) => blockMatch(b, req).pattern !== undefined));
}

/** Near misses an answer shows: the scan for them stops there. */
export const MAX_NEAR_MISSES = 10;

/** The group assignments are to: their holder's id, so the assignment itself need not be read for it (undefined: the principal's own). */
function viaOf(held: HeldAssignments, req: AzureRequest): string | undefined {
  return held.principal === req.principal ? undefined : held.principal;
}

/** full: the trace notes how each block of each assignment on the chain fared (full answers show it). */
export function evaluateRbac(req: AzureRequest, full = false): RbacResult {
  const d = denies(req);
  const grants: Grant[] = [];
  const misses: Miss[] = [];
  const traces: AssignmentTrace[] = [];
  for (const at of req.links) {
    for (const held of req.held) {
      const list = held.at(at);
      if (list) for (const a of list) evaluateAssignment(a, viaOf(held, req), req, true, grants, misses, traces, full);
    }
  }
  if (!grants.some((g) => g.result === true)) {
    const onChain = new Set(traces.map((t) => t.assignment.idKey));
    // Near misses elsewhere: the same principal's assignments on scopes that are not on the chain (a few
    // are enough for the hint; a principal in many groups can hold thousands).
    const couldGrant = new Map<string, boolean>();
    scan: for (let h = 0; h < req.held.length; h++) {
      const held = req.held[h]!;
      for (let i = 0; i < held.all.length; i++) {
        if (misses.length >= MAX_NEAR_MISSES) break scan;
        const guid = held.roles[i]!;
        let could = couldGrant.get(guid);
        if (could === undefined) {
          const role = req.view.roleDefinition(guid);
          could = role !== undefined && roleMatches(role, req);
          couldGrant.set(guid, could);
        }
        if (!could) continue;
        const a = held.all[i]!;
        if (onChain.has(a.idKey) || isAtOrUnder(req.chain[0]!, a.scope)) continue;
        evaluateAssignment(a, viaOf(held, req), req, false, grants, misses);
      }
    }
  }
  return { denies: d.hits, denySkips: d.skips, grants, misses, traces };
}
