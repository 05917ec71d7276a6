import type { CacheStore } from '../cache/cache-store.js'

export interface MemoryCacheStoreOptions {
  ttlSeconds: number
  /** Upper bound on the characters held (keys and values); least recently used entries go first. */
  maxChars?: number
  now?: () => number
}

interface Stored {
  text: string
  expiresAt: number
}

/**
 * The in-process CacheStore used without REDIS_URL: an LRU map bounded by size, entries expiring
 * after the TTL, generations as counters that only grow. Serves one process only.
 */
export class MemoryCacheStore implements CacheStore {
  private readonly generations = new Map<string, number>()
  // A Map iterates in insertion order; re-inserting on every read keeps the least recently used first.
  private readonly entries = new Map<string, Stored>()
  private chars = 0
  private readonly ttlMs: number
  private readonly maxChars: number
  private readonly now: () => number

  constructor(options: MemoryCacheStoreOptions) {
    this.ttlMs = options.ttlSeconds * 1000
    this.maxChars = options.maxChars ?? 32 * 1024 * 1024
    this.now = options.now ?? Date.now
  }

  async read(name: string, dependsOn: readonly string[]): Promise<{ slot: string; text: string | undefined }> {
    const slot = [name, ...dependsOn.map((scope) => this.generations.get(scope) ?? 0)].join('|')
    const stored = this.entries.get(slot)
    if (stored === undefined) return { slot, text: undefined }
    this.remove(slot, stored)
    if (stored.expiresAt <= this.now()) return { slot, text: undefined }
    this.add(slot, stored)
    return { slot, text: stored.text }
  }

  async write(slot: string, text: string): Promise<void> {
    const existing = this.entries.get(slot)
    if (existing !== undefined) this.remove(slot, existing)
    if (slot.length + text.length > this.maxChars) return
    this.add(slot, { text, expiresAt: this.now() + this.ttlMs })
    for (const [oldest, stored] of this.entries) {
      if (this.chars <= this.maxChars) break
      this.remove(oldest, stored)
    }
  }

  async bump(scopes: readonly string[]): Promise<void> {
    for (const scope of scopes) this.generations.set(scope, (this.generations.get(scope) ?? 0) + 1)
  }

  private add(slot: string, stored: Stored): void {
    this.entries.set(slot, stored)
    this.chars += slot.length + stored.text.length
  }

  private remove(slot: string, stored: Stored): void {
    this.entries.delete(slot)
    this.chars -= slot.length + stored.text.length
  }
}
