/**
 * Reading a `terraform show -json` plan beyond one change's values: which attributes are known only after
 * apply (`after_unknown`), and what an attribute's expression refers to (`configuration`), so a value
 * Terraform computes from another planned resource can be derived instead of guessed.
 * https://developer.hashicorp.com/terraform/internals/json-format
 *
 * The configuration keeps an expression's references but not its literal parts: `"x-${a.b.c}"` and
 * `a.b.c` both read `{"references": ["a.b.c", "a.b"]}`. A caller must therefore only accept a derived value
 * whose shape shows it is the whole attribute (a member identifier, not a bare email).
 */
import type { TerraformChange, TerraformPlan } from '../../src/core/ci.js';
import { isObj, type Obj } from './inputs.js';

/** The dotted paths (`member`, `members.1`, `rules.0.deny_rule.0.denied_principals.2`) that `after_unknown` marks `true`. */
export function unknownPaths(afterUnknown: unknown, prefix = ''): string[] {
  if (afterUnknown === true) return [prefix];
  const entries = Array.isArray(afterUnknown) ? afterUnknown.map((v, i) => [String(i), v] as const) : isObj(afterUnknown) ? Object.entries(afterUnknown) : [];
  return entries.flatMap(([k, v]) => unknownPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** A reference to one attribute of a resource: `google_service_account.deployer.member` → resource + attribute. */
export interface AttributeRef {
  /** The resource's absolute address, module path included (`module.release.google_service_account.deployer`). */
  resource: string;
  attribute: string;
}

const NOT_RESOURCES = new Set(['var', 'local', 'each', 'count', 'path', 'terraform', 'self', 'module']);
const REF = /^((?:data\.)?[A-Za-z][\w-]*\.[A-Za-z_][\w-]*(?:\[[^\]]+\])?)\.([A-Za-z_][\w-]*)$/;

/** `module.a.module.b.google_x.y["k"]` → module path `module.a.module.b` and the resource part without its key. */
function splitAddress(address: string): { modules: string[]; resource: string } {
  const parts: string[] = [];
  let rest = address;
  for (let m = /^module\.([\w-]+)(\[[^\]]+\])?\./.exec(rest); m; m = /^module\.([\w-]+)(\[[^\]]+\])?\./.exec(rest)) {
    parts.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  return { modules: parts, resource: rest.replace(/\[[^\]]+\]$/, '') };
}

/** The configuration block of a resource address: modules followed through `module_calls`, the instance key dropped. */
function configResource(plan: TerraformPlan, address: string): Obj | undefined {
  const { modules, resource } = splitAddress(address);
  let mod: unknown = isObj(plan.configuration) ? plan.configuration.root_module : undefined;
  for (const name of modules) {
    const call = isObj(mod) && isObj(mod.module_calls) ? mod.module_calls[name] : undefined;
    mod = isObj(call) ? call.module : undefined;
  }
  const resources = isObj(mod) && Array.isArray(mod.resources) ? mod.resources : [];
  return resources.find((r): r is Obj => isObj(r) && r.address === resource);
}

/**
 * The one resource attribute a top-level attribute's expression refers to, as an absolute address; undefined
 * when it refers to none, to several, or to variables, locals and module outputs (nothing to derive from).
 */
export function attributeReference(plan: TerraformPlan, address: string, attribute: string): AttributeRef | undefined {
  const config = configResource(plan, address);
  const expr = config && isObj(config.expressions) ? config.expressions[attribute] : undefined;
  const refs = isObj(expr) && Array.isArray(expr.references) ? expr.references.filter((r): r is string => typeof r === 'string') : [];
  const prefix = splitAddress(address).modules.map((m) => `module.${m}.`).join('');
  const found = new Map<string, AttributeRef>();
  for (const ref of refs) {
    const m = REF.exec(ref);
    if (!m || NOT_RESOURCES.has(ref.slice(0, ref.indexOf('.')))) continue;
    found.set(ref, { resource: prefix + m[1]!, attribute: m[2]! });
  }
  return found.size === 1 ? [...found.values()][0] : undefined;
}

/** The planned change of a resource address, when the plan has exactly that instance. */
export function plannedChange(plan: TerraformPlan, address: string): TerraformChange | undefined {
  return plan.resource_changes?.find((c) => c.address === address);
}
