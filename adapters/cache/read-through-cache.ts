import { createHash } from 'node:crypto'
import type { Cache, CacheEntry } from './cache.js'
import type { Logger } from '../logger.js'
import type { Counters } from '../metrics/counters.js'
import type { CacheStore } from './cache-store.js'
import { SingleFlight } from './single-flight.js'

const MAX_READABLE_KEY = 120

/**
 * The Cache port over any CacheStore. Counts a hit, a miss or a skip (the store failed, or the
 * entry depends on an invalidation the store has not recorded yet) per namespace.
 *
 * Exactness: a slot is chosen from the generations read *before* loading, so a load that raced an
 * invalidation is stored under the generation that invalidation retired and is never read. An
 * invalidation the store could not record (Redis unreachable) is kept here and retried before
 * every read; until it is recorded, this process bypasses the cache for entries that depend on
 * it, so it never serves what it was told is stale.
 */
export class ReadThroughCache implements Cache {
  private readonly flights = new SingleFlight()
  private readonly unrecorded = new Set<string>()

  constructor(
    private readonly store: CacheStore,
    private readonly counters: Counters,
    private readonly logger: Logger,
  ) {}

  async getOrLoad<T>(entry: CacheEntry<T>, load: () => Promise<T>): Promise<T> {
    const pending = await this.retryInvalidations()
    if (entry.dependsOn.some((scope) => pending.has(scope))) return this.skip(entry, load)
    let found: { slot: string; text: string | undefined }
    try {
      found = await this.store.read(`${entry.namespace}:${compact(entry.key)}`, entry.dependsOn)
    } catch {
      return this.skip(entry, load)
    }
    if (found.text !== undefined) {
      this.counters.increment(entry.namespace, 'hit')
      return entry.codec.decode(found.text)
    }
    this.counters.increment(entry.namespace, 'miss')
    return this.flights.run(found.slot, async () => {
      const value = await load()
      await this.store.write(found.slot, entry.codec.encode(value)).catch(() => undefined)
      return value
    })
  }

  async invalidate(scopes: readonly string[]): Promise<void> {
    for (const scope of scopes) this.unrecorded.add(scope)
    const left = await this.record()
    if (scopes.some((scope) => left.has(scope))) {
      this.logger.warn({ scopes }, 'cache invalidation not recorded (store unreachable): entries depending on it bypass the cache here until it is')
    }
  }

  /** Retries the invalidations the store missed; resolves with those still unrecorded. */
  async retryInvalidations(): Promise<ReadonlySet<string>> {
    if (this.unrecorded.size === 0) return this.unrecorded
    const left = await this.record()
    if (left.size === 0) this.logger.info({}, 'missed cache invalidations recorded')
    return left
  }

  private async record(): Promise<ReadonlySet<string>> {
    const scopes = [...this.unrecorded]
    try {
      await this.store.bump(scopes)
      for (const scope of scopes) this.unrecorded.delete(scope)
    } catch {
      // Kept in `unrecorded`: the next read or reconnection tries again.
    }
    return this.unrecorded
  }

  private skip<T>(entry: CacheEntry<T>, load: () => Promise<T>): Promise<T> {
    this.counters.increment(entry.namespace, 'skip')
    return load()
  }
}

/** Short keys stay readable in Redis; long ones (free-text search criteria) become a fixed-size digest. */
function compact(key: string): string {
  return key.length <= MAX_READABLE_KEY ? key : `#${createHash('sha256').update(key).digest('base64url')}`
}
