/**
 * Reading `terraform show -json` output (format_version 1.x), provider-neutral: a change's planned values
 * and which of them are known only after apply (`after_unknown`), where a value sits in the plan file (for
 * error pointers), a resource's configuration block (module-aware), and what an attribute's expression
 * references, resolved to a resource change of the plan or a data source read at plan time
 * (`prior_state`), so that a value unknown until apply can be taken from what the plan does know instead
 * of being guessed.
 * https://developer.hashicorp.com/terraform/internals/json-format
 *
 * The configuration keeps an expression's references but not its literal parts: `"x-${a.b.c}"` and
 * `a.b.c` both read `{"references": ["a.b.c", "a.b"]}`. A caller only takes a referenced value for the
 * whole attribute when the attribute it names shows that is what is meant.
 */
import type { TerraformChange, TerraformPlan } from './ci.js';
import { pointerToken } from './problem.js';

type Obj = Record<string, unknown>;
/** A path into planned values or expressions: attribute names, list indexes, map keys. */
export type Path = readonly (string | number)[];

/** A planned value Terraform knows only after apply. */
export const UNKNOWN: unique symbol = Symbol('known after apply');

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value at a path of nested objects and arrays (an array only by a numeric index). */
function valueAt(v: unknown, path: Path): unknown {
  let cur = v;
  for (const key of path) {
    if (Array.isArray(cur)) cur = typeof key === 'number' ? cur[key] : undefined;
    else if (isObj(cur)) cur = cur[String(key)];
    else return undefined;
  }
  return cur;
}

/** The dotted paths (`member`, `members.1`, `rules.0.deny_rule.0.denied_principals.2`) that `after_unknown` marks `true`. */
export function unknownPaths(afterUnknown: unknown, prefix = ''): string[] {
  if (afterUnknown === true) return [prefix];
  const entries = Array.isArray(afterUnknown) ? afterUnknown.map((v, i) => [String(i), v] as const) : isObj(afterUnknown) ? Object.entries(afterUnknown) : [];
  return entries.flatMap(([k, v]) => unknownPaths(v, prefix ? `${prefix}.${k}` : k));
}

// ---- addresses and references ------------------------------------------------------------------------

/** Splits an address or reference at the dots outside `[...]` keys (a quoted key may hold dots and brackets). */
function segments(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      cur += ch;
      if (ch === '\\') cur += text[++i] ?? '';
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"' && depth > 0) quoted = true;
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

/** `p["a"]` -> ['p', '["a"]']: a segment's name and its instance key as printed ('' for none). */
function splitKey(segment: string): [string, string] {
  const at = segment.indexOf('[');
  return at === -1 ? [segment, ''] : [segment.slice(0, at), segment.slice(at)];
}

/** A printed key as a path step: `0` a list index, `"a.b"` (Go-quoted, as Terraform prints it) a map key. */
function keyStep(key: string): string | number {
  if (/^\d+$/.test(key)) return Number(key);
  if (!key.startsWith('"')) return key;
  try {
    return JSON.parse(key) as string;
  } catch {
    return key.slice(1, -1);
  }
}

/** The steps of what follows a resource in a reference: `identity[0].principal_id` -> ['identity', 0, 'principal_id']. */
function attributePath(parts: readonly string[]): (string | number)[] {
  return parts.flatMap((part) => {
    const [name, keys] = splitKey(part);
    const steps: (string | number)[] = [name];
    for (let i = 0; i < keys.length; ) {
      const end = closingBracket(keys, i);
      steps.push(keyStep(keys.slice(i + 1, end)));
      i = end + 1;
    }
    return steps;
  });
}

/** The `]` closing the `[` at `open`, skipping quoted text. */
function closingBracket(text: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '\\') i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === ']' && !quoted) return i;
  }
  return text.length;
}

/** First words of a reference that name no resource: variables, locals, iteration values, module outputs. */
const NOT_RESOURCES = new Set(['var', 'local', 'each', 'count', 'path', 'terraform', 'self', 'module']);

/** A resource address split up: `module.a["x"].module.b.data.aws_iam_policy.p[0].arn`. */
interface Address {
  /** The module path with instance keys, as `resource_changes` prints it: `module.a["x"].module.b.` ('' at the root). */
  module: string;
  /** The module path without instance keys, where the configuration is: `module.a.module.b.`. */
  configModule: string;
  /** `aws_iam_policy.p`, or `data.aws_iam_policy.p`. */
  resource: string;
  /** The instance key as printed (`[0]`, `["a"]`), or ''. */
  key: string;
  /** What follows the resource in a reference (`arn`). */
  rest: string[];
}

function parseAddress(text: string): Address | undefined {
  const segs = segments(text);
  let module = '';
  let configModule = '';
  let i = 0;
  while (segs[i] === 'module' && i + 2 < segs.length) {
    module += `module.${segs[i + 1]}.`;
    configModule += `module.${splitKey(segs[i + 1]!)[0]}.`;
    i += 2;
  }
  const data = segs[i] === 'data';
  if (data) i++;
  if (i + 2 > segs.length || NOT_RESOURCES.has(segs[i]!)) return undefined;
  const [name, key] = splitKey(segs[i + 1]!);
  return { module, configModule, resource: `${data ? 'data.' : ''}${segs[i]}.${name}`, key, rest: segs.slice(i + 2) };
}

const AMBIGUOUS: unique symbol = Symbol('several instances');

/** Resource instances by address, and by the address without the resource's own instance key. */
class Instances<T> {
  private readonly byAddress = new Map<string, T>();
  private readonly byResource = new Map<string, T[]>();

  add(address: string, item: T): void {
    const a = parseAddress(address);
    if (!a || this.byAddress.has(address)) return;
    this.byAddress.set(address, item);
    const resource = a.module + a.resource;
    const list = this.byResource.get(resource);
    if (list) list.push(item);
    else this.byResource.set(resource, [item]);
  }

  get(address: string): T | undefined {
    return this.byAddress.get(address);
  }

  /**
   * The instance a reference names, from the resource at `from`: the one its key names; without a key, the
   * one with the referring resource's own key (`p[each.key]` is listed as `p`), else the only instance.
   * AMBIGUOUS when the resource has several instances and the reference singles out none.
   */
  pick(to: Address, from: Address | undefined): T | typeof AMBIGUOUS | undefined {
    const resource = to.module + to.resource;
    const exact = this.byAddress.get(resource + to.key);
    if (exact !== undefined || to.key) return exact;
    const same = from?.key ? this.byAddress.get(resource + from.key) : undefined;
    if (same !== undefined) return same;
    const all = this.byResource.get(resource) ?? [];
    return all.length === 1 ? all[0] : all.length ? AMBIGUOUS : undefined;
  }
}

/** One reference of an expression, and what it names. */
export interface Reference {
  /**
   * The reference as the configuration writes it, made absolute: prefixed with the referring resource's
   * module path, instance keys included (`module.team["data"].azuread_group.readers.object_id`).
   */
  text: string;
  /** Set when it names a resource: a managed one or a data source. */
  mode?: 'managed' | 'data';
  /** The planned change of the managed resource instance it names, when the plan holds it. */
  change?: TerraformChange;
  /** The values of the data source it names, when Terraform read it at plan time (`prior_state`). */
  data?: Obj;
  /** The attribute path after the resource (`['identity', 0, 'principal_id']`); empty when it names the resource itself. */
  attribute: (string | number)[];
  /** It names a resource of several instances and does not say which. */
  ambiguous?: true;
}

/** A reference to a resource change of the plan. */
export type ChangeReference = Reference & { change: TerraformChange };

export type Side = 'before' | 'after';

/** A `terraform show -json` plan, indexed for reading its changes. */
export class TerraformPlanReader {
  private readonly position = new Map<TerraformChange, number>();
  private readonly managed = new Instances<TerraformChange>();
  private readonly data = new Instances<Obj>();
  /** Resource configuration blocks by module path (without instance keys) + resource. */
  private readonly config = new Map<string, Obj>();
  /** By `<type>\u0000<attr>`: the changes by that attribute's values, built on first use. */
  private readonly byValue = new Map<string, Map<string, TerraformChange>>();

  constructor(readonly plan: TerraformPlan) {
    this.changes.forEach((c, i) => {
      this.position.set(c, i);
      if (isObj(c) && typeof c.address === 'string') this.managed.add(c.address, c);
    });
    const configuration = isObj(plan.configuration) ? plan.configuration : {};
    this.readConfig(configuration.root_module, '');
    const prior = isObj(plan.prior_state) && isObj(plan.prior_state.values) ? plan.prior_state.values.root_module : undefined;
    this.readState(prior);
  }

  private readConfig(m: unknown, prefix: string): void {
    if (!isObj(m)) return;
    for (const r of Array.isArray(m.resources) ? m.resources : []) {
      if (isObj(r) && typeof r.address === 'string') this.config.set(prefix + r.address, r);
    }
    if (!isObj(m.module_calls)) return;
    for (const [name, call] of Object.entries(m.module_calls)) if (isObj(call)) this.readConfig(call.module, `${prefix}module.${name}.`);
  }

  /** Data sources read at plan time: `prior_state.values.root_module` and its child modules (absolute addresses). */
  private readState(m: unknown): void {
    if (!isObj(m)) return;
    for (const r of Array.isArray(m.resources) ? m.resources : []) {
      if (isObj(r) && r.mode === 'data' && typeof r.address === 'string' && isObj(r.values)) this.data.add(r.address, r.values);
    }
    for (const child of Array.isArray(m.child_modules) ? m.child_modules : []) this.readState(child);
  }

  /** Every resource change of the plan, no-ops included (they carry the ids of what exists). */
  get changes(): readonly TerraformChange[] {
    return this.plan.resource_changes ?? [];
  }

  /** The change's index in `resource_changes` (-1 when the plan does not hold it). */
  indexOf(c: TerraformChange): number {
    const at = this.position.get(c);
    if (at !== undefined) return at;
    const same = this.managed.get(c.address);
    return same ? (this.position.get(same) ?? -1) : -1;
  }

  /** A JSON pointer into the plan file: `/resource_changes/<i>/change/after/<path>`. */
  pointer(c: TerraformChange, path: Path, side: Side = 'after'): string {
    return [`/resource_changes/${this.indexOf(c)}/change/${side}`, ...path.map(pointerToken)].join('/');
  }

  before(c: TerraformChange, path: Path): unknown {
    return valueAt(c.change.before, path);
  }

  /** The planned value as `after` holds it (a value known only after apply is absent there). */
  after(c: TerraformChange, path: Path): unknown {
    return valueAt(c.change.after, path);
  }

  /** Is the planned value, or anything on its way, known only after apply? */
  isUnknown(c: TerraformChange, path: Path): boolean {
    let cur: unknown = c.change.after_unknown;
    for (const key of path) {
      if (cur === true) return true;
      cur = valueAt(cur, [key]);
    }
    return cur === true;
  }

  /** The planned value at a path, or UNKNOWN when it is known only after apply. */
  value(c: TerraformChange, path: Path): unknown {
    return this.isUnknown(c, path) ? UNKNOWN : this.after(c, path);
  }

  /** The configuration block of a resource (`{address, mode, type, name, expressions, ...}`), module-aware. */
  configuration(address: string): Obj | undefined {
    const a = parseAddress(address);
    return a && this.config.get(a.configModule + a.resource);
  }

  /** The expression of an attribute (a nested block's attribute too) in the change's configuration. */
  private expression(c: TerraformChange, path: Path): unknown {
    const expressions = this.configuration(c.address)?.expressions;
    const e = valueAt(expressions, path);
    // A block of nesting mode single is an object in `expressions`, not a list of one: drop the indexes.
    return e === undefined && path.length > 1 ? valueAt(expressions, path.filter((k) => typeof k !== 'number')) : e;
  }

  /**
   * The references of an attribute's expression, in the configuration's order, made absolute and resolved.
   * Terraform lists a keyed reference's resource once more without its key (`p["a"]`, then `p`) as a search
   * aid: that echo is no reference of its own and is left out.
   */
  references(c: TerraformChange, path: Path): Reference[] {
    const e = this.expression(c, path);
    const refs = isObj(e) && Array.isArray(e.references) ? e.references.filter((r): r is string => typeof r === 'string') : [];
    const from = parseAddress(c.address);
    return refs.filter((r, i) => !isKeylessEcho(r, refs[i - 1])).map((r) => this.resolve(r, from));
  }

  /** A reference relative to the module of the resource at `from`. */
  private resolve(ref: string, from: Address | undefined): Reference {
    const text = (from?.module ?? '') + ref;
    const to = NOT_RESOURCES.has(ref.slice(0, ref.indexOf('.'))) ? undefined : parseAddress(text);
    if (!to) return { text, attribute: [] };
    const mode = to.resource.startsWith('data.') ? 'data' : 'managed';
    const found = mode === 'data' ? this.data.pick(to, from) : this.managed.pick(to, from);
    const out: Reference = { text, mode, attribute: attributePath(to.rest) };
    if (found === AMBIGUOUS) out.ambiguous = true;
    else if (found && mode === 'data') out.data = found as Obj;
    else if (found) out.change = found as TerraformChange;
    return out;
  }

  /**
   * The managed resources of this plan an attribute's expression refers to, one entry per resource (with
   * the first attribute named of it, if any). Empty when a reference names a resource of several instances
   * without singling one out: then which instances are meant is not known.
   */
  referencedChanges(c: TerraformChange, path: Path): ChangeReference[] {
    const refs = this.references(c, path);
    if (refs.some((r) => r.ambiguous && r.mode === 'managed')) return [];
    const found = new Map<string, ChangeReference>();
    for (const r of refs) {
      if (!r.change) continue;
      const seen = found.get(r.change.address);
      if (!seen || (!seen.attribute.length && r.attribute.length)) found.set(r.change.address, r as ChangeReference);
    }
    return [...found.values()];
  }

  /** The one managed resource of this plan an attribute's expression refers to, or undefined (none, or several). */
  referencedChange(c: TerraformChange, path: Path): ChangeReference | undefined {
    const all = this.referencedChanges(c, path);
    return all.length === 1 ? all[0] : undefined;
  }

  /** The value a reference names, as the plan knows it: UNKNOWN when it does not (not yet, or not at all). */
  known(ref: Reference): unknown {
    if (ref.data) {
      const v = valueAt(ref.data, ref.attribute);
      return v === undefined ? UNKNOWN : v;
    }
    return ref.change ? this.value(ref.change, ref.attribute) : UNKNOWN;
  }

  /** The change of a type whose top-level attribute has this value before or after (an ARN, an id). */
  withValue(type: string, attr: string, value: string): TerraformChange | undefined {
    const key = `${type}\u0000${attr}`;
    let index = this.byValue.get(key);
    if (!index) {
      index = new Map();
      for (const c of this.changes) {
        if (c.type !== type) continue;
        for (const v of [this.after(c, [attr]), this.before(c, [attr])]) if (typeof v === 'string' && !index.has(v)) index.set(v, c);
      }
      this.byValue.set(key, index);
    }
    return index.get(value);
  }

  /** A constant argument of a provider block (`provider "azurerm" { subscription_id = "..." }`). */
  providerSetting(provider: string, attribute: string): unknown {
    const configs = isObj(this.plan.configuration) ? this.plan.configuration.provider_config : undefined;
    return valueAt(configs, [provider, 'expressions', attribute, 'constant_value']);
  }
}

/** `p` right after `p["a"]` (or `p[0]`): Terraform's keyless copy of a keyed resource reference. */
function isKeylessEcho(ref: string, previous: string | undefined): boolean {
  return previous !== undefined && previous.startsWith(`${ref}[`) && segments(previous).length === segments(ref).length;
}
