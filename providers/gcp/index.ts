/**
 * The Google Cloud provider: requests are answered against a snapshot of native GCP inputs (Cloud Asset
 * exports, deny and principal access boundary policies, custom roles, org policies, group memberships).
 * There is no custom mode: a GCP request carries no `policies`.
 */
import { InputError } from '../../src/core/problem.js';
import type { ProviderModule } from '../../src/core/provider.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { gcpCi } from './ci.js';
import { GcpEstate } from './estate.js';
import { evaluate, principalSets } from './evaluate.js';
import { explain } from './explain.js';
import { loadGcp, recognizesGcp } from './load.js';
import { principalId } from './members.js';
import { prepare, resolveCaller, type GcpSimulateBody } from './request.js';

const estateOf = (snapshot: Snapshot) => snapshot.compiledFor<GcpEstate>('gcp');

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
    return explain(evaluate(req), guardrail);
  },
  describePrincipal(snapshot, id) {
    const estate = estateOf(snapshot);
    const g = snapshot.graph;
    const pid = principalId(id);
    const p = g.principal(pid);
    if (!p || p.provider !== 'gcp') return undefined;
    const bindings = g.bindingsFor(pid).map((b) => ({ scope: b.scope, role: b.role, condition: b.condition ?? null, member: b.attrs?.member, origin: b.origin }));
    const groups = g.groupsOf(pid).map((gid) => ({ id: gid, name: g.principal(gid)?.name ?? gid, bindings: g.bindingsFor(gid).map((b) => ({ scope: b.scope, role: b.role })) }));
    const pab = p.kind === 'group' ? [] : principalSets(estate, resolveCaller(estate, p.id, [])).flatMap((target) =>
      estate.pabBindingsFor(target).map((b) => ({ binding: b.name, target, policy: b.policy, condition: b.condition?.input.expression ?? null })),
    );
    return { id: p.id, kind: p.kind, name: p.name, scope: p.scope, attrs: p.attrs ?? {}, groups, members: p.kind === 'group' ? g.membersOf(pid) : undefined, bindings, principalAccessBoundary: pab, origin: p.origin };
  },
  ci: gcpCi,
};
