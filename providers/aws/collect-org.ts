/**
 * The Organizations export (docs/aws-inputs.md section 2): the organization, its roots, the OU tree walked
 * from each root with every account under its parent, and the SCPs and RCPs with their content and targets.
 * Only the management account or a delegated administrator can list these; other callers get
 * AccessDenied, recorded, and the run goes on without service and resource control policies.
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListRoots.html
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListOrganizationalUnitsForParent.html
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListPolicies.html
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribePolicy.html
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListTargetsForPolicy.html
 */
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  type Account,
  type Organization,
  type OrganizationalUnit,
  type PolicySummary,
  type PolicyTargetSummary,
  type PolicyType,
  type Root,
} from '@aws-sdk/client-organizations';
import type { Collector } from '../../src/collect/collector.js';
import { listAll, read, type AwsClients, type Session } from './collect-clients.js';

export interface OrgExport {
  Organization?: Organization;
  Roots: Root[];
  OrganizationalUnits: (OrganizationalUnit & { ParentId: string })[];
  Accounts: (Account & { ParentId: string })[];
  Policies: { PolicySummary?: PolicySummary; Content?: string; Targets: PolicyTargetSummary[] }[];
}

/** The policy types the simulator evaluates. */
const TYPES: readonly PolicyType[] = ['SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY'];

export async function collectOrganization(c: Collector, clients: AwsClients, s: Session): Promise<OrgExport | undefined> {
  const org = clients.get(OrganizationsClient, s);
  const target = s.account;
  const described = await read(c, target, 'organizations:DescribeOrganization', ['AWSOrganizationsNotInUseException'], () => org.send(new DescribeOrganizationCommand({})));
  if (described === null) {
    c.warn(`account ${s.account} is not in an organization: no SCPs or RCPs apply`);
    return undefined;
  }
  const list = <R, T>(call: string, send: (token: string | undefined) => Promise<R>, items: (r: R) => T[] | undefined) =>
    listAll(c, target, `organizations:${call}`, send, items, (r) => (r as { NextToken?: string }).NextToken);

  const roots = await list('ListRoots', (NextToken) => org.send(new ListRootsCommand({ NextToken })), (r) => r.Roots);
  if (!roots.length) {
    c.warn('the organization tree could not be read (see failures): SCPs and RCPs are not collected');
    return undefined;
  }
  /** The OUs under a parent, depth first, and the accounts directly under each. */
  const walk = async (ParentId: string): Promise<Pick<OrgExport, 'OrganizationalUnits' | 'Accounts'>> => {
    const [ous, accounts] = await Promise.all([
      list('ListOrganizationalUnitsForParent', (NextToken) => org.send(new ListOrganizationalUnitsForParentCommand({ ParentId, NextToken })), (r) => r.OrganizationalUnits),
      list('ListAccountsForParent', (NextToken) => org.send(new ListAccountsForParentCommand({ ParentId, NextToken })), (r) => r.Accounts),
    ]);
    const below = await Promise.all(ous.filter((o) => o.Id).map((o) => walk(o.Id as string)));
    return {
      OrganizationalUnits: [...ous.map((o) => ({ ...o, ParentId })), ...below.flatMap((b) => b.OrganizationalUnits)],
      Accounts: [...accounts.map((a) => ({ ...a, ParentId })), ...below.flatMap((b) => b.Accounts)],
    };
  };
  const trees = await Promise.all(roots.filter((r) => r.Id).map((r) => walk(r.Id as string)));

  // Only the types enabled on a root apply; listing a disabled type would only add failures.
  const enabled = TYPES.filter((t) => roots.some((r) => (r.PolicyTypes ?? []).some((p) => p.Type === t && p.Status === 'ENABLED')));
  const summaries = (await Promise.all(enabled.map((Filter) => list('ListPolicies', (NextToken) => org.send(new ListPoliciesCommand({ Filter, NextToken })), (r) => r.Policies)))).flat();
  const policies = await Promise.all(
    summaries.filter((p) => p.Id).map(async ({ Id: PolicyId }) => {
      const [described, targets] = await Promise.all([
        read(c, target, 'organizations:DescribePolicy', [], () => org.send(new DescribePolicyCommand({ PolicyId }))),
        list('ListTargetsForPolicy', (NextToken) => org.send(new ListTargetsForPolicyCommand({ PolicyId, NextToken })), (r) => r.Targets),
      ]);
      return described?.Policy ? { ...described.Policy, Targets: targets } : undefined;
    }),
  );
  return {
    ...(described?.Organization ? { Organization: described.Organization } : {}),
    Roots: roots,
    OrganizationalUnits: trees.flatMap((t) => t.OrganizationalUnits),
    Accounts: trees.flatMap((t) => t.Accounts),
    Policies: policies.filter((p) => p !== undefined),
  };
}
