/**
 * Azure Policy for the collector: definitions and set definitions defined at each collected scope, the
 * assignments and exemptions that apply there, and then every definition an assignment or a set still
 * names but no list returned (built-ins above all, and custom ones defined above the collected scopes):
 * the loader skips an assignment whose definition is missing (docs/azure-inputs.md section 6).
 * https://learn.microsoft.com/rest/api/policy/policy-definitions/list
 * https://learn.microsoft.com/rest/api/policy/policy-assignments/list
 */
import { PolicyClient } from '@azure/arm-policy';
import { Bag, groupScope, sdkGet, sdkPages, unique, type AzureCollectContext, type Obj } from './collect-http.js';
import { isObj, propsOf } from './load.js';

/** Policy exemptions are in no installed SDK: the REST API, at the version that added them. */
const EXEMPTIONS_API = '2022-07-01-preview';

export interface PolicyBags {
  definitions: Bag;
  setDefinitions: Bag;
  assignments: Bag;
  exemptions: Bag;
}

export function policyBags(): PolicyBags {
  return { definitions: new Bag(), setDefinitions: new Bag(), assignments: new Bag(), exemptions: new Bag() };
}

/**
 * The lists at one subscription: definitions defined there (`atExactScope()`), and the assignments and
 * exemptions that apply to it, inherited from management groups or set below it (the unfiltered list).
 */
async function atSubscription(x: AzureCollectContext, b: PolicyBags, sub: string): Promise<void> {
  const target = `/subscriptions/${sub}`;
  const client = new PolicyClient(x.credential, sub, x.clientOptions);
  const exact = { filter: 'atExactScope()' };
  await Promise.all([
    sdkPages(x.c, target, 'GET policyDefinitions', (h) => client.policyDefinitions.list({ ...exact, ...h })).then((v) => b.definitions.add(v)),
    sdkPages(x.c, target, 'GET policySetDefinitions', (h) => client.policySetDefinitions.list({ ...exact, ...h })).then((v) => b.setDefinitions.add(v)),
    sdkPages(x.c, target, 'GET policyAssignments', (h) => client.policyAssignments.list(h)).then((v) => b.assignments.add(v)),
    x.arm.list(target, 'GET policyExemptions', `${target}/providers/Microsoft.Authorization/policyExemptions?api-version=${EXEMPTIONS_API}`).then((v) => b.exemptions.add(v)),
  ]);
}

/** The lists at one management group: its own definitions, and what applies at it (`atScope()`: it and above). */
async function atManagementGroup(x: AzureCollectContext, b: PolicyBags, group: string): Promise<void> {
  const target = groupScope(group);
  const client = x.policy;
  const exact = { filter: 'atExactScope()' };
  const here = { filter: 'atScope()' };
  await Promise.all([
    sdkPages(x.c, target, 'GET policyDefinitions', (h) => client.policyDefinitions.listByManagementGroup(group, { ...exact, ...h })).then((v) => b.definitions.add(v)),
    sdkPages(x.c, target, 'GET policySetDefinitions', (h) => client.policySetDefinitions.listByManagementGroup(group, { ...exact, ...h })).then((v) => b.setDefinitions.add(v)),
    sdkPages(x.c, target, 'GET policyAssignments', (h) => client.policyAssignments.listForManagementGroup(group, { ...here, ...h })).then((v) => b.assignments.add(v)),
    x.arm.list(target, 'GET policyExemptions', `${target}/providers/Microsoft.Authorization/policyExemptions?api-version=${EXEMPTIONS_API}&$filter=atScope()`).then((v) => b.exemptions.add(v)),
  ]);
}

/** Where a definition lives, from its id: built-in (tenant level), a management group, or a subscription. */
function definitionHome(id: string): { kind: 'builtin' | 'group' | 'subscription'; at: string; name: string } | undefined {
  const s = id.split('/').filter((x) => x !== '');
  const name = s[s.length - 1];
  if (!name || s.length < 4) return undefined;
  const [first, second, , fourth] = s.map((x) => x.toLowerCase());
  if (first === 'providers' && second === 'microsoft.management' && fourth) return { kind: 'group', at: s[3]!, name };
  if (first === 'providers') return { kind: 'builtin', at: '', name };
  if (first === 'subscriptions' && second) return { kind: 'subscription', at: s[1]!, name };
  return undefined;
}

const isSetId = (id: string) => /\/policySetDefinitions\//i.test(id);

/** Gets one definition or set definition by id, with the call its home needs. */
function fetchDefinition(x: AzureCollectContext, id: string): Promise<Obj | undefined> {
  const home = definitionHome(id);
  if (!home) return Promise.resolve(undefined);
  const set = isSetId(id);
  const ops = (client: PolicyClient) => (set ? client.policySetDefinitions : client.policyDefinitions);
  const call = `GET ${set ? 'policySetDefinitions' : 'policyDefinitions'}/${home.name}`;
  if (home.kind === 'builtin') return sdkGet(x.c, 'tenant', call, (h) => ops(x.policy).getBuiltIn(home.name, h));
  if (home.kind === 'group') return sdkGet(x.c, groupScope(home.at), call, (h) => ops(x.policy).getAtManagementGroup(home.at, home.name, h));
  return sdkGet(x.c, `/subscriptions/${home.at}`, call, (h) => ops(new PolicyClient(x.credential, home.at, x.clientOptions)).get(home.name, h));
}

/** The definition ids objects name through `field` (a set's members sit in `policyDefinitions[]`). */
function referenced(objects: Obj[], pick: (p: Obj) => unknown[]): string[] {
  return objects.flatMap((o) => pick(propsOf(o)).filter((v): v is string => typeof v === 'string'));
}

/** Fetches what the bag does not hold yet, once each. */
async function fill(x: AzureCollectContext, bag: Bag, ids: string[]): Promise<void> {
  const got = await Promise.all(unique(ids).filter((i) => !bag.has(i.toLowerCase())).map((id) => fetchDefinition(x, id)));
  bag.add(got.filter(isObj));
}

export async function collectPolicy(x: AzureCollectContext, b: PolicyBags, groups: string[], subscriptions: string[]): Promise<void> {
  await Promise.all([...subscriptions.map((s) => atSubscription(x, b, s)), ...groups.map((g) => atManagementGroup(x, b, g))]);
  const assigned = referenced(b.assignments.values(), (p) => [p.policyDefinitionId]);
  await fill(x, b.setDefinitions, assigned.filter(isSetId));
  const members = referenced(b.setDefinitions.values(), (p) => (Array.isArray(p.policyDefinitions) ? p.policyDefinitions.map((d) => (isObj(d) ? d.policyDefinitionId : undefined)) : []));
  await fill(x, b.definitions, [...assigned.filter((i) => !isSetId(i)), ...members]);
}
