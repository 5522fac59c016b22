/**
 * Constant tables that input text indexes (an operator, a location, a resource type, a member kind). Made
 * without a prototype, so `constructor`, `__proto__` or `toString` find nothing instead of Object's own
 * members.
 */
export function lookupTable<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}
