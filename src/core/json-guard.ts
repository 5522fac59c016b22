/**
 * Checks a parsed JSON value against the input bounds before anything else looks at it: nesting depth,
 * number of values and forbidden keys. Iterative, so a hostile body cannot exhaust the stack.
 */
import { InputError, pointerToken } from './problem.js';
import { FORBIDDEN_KEYS, MAX_DEPTH, MAX_NODES } from './limits.js';

export function guardJson(root: unknown, maxNodes = MAX_NODES): void {
  const stack: { v: unknown; ptr: string; depth: number }[] = [{ v: root, ptr: '', depth: 0 }];
  let nodes = 0;
  while (stack.length) {
    const { v, ptr, depth } = stack.pop()!;
    if (++nodes > maxNodes) throw new InputError('too_large', ptr, `more than ${maxNodes} values in the body`, 413);
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_DEPTH) throw new InputError('too_deep', ptr, `nesting deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], ptr: `${ptr}/${i}`, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(v)) {
      const child = `${ptr}/${pointerToken(key)}`;
      if (FORBIDDEN_KEYS.has(key)) throw new InputError('forbidden_key', child, `the key '${key}' is not allowed`);
      stack.push({ v: (v as Record<string, unknown>)[key], ptr: child, depth: depth + 1 });
    }
  }
}
