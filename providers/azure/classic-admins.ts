/**
 * Classic subscription administrators (Resource Graph `authorizationresources`, type
 * microsoft.authorization/classicadministrators). They are retired (31 August 2024; the remaining ones were
 * converted to Owner role assignments): a Service Administrator or Co-Administrator still in an export is
 * read as Owner at its subscription, for the user whose UPN is its emailAddress, with a warning. Deny
 * assignments applied to them; conditions never did (they come with none). An Account Administrator alone
 * had no access to Azure resources.
 * https://learn.microsoft.com/azure/role-based-access-control/classic-administrators
 * https://learn.microsoft.com/rest/api/authorization/classic-administrators/list
 * https://learn.microsoft.com/azure/role-based-access-control/rbac-and-directory-admin-roles#classic-subscription-administrator-roles
 */
import type { Warning } from '../../src/core/decision.js';
import type { Binding } from '../../src/core/graph.js';
import type { LoadWarning } from '../../src/core/provider.js';
import { extensionScope, lastSegment, normalizeId, subscriptionOf } from './ids.js';
import { propsOf } from './load.js';
import type { Grant } from './rbac.js';

type Obj = Record<string, unknown>;

const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const CODE = 'classic_administrator';
const TYPE_SEGMENT = '/providers/microsoft.authorization/classicadministrators/';

export interface ClassicAdministrator {
  o: Obj;
  file: string;
  pointer: string;
}

/** Service Administrator and Co-Administrator had access to resources; Account Administrator only to billing. */
function hasAccess(role: string): boolean {
  return role.split(';').some((r) => ['serviceadministrator', 'coadministrator'].includes(r.trim().toLowerCase()));
}

/**
 * The Owner binding a classic administrator stands for; undefined (with a warning) when its role gives no
 * access or no user in the snapshot has its emailAddress as UPN. userNamed: a user's object id by UPN.
 */
export function classicBinding(c: ClassicAdministrator, userNamed: (upn: string) => string | undefined, warn: (w: LoadWarning) => void): Binding | undefined {
  const p = propsOf(c.o);
  const id = String(c.o.id);
  const email = typeof p.emailAddress === 'string' ? p.emailAddress : '';
  const role = typeof p.role === 'string' ? p.role : '';
  const scopeAsGiven = extensionScope(id);
  const sub = subscriptionOf(normalizeId(scopeAsGiven));
  const at = { file: c.file, pointer: c.pointer };
  if (!hasAccess(role) || !sub) {
    warn({ code: CODE, message: `classic administrator ${email} (${role}) has no access to Azure resources: skipped`, ...at });
    return undefined;
  }
  const user = userNamed(email.toLowerCase());
  if (!user) {
    warn({ code: CODE, message: `classic administrator ${email} (${role}): no user in the snapshot has that UPN, so it grants nothing here; classic administrators are retired`, ...at });
    return undefined;
  }
  warn({ code: CODE, message: `classic administrator ${email} (${role}) is retired: read as Owner at subscription ${sub}`, ...at });
  const roleDefinitionId = `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${OWNER}`;
  return { principal: user, role: OWNER, scope: normalizeId(scopeAsGiven), origin: at, attrs: { id, name: typeof c.o.name === 'string' ? c.o.name : lastSegment(id), principalType: 'User', roleDefinitionId, scopeAsGiven, propsPointer: '' } };
}

/** The answer's warning when a grant comes from a classic administrator. */
export function classicWarnings(grants: readonly Grant[]): Warning[] {
  const g = grants.find((x) => x.assignment.roleGuid === OWNER && x.assignment.idKey.includes(TYPE_SEGMENT));
  if (!g) return [];
  return [{ code: CODE, message: `${g.assignment.name} is a classic subscription administrator: classic administrators are retired, so it is shown as Owner at ${g.assignment.scopeAsGiven} (deny assignments apply to it; conditions never did)` }];
}
