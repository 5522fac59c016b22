/**
 * Compiled policies, kept so that a policy sent again (the same object, or the same text or content) is
 * compiled once. Bounded: the oldest entries go first.
 */
import { BoundedMap } from '../../src/core/bounded.js';
import { compilePolicy, type CompiledPolicy, type PolicyKind } from './policy.js';

const MAX_ENTRIES = 4096;
const byObject = new WeakMap<object, Map<PolicyKind, CompiledPolicy>>();
const byContent = new BoundedMap<string, CompiledPolicy>(MAX_ENTRIES);

export function compiledPolicy(kind: PolicyKind, document: unknown): CompiledPolicy {
  const isObject = document !== null && typeof document === 'object';
  const seen = isObject ? byObject.get(document)?.get(kind) : undefined;
  if (seen) return seen;
  const key = `${kind}\u0000${typeof document === 'string' ? 't' + document : 'o' + JSON.stringify(document)}`;
  let compiled = byContent.get(key);
  if (!compiled) {
    compiled = compilePolicy(kind, document);
    byContent.set(key, compiled);
  }
  if (isObject) {
    let perKind = byObject.get(document);
    if (!perKind) byObject.set(document, (perKind = new Map()));
    perKind.set(kind, compiled);
  }
  return compiled;
}
