/**
 * Organization Policy: each node's policy for a constraint (v1 from Cloud Asset exports, v2 from the Org
 * Policy API), and the effective policy of a node: inherited from the nearest ancestor with a policy,
 * merged with the parent's for list constraints with inheritFromParent (union of allowed and of denied
 * values, denied wins), and back to the constraint default on reset / restoreDefault.
 * https://cloud.google.com/resource-manager/docs/organization-policy/understanding-hierarchy
 */
import type { SourceLocation, Tri } from '../../src/core/decision.js';
import { compile, type CompiledOrError } from './conditions.js';
import { field, isObj, str, strings, type Obj } from './inputs.js';
import { lookupTable } from '../../src/core/lookup-table.js';

export interface OrgRule {
  allowAll: boolean;
  denyAll: boolean;
  allowed: string[];
  denied: string[];
  enforce?: boolean;
  condition?: CompiledOrError;
  /** Managed constraints' parameters (v2 `rules[].parameters`), e.g. allowedMemberSubjects. */
  parameters?: Obj;
}

export interface OrgPolicy {
  id: string;
  constraint: string;
  node: string;
  inherit: boolean;
  reset: boolean;
  rules: OrgRule[];
  source: SourceLocation;
}

/** Reads a v1 (`listPolicy`/`booleanPolicy`/`restoreDefault`, either spelling) or a v2 (`spec`) policy. */
export function readOrgPolicy(id: string, constraint: string, node: string, doc: Obj, source: SourceLocation): OrgPolicy {
  const out: OrgPolicy = { id, constraint, node, inherit: false, reset: false, rules: [], source };
  const spec = isObj(doc.spec) ? doc.spec : undefined;
  if (spec) {
    out.inherit = spec.inheritFromParent === true;
    out.reset = spec.reset === true;
    for (const r of Array.isArray(spec.rules) ? spec.rules : []) {
      if (!isObj(r)) continue;
      const values = isObj(r.values) ? r.values : {};
      const rule: OrgRule = { allowAll: r.allowAll === true, denyAll: r.denyAll === true, allowed: strings(values.allowedValues), denied: strings(values.deniedValues) };
      if (typeof r.enforce === 'boolean') rule.enforce = r.enforce;
      if (isObj(r.parameters)) rule.parameters = r.parameters;
      if (isObj(r.condition) && typeof r.condition.expression === 'string') rule.condition = compile({ title: str(r.condition.title) ?? '', expression: r.condition.expression });
      out.rules.push(rule);
    }
    return out;
  }
  if (field(doc, 'restoreDefault') !== undefined) {
    out.reset = true;
    return out;
  }
  const list = field(doc, 'listPolicy');
  if (isObj(list)) {
    const all = field(list, 'allValues');
    out.inherit = field(list, 'inheritFromParent') === true;
    out.rules.push({ allowAll: all === 'ALLOW', denyAll: all === 'DENY', allowed: strings(field(list, 'allowedValues')), denied: strings(field(list, 'deniedValues')) });
  }
  const bool = field(doc, 'booleanPolicy');
  if (isObj(bool)) out.rules.push({ allowAll: false, denyAll: false, allowed: [], denied: [], enforce: bool.enforced === true });
  return out;
}

/** A list constraint's effective policy at a node; `decidedAt` is the node whose policy set it last. */
export interface EffectiveList {
  allowAll: boolean;
  denyAll: boolean;
  allowed: Set<string>;
  denied: Set<string>;
  /** Policies that contributed, nearest last. */
  from: OrgPolicy[];
}

/** Rules whose condition holds for the resource (tag conditions), else the unconditional ones. */
export type RuleFilter = (rule: OrgRule) => Tri;

function ownList(p: OrgPolicy, holds: RuleFilter): EffectiveList {
  const e: EffectiveList = { allowAll: false, denyAll: false, allowed: new Set(), denied: new Set(), from: [p] };
  for (const r of p.rules) {
    if (r.condition && holds(r) !== true) continue;
    e.allowAll ||= r.allowAll;
    e.denyAll ||= r.denyAll;
    for (const v of r.allowed) e.allowed.add(v);
    for (const v of r.denied) e.denied.add(v);
  }
  return e;
}

/** Effective list policy over the chain (root first); undefined = the constraint default. */
export function effectiveList(policies: (OrgPolicy | undefined)[], holds: RuleFilter): EffectiveList | undefined {
  let eff: EffectiveList | undefined;
  for (const p of policies) {
    if (!p) continue;
    if (p.reset) {
      eff = undefined;
      continue;
    }
    const own = ownList(p, holds);
    if (p.inherit && eff) {
      eff = {
        allowAll: eff.allowAll || own.allowAll,
        denyAll: eff.denyAll || own.denyAll,
        allowed: new Set([...eff.allowed, ...own.allowed]),
        denied: new Set([...eff.denied, ...own.denied]),
        from: [...eff.from, p],
      };
    } else eff = own;
  }
  return eff;
}

/** Is `value` allowed by an effective list policy? `matches(pattern, value)` handles in:/is: values. */
export function listAllows(eff: EffectiveList | undefined, matches: (pattern: string) => boolean): boolean {
  if (!eff) return true;
  if (eff.denyAll) return false;
  for (const d of eff.denied) if (matches(d)) return false;
  if (eff.allowAll || eff.allowed.size === 0) return true;
  for (const a of eff.allowed) if (matches(a)) return true;
  return false;
}

/** Effective boolean constraint: the nearest policy decides; a conditional rule that holds wins (`rule`, with its parameters). */
export function effectiveBoolean(policies: (OrgPolicy | undefined)[], holds: RuleFilter): { enforced: boolean; from?: OrgPolicy; rule?: OrgRule } {
  for (let i = policies.length - 1; i >= 0; i--) {
    const p = policies[i];
    if (!p) continue;
    if (p.reset) return { enforced: false, from: p };
    const conditional = p.rules.find((r) => r.condition && holds(r) === true && r.enforce !== undefined);
    const plain = p.rules.find((r) => !r.condition && r.enforce !== undefined);
    const rule = conditional ?? plain;
    return rule ? { enforced: rule.enforce === true, from: p, rule } : { enforced: false, from: p };
  }
  return { enforced: false };
}

/** Strips `is:` and compares case-insensitively. */
function literal(v: string): string {
  return v.replace(/^is:/, '').toLowerCase();
}

/**
 * Location value matching for gcp.resourceLocations: `in:<region>-locations` (the region and its zones),
 * `in:<multi-region>-locations` (e.g. us, eu, asia: the multi-region, its dual-regions and every region
 * named after it), or a literal location.
 * https://cloud.google.com/resource-manager/docs/organization-policy/defining-locations
 */
const DUAL_REGIONS: Record<string, string[]> = lookupTable({ us: ['nam4'], eu: ['eur4', 'eur5', 'eur7', 'eur8'], asia: ['asia1'] });
export function locationMatches(pattern: string, location: string): boolean {
  const loc = location.toLowerCase();
  const m = /^in:(.+)-locations$/.exec(pattern.toLowerCase());
  if (!m) return literal(pattern) === loc;
  const group = m[1]!;
  if (/\d$/.test(group)) return loc === group || loc.startsWith(`${group}-`);
  const prefix = group === 'eu' ? 'europe' : group;
  return loc === group || loc.startsWith(`${prefix}-`) || (DUAL_REGIONS[group] ?? []).includes(loc);
}

/** A literal value (`v` or `is:v`), case-insensitively. */
export function literalMatches(pattern: string, value: string): boolean {
  return literal(pattern) === value.toLowerCase();
}

/** Customer-id matching for iam.allowedPolicyMemberDomains (`C0xxxx` or `is:C0xxxx`). */
export function customerMatches(pattern: string, customerId: string | undefined): boolean {
  return customerId !== undefined && literalMatches(pattern, customerId);
}
