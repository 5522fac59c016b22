/**
 * The Google Cloud provider: requests are answered against a snapshot of native GCP inputs (Cloud Asset
 * exports, deny and principal access boundary policies, custom roles, org policies, group memberships).
 * There is no custom mode: a GCP request carries no `policies`.
 */
import { InputError } from '../../src/core/problem.js';
import type { ProviderModule } from '../../src/core/provider.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { GcpEstate } from './estate.js';
import { evaluate, principalSets } from './evaluate.js';
import { explain } from './explain.js';
import { loadGcp, recognizesGcp } from './load.js';
import { principalId, serviceAccountProject, type Caller } from './members.js';
import { prepare, type GcpSimulateBody } from './request.js';

function estateOf(snapshot: Snapshot): GcpEstate {
  const e = snapshot.compiledFor<GcpEstate>('gcp');
  if (!e) throw new Error(`snapshot ${snapshot.meta.id} has no GCP inputs`);
  return e;
}

export const gcp: ProviderModule = {
  name: 'gcp',
  simulate() {
    throw new InputError('invalid_request', '/policies', 'Google Cloud requests are answered against a snapshot: upload the estate (POST /v1/snapshots) and leave out `policies`');
  },
  recognizes: recognizesGcp,
  load: loadGcp,
  compile: (snapshot, warn) => new GcpEstate(snapshot, warn),
  simulateIn(snapshot, body) {
    const { req, guardrail } = prepare(estateOf(snapshot), body as GcpSimulateBody);
    return explain(snapshot, evaluate(req), guardrail);
  },
  describePrincipal(snapshot, id) {
    const estate = estateOf(snapshot);
    const g = snapshot.graph;
    const pid = principalId(id);
    const p = g.principal(pid);
    if (!p || p.provider !== 'gcp') return undefined;
    const bindings = g.bindingsFor(pid).map((b) => ({ scope: b.scope, role: b.role, condition: b.condition ?? null, member: b.attrs?.member, origin: b.origin }));
    const groups = g.groupsOf(pid).map((gid) => ({ id: gid, name: g.principal(gid)?.name ?? gid, bindings: g.bindingsFor(gid).map((b) => ({ scope: b.scope, role: b.role })) }));
    const pab = p.kind === 'group' ? [] : principalSets(estate, callerOf(estate, p.id, p.kind)).flatMap((target) =>
      estate.pabBindingsFor(target).map((b) => ({ binding: b.name, target, policy: b.policy, condition: b.condition?.input.expression ?? null })),
    );
    return { id: p.id, kind: p.kind, name: p.name, scope: p.scope, attrs: p.attrs ?? {}, groups, members: p.kind === 'group' ? g.membersOf(pid) : undefined, bindings, principalAccessBoundary: pab, origin: p.origin };
  },
};

/** A snapshot principal as a caller, for finding the PAB bindings that target it. */
function callerOf(estate: GcpEstate, id: string, kind: string): Caller {
  const groups = new Set(estate.snapshot.graph.groupsOf(id));
  if (kind === 'federated_user') return { text: id, kind: 'federated', id, groups, pool: id.slice('principal://'.length, id.indexOf('/subject/')) };
  const email = id.slice(id.indexOf(':') + 1);
  if (kind === 'service_account') {
    const chain = estate.projectChain(serviceAccountProject(email)?.project ?? '');
    return chain ? { text: id, kind: 'serviceAccount', id, email, groups, projectChain: chain } : { text: id, kind: 'serviceAccount', id, email, groups };
  }
  const customerId = estate.customers.get(email.slice(email.lastIndexOf('@') + 1));
  return customerId ? { text: id, kind: 'user', id, email, groups, customerId } : { text: id, kind: 'user', id, email, groups };
}
