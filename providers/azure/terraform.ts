/**
 * The azurerm resources of a Terraform plan as an Azure overlay: the ARM objects (in the shape the list
 * APIs return) the plan creates, changes or deletes. A create is added, an update or replace replaces the
 * snapshot's object (or removes it and adds the new one when its id changes), a delete removes it.
 *
 * Values known only after apply are never guessed: they are taken from the plan resources the
 * configuration references (a custom role's id from its scope and GUID, a policy definition's id from its
 * management group and name) or the change is left out and reported. One exception, documented: the name
 * (GUID) of a role assignment or custom role Terraform lets Azure generate only keys the object; no
 * decision depends on it, so a placeholder GUID derived from the resource address stands in for it.
 */
import { createHash } from 'node:crypto';
import type { PlanChange, PlanOverlay, TerraformChange, TerraformPlan } from '../../src/core/ci.js';
import { InputError } from '../../src/core/problem.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { builtInRole } from './catalog.js';
import { Index, type AzureEstate } from './estate.js';
import { extensionScope, lastSegment, normalizeGuid, normalizeId, scopeLabel, subscriptionOf } from './ids.js';
import { isObj, loadObjects } from './load.js';
import { TerraformPlanReader, UNKNOWN, type Path } from '../../src/core/terraform-plan.js';
import { lookupTable } from '../../src/core/lookup-table.js';

type Obj = Record<string, unknown>;

/**
 * https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/role_definition
 * https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/role_assignment
 * https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/policy_definition
 * https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/policy_set_definition
 * https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/management_group_policy_set_definition
 * https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/management_group_policy_assignment
 * (and subscription_policy_assignment, resource_group_policy_assignment, resource_policy_assignment; the
 * provider 2.x azurerm_policy_assignment takes `scope`)
 */
const ASSIGNMENT_SCOPE: Record<string, string> = lookupTable({
  azurerm_policy_assignment: 'scope',
  azurerm_management_group_policy_assignment: 'management_group_id',
  azurerm_subscription_policy_assignment: 'subscription_id',
  azurerm_resource_group_policy_assignment: 'resource_group_id',
  azurerm_resource_policy_assignment: 'resource_id',
});
const ROLE_DEFINITION = 'azurerm_role_definition';
const ROLE_ASSIGNMENT = 'azurerm_role_assignment';
const POLICY_DEFINITION = 'azurerm_policy_definition';
const SET_DEFINITIONS = new Set(['azurerm_policy_set_definition', 'azurerm_management_group_policy_set_definition']);

export const TERRAFORM_TYPES: readonly string[] = [ROLE_DEFINITION, ROLE_ASSIGNMENT, POLICY_DEFINITION, ...SET_DEFINITIONS, ...Object.keys(ASSIGNMENT_SCOPE)];

/** Definitions first: the assignments of the same plan look them up. */
function passOf(type: string): number {
  return type === ROLE_DEFINITION || type === POLICY_DEFINITION ? 0 : SET_DEFINITIONS.has(type) ? 1 : 2;
}

/** A stand-in GUID for a name Azure generates at apply, stable for the resource address (see the header). */
export function placeholderGuid(address: string): string {
  const h = createHash('sha256').update(`iamsim terraform ${address}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function dotted(path: Path): string {
  return path.join('.');
}

/** A management group given as an ARM id (provider 3.x and later) or by name (2.x `management_group_name`). */
function managementGroupScope(v: string): string {
  return v.startsWith('/') ? v : `/providers/Microsoft.Management/managementGroups/${v}`;
}

/** ARM property -> the azurerm attribute it came from, to point a compile error at the plan. */
const ATTRIBUTE_OF: Record<string, string> = lookupTable({
  policyRule: 'policy_rule',
  parameters: 'parameters',
  policyDefinitions: 'policy_definition_reference',
  condition: 'condition',
  conditionVersion: 'condition_version',
  permissions: 'permissions',
  policyDefinitionId: 'policy_definition_id',
  roleDefinitionId: 'role_definition_id',
  principalId: 'principal_id',
});

interface Converted {
  /** The object after the change; absent when the change is left out. */
  value?: Obj;
  /** Attribute paths known only after apply that left the change out. */
  unknown: string[];
  /** Why the change is left out when the snapshot lacks what it needs. */
  lacking?: string;
  /** Notes that do not leave the change out. */
  notes: string[];
  summary: string;
}

/** What one kind of azurerm resource becomes. */
interface Kind {
  label: string;
  convert(r: ChangeReader): Converted;
  /** The ARM id of the object as it was before the change (`before` is fully known). */
  idBefore(before: Obj): string | undefined;
  /** A sentence for a delete, from `before`. */
  deleted(before: Obj, ctx: Context): string;
}

/** One change being read: its planned values, with references followed for those unknown until apply. */
class ChangeReader {
  readonly unknown: string[] = [];

  constructor(
    readonly ctx: Context,
    readonly c: TerraformChange,
    /** An update or replace of an object that exists: summaries say "changes". */
    readonly updating = false,
  ) {}

  /** The planned value, else the value its configuration references; UNKNOWN (and noted) otherwise. */
  get(path: Path): unknown {
    const v = this.ctx.plan.value(this.c, path);
    if (v !== UNKNOWN) return v;
    for (const ref of this.ctx.plan.references(this.c, path)) {
      // Terraform lists the resource itself next to its attribute (`x.y.id`, `x.y`): only attributes are values.
      if (!ref.attribute.length) continue;
      const derived = ref.change ? this.ctx.derive(ref.change, ref.attribute) : undefined;
      const known = derived ?? this.ctx.plan.known(ref);
      if (known !== UNKNOWN && known !== undefined) return known;
    }
    this.unknown.push(dotted(path));
    return UNKNOWN;
  }

  string(path: Path): string | undefined {
    const v = this.get(path);
    return typeof v === 'string' ? v : undefined;
  }

  /** A planned value without following references: for optional attributes Azure fills in. */
  planned(path: Path): unknown {
    return this.ctx.plan.value(this.c, path);
  }

  /** A JSON string attribute (`policy_rule`, `parameters`), parsed; a string that is not JSON is a 400 at its pointer. */
  json(path: Path): unknown {
    const v = this.get(path);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch (e) {
      throw new InputError('invalid_policy', this.ctx.plan.pointer(this.c, path), `${this.c.address}: ${dotted(path)} is not JSON (${(e as Error).message})`);
    }
  }

  /** A converted change: left out when a value it needs is unknown. */
  result(value: Obj, summary: string, notes: string[] = []): Converted {
    return this.unknown.length ? { unknown: this.unknown, notes, summary } : { value, unknown: [], notes, summary };
  }
}

/** What the whole conversion shares: the plan, the estate, and the definitions the plan itself provides. */
class Context {
  /** Custom roles of this plan that are in the overlay, by GUID. */
  readonly roles = new Map<string, { id: string; roleName: string }>();
  /** Policy definitions and sets of this plan that are in the overlay, by normalized id. */
  readonly policies = new Map<string, string>();

  constructor(
    readonly plan: TerraformPlanReader,
    readonly estate: AzureEstate,
  ) {}

  /**
   * Ids Azure computes at apply, derived from what the plan knows of the referenced resource. A custom
   * role's Terraform `id` is `{role definition id}|{scope}` (provider 3.x and later): its first part is meant.
   */
  derive(c: TerraformChange, attribute: Path): unknown {
    const r = new ChangeReader(this, c);
    const name = attribute[0];
    if (c.type === ROLE_DEFINITION && (name === 'role_definition_resource_id' || name === 'id')) return roleDefinitionId(r);
    if (c.type === ROLE_DEFINITION && name === 'role_definition_id') return roleGuid(r);
    if ((c.type === POLICY_DEFINITION || SET_DEFINITIONS.has(c.type)) && name === 'id') return policyDefinitionId(r);
    return undefined;
  }

  /** A scope in a sentence; a subscription by its display name when the snapshot has it. */
  scopeName(id: string): string {
    const node = this.estate.scope(normalizeId(id));
    return node?.kind === 'azure:subscription' && node.name ? `subscription ${node.name}` : scopeLabel(id);
  }

  principalLabel(id: string | undefined): string {
    if (!id) return 'a principal known only after apply';
    const p = this.estate.snapshot.graph.principal(normalizeGuid(id));
    if (!p) return `principal ${id}`;
    const display = typeof p.attrs?.displayName === 'string' && p.kind !== 'user' ? p.attrs.displayName : p.name;
    return `${p.kind.replace('_', ' ')} ${display}`;
  }

  roleName(roleDefinitionId: string | undefined): string {
    if (!roleDefinitionId) return 'a role known only after apply';
    const guid = normalizeGuid(lastSegment(roleDefinitionId));
    return this.roles.get(guid)?.roleName ?? this.estate.roleDefinition(guid)?.roleName ?? `role ${guid}`;
  }

  /** Is the object with this id in the snapshot? Its id as the snapshot writes it (custom roles: by GUID too). */
  existing(id: string | undefined, roleDefinition = false): string | undefined {
    if (!id) return undefined;
    const key = normalizeId(id);
    if (this.estate.index.objects.has(key)) return id;
    return roleDefinition ? this.estate.index.roles.get(normalizeGuid(lastSegment(id)))?.id : undefined;
  }
}

function roleGuid(r: ChangeReader): string {
  const v = r.planned(['role_definition_id']);
  return typeof v === 'string' ? normalizeGuid(v) : placeholderGuid(r.c.address);
}

function roleDefinitionId(r: ChangeReader): string | undefined {
  const known = r.planned(['role_definition_resource_id']);
  if (typeof known === 'string') return known;
  const scope = r.string(['scope']);
  return scope ? `${scope.replace(/\/+$/, '')}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid(r)}` : undefined;
}

/**
 * A policy definition's or set's id: `{management group}/providers/Microsoft.Authorization/policy(Set)Definitions/{name}`,
 * or under the provider's subscription. When neither is in the plan the tenant form keys it: the id only
 * links assignments of the same plan to it.
 */
function policyDefinitionId(r: ChangeReader): string | undefined {
  const known = r.planned(['id']);
  if (typeof known === 'string') return known;
  const name = r.string(['name']);
  if (!name) return undefined;
  const kind = r.c.type === POLICY_DEFINITION ? 'policyDefinitions' : 'policySetDefinitions';
  const mg = str(r.planned(['management_group_id'])) ?? str(r.planned(['management_group_name']));
  const sub = str(r.ctx.plan.providerSetting('azurerm', 'subscription_id'));
  const at = mg ? managementGroupScope(mg) : sub ? `/subscriptions/${sub}` : '';
  return `${at}/providers/Microsoft.Authorization/${kind}/${name}`;
}

function permissionsOf(r: ChangeReader): Obj[] {
  const blocks = r.get(['permissions']);
  return (Array.isArray(blocks) ? blocks : []).map((_, i) => ({
    actions: strings(r.get(['permissions', i, 'actions'])),
    notActions: strings(r.get(['permissions', i, 'not_actions'])),
    dataActions: strings(r.get(['permissions', i, 'data_actions'])),
    notDataActions: strings(r.get(['permissions', i, 'not_data_actions'])),
  }));
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function count(blocks: Obj[], key: string): number {
  return blocks.reduce((n, b) => n + strings(b[key]).length, 0);
}

const roleDefinition: Kind = {
  label: 'custom role',
  convert(r) {
    const name = r.string(['name']);
    const scope = r.string(['scope']);
    const permissions = permissionsOf(r);
    const assignable = r.get(['assignable_scopes']);
    const id = roleDefinitionId(r);
    const guid = roleGuid(r);
    // The provider adds `scope` to the assignable scopes.
    const assignableScopes = [...new Set([...(scope ? [scope] : []), ...strings(assignable)])];
    const value: Obj = {
      id,
      type: 'Microsoft.Authorization/roleDefinitions',
      name: guid,
      properties: { roleName: name, description: str(r.planned(['description'])) ?? '', type: 'CustomRole', assignableScopes, permissions },
    };
    const counts = [plural(count(permissions, 'actions'), 'action'), plural(count(permissions, 'notActions'), 'not action'), plural(count(permissions, 'dataActions'), 'data action')].join(', ');
    const summary = `${r.updating ? 'changes' : 'defines'} custom role ${name ?? r.c.address}: ${counts}, assignable at ${assignableScopes.map((x) => r.ctx.scopeName(x)).join(', ') || 'scopes known only after apply'}`;
    const out = r.result(value, summary);
    if (out.value && id && name) r.ctx.roles.set(guid, { id, roleName: name });
    return out;
  },
  idBefore: (b) => str(b.role_definition_resource_id) ?? str(b.id)?.split('|')[0],
  deleted: (b) => `deletes custom role ${str(b.name) ?? str(b.role_definition_id) ?? ''}`,
};

/** A role by name: a custom role of the plan, then of the snapshot, then a built-in role. */
function roleNamed(ctx: Context, name: string, scope: string): string | undefined {
  const lower = name.toLowerCase();
  for (const r of ctx.roles.values()) if (r.roleName.toLowerCase() === lower) return r.id;
  for (const r of ctx.estate.index.roles.values()) if (r.roleName.toLowerCase() === lower) return r.id;
  const b = builtInRole(name);
  if (!b) return undefined;
  const sub = subscriptionOf(normalizeId(scope));
  return `${sub ? `/subscriptions/${sub}` : ''}/providers/Microsoft.Authorization/roleDefinitions/${b.id}`;
}

const PRINCIPAL_TYPES: Record<string, string> = lookupTable({ user: 'User', group: 'Group', service_principal: 'ServicePrincipal', managed_identity: 'ServicePrincipal' });

const roleAssignment: Kind = {
  label: 'role assignment',
  convert(r) {
    const ctx = r.ctx;
    const scope = r.string(['scope']);
    const principalId = r.string(['principal_id']);
    // role_definition_name and role_definition_id: one is given, Azure computes the other.
    const byName = r.planned(['role_definition_name']);
    let roleId = str(r.planned(['role_definition_id']));
    if (!roleId && typeof byName === 'string') roleId = scope ? roleNamed(ctx, byName, scope) : undefined;
    else if (!roleId) roleId = r.string(['role_definition_id']);
    const name = str(r.planned(['name'])) ?? placeholderGuid(r.c.address);
    const who = ctx.principalLabel(principalId);
    const role = roleId ? ctx.roleName(roleId) : typeof byName === 'string' ? byName : ctx.roleName(undefined);
    const summary = `${r.updating ? 'changes a role assignment: it now grants' : 'grants'} ${role} to ${who} on ${scope ? ctx.scopeName(scope) : 'a scope known only after apply'}`;
    if (!roleId && typeof byName === 'string' && scope) return { unknown: [], notes: [], summary, lacking: `role ${byName} is neither a built-in role nor a custom role of the snapshot or the plan` };
    const guid = roleId ? normalizeGuid(lastSegment(roleId)) : undefined;
    if (guid && !ctx.roles.has(guid) && !ctx.estate.roleDefinition(guid)) return { unknown: [], notes: [], summary, lacking: `role definition ${roleId} is neither built in nor in the snapshot or the plan's known changes` };
    const properties: Obj = { roleDefinitionId: roleId, principalId, scope };
    const type = str(r.planned(['principal_type'])) ?? (principalId ? PRINCIPAL_TYPES[ctx.estate.snapshot.graph.principal(normalizeGuid(principalId))?.kind ?? ''] : undefined);
    if (type) properties.principalType = type;
    const condition = r.get(['condition']);
    if (typeof condition === 'string' && condition !== '') {
      properties.condition = condition;
      properties.conditionVersion = str(r.planned(['condition_version'])) ?? '2.0';
    }
    const description = str(r.planned(['description']));
    if (description) properties.description = description;
    const id = str(r.planned(['id'])) ?? `${(scope ?? '').replace(/\/+$/, '')}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    const notes = principalId && !ctx.estate.snapshot.graph.principal(normalizeGuid(principalId)) ? [`principal ${principalId} is not in the snapshot: no question can name it`] : [];
    return r.result({ id, type: 'Microsoft.Authorization/roleAssignments', name, properties }, summary, notes);
  },
  idBefore: (b) => str(b.id),
  deleted: (b, ctx) => `removes ${str(b.role_definition_name) ?? ctx.roleName(str(b.role_definition_id))} from ${ctx.principalLabel(str(b.principal_id))} on ${ctx.scopeName(str(b.scope) ?? '/')}`,
};

/** `effect deny`, or `effect from parameter effect, default Audit`. */
function effectOf(rule: unknown, parameters: unknown): string {
  const then = isObj(rule) && isObj(rule.then) ? rule.then : {};
  if (typeof then.effect !== 'string') return 'effect known only after apply';
  const param = /^\[\s*parameters\(\s*'([^']+)'\s*\)\s*\]$/i.exec(then.effect)?.[1];
  if (!param) return `effect ${then.effect}`;
  const declared = isObj(parameters) && isObj(parameters[param]) ? parameters[param].defaultValue : undefined;
  return `effect from parameter ${param}${typeof declared === 'string' ? `, default ${declared}` : ''}`;
}

const policyDefinition: Kind = {
  label: 'policy definition',
  convert(r) {
    const name = r.string(['name']);
    const rule = r.json(['policy_rule']);
    const properties: Obj = {
      displayName: str(r.planned(['display_name'])) ?? name,
      policyType: str(r.planned(['policy_type'])) ?? 'Custom',
      mode: str(r.planned(['mode'])) ?? 'All',
      policyRule: rule,
      parameters: r.json(['parameters']) ?? {},
    };
    const id = policyDefinitionId(r);
    const out = r.result({ id, type: 'Microsoft.Authorization/policyDefinitions', name, properties }, `${r.updating ? 'changes' : 'defines'} policy ${properties.displayName ?? r.c.address} (${effectOf(rule, properties.parameters)})`);
    if (out.value && id) r.ctx.policies.set(normalizeId(id), String(properties.displayName ?? id));
    return out;
  },
  idBefore: (b) => str(b.id),
  deleted: (b) => `deletes policy ${str(b.name) ?? ''}`,
};

const policySet: Kind = {
  label: 'policy set definition',
  convert(r) {
    const name = r.string(['name']);
    const refs = r.planned(['policy_definition_reference']);
    // Provider 2.x: the members as one JSON string.
    const members = Array.isArray(refs)
      ? refs.map((_, i) => {
          const m: Obj = { policyDefinitionId: r.string(['policy_definition_reference', i, 'policy_definition_id']), parameters: r.json(['policy_definition_reference', i, 'parameter_values']) ?? {} };
          const ref = str(r.planned(['policy_definition_reference', i, 'reference_id']));
          if (ref) m.policyDefinitionReferenceId = ref;
          return m;
        })
      : r.json(['policy_definitions']);
    const properties: Obj = { displayName: str(r.planned(['display_name'])) ?? name, policyType: str(r.planned(['policy_type'])) ?? 'Custom', parameters: r.json(['parameters']) ?? {}, policyDefinitions: members };
    const id = policyDefinitionId(r);
    const n = Array.isArray(members) ? members.length : 0;
    const out = r.result({ id, type: 'Microsoft.Authorization/policySetDefinitions', name, properties }, `${r.updating ? 'changes' : 'defines'} initiative ${properties.displayName ?? r.c.address} of ${plural(n, 'policy', 'policies')}`);
    if (out.value && id) r.ctx.policies.set(normalizeId(id), String(properties.displayName ?? id));
    return out;
  },
  idBefore: (b) => str(b.id),
  deleted: (b) => `deletes initiative ${str(b.name) ?? ''}`,
};

function enforcementMode(r: ChangeReader): string {
  // `enforce` (3.x and later) and `enforcement_mode` (2.x) are booleans, true by default.
  const v = r.planned(['enforce']) ?? r.planned(['enforcement_mode']);
  return v === false || v === 'DoNotEnforce' ? 'DoNotEnforce' : 'Default';
}

function blocks(r: ChangeReader, attr: string): Obj[] {
  const v = r.planned([attr]);
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** A Terraform selector block as ARM writes it: `not_in` is notIn, an empty list is no list. */
function armSelector(s: Obj): Obj {
  return { kind: s.kind, ...(Array.isArray(s.in) && s.in.length ? { in: s.in } : {}), ...(Array.isArray(s.not_in) && s.not_in.length ? { notIn: s.not_in } : {}) };
}

const policyAssignment: Kind = {
  label: 'policy assignment',
  convert(r) {
    const ctx = r.ctx;
    const scopeAttr = ASSIGNMENT_SCOPE[r.c.type]!;
    const given = r.string([scopeAttr]);
    const scope = given && r.c.type === 'azurerm_management_group_policy_assignment' ? managementGroupScope(given) : given;
    const name = r.string(['name']);
    const definitionId = r.string(['policy_definition_id']);
    const mode = enforcementMode(r);
    const defName = definitionId ? (ctx.policies.get(normalizeId(definitionId)) ?? ctx.estate.policyDefinition(normalizeId(definitionId))?.displayName ?? lastSegment(definitionId)) : 'a definition known only after apply';
    const at = scope ? ctx.scopeName(scope) : 'a scope known only after apply';
    const enforced = mode === 'DoNotEnforce' ? 'not enforced' : 'enforced';
    const summary = r.updating ? `changes policy assignment ${name ?? r.c.address} at ${at}: ${defName}, ${enforced}` : `assigns ${defName} as ${name ?? r.c.address} at ${at}${mode === 'DoNotEnforce' ? ' (not enforced)' : ''}`;
    if (definitionId && !ctx.policies.has(normalizeId(definitionId)) && !ctx.estate.policyDefinition(normalizeId(definitionId))) {
      return { unknown: [], notes: [], summary, lacking: `policy definition ${definitionId} is neither in the snapshot nor in the plan's known changes` };
    }
    const properties: Obj = {
      displayName: str(r.planned(['display_name'])) ?? name,
      policyDefinitionId: definitionId,
      scope,
      notScopes: strings(r.get(['not_scopes'])),
      parameters: r.json(['parameters']) ?? {},
      enforcementMode: mode,
      nonComplianceMessages: blocks(r, 'non_compliance_message').map((m) => (str(m.policy_definition_reference_id) ? { message: m.content, policyDefinitionReferenceId: m.policy_definition_reference_id } : { message: m.content })),
      overrides: blocks(r, 'overrides').map((o) => ({
        kind: 'policyEffect',
        value: o.value,
        selectors: (Array.isArray(o.selectors) ? o.selectors.filter(isObj) : []).map((s) => armSelector({ ...s, kind: str(s.kind) ?? 'policyDefinitionReferenceId' })),
      })),
    };
    const description = str(r.planned(['description']));
    if (description) properties.description = description;
    // resource_selectors { name, selectors { kind, in, not_in } }, as the ARM resourceSelectors they stand for.
    const selectorSets = blocks(r, 'resource_selectors');
    if (selectorSets.length) properties.resourceSelectors = selectorSets.map((set) => ({ name: set.name, selectors: (Array.isArray(set.selectors) ? set.selectors.filter(isObj) : []).map(armSelector) }));
    const id = str(r.planned(['id'])) ?? `${(scope ?? '').replace(/\/+$/, '')}/providers/Microsoft.Authorization/policyAssignments/${name}`;
    return r.result({ id, type: 'Microsoft.Authorization/policyAssignments', name, properties }, summary);
  },
  idBefore: (b) => str(b.id),
  deleted: (b, ctx) => `removes policy assignment ${str(b.name) ?? ''}${str(b.id) ? ` from ${ctx.scopeName(extensionScope(String(b.id)))}` : ''}`,
};

function kindOf(type: string): Kind | undefined {
  if (type === ROLE_DEFINITION) return roleDefinition;
  if (type === ROLE_ASSIGNMENT) return roleAssignment;
  if (type === POLICY_DEFINITION) return policyDefinition;
  if (SET_DEFINITIONS.has(type)) return policySet;
  return ASSIGNMENT_SCOPE[type] ? policyAssignment : undefined;
}

/** The converted object must load as the overlay will load it: a bad condition or policy rule is a 400 at the change. */
function checkLoads(plan: TerraformPlanReader, c: TerraformChange, value: Obj): void {
  try {
    new Index(loadObjects([{ value, pointer: '' }], 'plan'));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const prop = /^\/properties\/([^/]+)/.exec(e.pointer)?.[1];
    throw new InputError('invalid_policy', plan.pointer(c, prop && ATTRIBUTE_OF[prop] ? [ATTRIBUTE_OF[prop]] : []), `${c.address}: ${e.message}`);
  }
}

type ListName = 'add' | 'replace' | 'remove';
/** The overlay schema's limit on each list (openapi.yaml AzureOverlay). */
const MAX_ITEMS = 100;

export function fromTerraform(changes: readonly TerraformChange[], plan: TerraformPlan, snapshot: Snapshot): PlanOverlay {
  const out: PlanOverlay = { sources: {}, changes: [], unknowns: [], warnings: [] };
  const relevant = changes
    .map((c, order) => ({ c, order }))
    .filter(({ c }) => kindOf(c.type) && (c.mode === undefined || c.mode === 'managed') && c.change.actions.some((a) => a === 'create' || a === 'update' || a === 'delete'));
  if (!relevant.length) return out;
  if (!snapshot.meta.providers.includes('azure')) {
    for (const { c } of relevant) out.warnings.push({ address: c.address, message: 'the snapshot holds no Azure inputs: this change is left out' });
    return out;
  }
  const ctx = new Context(new TerraformPlanReader(plan), snapshot.compiledFor<AzureEstate>('azure'));
  const results: { order: number; change: PlanChange; items: [ListName, Obj | string][] }[] = [];
  for (const { c, order } of [...relevant].sort((a, b) => passOf(a.c.type) - passOf(b.c.type) || a.order - b.order)) {
    const kind = kindOf(c.type)!;
    const actions = c.change.actions;
    const before = isObj(c.change.before) ? c.change.before : {};
    const old = actions.includes('delete') || actions.includes('update') ? ctx.existing(kind.idBefore(before), kind === roleDefinition) : undefined;
    const items: [ListName, Obj | string][] = [];
    const warn = (message: string) => out.warnings.push({ address: c.address, message });
    if (!actions.includes('create') && !actions.includes('update')) {
      if (old) items.push(['remove', old]);
      else warn(`${kind.label} ${kind.idBefore(before) ?? c.address} is not in the snapshot: nothing to remove`);
      results.push({ order, change: { address: c.address, type: c.type, actions, summary: kind.deleted(before, ctx) }, items });
      continue;
    }
    const r = new ChangeReader(ctx, c, Boolean(old));
    const conv = kind.convert(r);
    const keeps = old ? `the candidate keeps the ${kind.label} as the snapshot has it` : `the ${kind.label} is left out of the candidate`;
    for (const path of conv.unknown) out.unknowns.push({ address: c.address, path, effect: `${keeps}: ${path} is known only after apply` });
    if (conv.lacking) warn(`${conv.lacking}: ${keeps}`);
    for (const n of conv.notes) warn(n);
    if (conv.value) {
      checkLoads(ctx.plan, c, conv.value);
      const id = String(conv.value.id);
      const same = old ?? ctx.existing(id, kind === roleDefinition);
      // A custom role is one object whatever scope its id is written under: its GUID names it.
      const sameObject = same && (normalizeId(same) === normalizeId(id) || (kind === roleDefinition && normalizeGuid(lastSegment(same)) === normalizeGuid(lastSegment(id))));
      if (sameObject) items.push(['replace', { ...conv.value, id: same }]);
      else {
        if (same) items.push(['remove', same]);
        items.push(['add', conv.value]);
      }
      if (actions.includes('update') && !old) warn(`${kind.label} ${kind.idBefore(before) ?? id} is not in the snapshot: the changed ${kind.label} is added`);
    }
    results.push({ order, change: { address: c.address, type: c.type, actions, summary: conv.summary }, items });
  }
  const overlay: Record<ListName, (Obj | string)[]> = { add: [], replace: [], remove: [] };
  for (const res of results.sort((a, b) => a.order - b.order)) {
    out.changes.push(res.change);
    if (res.items.some(([list]) => overlay[list].length >= MAX_ITEMS)) {
      out.warnings.push({ address: res.change.address, message: `an overlay holds at most ${MAX_ITEMS} items in each list: this change is left out of the candidate` });
      continue;
    }
    for (const [list, item] of res.items) {
      out.sources[`/${list}/${overlay[list].length}`] = [res.change.address];
      overlay[list].push(item);
    }
  }
  const used = Object.fromEntries(Object.entries(overlay).filter(([, v]) => v.length));
  if (Object.keys(used).length) out.overlay = used;
  return out;
}
