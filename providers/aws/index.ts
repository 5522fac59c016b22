/**
 * The AWS provider: custom simulation of a request that carries its policies, and simulation against a
 * snapshot of native AWS inputs.
 */
import type { Decision } from '../../src/core/decision.js';
import type { ProviderModule } from '../../src/core/provider.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { awsCi } from './ci.js';
import { AwsEstate } from './estate.js';
import { evaluate } from './evaluate.js';
import { explain } from './explain.js';
import { loadAws, recognizesAws } from './load.js';
import { buildRequest, type AwsRequest, type AwsSimulateBody } from './request.js';
import { buildSnapshotRequest, type AwsSnapshotBody } from './snapshot-request.js';

function answer(req: AwsRequest, explainLevel: string | undefined): Decision {
  const full = explainLevel === 'full';
  return explain(evaluate(req, full), full);
}

export function simulateAws(body: AwsSimulateBody): Decision {
  return answer(buildRequest(body), body.options?.explain);
}

const estateOf = (snapshot: Snapshot) => snapshot.compiledFor<AwsEstate>('aws');

export const aws: ProviderModule = {
  name: 'aws',
  simulate: (body) => simulateAws(body as AwsSimulateBody),
  recognizes: recognizesAws,
  load: loadAws,
  compile: (snapshot, warn) => new AwsEstate(snapshot, warn),
  simulateIn(snapshot, body) {
    const b = body as AwsSnapshotBody;
    return answer(buildSnapshotRequest(estateOf(snapshot), b), b.options?.explain);
  },
  ci: awsCi,
  describePrincipal(snapshot, id) {
    const estate = estateOf(snapshot);
    const g = snapshot.graph;
    const p = estate.principals.get(id);
    if (!p) return undefined;
    const policies = (target: string, kind: string) =>
      g.attachedTo(target).filter((a) => a.kind === kind).map((a) => ({ id: a.policy, name: g.policy(a.policy)?.name ?? a.policy, type: g.policy(a.policy)?.type ?? '' }));
    const groups = g.groupsOf(id).map((gid) => ({ id: gid, name: g.principal(gid)?.name ?? gid, policies: policies(gid, 'identity') }));
    const scpPath = p.scope ? estate.levels('scp', p.scope)?.map((l) => ({ target: l.target, label: estate.label(l.target), policies: l.policies.map((u) => u.ref.name) })) : undefined;
    return {
      id: p.id,
      kind: p.kind,
      name: p.name,
      account: p.scope,
      accountName: p.scope ? g.scope(p.scope)?.name : undefined,
      tags: p.tags ?? {},
      attrs: p.attrs ?? {},
      groups,
      members: p.kind === 'group' ? g.membersOf(id) : undefined,
      policies: policies(id, 'identity'),
      boundary: policies(id, 'boundary')[0],
      trustPolicy: policies(id, 'trust')[0],
      scpPath: scpPath ?? [],
      managementAccount: estate.isManagement(p.scope),
      origin: p.origin,
    };
  },
};
