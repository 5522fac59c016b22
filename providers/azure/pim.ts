/**
 * Privileged Identity Management for Azure resources.
 * - An eligible assignment (roleEligibilitySchedules, roleEligibilityScheduleInstances) grants nothing: the
 *   principal must activate it, within its start and end dates, which creates an active role assignment.
 *   When no role assignment grants the action, eligibilities on the scope chain whose role would are near
 *   misses.
 * - Active schedule instances (roleAssignmentScheduleInstances, assignmentType Activated or Assigned) grant
 *   like role assignments: load.ts reads them as role assignments, less those the roleAssignments export
 *   already lists (their originRoleAssignmentId) and repeats of one instance.
 * https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-resource-roles-assign-roles
 * https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-resource-roles-activate-your-roles
 * https://learn.microsoft.com/rest/api/authorization/role-eligibility-schedule-instances/list-for-scope
 * https://learn.microsoft.com/rest/api/authorization/role-assignment-schedule-instances/list-for-scope
 */
import type { NearMiss } from '../../src/core/decision.js';
import type { Binding, Origin, PolicyNode } from '../../src/core/graph.js';
import { traceEntry, who } from './explain-refs.js';
import { normalizeGuid, normalizeId, scopeLabel } from './ids.js';
import { assignmentFields, invalid, isObj, str } from './load.js';
import { blockMatch } from './rbac.js';
import type { AzureRequest } from './request.js';

type Obj = Record<string, unknown>;

/** The policy type eligibilities are kept under in the graph. */
export const ELIGIBILITY = 'azure:role_eligibility';

/** An eligibility as answers name it (its fields plain data: the graph keeps them in the node's attrs). */
export interface Eligibility {
  id: string;
  name: string;
  principalId: string;
  roleGuid: string;
  scope: string;
  scopeAsGiven: string;
  startDateTime?: string;
  endDateTime?: string;
  origin: Origin;
}

function date(p: Obj, key: string, file: string, base: string): string | undefined {
  const v = str(p[key]) || undefined;
  if (v !== undefined && Number.isNaN(Date.parse(v))) throw invalid(file, `${base}/${key}`, `${key} ${v} is not a date-time`);
  return v;
}

/** An eligibility checked at load, as the graph keeps it. */
export function eligibilityNode(o: Obj, p: Obj, file: string, pointer: string): PolicyNode {
  const base = isObj(o.properties) ? `${pointer}/properties` : pointer;
  const a = assignmentFields(o, p, file, pointer, 'a PIM eligibility');
  const e: Eligibility = { id: a.id, name: a.name, principalId: normalizeGuid(a.principalId), roleGuid: a.roleGuid, scope: a.scope, scopeAsGiven: a.scopeAsGiven, origin: { file, pointer } };
  const start = date(p, 'startDateTime', file, base);
  const end = date(p, 'endDateTime', file, base);
  if (start) e.startDateTime = start;
  if (end) e.endDateTime = end;
  return { id: normalizeId(a.id), name: e.name, type: ELIGIBILITY, provider: 'azure', document: o, origin: e.origin, attrs: { ...e } };
}

/** The id of the role assignment an active instance stands for, normalized (undefined: none given). */
export function originOf(p: Obj): string | undefined {
  const origin = str(p.originRoleAssignmentId);
  return origin ? normalizeId(origin) : undefined;
}

/**
 * Bindings without active instances that repeat a role assignment (originRoleAssignmentId) or another
 * instance (the same id, listed at several scopes as memberType Inherited).
 */
export function withoutRepeatedActivations(bindings: Binding[]): Binding[] {
  const ids = new Set<string>();
  for (const b of bindings) if (b.attrs?.pimOrigin === undefined) ids.add(normalizeId(String(b.attrs?.id)));
  return bindings.filter((b) => {
    const origin = b.attrs?.pimOrigin;
    if (origin === undefined) return true;
    const own = normalizeId(String(b.attrs!.id));
    if ((typeof origin === 'string' && ids.has(origin)) || ids.has(own)) return false;
    ids.add(own);
    return true;
  });
}

/** Why an eligibility did not grant: not activated, or (at the request's time, else now) outside its dates. */
function whyNot(e: Eligibility, who: string, roleName: string, now: number): string {
  const what = `${roleName} on ${scopeLabel(e.scopeAsGiven)}`;
  if (e.endDateTime && Date.parse(e.endDateTime) <= now) return `${who} was eligible for ${what} through PIM until ${e.endDateTime}: the eligibility has expired, so the role can no longer be activated`;
  if (e.startDateTime && Date.parse(e.startDateTime) > now) return `${who} is eligible for ${what} through PIM from ${e.startDateTime}: the role cannot be activated before then`;
  return `${who} is eligible for ${what} through PIM, but the role is not activated`;
}

/** Eligibilities of the principal or its groups on the scope chain whose role would grant the action. */
export function eligibleNearMisses(req: AzureRequest): NearMiss[] {
  const byPrincipal = req.estate.index.eligibilities;
  if (!byPrincipal.size) return [];
  const chain = new Set(req.chain);
  const now = req.time !== undefined ? Date.parse(req.time) : Date.now();
  const out: NearMiss[] = [];
  for (const id of req.ids) {
    for (const e of byPrincipal.get(id) ?? []) {
      if (!chain.has(e.scope)) continue;
      const role = req.view.roleDefinition(e.roleGuid);
      if (!role?.blocks.some((b) => { const m = blockMatch(b, req); return m.pattern !== undefined && m.subtracted === undefined; })) continue;
      const named = id === req.principal ? req.display : `${req.display}, through ${who(req, id)},`;
      out.push({ layer: 'rbac', policy: traceEntry(e, role.roleName, ELIGIBILITY).policy, statement: { binding: e.name }, failed: ['activation'], why: whyNot(e, named, role.roleName, now) });
    }
  }
  return out;
}
