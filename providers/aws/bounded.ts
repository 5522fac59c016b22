/** Caches of what requests bring (callers, actions, contexts): bounded, the oldest entry goes first. */

/** Sets the entry, first dropping the oldest one when the cache holds `max`; returns the value. */
export function remember<V>(cache: Map<string, V>, max: number, key: string, value: V): V {
  if (cache.size >= max) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}
