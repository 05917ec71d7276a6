import { createHash } from 'node:crypto'
import type { Cache, CacheEntry } from './cache.js'
import type { Logger } from '../logger.js'
import type { Counters } from '../metrics/counters.js'
import type { CacheBackend, CacheRead } from './cache-backend.js'
import type { InvalidationFeed } from './invalidation-feed.js'
import type { Announcement, InvalidationRelay } from './invalidation-relay.js'
import { NearCache, type FillTicket } from './near-cache.js'
import { SingleFlight } from './single-flight.js'

const MAX_READABLE_KEY = 120

export interface ReadThroughCacheOptions {
  /** Pushes of every instance's invalidations: with it, hits are answered in process, without asking the backend. */
  feed?: InvalidationFeed
  /** Where an invalidation the backend missed is announced to the other instances. */
  relay?: InvalidationRelay
  /** Upper bound on the characters (encoded) the near cache holds. */
  nearMaxChars?: number
  /** How often invalidations the backend missed are tried again. */
  retryIntervalMs?: number
}

/**
 * The Cache port over any CacheBackend. Counts a hit, a miss or a skip (the backend failed, or the
 * entry depends on an invalidation the backend has not recorded yet) per namespace.
 *
 * Exactness: a slot is chosen from the generations read *before* loading, so a load that raced an
 * invalidation is stored under the generation that invalidation retired and is never read. A hit
 * in the near cache needs its scopes' local versions unchanged since its fill began, and a
 * current feed (every other instance's invalidations heard within the feed's lease).
 *
 * An invalidation the backend cannot record (Redis unreachable) is never lost: this process
 * bypasses the cache for the entries that depend on it, announces it through the relay (the other
 * instances then do the same) and retries on a timer until the backend has it. Each scope's
 * request carries a sequence number, so an older bump finishing never clears a newer request.
 */
export class ReadThroughCache implements Cache {
  private readonly flights = new SingleFlight()
  /** Scope → sequence number of its latest invalidation not yet in the backend. */
  private readonly unrecorded = new Map<string, number>()
  /** Announcements this process knows of, until the backend has their scopes. */
  private readonly announcements = new Map<number, readonly string[]>()
  private sequence = 0
  private retryTimer: NodeJS.Timeout | undefined
  private closed = false
  private readonly near: NearCache | undefined
  private readonly feed: InvalidationFeed | undefined
  private readonly relay: InvalidationRelay | undefined
  private readonly retryIntervalMs: number

  constructor(
    private readonly backend: CacheBackend,
    private readonly counters: Counters,
    private readonly logger: Logger,
    options: ReadThroughCacheOptions = {},
  ) {
    this.feed = options.feed
    this.relay = options.relay
    this.retryIntervalMs = options.retryIntervalMs ?? 200
    if (this.feed !== undefined) {
      const near = new NearCache(options.nearMaxChars ?? 32 * 1024 * 1024)
      this.near = near
      this.feed.listen({ invalidated: (scopes) => near.invalidate(scopes), reset: () => near.clear() })
    }
  }

  /** Starts the feed, and takes on the announcements made while this process was not listening (e.g. before it started). */
  async start(): Promise<void> {
    this.feed?.start()
    for (const announcement of (await this.relay?.unsettled()) ?? []) this.announced(announcement)
  }

  /** Stops the feed and the retries: what is still unrecorded stays announced for the other instances. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.retryTimer)
    this.retryTimer = undefined
    await this.feed?.close()
  }

  async getOrLoad<T>(entry: CacheEntry<T>, load: () => Promise<T>): Promise<T> {
    if (this.unrecorded.size > 0 && entry.dependsOn.some((scope) => this.unrecorded.has(scope))) return this.skip(entry, load)
    const name = `${entry.namespace}:${compact(entry.key)}`
    let ticket: FillTicket | undefined
    if (this.near !== undefined) {
      if (this.feed?.isCurrent()) {
        const value = this.near.get(name, entry.dependsOn)
        if (value !== undefined) {
          this.counters.increment(entry.namespace, 'hit')
          return value as T
        }
        ticket = this.near.ticket(entry.dependsOn)
      } else {
        this.near.clear()
      }
    }
    let found: CacheRead
    try {
      found = await this.backend.read(name, entry.dependsOn)
    } catch {
      this.counters.increment(entry.namespace, 'skip')
      return this.loadAndKeep(entry, name, ticket, load)
    }
    if (found.text !== undefined) {
      this.counters.increment(entry.namespace, 'hit')
      const value = entry.codec.decode(found.text)
      if (ticket !== undefined) this.near?.fill(name, entry.dependsOn, ticket, value, found.text.length, found.ttlMs)
      return value
    }
    this.counters.increment(entry.namespace, 'miss')
    return this.flights.run(found.slot, () => this.loadAndKeep(entry, name, ticket, load, found.slot))
  }

  /**
   * Loads, keeps the value in the near cache (its validity rests on the ticket and the feed, not
   * on the backend, so a backend that failed or is slow does not keep it out) and writes it to
   * the backend's slot when there is one.
   */
  private async loadAndKeep<T>(entry: CacheEntry<T>, name: string, ticket: FillTicket | undefined, load: () => Promise<T>, slot?: string): Promise<T> {
    const value = await load()
    if (ticket === undefined && slot === undefined) return value
    const text = entry.codec.encode(value)
    if (ticket !== undefined) this.near?.fill(name, entry.dependsOn, ticket, value, text.length, this.backend.ttlMs)
    // Not kept in the backend if this fails: the next read there loads again.
    if (slot !== undefined) await this.backend.write(slot, text).catch(() => undefined)
    return value
  }

  async invalidate(scopes: readonly string[]): Promise<void> {
    this.near?.invalidate(scopes)
    this.request(scopes)
    await this.record()
    if (!scopes.some((scope) => this.unrecorded.has(scope))) return
    this.logger.warn({ scopes }, 'cache invalidation not recorded (backend unreachable): announced through Postgres, retried until recorded')
    try {
      const announcement = await this.relay?.announce(scopes)
      if (announcement !== undefined) this.announcements.set(announcement.id, announcement.scopes)
    } catch (error) {
      this.logger.error({ err: error, scopes }, 'cache invalidation could not be announced either: other instances learn of it once the backend has it')
    }
  }

  /** Another instance announced an invalidation its backend missed: bypass, then record it here too. */
  announced(announcement: Announcement): void {
    this.near?.invalidate(announcement.scopes)
    this.request(announcement.scopes)
    this.announcements.set(announcement.id, announcement.scopes)
    void this.record()
  }

  /** Tries the unrecorded invalidations now (the backend just became reachable again). */
  async recordPending(): Promise<void> {
    await this.record()
  }

  private request(scopes: readonly string[]): void {
    this.sequence++
    for (const scope of scopes) this.unrecorded.set(scope, this.sequence)
  }

  private async record(): Promise<void> {
    const batch = [...this.unrecorded]
    if (batch.length > 0) {
      try {
        await this.backend.bump(batch.map(([scope]) => scope))
      } catch {
        if (!this.closed) this.retryTimer ??= setInterval(() => void this.record(), this.retryIntervalMs).unref()
        return
      }
      for (const [scope, sequence] of batch) if (this.unrecorded.get(scope) === sequence) this.unrecorded.delete(scope)
    }
    // Only a failed bump starts the timer, so its presence says these were missed before, not just written.
    if (this.unrecorded.size === 0 && this.retryTimer !== undefined) {
      clearInterval(this.retryTimer)
      this.retryTimer = undefined
      this.logger.info({}, 'missed cache invalidations recorded')
    }
    if (this.announcements.size > 0) await this.settleAnnouncements()
  }

  private async settleAnnouncements(): Promise<void> {
    const settled = [...this.announcements].filter(([, scopes]) => !scopes.some((scope) => this.unrecorded.has(scope))).map(([id]) => id)
    if (settled.length === 0) return
    for (const id of settled) this.announcements.delete(id)
    // Left in place if this fails: any instance that reads them later records them again (harmless).
    await this.relay?.settle(settled).catch(() => undefined)
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
