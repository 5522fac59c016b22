/**
 * Reading `terraform show -json` output (format 1.x): a change's planned values, whether a value is known
 * only after apply, and which resource of the same plan a configuration expression refers to, so that an
 * unknown value can be traced to a resource whose values the plan does know.
 * https://developer.hashicorp.com/terraform/internals/json-format
 * Nothing here is AWS-specific.
 */
import type { TerraformChange, TerraformPlan } from '../../src/core/ci.js';
import { pointerToken } from '../../src/core/problem.js';

type Obj = Record<string, unknown>;
export type Path = readonly (string | number)[];

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value at a path of nested objects and arrays. */
export function valueAt(v: unknown, path: Path): unknown {
  let cur = v;
  for (const k of path) {
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (isObj(cur)) cur = cur[String(k)];
    else return undefined;
  }
  return cur;
}

/** An address split into module calls and the resource: `module.a["x"].aws_iam_policy.p[0]`. */
interface Address {
  /** The module path with instance keys, as addresses print it: `module.a["x"].` (empty at the root). */
  prefix: string;
  /** The module call names, without instance keys: where the resource's configuration is. */
  modules: string[];
  /** `aws_iam_policy.p`, or `data.aws_iam_policy.p`. */
  resource: string;
  /** The instance key as printed (`[0]`, `["a"]`), or ''. */
  key: string;
}

/** Splits an address at its dots, keeping bracketed keys (which may hold dots inside quotes) whole. */
function segments(address: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < address.length; i++) {
    const c = address[i]!;
    if (quoted) {
      cur += c;
      if (c === '\\') cur += address[++i] ?? '';
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '.' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

function splitKey(segment: string): [string, string] {
  const at = segment.indexOf('[');
  return at === -1 ? [segment, ''] : [segment.slice(0, at), segment.slice(at)];
}

function parseAddress(address: string): Address | undefined {
  const segs = segments(address);
  const modules: string[] = [];
  let prefix = '';
  let i = 0;
  while (segs[i] === 'module' && i + 1 < segs.length) {
    modules.push(splitKey(segs[i + 1]!)[0]);
    prefix += `module.${segs[i + 1]}.`;
    i += 2;
  }
  const data = segs[i] === 'data';
  if (data) i++;
  if (i + 2 > segs.length) return undefined;
  const [name, key] = splitKey(segs[i + 1]!);
  return { prefix, modules, resource: `${data ? 'data.' : ''}${segs[i]}.${name}`, key };
}

/** What a configuration expression refers to: a resource of the plan and, when named, one of its attributes. */
export interface Reference {
  change: TerraformChange;
  attr?: string;
}

export class PlanIndex {
  private readonly byAddress = new Map<string, TerraformChange>();
  private readonly position = new Map<TerraformChange, number>();
  /** By `<type>\u0000<attr>`: the changes by that attribute's values, built on first use. */
  private readonly values = new Map<string, Map<string, TerraformChange>>();

  constructor(readonly plan: TerraformPlan) {
    (plan.resource_changes ?? []).forEach((c, i) => {
      this.byAddress.set(c.address, c);
      this.position.set(c, i);
    });
  }

  /** The change of a type whose top-level attribute has this value before or after (an ARN, an id). */
  withValue(type: string, attr: string, value: string): TerraformChange | undefined {
    const key = `${type}\u0000${attr}`;
    let index = this.values.get(key);
    if (!index) {
      index = new Map();
      for (const c of this.all()) {
        if (c.type !== type) continue;
        for (const v of [valueAt(c.change.after, [attr]), valueAt(c.change.before, [attr])]) if (typeof v === 'string' && !index.has(v)) index.set(v, c);
      }
      this.values.set(key, index);
    }
    return index.get(value);
  }

  /** Every resource change of the plan, no-ops included (they carry the ARNs of what exists). */
  all(): readonly TerraformChange[] {
    return this.plan.resource_changes ?? [];
  }

  /** The JSON pointer of a planned value in the plan file. */
  pointer(change: TerraformChange, path: Path): string {
    const i = this.position.get(change) ?? (this.plan.resource_changes ?? []).findIndex((c) => c.address === change.address);
    return `/resource_changes/${i}/change/after${path.map((k) => `/${pointerToken(String(k))}`).join('')}`;
  }

  after(change: TerraformChange, path: Path): unknown {
    return valueAt(change.change.after, path);
  }

  before(change: TerraformChange, path: Path): unknown {
    return valueAt(change.change.before, path);
  }

  /** Is the value (or anything on its way) known only after apply? */
  unknown(change: TerraformChange, path: Path): boolean {
    let cur: unknown = change.change.after_unknown;
    for (const k of path) {
      if (cur === true) return true;
      cur = valueAt(cur, [k]);
    }
    return cur === true;
  }

  /** The configuration expressions of a change's resource (module-aware), if the plan carries them. */
  expressions(change: TerraformChange): Obj | undefined {
    const a = parseAddress(change.address);
    if (!a) return undefined;
    let mod = valueAt(this.plan.configuration, ['root_module']);
    for (const m of a.modules) mod = valueAt(mod, ['module_calls', m, 'module']);
    const resources = valueAt(mod, ['resources']);
    const found = Array.isArray(resources) ? resources.find((r) => isObj(r) && r.address === a.resource) : undefined;
    const expr = isObj(found) ? found.expressions : undefined;
    return isObj(expr) ? expr : undefined;
  }

  /**
   * The resources of this plan that the configuration of a top-level attribute refers to
   * (`references: ["aws_iam_policy.deploy.arn", "aws_iam_policy.deploy"]`), one entry per resource, with
   * the attribute when one is named. Undefined when the plan has no configuration for it, or when a
   * reference names a resource of several instances that it does not single out.
   */
  referencedAll(change: TerraformChange, attr: string): Reference[] | undefined {
    const refs = valueAt(this.expressions(change), [attr, 'references']);
    const self = parseAddress(change.address);
    if (!Array.isArray(refs) || !self) return undefined;
    const found = new Map<string, Reference>();
    for (const r of refs) {
      if (typeof r !== 'string') continue;
      const ref = this.resolve(r, self);
      if (ref === null) return undefined;
      if (!ref) continue;
      const seen = found.get(ref.change.address);
      if (!seen || (!seen.attr && ref.attr)) found.set(ref.change.address, ref);
    }
    return [...found.values()];
  }

  /** The one resource of this plan the attribute's configuration refers to, or undefined (none, or several). */
  referenced(change: TerraformChange, attr: string): Reference | undefined {
    const all = this.referencedAll(change, attr);
    return all?.length === 1 ? all[0] : undefined;
  }

  /**
   * A reference string to a change of the plan: undefined for what is not a managed resource (variables,
   * locals, data sources, `each`), null for a resource the plan holds several instances of that the
   * reference does not single out.
   */
  private resolve(ref: string, self: Address): Reference | undefined | null {
    const segs = segments(ref);
    if (segs.length < 2 || ['var', 'local', 'each', 'count', 'path', 'terraform', 'self', 'module', 'data'].includes(segs[0]!)) return undefined;
    const [name, key] = splitKey(segs[1]!);
    const base = `${self.prefix}${segs[0]}.${name}`;
    const attr = segs[2] ? splitKey(segs[2])[0] : undefined;
    const out = (change: TerraformChange): Reference => (attr ? { change, attr } : { change });
    const exact = this.byAddress.get(base + key);
    if (exact) return out(exact);
    if (key) return undefined;
    // `aws_iam_policy.p[each.key].arn` is referenced as `aws_iam_policy.p`: the instance with our own key.
    const same = self.key ? this.byAddress.get(base + self.key) : undefined;
    if (same) return out(same);
    return this.all().some((c) => c.address.startsWith(`${base}[`)) ? null : undefined;
  }
}
