/** Bounds on untrusted input, shared by every parser and the HTTP layer. */

/** Deepest nesting accepted anywhere in a body or a policy document. */
export const MAX_DEPTH = 32;

/** Most values (objects, arrays and scalars) accepted in one request body. */
export const MAX_NODES = 2_000_000;

/** Keys that could reach an object's prototype if a body were ever merged into an object. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
