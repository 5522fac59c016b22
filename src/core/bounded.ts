/**
 * Caches of what requests bring (callers, actions, contexts, condition texts): bounded, the oldest entry
 * goes first, so a stream of distinct inputs cannot grow memory without limit.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.limit && !this.has(key)) this.delete(this.keys().next().value!);
    return super.set(key, value);
  }

  /** Sets the entry and answers its value. */
  remember(key: K, value: V): V {
    this.set(key, value);
    return value;
  }
}
