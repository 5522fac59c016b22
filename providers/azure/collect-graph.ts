/**
 * Microsoft Graph for the collector: users and service principals (how answers name principals: a user by
 * its UPN, a service principal by its appId), and, for every group a role or deny assignment names, the
 * group and its transitive members, so that a grant to a group reaches the users in nested groups.
 * https://learn.microsoft.com/graph/api/user-list
 * https://learn.microsoft.com/graph/api/serviceprincipal-list
 * https://learn.microsoft.com/graph/api/group-get
 * https://learn.microsoft.com/graph/api/group-list-transitivemembers
 * https://learn.microsoft.com/graph/paging (@odata.nextLink)
 */
import { RestReader, type AzureCollectContext, type Obj } from './collect-http.js';
import { isObj, propsOf } from './load.js';

const TARGET = 'microsoft-graph';

const NO_GROUPS =
  'group-based grants cannot be resolved: role and deny assignments to groups stay unexpanded, so a user who holds a role only through a group is answered as if it held none';

/** The object ids of groups that role assignments and deny assignments (principals and exclusions) name. */
export function assignedGroups(roleAssignments: Obj[], denyAssignments: Obj[]): string[] {
  const ids = new Set<string>();
  for (const o of roleAssignments) {
    const p = propsOf(o);
    if (String(p.principalType).toLowerCase() === 'group' && typeof p.principalId === 'string') ids.add(p.principalId.toLowerCase());
  }
  for (const o of denyAssignments) {
    const p = propsOf(o);
    for (const key of ['principals', 'excludePrincipals']) {
      for (const x of Array.isArray(p[key]) ? p[key] : []) if (isObj(x) && String(x.type).toLowerCase() === 'group' && typeof x.id === 'string') ids.add(x.id.toLowerCase());
    }
  }
  return [...ids].sort();
}

/** A Graph object without the response's own `@odata.context`. */
function plain(o: Obj): Obj {
  const { ['@odata.context']: _context, ...rest } = o;
  return rest;
}

/**
 * Reads Graph if the credential allows it. Whatever it cannot read is recorded as a failure, and a warning
 * in collect-report.json says what the answers lose.
 */
export async function collectGraph(x: AzureCollectContext, groups: string[]): Promise<void> {
  const graph = new RestReader(x.c, x.credential, `${x.graphEndpoint}/v1.0`, `${x.graphEndpoint}/.default`, x.tls);
  if ((await x.c.call(TARGET, 'getToken', () => x.credential.bearer(`${x.graphEndpoint}/.default`))) === undefined) {
    x.c.warn(`Microsoft Graph: the credential gave no token, nothing was read from the directory. Principals are named by object id only, and ${NO_GROUPS}.`);
    return;
  }
  const [users, servicePrincipals, expanded] = await Promise.all([
    graph.list(TARGET, 'GET /users', '/users?$select=id,displayName,userPrincipalName,mail,accountEnabled&$top=999'),
    graph.list(TARGET, 'GET /servicePrincipals', '/servicePrincipals?$select=id,appId,displayName,servicePrincipalType,alternativeNames,appOwnerOrganizationId&$top=999'),
    Promise.all(
      groups.map(async (id) => {
        const [group, members] = await Promise.all([
          graph.get(TARGET, `GET /groups/${id}`, `/groups/${id}?$select=id,displayName,securityEnabled,mailEnabled,groupTypes`),
          graph.list(TARGET, `GET /groups/${id}/transitiveMembers`, `/groups/${id}/transitiveMembers?$select=id,displayName,userPrincipalName,appId,servicePrincipalType&$top=999`),
        ]);
        return group && members ? { ...plain(group), transitiveMembers: members.map(plain) } : undefined;
      }),
    ),
  ]);
  if (users) x.c.add('users.json', { value: users });
  if (servicePrincipals) x.c.add('service-principals.json', { value: servicePrincipals });
  if (!users || !servicePrincipals) x.c.warn('Microsoft Graph: users or service principals could not be listed (see failures): those principals are named by object id only.');
  const read = expanded.filter((g) => g !== undefined);
  if (read.length || !groups.length) x.c.add('groups.json', { value: read });
  const missed = groups.filter((_, i) => expanded[i] === undefined);
  if (missed.length) x.c.warn(`Microsoft Graph: the members of ${missed.length} assigned group(s) could not be read (${missed.join(', ')}): for those groups, ${NO_GROUPS}.`);
}
