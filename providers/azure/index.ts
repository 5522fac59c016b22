/**
 * The Azure provider: ARM and Resource Graph exports to the common graph, and requests answered against a
 * snapshot of them (deny assignments, role assignments with ABAC conditions, Azure Policy, locks). There is
 * no custom mode: an Azure request is always answered against a snapshot.
 */
import type { Decision } from '../../src/core/decision.js';
import { InputError } from '../../src/core/problem.js';
import type { ProviderModule } from '../../src/core/provider.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { azureCi } from './ci.js';
import { AzureEstate, chainText } from './estate.js';
import { explain, type Evaluation } from './explain.js';
import { normalizeGuid, normalizeId, scopeLabel } from './ids.js';
import { loadAzure, recognizes } from './load.js';
import { evaluateLocks } from './locks.js';
import { evaluatePolicy } from './policy.js';
import { evaluateRbac } from './rbac.js';
import { buildRequest, type AzureRequest, type AzureSimulateBody } from './request.js';

const estateOf = (snapshot: Snapshot) => snapshot.compiledFor<AzureEstate>('azure');

const LIST_KEYS = 'Microsoft.Storage/storageAccounts/listKeys/action';

/**
 * Shared Key and account SAS requests are signed with the account key and bypass RBAC, ABAC and deny
 * assignments: a principal refused a storage data action that may list the keys can still read the data.
 * https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent
 */
function sharedKeyNote(req: AzureRequest): string | undefined {
  const s = req.resourceAsGiven.split('/').filter((x) => x !== '');
  const i = s.findIndex((x) => x.toLowerCase() === 'storageaccounts');
  if (i === -1 || !s[i + 1]) return undefined;
  const accountId = '/' + s.slice(0, i + 2).join('/');
  const account = normalizeId(accountId);
  const chain = req.estate.links(account);
  const keys: AzureRequest = { ...req, action: LIST_KEYS, actionLower: LIST_KEYS.toLowerCase(), isData: false, verb: 'action', target: account, chain: chain.ids, links: chain.links, chainText: chainText(chain), scopeAsGiven: accountId, scopeLabel: scopeLabel(accountId), errorScope: accountId };
  const r = evaluateRbac(keys);
  const grant = r.denies.length ? undefined : r.grants.find((g) => g.result === true);
  if (!grant) return undefined;
  const props = req.estate.scope(account)?.attrs?.properties as Record<string, unknown> | undefined;
  const locked = evaluateLocks(keys).find((l) => l.blocks);
  const via = `${grant.role.roleName} at ${grant.assignment.scopeAsGiven} grants ${LIST_KEYS}`;
  if (props?.allowSharedKeyAccess === false) return `${via}, but the account sets allowSharedKeyAccess false: Shared Key and account SAS requests fail with KeyBasedAuthenticationNotPermitted`;
  if (locked) return `${via}, but ${locked.why}: listKeys is a POST the lock refuses`;
  return `${via}: with the account key (Shared Key or an account or service SAS) the caller reaches the data anyway, bypassing RBAC, ABAC conditions and deny assignments`;
}

/**
 * A vault with enableRbacAuthorization false authorizes its data plane with vault access policies, not
 * Azure RBAC: the RBAC answer does not decide such a call.
 * https://learn.microsoft.com/azure/key-vault/general/rbac-migration
 */
function vaultAccessPolicies(req: AzureRequest): string | undefined {
  const s = req.resourceAsGiven.split('/').filter((x) => x !== '');
  const i = s.findIndex((x) => x.toLowerCase() === 'vaults');
  if (i === -1 || !s[i + 1]) return undefined;
  const props = req.estate.scope(normalizeId('/' + s.slice(0, i + 2).join('/')))?.attrs?.properties as Record<string, unknown> | undefined;
  if (props?.enableRbacAuthorization !== false) return undefined;
  return `vault ${s[i + 1]} sets enableRbacAuthorization false: its data plane is authorized by vault access policies, which the snapshot does not evaluate; this answer is what Azure RBAC alone would decide`;
}

function simulateAzure(estate: AzureEstate, body: AzureSimulateBody): Decision {
  const req = buildRequest(estate, body);
  const full = body.options?.explain === 'full';
  const ev: Evaluation = { req, rbac: evaluateRbac(req, full) };
  if (!req.isData && (req.verb === 'write' || req.verb === 'delete')) {
    ev.policy = evaluatePolicy(req);
    if (req.verb === 'write' && !req.requestBody && ev.policy.evaluations.some((e) => e.matched !== undefined)) {
      req.warnings.push({ code: 'request_body_missing', pointer: '/requestBody', message: `no requestBody: Azure Policy was evaluated on ${req.resourceNode ? 'the exported resource as it is' : 'the resource id, name and type only'}` });
    }
  }
  if (!req.isData && req.verb !== 'read') ev.locks = evaluateLocks(req);
  if (req.isData && req.actionLower.startsWith('microsoft.keyvault/')) {
    const note = vaultAccessPolicies(req);
    if (note) req.warnings.push({ code: 'key_vault_access_policies', message: note });
  }
  if (req.isData && req.actionLower.startsWith('microsoft.storage/') && !ev.rbac.grants.some((g) => g.result === true)) {
    const note = sharedKeyNote(req);
    if (note) ev.sharedKey = note;
  }
  return explain(ev, full);
}

export const azure: ProviderModule = {
  name: 'azure',
  simulate() {
    throw new InputError('invalid_request', '/policies', 'Azure requests are answered against a snapshot: leave out policies and upload the estate (docs/azure-inputs.md)');
  },
  recognizes,
  load: loadAzure,
  compile: (snapshot, warn) => new AzureEstate(snapshot, warn),
  simulateIn: (snapshot, body) => simulateAzure(estateOf(snapshot), body as AzureSimulateBody),
  ci: azureCi,
  describePrincipal(snapshot, id) {
    const estate = estateOf(snapshot);
    const g = snapshot.graph;
    const p = g.principal(normalizeGuid(id)) ?? estate.principalNamed(id);
    if (!p || p.provider !== 'azure') return undefined;
    const groups = g.groupsOf(p.id);
    const roleAssignments = [p.id, ...groups].flatMap((pid) =>
      estate.assignmentsOf(pid).map((a) => ({ id: a.id, name: a.name, role: estate.roleDefinition(a.roleGuid)?.roleName ?? a.roleDefinitionId, roleDefinitionId: a.roleDefinitionId, scope: a.scopeAsGiven, via: pid === p.id ? 'direct' : pid, condition: a.condition?.text })),
    );
    const denyAssignments = [...estate.index.denies.values()].flat().filter((d) => d.everyone || d.principals.has(p.id) || groups.some((x) => d.principals.has(x))).map((d) => ({ id: d.id, name: d.name, scope: d.scopeAsGiven, everyone: d.everyone, excluded: d.excluded.has(p.id) || groups.some((x) => d.excluded.has(x)) }));
    return {
      id: p.id,
      kind: p.kind,
      name: p.name,
      groups: groups.map((gid) => ({ id: gid, name: g.principal(gid)?.name ?? gid })),
      members: p.kind === 'group' ? g.membersOf(p.id) : undefined,
      roleAssignments,
      denyAssignments,
      origin: p.origin,
    };
  },
};
