import type { CacheBackend, CacheRead } from '../cache/cache-backend.js'
import { ExpiringLru } from '../cache/expiring-lru.js'

export interface MemoryCacheBackendOptions {
  ttlSeconds: number
  /** Upper bound on the characters held (keys and values); least recently used entries go first. */
  maxChars?: number
  now?: () => number
}

/**
 * The in-process CacheBackend used without REDIS_URL: an LRU map bounded by size, entries expiring
 * after the TTL, generations as counters that only grow. Serves one process only.
 */
export class MemoryCacheBackend implements CacheBackend {
  private readonly generations = new Map<string, number>()
  private readonly entries: ExpiringLru<string>
  readonly ttlMs: number

  constructor(options: MemoryCacheBackendOptions) {
    this.ttlMs = options.ttlSeconds * 1000
    this.entries = new ExpiringLru(options.maxChars ?? 32 * 1024 * 1024, options.now)
  }

  async read(name: string, dependsOn: readonly string[]): Promise<CacheRead> {
    const slot = [name, ...dependsOn.map((scope) => this.generations.get(scope) ?? 0)].join('|')
    const held = this.entries.get(slot)
    return held === undefined ? { slot, text: undefined, ttlMs: 0 } : { slot, text: held.value, ttlMs: held.ttlMs }
  }

  async write(slot: string, text: string): Promise<void> {
    this.entries.set(slot, text, slot.length + text.length, this.ttlMs)
  }

  async bump(scopes: readonly string[]): Promise<void> {
    for (const scope of scopes) this.generations.set(scope, (this.generations.get(scope) ?? 0) + 1)
  }
}
