/**
 * Who is in which group, and which domain belongs to which Cloud Identity customer: Cloud Identity groups
 * of each organization's customer with their direct memberships (nested groups are resolved by the loader),
 * and each organization's primary domain.
 * https://cloud.google.com/identity/docs/reference/rest/v1/groups/list
 * https://cloud.google.com/identity/docs/reference/rest/v1/groups.memberships/list
 */
import type { Collector } from '../../src/collect/collector.js';
import { google, listAll, token, type GoogleClients } from './collect-google.js';
import type { CrmNode } from './collect-hierarchy.js';

type Raw = Record<string, unknown>;

const UNRESOLVED = 'grants to groups cannot be resolved: answers naming such a binding carry group_membership_unknown';

/** Groups of the organizations' customers, as `{groups: [{groupKey, memberships}]}` items; warns when none can be read. */
export async function cloudIdentityGroups(c: Collector, g: GoogleClients, orgs: CrmNode[]): Promise<Raw[]> {
  const customers = [...new Set(orgs.map((o) => o.customerId).filter((x): x is string => !!x))];
  if (!customers.length) {
    c.warn(`no Cloud Identity customer is known (no organization was read): ${UNRESOLVED}`);
    return [];
  }
  const out: Raw[] = [];
  for (const customer of customers) {
    const parent = `customers/${customer}`;
    const groups = await listAll<Raw>(c, parent, 'cloudidentity.groups.list', async (pageToken) => {
      const r = await g.rest('cloudidentity.googleapis.com', '/v1/groups', { parent, view: 'BASIC', pageSize: 500, ...token(pageToken) });
      return { items: r.groups as Raw[] | undefined, next: r.nextPageToken as string | undefined };
    });
    if (!groups) {
      c.warn(`the groups of Cloud Identity customer ${customer} could not be read (see failures): ${UNRESOLVED}`);
      continue;
    }
    out.push(
      ...(await Promise.all(
        groups.map(async (group): Promise<Raw | undefined> => {
          const name = String(group.name);
          const memberships = await listAll<Raw>(c, name, 'cloudidentity.groups.memberships.list', async (pageToken) => {
            const r = await g.rest('cloudidentity.googleapis.com', `/v1/${name}/memberships`, { view: 'FULL', pageSize: 500, ...token(pageToken) });
            return { items: r.memberships as Raw[] | undefined, next: r.nextPageToken as string | undefined };
          });
          // A group whose members could not be read is left out, so that it stays unknown rather than empty.
          if (memberships) return { groupKey: group.groupKey, memberships };
          c.warn(`the members of ${String((group.groupKey as Raw | undefined)?.id ?? name)} could not be read: ${UNRESOLVED}`);
          return undefined;
        }),
      )).filter((x): x is Raw => x !== undefined),
    );
  }
  return out;
}

const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

/**
 * Each organization's domains mapped to its customer id: the primary domain (the organization's display
 * name), and the secondary domains and domain aliases the Admin SDK Directory API lists, which needs an
 * admin scope ADC rarely carries — without it, `domain:` members of secondary domains stay unmatched.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/domains/list
 */
export async function customers(c: Collector, g: GoogleClients, orgs: CrmNode[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const o of orgs) {
    if (!o.customerId) continue;
    const customer = o.customerId;
    if (o.displayName && DOMAIN.test(o.displayName)) out[o.displayName.toLowerCase()] = customer;
    const r = await c.call(`customers/${customer}`, 'admin.directory.domains.list', google(() => g.rest('admin.googleapis.com', `/admin/directory/v1/customer/${customer}/domains`)));
    if (!r) {
      c.warn(`the domains of Cloud Identity customer ${customer} could not be listed (see failures): domain: members of its secondary domains are not matched to it`);
      continue;
    }
    for (const d of (r.domains as { domainName?: string; domainAliases?: { domainAliasName?: string }[] }[] | undefined) ?? []) {
      for (const name of [d.domainName, ...(d.domainAliases ?? []).map((a) => a.domainAliasName)]) if (name) out[name.toLowerCase()] = customer;
    }
  }
  return out;
}
