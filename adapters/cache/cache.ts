/** How a cached value becomes text and back (plain JSON would turn a Date into a string). */
export interface CacheCodec<T> {
  encode(value: T): string
  decode(text: string): T
}

export interface CacheEntry<T> {
  /** Groups entries for key names and hit/miss counts: 'suggest', 'search', 'inventory'. */
  namespace: string
  /** Names the entry inside its namespace; built from every argument the value depends on. */
  key: string
  /** The scopes whose invalidation must hide this entry: 'catalog', 'stock', 'stock:<storeId>'. */
  dependsOn: readonly string[]
  codec: CacheCodec<T>
}

/**
 * A read-through cache of derived values with scope invalidation. It only accelerates: when its
 * backend fails, getOrLoad loads instead and invalidate still resolves; neither ever throws for it.
 */
export interface Cache {
  /** The value stored for `entry` under the current generation of each scope it depends on, else what `load` returns (then stored, for at most the TTL). */
  getOrLoad<T>(entry: CacheEntry<T>, load: () => Promise<T>): Promise<T>
  /**
   * Once this resolves, no getOrLoad in this process returns a value loaded before it for an entry
   * depending on any of `scopes`; in other processes sharing the store, once the store has it
   * (at once, unless the store is unreachable: then as soon as it answers again).
   */
  invalidate(scopes: readonly string[]): Promise<void>
}
