/**
 * Azure Policy objects and management locks, compiled: definitions (their policyRule compiled once),
 * initiatives with their members' parameter mappings, assignments, exemptions and locks.
 * https://learn.microsoft.com/azure/governance/policy/concepts/assignment-structure
 * https://learn.microsoft.com/azure/governance/policy/concepts/exemption-structure
 * https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources
 */
import type { Origin } from '../../src/core/graph.js';
import type { Refs } from './explain-refs.js';
import { extensionScope, lastSegment, normalizeId } from './ids.js';
import { invalid, isObj, OBJECT_TYPES, propsOf, str } from './load.js';
import { compilePolicyRule, PolicyRuleError } from './policy-rule.js';
import { compileResourceSelectors, type SelectorSet } from './policy-selectors.js';

type Obj = Record<string, unknown>;
export type CompiledRule = ReturnType<typeof compilePolicyRule>;

export interface PolicyDefinition {
  kind: 'definition';
  /** Normalized id (the lookup key); armId as written. */
  id: string;
  armId: string;
  name: string;
  displayName: string;
  /** Lower-cased: all | indexed (the default when a definition names none). */
  mode: string;
  rule: CompiledRule;
  /** `then.details.actionNames` of a denyAction rule, lower-cased. */
  actionNames: string[];
  /** `then.details.cascadeBehaviors.resourceGroup`: does a matching resource block deleting its group (default deny)? */
  cascadeResourceGroup: boolean;
  /** Declared parameters with their default values. */
  parameters: Obj;
  version?: string;
  origin: Origin;
}

export interface SetMember {
  definitionId: string;
  referenceId: string;
  /** `{name: {value}}`, values possibly `[parameters('x')]` of the set. */
  parameters: Obj;
}

export interface PolicySet {
  kind: 'set';
  id: string;
  armId: string;
  name: string;
  displayName: string;
  members: SetMember[];
  parameters: Obj;
  origin: Origin;
}

export interface PolicyAssignment {
  kind: 'policyAssignment';
  id: string;
  idKey: string;
  name: string;
  displayName: string;
  scope: string;
  scopeAsGiven: string;
  definitionId: string;
  notScopes: string[];
  enforcementMode: string;
  /** `{name: value}`: the assignment's parameter values. */
  parameters: Obj;
  /** As given, for the RequestDisallowedByPolicy body. */
  rawParameters: Obj;
  overrides: { value: string; in?: string[]; notIn?: string[] }[];
  nonComplianceMessages: { message: string; referenceId?: string }[];
  /** undefined: every resource in scope is selected. */
  resourceSelectors: SelectorSet[] | undefined;
  origin: Origin;
  /** How answers refer to it, set on first use (explain-refs). */
  refs: Refs | undefined;
}

export interface Exemption {
  kind: 'exemption';
  id: string;
  name: string;
  scope: string;
  assignmentId: string;
  referenceIds: string[];
  expiresOn?: string;
  category: string;
  /** undefined: every resource in its scope is exempted. */
  resourceSelectors: SelectorSet[] | undefined;
  origin: Origin;
}

export interface Lock {
  kind: 'lock';
  id: string;
  name: string;
  scope: string;
  scopeAsGiven: string;
  level: 'CanNotDelete' | 'ReadOnly';
  notes?: string;
  origin: Origin;
  /** How answers refer to it, set on first use (explain-refs). */
  refs: Refs | undefined;
}

function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

function pp(o: Obj): string {
  return isObj(o.properties) ? '/properties' : '';
}

function definition(o: Obj, p: Obj, origin: Origin): PolicyDefinition {
  const id = String(o.id);
  const base = `${origin.pointer}${pp(o)}`;
  if (!isObj(p.policyRule)) throw invalid(origin.file, `${base}/policyRule`, `policy definition ${String(o.name ?? id)} has no policyRule`);
  let rule: CompiledRule;
  try {
    rule = compilePolicyRule(p.policyRule);
  } catch (e) {
    if (e instanceof PolicyRuleError) throw invalid(origin.file, `${base}/policyRule${e.pointer}`, `policy definition ${String(o.name ?? id)}: ${e.message}`);
    throw e;
  }
  const then = obj(obj(p.policyRule).then);
  const names = obj(then.details).actionNames;
  const d: PolicyDefinition = {
    kind: 'definition',
    id: normalizeId(id),
    armId: id,
    name: str(o.name) ?? lastSegment(id),
    displayName: str(p.displayName) ?? str(o.name) ?? lastSegment(id),
    mode: (str(p.mode) ?? 'Indexed').toLowerCase(),
    rule,
    actionNames: Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string').map((n) => n.toLowerCase()) : [],
    cascadeResourceGroup: String(obj(obj(then.details).cascadeBehaviors).resourceGroup ?? 'deny').toLowerCase() !== 'allow',
    parameters: obj(p.parameters),
    // Optional fields start out undefined, here and below: one object shape per kind of object.
    version: undefined,
    origin,
  };
  const version = str(p.version) ?? str(obj(p.metadata).version);
  if (version) d.version = version;
  return d;
}

function set(o: Obj, p: Obj, origin: Origin): PolicySet {
  const id = String(o.id);
  const members = (Array.isArray(p.policyDefinitions) ? p.policyDefinitions : []).map((m, i): SetMember => {
    const mm = obj(m);
    const def = str(mm.policyDefinitionId);
    if (!def) throw invalid(origin.file, `${origin.pointer}${pp(o)}/policyDefinitions/${i}/policyDefinitionId`, 'an initiative member needs its policyDefinitionId');
    return { definitionId: normalizeId(def), referenceId: str(mm.policyDefinitionReferenceId) ?? lastSegment(def), parameters: obj(mm.parameters) };
  });
  return { kind: 'set', id: normalizeId(id), armId: id, name: str(o.name) ?? lastSegment(id), displayName: str(p.displayName) ?? str(o.name) ?? lastSegment(id), members, parameters: obj(p.parameters), origin };
}

function assignment(o: Obj, p: Obj, origin: Origin): PolicyAssignment {
  const id = String(o.id);
  const def = str(p.policyDefinitionId);
  if (!def) throw invalid(origin.file, `${origin.pointer}${pp(o)}/policyDefinitionId`, `policy assignment ${String(o.name ?? id)} has no policyDefinitionId`);
  const scopeAsGiven = str(p.scope) ?? extensionScope(id);
  const rawParameters = obj(p.parameters);
  const parameters: Obj = {};
  for (const [k, v] of Object.entries(rawParameters)) parameters[k] = isObj(v) && 'value' in v ? v.value : v;
  const overrides = (Array.isArray(p.overrides) ? p.overrides : []).flatMap((x) => {
    const ov = obj(x);
    if (String(ov.kind ?? '').toLowerCase() !== 'policyeffect' || typeof ov.value !== 'string') return [];
    const sel = (Array.isArray(ov.selectors) ? ov.selectors : []).map(obj).find((s) => String(s.kind ?? '').toLowerCase() === 'policydefinitionreferenceid');
    const out: PolicyAssignment['overrides'][number] = { value: ov.value };
    if (sel && Array.isArray(sel.in)) out.in = sel.in.map(String);
    if (sel && Array.isArray(sel.notIn)) out.notIn = sel.notIn.map(String);
    return [out];
  });
  const nonComplianceMessages = (Array.isArray(p.nonComplianceMessages) ? p.nonComplianceMessages : []).flatMap((x) => {
    const m = obj(x);
    if (typeof m.message !== 'string') return [];
    return [typeof m.policyDefinitionReferenceId === 'string' ? { message: m.message, referenceId: m.policyDefinitionReferenceId } : { message: m.message }];
  });
  return {
    kind: 'policyAssignment',
    id,
    idKey: normalizeId(id),
    name: str(o.name) ?? lastSegment(id),
    displayName: str(p.displayName) ?? str(o.name) ?? lastSegment(id),
    scope: normalizeId(scopeAsGiven),
    scopeAsGiven,
    definitionId: normalizeId(def),
    notScopes: (Array.isArray(p.notScopes) ? p.notScopes : []).filter((s): s is string => typeof s === 'string').map(normalizeId),
    enforcementMode: str(p.enforcementMode) ?? 'Default',
    parameters,
    rawParameters,
    overrides,
    nonComplianceMessages,
    resourceSelectors: compileResourceSelectors(p.resourceSelectors, origin.file, `${origin.pointer}${pp(o)}/resourceSelectors`),
    origin,
    refs: undefined,
  };
}

function exemption(o: Obj, p: Obj, origin: Origin): Exemption {
  const id = String(o.id);
  const a = str(p.policyAssignmentId);
  if (!a) throw invalid(origin.file, `${origin.pointer}${pp(o)}/policyAssignmentId`, `policy exemption ${String(o.name ?? id)} has no policyAssignmentId`);
  const e: Exemption = {
    kind: 'exemption',
    id,
    name: str(o.name) ?? lastSegment(id),
    scope: extensionScope(id),
    assignmentId: normalizeId(a),
    referenceIds: (Array.isArray(p.policyDefinitionReferenceIds) ? p.policyDefinitionReferenceIds : []).map((r) => String(r).toLowerCase()),
    category: str(p.exemptionCategory) ?? 'Waiver',
    expiresOn: undefined,
    resourceSelectors: compileResourceSelectors(p.resourceSelectors, origin.file, `${origin.pointer}${pp(o)}/resourceSelectors`),
    origin,
  };
  const expires = str(p.expiresOn);
  if (expires) {
    if (Number.isNaN(Date.parse(expires))) throw invalid(origin.file, `${origin.pointer}${pp(o)}/expiresOn`, `expiresOn ${expires} is not a date-time`);
    e.expiresOn = expires;
  }
  return e;
}

function lock(o: Obj, p: Obj, origin: Origin): Lock {
  const id = String(o.id);
  const level = str(p.level)?.toLowerCase();
  if (level !== 'cannotdelete' && level !== 'readonly') throw invalid(origin.file, `${origin.pointer}${pp(o)}/level`, `lock ${String(o.name ?? id)}: level must be CanNotDelete or ReadOnly`);
  const scope = extensionScope(id);
  const l: Lock = { kind: 'lock', id, name: str(o.name) ?? lastSegment(id), scope, scopeAsGiven: id.slice(0, id.toLowerCase().lastIndexOf('/providers/microsoft.authorization/')) || '/', level: level === 'readonly' ? 'ReadOnly' : 'CanNotDelete', notes: undefined, origin, refs: undefined };
  if (typeof p.notes === 'string') l.notes = p.notes;
  return l;
}

export type PolicyObject = PolicyDefinition | PolicySet | PolicyAssignment | Exemption | Lock;

export function compilePolicyObject(o: Obj, origin: Origin): PolicyObject | undefined {
  const type = String(o.type ?? '').toLowerCase();
  const p = propsOf(o);
  switch (type) {
    case OBJECT_TYPES.policyDefinition:
      return definition(o, p, origin);
    case OBJECT_TYPES.policySetDefinition:
      return set(o, p, origin);
    case OBJECT_TYPES.policyAssignment:
      return assignment(o, p, origin);
    case OBJECT_TYPES.policyExemption:
      return exemption(o, p, origin);
    case OBJECT_TYPES.lock:
      return lock(o, p, origin);
    default:
      return undefined;
  }
}
