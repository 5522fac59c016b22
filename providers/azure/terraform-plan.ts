/**
 * Reading `terraform show -json` output (format_version 1.x), provider-neutral: where a change sits in the
 * plan (for error pointers), which planned values are known only after apply, and the plan resources an
 * attribute's configuration expression references, so a value unknown until apply can be taken from what
 * the plan does know instead of being guessed.
 * https://developer.hashicorp.com/terraform/internals/json-format
 */
import type { TerraformChange, TerraformPlan } from '../../src/core/ci.js';
import { pointerToken } from '../../src/core/problem.js';

type Obj = Record<string, unknown>;
export type Path = readonly (string | number)[];

/** A planned value Terraform knows only after apply. */
export const UNKNOWN: unique symbol = Symbol('known after apply');

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function step(v: unknown, key: string | number): unknown {
  if (Array.isArray(v)) return typeof key === 'number' ? v[key] : undefined;
  return isObj(v) ? v[String(key)] : undefined;
}

/** Splits an address or reference on the dots outside `["..."]` instance keys. */
function segments(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '\\') cur += text[i++] ?? '';
      else if (ch === '"') quoted = false;
    } else if (ch === '"' && depth > 0) quoted = true;
    else if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === '.' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

/** A segment without its instance key: `b[0]` -> `b`, `a["x"]` -> `a`. */
function bare(segment: string): string {
  const at = segment.indexOf('[');
  return at === -1 ? segment : segment.slice(0, at);
}

/** `identity[0]` -> ['identity', 0]; a quoted key stays a string. */
function attributePath(parts: readonly string[]): (string | number)[] {
  return parts.flatMap((p) => {
    const at = p.indexOf('[');
    if (at === -1) return [p];
    const key = p.slice(at + 1, -1);
    return [p.slice(0, at), /^\d+$/.test(key) ? Number(key) : key.replace(/^"|"$/g, '')];
  });
}

/** The address of a resource's configuration block: module instance keys and the resource's own dropped. */
function configAddress(address: string): string {
  return segments(address).map(bare).join('.');
}

/** `module.a.module.b.` for a resource in module b called from a, `` at the root. */
function modulePrefix(address: string): string {
  const s = segments(configAddress(address));
  const resource = s[s.length - 3] === 'data' ? 3 : 2;
  return s.slice(0, s.length - resource).map((x) => `${x}.`).join('');
}

/** What a reference names: a plan resource (or a data source in the prior state) and an attribute path in it. */
export interface Target {
  /** The referenced resource's address as the reference wrote it (module prefix included). */
  address: string;
  change?: TerraformChange;
  /** A data source's values read at plan time (prior_state). */
  values?: Obj;
  attribute: (string | number)[];
}

export class PlanReader {
  /** Resource configuration blocks by config address. */
  private readonly config = new Map<string, Obj>();
  /** Changes by config address (one per instance). */
  private readonly instances = new Map<string, TerraformChange[]>();
  private readonly byAddress = new Map<string, TerraformChange>();
  private readonly data = new Map<string, Obj>();
  private readonly position = new Map<TerraformChange, number>();

  constructor(readonly plan: TerraformPlan) {
    (plan.resource_changes ?? []).forEach((c, i) => {
      this.position.set(c, i);
      if (!isObj(c) || typeof c.address !== 'string') return;
      this.byAddress.set(c.address, c);
      const key = configAddress(c.address);
      const list = this.instances.get(key);
      if (list) list.push(c);
      else this.instances.set(key, [c]);
    });
    const root = isObj(plan.configuration) ? plan.configuration.root_module : undefined;
    this.readModule(root, '');
    this.readState(isObj(plan.prior_state) && isObj(plan.prior_state.values) ? plan.prior_state.values.root_module : undefined);
  }

  private readModule(m: unknown, prefix: string): void {
    if (!isObj(m)) return;
    for (const r of Array.isArray(m.resources) ? m.resources : []) {
      if (isObj(r) && typeof r.address === 'string') this.config.set(prefix + r.address, r);
    }
    if (!isObj(m.module_calls)) return;
    for (const [name, call] of Object.entries(m.module_calls)) if (isObj(call)) this.readModule(call.module, `${prefix}module.${name}.`);
  }

  /** Data sources read at plan time: `prior_state.values.root_module` and its child modules. */
  private readState(m: unknown): void {
    if (!isObj(m)) return;
    for (const r of Array.isArray(m.resources) ? m.resources : []) {
      if (isObj(r) && r.mode === 'data' && typeof r.address === 'string' && isObj(r.values)) this.data.set(r.address, r.values);
    }
    for (const child of Array.isArray(m.child_modules) ? m.child_modules : []) this.readState(child);
  }

  /** The change's index in `resource_changes`. */
  indexOf(c: TerraformChange): number {
    const at = this.position.get(c);
    if (at !== undefined) return at;
    const same = this.byAddress.get(c.address);
    return same ? (this.position.get(same) ?? -1) : -1;
  }

  /** A JSON pointer into the plan file: `/resource_changes/<i>/change/after/<path>`. */
  pointer(c: TerraformChange, path: Path): string {
    return [`/resource_changes/${this.indexOf(c)}/change/after`, ...path.map(pointerToken)].join('/');
  }

  /** The planned value at a path of the change's `after`, or UNKNOWN when it is known only after apply. */
  value(c: TerraformChange, path: Path): unknown {
    let unknown: unknown = c.change.after_unknown;
    let v: unknown = c.change.after;
    for (const key of path) {
      if (unknown === true) return UNKNOWN;
      unknown = step(unknown, key);
      v = step(v, key);
    }
    return unknown === true ? UNKNOWN : v;
  }

  /** The references of the attribute's configuration expression, made absolute (module prefix added). */
  references(c: TerraformChange, path: Path): string[] {
    let e: unknown = this.config.get(configAddress(c.address))?.expressions;
    for (const key of path) e = step(e, key);
    // A nested block written once is an object in `expressions`, not a one-element list.
    if (e === undefined && path.length > 1) {
      e = this.config.get(configAddress(c.address))?.expressions;
      for (const key of path) if (typeof key !== 'number') e = step(e, key);
    }
    const refs = isObj(e) && Array.isArray(e.references) ? e.references.filter((r): r is string => typeof r === 'string') : [];
    const prefix = modulePrefix(c.address);
    return refs.map((r) => prefix + r);
  }

  /**
   * What a reference names, if it is a managed resource of this plan (one instance, or the one its key
   * names) or a data source read at plan time: `azurerm_role_definition.x.role_definition_resource_id`,
   * `module.m.azuread_group.g["a"].object_id`, `data.azurerm_subscription.current.id`.
   */
  target(ref: string): Target | undefined {
    const s = segments(ref);
    let at = 0;
    while (s[at] === 'module' && at + 2 < s.length) at += 2;
    if (s[at] === 'data') {
      const address = s.slice(0, at + 3).join('.');
      const values = this.data.get(address);
      return values ? { address, values, attribute: attributePath(s.slice(at + 3)) } : undefined;
    }
    if (at + 2 > s.length || ['var', 'local', 'each', 'count', 'path', 'terraform', 'self'].includes(s[at]!)) return undefined;
    const address = s.slice(0, at + 2).join('.');
    const exact = this.byAddress.get(address);
    const list = this.instances.get(configAddress(address));
    const change = exact ?? (list?.length === 1 ? list[0] : undefined);
    return change ? { address, change, attribute: attributePath(s.slice(at + 2)) } : undefined;
  }

  /** A constant argument of a provider block (`provider "azurerm" { subscription_id = "..." }`). */
  providerSetting(provider: string, attribute: string): unknown {
    const cfg = isObj(this.plan.configuration) && isObj(this.plan.configuration.provider_config) ? this.plan.configuration.provider_config[provider] : undefined;
    const e = isObj(cfg) && isObj(cfg.expressions) ? cfg.expressions[attribute] : undefined;
    return isObj(e) ? e.constant_value : undefined;
  }

  /** The known value a target names. */
  known(t: Target): unknown {
    if (t.values) {
      let v: unknown = t.values;
      for (const key of t.attribute) v = step(v, key);
      return v === undefined ? UNKNOWN : v;
    }
    return this.value(t.change!, t.attribute);
  }
}
