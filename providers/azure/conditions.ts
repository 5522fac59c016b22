/**
 * ABAC conditions on role assignments, role definition blocks and deny assignments: parsed at load (a bad
 * condition is a 4xx naming the file and pointer), evaluated per request with the attributes the request
 * gives or the estate implies. An attribute is absent (the condition fails closed) when the caller gave
 * other attributes of its kind (other blob index tags, say) or null; it is unknown (the answer is
 * conditional) when the caller said nothing about that kind of attribute.
 * https://learn.microsoft.com/azure/role-based-access-control/conditions-format
 * https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-attributes
 */
import type { Tri } from '../../src/core/decision.js';
import { AbacSyntaxError, attributeKey, evaluateAbac, parseAbac, type AbacCondition, type AbacInput, type AbacTraceItem } from './abac.js';
import { invalid } from './load.js';

export type Condition = AbacCondition;

export function compileCondition(text: string, file: string, pointer: string, version?: string): Condition {
  try {
    return parseAbac(text, version);
  } catch (e) {
    if (e instanceof AbacSyntaxError) throw invalid(file, pointer, `the condition is not valid at offset ${e.offset}: ${e.message}`);
    throw e;
  }
}

/** The family of an attribute key: the key up to its `:name` or `&$keys$&` part (all blob index tags are one family). */
function familyOf(key: string): string {
  const cut = key.search(/[:&]/);
  return cut === -1 ? key : key.slice(0, cut);
}

/** What a request knows about ABAC attributes: values by canonical key (null = known absent), and which families it spoke for. */
export class AbacFacts {
  // Made on first use: most requests give no attribute and evaluate no condition.
  private values?: Map<string, unknown>;
  private families?: Set<string>;

  /** derive: adds what the request implies, run before the first condition reads the facts (most requests evaluate none). */
  constructor(private derive?: (facts: AbacFacts) => void) {}

  private derived(): void {
    const d = this.derive;
    if (!d) return;
    this.derive = undefined;
    d(this);
  }

  /** Sets a value the caller gave (families count as given) or the estate implied (derived). */
  set(name: string, value: unknown, given: boolean): void {
    const key = attributeKey(name);
    if (!key) return;
    (this.values ??= new Map()).set(key, value);
    if (given) (this.families ??= new Set()).add(familyOf(key));
  }

  has(name: string): boolean {
    this.derived();
    const key = attributeKey(name);
    return key !== undefined && this.values !== undefined && this.values.has(key);
  }

  /** Values in the condition's own spelling, and the attributes it reads that are unknown. */
  inputFor(c: Condition): { attributes: Record<string, unknown>; unknown: Set<string> } {
    this.derived();
    const attributes: Record<string, unknown> = {};
    const unknown = new Set<string>();
    for (const name of c.attributes) {
      const key = attributeKey(name);
      if (!key) continue;
      if (this.values?.has(key)) {
        const v = this.values.get(key);
        if (v !== null) attributes[name] = v;
      } else if (!this.families?.has(familyOf(key))) unknown.add(name);
    }
    return { attributes, unknown };
  }
}

export interface ConditionResult {
  value: Tri;
  missing: string[];
  trace: AbacTraceItem[];
}

export function evalCondition(c: Condition, action: string, subOperation: string | undefined, facts: AbacFacts): ConditionResult {
  const input = facts.inputFor(c);
  const abac: AbacInput = { action, attributes: input.attributes, unknown: input.unknown };
  if (subOperation !== undefined) abac.subOperation = subOperation;
  const r = evaluateAbac(c, abac);
  return { value: r.value, missing: r.missing, trace: r.trace };
}

/** Both conditions of a grant (the role block's and the assignment's): false wins, then unknown. */
export function andTri(a: Tri, b: Tri): Tri {
  if (a === false || b === false) return false;
  return a === 'unknown' || b === 'unknown' ? 'unknown' : true;
}
