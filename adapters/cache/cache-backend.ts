/** What a backend found for an entry: its slot under the current generations, and the text there if any. */
export interface CacheRead {
  slot: string
  text: string | undefined
  /** How long the text may still be served (0 without text): an entry never outlives the TTL it was written with. */
  ttlMs: number
}

/**
 * Where a ReadThroughCache keeps text, with one generation per scope. An entry lives in a slot
 * named after its key and the current generations of the scopes it depends on, so bumping a
 * generation makes every older slot unreachable at once: no key scan, no race with a slow writer.
 */
export interface CacheBackend {
  /** How long a written entry lives. */
  readonly ttlMs: number
  read(name: string, dependsOn: readonly string[]): Promise<CacheRead>
  /** Keeps text in a slot for at most the backend's TTL. */
  write(slot: string, text: string): Promise<void>
  /** Gives each scope a generation it never had, hiding every slot built from an older one (and tells the other instances, where it can). */
  bump(scopes: readonly string[]): Promise<void>
}
