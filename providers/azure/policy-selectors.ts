/**
 * Resource selectors of policy assignments and exemptions, compiled at load: a resource is selected when it
 * meets every selector of at least one set; an assignment that selects nothing does not apply, an exemption
 * that selects nothing does not exempt.
 * https://learn.microsoft.com/azure/governance/policy/concepts/assignment-structure#resource-selectors
 * https://learn.microsoft.com/azure/governance/policy/concepts/exemption-structure#resource-selectors
 * - at most 10 sets; each kind at most once per set; `in` or `notIn` (not both), up to 50 values each;
 * - resourceLocation and resourceWithoutLocation cannot share a set; resourceWithoutLocation selects
 *   subscription-level resources that have no location, and takes the one value `subscriptionLevelResources`.
 */
import { resourceGroupOf, subscriptionOf } from './ids.js';
import { invalid, isObj } from './load.js';

type Kind = 'resourcelocation' | 'resourcetype' | 'resourcewithoutlocation';

const KINDS: ReadonlySet<string> = new Set<Kind>(['resourcelocation', 'resourcetype', 'resourcewithoutlocation']);
const SUBSCRIPTION_LEVEL = 'subscriptionlevelresources';
const MAX_SETS = 10;
const MAX_VALUES = 50;

interface Selector {
  kind: Kind;
  /** As written, for sentences. */
  kindAsGiven: string;
  /** True for `in`, false for `notIn`. */
  include: boolean;
  /** Normalized (lower-case; locations without spaces). */
  values: Set<string>;
  valuesAsGiven: string[];
}

export interface SelectorSet {
  name: string;
  selectors: Selector[];
}

/** `East US 2` and `eastus2` are one location. */
function normalizeLocation(v: string): string {
  return v.toLowerCase().replace(/\s+/g, '');
}

function normalize(kind: Kind, v: string): string {
  return kind === 'resourcelocation' ? normalizeLocation(v) : v.toLowerCase();
}

function selector(raw: unknown, file: string, ptr: string): Selector {
  const bad = (at: string, msg: string) => invalid(file, `${ptr}${at}`, msg);
  if (!isObj(raw)) throw bad('', 'a resource selector must be an object {kind, in | notIn}');
  // A set, not an object's keys: `constructor` and `__proto__` are no kinds.
  const kind = typeof raw.kind === 'string' && KINDS.has(raw.kind.toLowerCase()) ? (raw.kind.toLowerCase() as Kind) : undefined;
  if (!kind) throw bad('/kind', `unknown selector kind ${JSON.stringify(raw.kind)}: resourceLocation, resourceType or resourceWithoutLocation`);
  const hasIn = raw.in !== undefined && raw.in !== null;
  const hasNotIn = raw.notIn !== undefined && raw.notIn !== null;
  if (hasIn === hasNotIn) throw bad('', `a ${String(raw.kind)} selector takes exactly one of in and notIn`);
  const key = hasIn ? 'in' : 'notIn';
  const list = raw[key];
  if (!Array.isArray(list) || !list.every((v): v is string => typeof v === 'string')) throw bad(`/${key}`, `${key} must be an array of strings`);
  if (list.length > MAX_VALUES) throw bad(`/${key}`, `${key} holds ${list.length} values: at most ${MAX_VALUES}`);
  const values = new Set(list.map((v) => normalize(kind, v)));
  if (kind === 'resourcewithoutlocation' && [...values].some((v) => v !== SUBSCRIPTION_LEVEL)) throw bad(`/${key}`, 'resourceWithoutLocation takes only the value subscriptionLevelResources');
  return { kind, kindAsGiven: String(raw.kind), include: hasIn, values, valuesAsGiven: list };
}

/** `resourceSelectors` of an assignment or exemption; undefined when it has none. */
export function compileResourceSelectors(raw: unknown, file: string, pointer: string): SelectorSet[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const bad = (at: string, msg: string) => invalid(file, `${pointer}${at}`, msg);
  if (!Array.isArray(raw)) throw bad('', 'resourceSelectors must be an array of {name, selectors}');
  if (raw.length > MAX_SETS) throw bad('', `resourceSelectors holds ${raw.length} sets: at most ${MAX_SETS}`);
  if (!raw.length) return undefined;
  return raw.map((set, i): SelectorSet => {
    if (!isObj(set) || !Array.isArray(set.selectors)) throw bad(`/${i}`, 'a resource selector set needs its selectors array');
    const selectors = set.selectors.map((s, j) => selector(s, file, `${pointer}/${i}/selectors/${j}`));
    const kinds = selectors.map((s) => s.kind);
    const twice = kinds.find((k, j) => kinds.indexOf(k) !== j);
    if (twice) throw bad(`/${i}/selectors`, `each kind may be used once in a resource selector: ${selectors.find((s) => s.kind === twice)!.kindAsGiven} is used twice`);
    if (kinds.includes('resourcelocation') && kinds.includes('resourcewithoutlocation')) throw bad(`/${i}/selectors`, 'resourceLocation and resourceWithoutLocation cannot be used in the same resource selector');
    return { name: typeof set.name === 'string' ? set.name : String(i), selectors };
  });
}

/** What selectors read of a resource: its type and its location. */
interface Selected {
  type: string;
  location?: string;
}

/** The value a selector compares for the resource; undefined when the resource has none. */
function valueOf(s: Selector, key: string, r: Selected): string | undefined {
  if (s.kind === 'resourcetype') return r.type.toLowerCase();
  const location = typeof r.location === 'string' && r.location.trim() !== '' ? normalizeLocation(r.location) : undefined;
  if (s.kind === 'resourcelocation') return location;
  // Subscription-level: the subscription itself, or a resource outside any resource group.
  return location === undefined && subscriptionOf(key) !== undefined && resourceGroupOf(key) === undefined ? SUBSCRIPTION_LEVEL : undefined;
}

function describe(s: Selector, key: string, r: Selected): string {
  const v = valueOf(s, key, r);
  const what = s.kind === 'resourcetype' ? `type ${r.type}` : s.kind === 'resourcelocation' ? (v === undefined ? 'no location' : `location ${r.location}`) : v === undefined ? 'not a subscription-level resource without location' : 'a subscription-level resource without location';
  return `${what} ${s.include ? 'is not in' : 'is in'} ${s.kindAsGiven} ${s.include ? 'in' : 'notIn'} [${s.valuesAsGiven.join(', ')}]`;
}

/** Why the selectors leave the resource out, or undefined when one set selects it. key: the resource's normalized id. */
export function selectorMiss(sets: readonly SelectorSet[], key: string, r: Selected): string | undefined {
  const why: string[] = [];
  for (const set of sets) {
    const failed = set.selectors.find((s) => {
      const v = valueOf(s, key, r);
      return s.include ? v === undefined || !s.values.has(v) : v !== undefined && s.values.has(v);
    });
    if (!failed) return undefined;
    why.push(`${set.name}: ${describe(failed, key, r)}`);
  }
  return `resourceSelectors select no set for this resource (${why.join('; ')})`;
}
