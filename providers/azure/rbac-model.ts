/**
 * Role definitions, role assignments and deny assignments, compiled: each permission block's Actions,
 * NotActions, DataActions and NotDataActions as case-insensitive globs, conditions parsed.
 * https://learn.microsoft.com/azure/role-based-access-control/role-definitions
 * https://learn.microsoft.com/azure/role-based-access-control/deny-assignments
 */
import type { Binding, Origin } from '../../src/core/graph.js';
import { compileGlob, globMatch, hasWildcard, type Glob } from '../../src/core/glob.js';
import { compileCondition, type Condition } from './conditions.js';
import type { Refs } from './explain-refs.js';
import { extensionScope, lastSegment, normalizeGuid, normalizeId } from './ids.js';
import { EVERYONE, invalid, isObj, propsOf } from './load.js';

type Obj = Record<string, unknown>;

/**
 * Permission strings compiled for matching: the literal ones (most of them) in a set, the ones with a
 * wildcard as globs. Matching is case-insensitive: pass the action lower-cased.
 */
export class Patterns {
  private readonly literal = new Map<string, Glob>();
  private readonly wild: Glob[] = [];

  constructor(patterns: readonly string[]) {
    for (const p of patterns) {
      const g = compileGlob(p, true);
      if (hasWildcard(p)) this.wild.push(g);
      else if (!this.literal.has(p.toLowerCase())) this.literal.set(p.toLowerCase(), g);
    }
  }

  /** The pattern that matches the action, if any. */
  match(actionLower: string): Glob | undefined {
    const hit = this.literal.get(actionLower);
    if (hit) return hit;
    for (const g of this.wild) if (globMatch(g, actionLower)) return g;
    return undefined;
  }
}

export interface Block {
  index: number;
  actions: Patterns;
  notActions: Patterns;
  dataActions: Patterns;
  notDataActions: Patterns;
  condition?: Condition;
  /** JSON pointer of the block in its file. */
  pointer?: string;
}

export interface RoleDefinition {
  guid: string;
  id: string;
  roleName: string;
  roleType: string;
  blocks: Block[];
  origin?: Origin;
}

export interface Assignment {
  id: string;
  /** Normalized id, the key overlays use. */
  idKey: string;
  /** The assignment's name: a GUID. */
  name: string;
  scope: string;
  scopeAsGiven: string;
  principalId: string;
  principalType: string;
  /** Normalized; read-only once the index holds it (the index shares one string per role). */
  roleGuid: string;
  roleDefinitionId: string;
  condition?: Condition;
  origin: Origin;
  /** scopeLabel(scopeAsGiven), set on first use: sentences about near misses name it. */
  label: string | undefined;
  /** How answers refer to it, set on first use (explain-refs). */
  refs: Refs | undefined;
}

export interface DenyAssignment {
  id: string;
  idKey: string;
  /** denyAssignmentName: what causes and messages name. */
  name: string;
  /** The object's name (a GUID), the Id the error message shows without dashes. */
  guid: string;
  scope: string;
  scopeAsGiven: string;
  doNotApplyToChildScopes: boolean;
  everyone: boolean;
  principals: Set<string>;
  excluded: Set<string>;
  blocks: Block[];
  condition?: Condition;
  origin?: Origin;
  /** How answers refer to it, set on first use (explain-refs). */
  refs: Refs | undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function patterns(v: unknown): Patterns {
  return new Patterns(strings(v));
}

function blocksOf(permissions: unknown, origin: Origin | undefined, base: string): Block[] {
  const list = Array.isArray(permissions) ? permissions : [];
  return list.map((raw, index) => {
    const b = isObj(raw) ? raw : {};
    const pointer = `${base}/${index}`;
    // Optional fields start out undefined, here and below: one object shape per kind of object.
    const block: Block = { index, actions: patterns(b.actions), notActions: patterns(b.notActions), dataActions: patterns(b.dataActions), notDataActions: patterns(b.notDataActions), condition: undefined, pointer };
    if (typeof b.condition === 'string' && b.condition.trim() !== '') {
      block.condition = compileCondition(b.condition, origin?.file ?? 'built-in roles', `${pointer}/condition`);
    }
    return block;
  });
}

function propsPointer(o: Obj): string {
  return isObj(o.properties) ? '/properties' : '';
}

export function compileRoleDefinition(o: Obj, origin: Origin | undefined): RoleDefinition {
  const p = propsOf(o);
  const id = typeof o.id === 'string' ? o.id : `/providers/Microsoft.Authorization/roleDefinitions/${String(o.name)}`;
  const guid = normalizeGuid(typeof o.name === 'string' ? o.name : lastSegment(id));
  const base = `${origin?.pointer ?? ''}${propsPointer(o)}/permissions`;
  const r: RoleDefinition = {
    guid,
    id,
    roleName: typeof p.roleName === 'string' ? p.roleName : guid,
    roleType: typeof p.type === 'string' ? p.type : typeof p.roleType === 'string' ? p.roleType : 'CustomRole',
    blocks: blocksOf(p.permissions, origin, base),
    origin,
  };
  return r;
}

/** A role assignment from its graph binding. */
export function compileAssignment(b: Binding): Assignment {
  const a = b.attrs as Obj;
  const origin = b.origin!;
  const out: Assignment = {
    id: String(a.id),
    idKey: normalizeId(String(a.id)),
    name: String(a.name),
    scope: b.scope,
    scopeAsGiven: String(a.scopeAsGiven),
    principalId: b.principal,
    principalType: String(a.principalType),
    roleGuid: b.role,
    roleDefinitionId: String(a.roleDefinitionId),
    condition: undefined,
    origin,
    label: undefined,
    refs: undefined,
  };
  if (typeof b.condition === 'string') {
    const version = a.conditionVersion;
    if (version !== undefined && version !== '2.0') throw invalid(origin.file, `${origin.pointer}${String(a.propsPointer ?? '')}/conditionVersion`, `role assignment conditions must be conditionVersion 2.0, not ${String(version)}`);
    out.condition = compileCondition(b.condition, origin.file, `${origin.pointer}${String(a.propsPointer ?? '')}/condition`);
  }
  return out;
}

function principalIds(v: unknown): string[] {
  return (Array.isArray(v) ? v : []).flatMap((x) => (isObj(x) && typeof x.id === 'string' ? [normalizeGuid(x.id)] : []));
}

export function compileDeny(o: Obj, origin: Origin | undefined): DenyAssignment {
  const p = propsOf(o);
  const id = String(o.id);
  const scopeAsGiven = typeof p.scope === 'string' ? p.scope : extensionScope(id);
  const principals = principalIds(p.principals);
  const base = `${origin?.pointer ?? ''}${propsPointer(o)}`;
  const d: DenyAssignment = {
    id,
    idKey: normalizeId(id),
    name: typeof p.denyAssignmentName === 'string' ? p.denyAssignmentName : String(o.name ?? lastSegment(id)),
    guid: String(o.name ?? lastSegment(id)),
    scope: normalizeId(scopeAsGiven),
    scopeAsGiven,
    doNotApplyToChildScopes: p.doNotApplyToChildScopes === true,
    everyone: principals.includes(EVERYONE),
    principals: new Set(principals),
    excluded: new Set(principalIds(p.excludePrincipals)),
    blocks: blocksOf(p.permissions, origin, `${base}/permissions`),
    condition: undefined,
    origin,
    refs: undefined,
  };
  if (typeof p.condition === 'string' && p.condition.trim() !== '') d.condition = compileCondition(p.condition, origin?.file ?? 'overlay', `${base}/condition`);
  return d;
}
