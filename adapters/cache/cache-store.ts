/**
 * Where a ReadThroughCache keeps text, with one generation per scope. An entry lives in a slot
 * named after its key and the current generations of the scopes it depends on, so bumping a
 * generation makes every older slot unreachable at once: no key scan, no race with a slow writer.
 */
export interface CacheStore {
  /** The entry's slot under the current generations, and the text stored there if any. */
  read(name: string, dependsOn: readonly string[]): Promise<{ slot: string; text: string | undefined }>
  /** Stores text in a slot for at most the store's TTL. */
  write(slot: string, text: string): Promise<void>
  /** Gives each scope a generation it never had, hiding every slot built from an older one. */
  bump(scopes: readonly string[]): Promise<void>
}
