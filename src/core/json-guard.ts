/**
 * Checks a parsed JSON value against the input bounds before anything else looks at it: nesting depth,
 * number of values and forbidden keys. The fast pass keeps no paths; only when it finds a violation does a
 * second, iterative pass find the JSON pointer.
 */
import { InputError, pointerToken } from './problem.js';
import { FORBIDDEN_KEYS, MAX_DEPTH, MAX_NODES } from './limits.js';
import { parseJsonText } from './json-text.js';

type Violation = 'too_deep' | 'forbidden_key' | 'too_large' | null;

/** How deep remembered objects go: the body and its first level (a batch's items share their policies). */
const SEEN_DEPTH = 1;

/** Recursion is bounded: it stops at MAX_DEPTH, so a hostile body cannot exhaust the stack. */
function firstViolation(v: unknown, depth: number, budget: { nodes: number }, seen?: WeakSet<object>): Violation {
  if (--budget.nodes < 0) return 'too_large';
  if (v === null || typeof v !== 'object') return null;
  if (depth >= MAX_DEPTH) return 'too_deep';
  if (depth <= SEEN_DEPTH && seen?.has(v)) return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = firstViolation(v[i], depth + 1, budget, seen);
      if (r) return r;
    }
  } else {
    for (const key in v) {
      if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
      if (FORBIDDEN_KEYS.has(key)) return 'forbidden_key';
      const r = firstViolation((v as Record<string, unknown>)[key], depth + 1, budget, seen);
      if (r) return r;
    }
  }
  if (depth <= SEEN_DEPTH) seen?.add(v);
  return null;
}

/** The pointer of the first value (depth first, document order) that breaks the rule. */
function locate(root: unknown, what: Exclude<Violation, null>, maxNodes: number): string {
  const stack: { v: unknown; ptr: string; depth: number }[] = [{ v: root, ptr: '', depth: 0 }];
  let nodes = 0;
  while (stack.length) {
    const { v, ptr, depth } = stack.pop()!;
    if (++nodes > maxNodes && what === 'too_large') return ptr;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_DEPTH && what === 'too_deep') return ptr;
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const childPtr = `${ptr}/${pointerToken(key)}`;
      if (what === 'forbidden_key' && !Array.isArray(v) && FORBIDDEN_KEYS.has(key)) return childPtr;
      stack.push({ v: child, ptr: childPtr, depth: depth + 1 });
    }
  }
  return '';
}

/**
 * Throws InputError when the value breaks a bound. With `seen`, objects near the root that passed before
 * are not walked again (for library callers, whose objects are treated as immutable once passed in).
 */
export function guardJson(root: unknown, maxNodes = MAX_NODES, seen?: WeakSet<object>): void {
  const what = firstViolation(root, 0, { nodes: maxNodes }, seen);
  if (what === null) return;
  const ptr = locate(root, what, maxNodes);
  if (what === 'too_large') throw new InputError('too_large', ptr, `more than ${maxNodes} values in the body`, 413);
  if (what === 'too_deep') throw new InputError('too_deep', ptr, `nesting deeper than ${MAX_DEPTH} levels`);
  throw new InputError('forbidden_key', ptr, `the key '${ptr.slice(ptr.lastIndexOf('/') + 1)}' is not allowed`);
}

/**
 * JSON text from a user (a request body, a file the CLI reads): parsed, then checked with guardJson.
 * Text that is not JSON is parsed again with positions, to name the line and column where it stops.
 */
export function parseUserJson(text: string, what = 'the body'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    parseJsonText(text);
    throw new InputError('malformed_json', '', `${what} is not valid JSON`);
  }
  guardJson(value);
  return value;
}
