import { hashApiToken, isWellFormedApiToken, sameTokenHash } from '../../domain/access/api-token.js'
import type { Principal } from '../../domain/access/principal.js'
import type { Clock } from '../shared/clock.js'
import type { ApiKeys, StoredApiKey } from './ports/api-keys.js'

export type RejectionReason = 'malformed' | 'unknown' | 'expired' | 'revoked'

export type Authentication = { outcome: 'authenticated'; principal: Principal } | { outcome: 'rejected'; reason: RejectionReason }

export interface KeyCacheOptions {
  /**
   * How long a looked-up key is trusted without asking the database again. It bounds how long a
   * revocation takes to reach this instance, so it stays well under the contract's 5 s.
   */
  ttlMs: number
  /** Entries kept at most; the oldest lookup is dropped first. */
  maxEntries: number
  /** A key's last use is written at most once per this interval by this instance. */
  lastUseIntervalMs: number
}

export const DEFAULT_KEY_CACHE: KeyCacheOptions = { ttlMs: 2_000, maxEntries: 10_000, lastUseIntervalMs: 60_000 }

interface CachedLookup {
  key: Promise<StoredApiKey | null>
  /** When the lookup began: a revocation committed after it is seen once this entry is replaced. */
  fetchedAtMs: number
  refresh?: Promise<void>
}

/**
 * Who a bearer token belongs to. Lookups (including misses) are kept for `ttlMs` in this process,
 * so at steady state a request costs a hash and a map read, not a database round trip; concurrent
 * requests with one token share one lookup. No entry older than `ttlMs` is ever trusted, which is
 * what bounds how long a revoked key keeps working here.
 */
export class AuthenticateApiKey {
  private readonly lookups = new Map<string, CachedLookup>()
  private readonly lastUseRecordedMs = new Map<number, number>()

  constructor(
    private readonly keys: ApiKeys,
    private readonly clock: Clock,
    private readonly options: KeyCacheOptions = DEFAULT_KEY_CACHE,
  ) {}

  async execute(token: string): Promise<Authentication> {
    if (!isWellFormedApiToken(token)) return { outcome: 'rejected', reason: 'malformed' }
    const tokenHash = hashApiToken(token)
    const key = await this.lookup(tokenHash)
    if (key === null || !sameTokenHash(key.tokenHash, tokenHash)) return { outcome: 'rejected', reason: 'unknown' }
    const now = this.clock.now()
    if (key.revokedAt !== null && key.revokedAt <= now) return { outcome: 'rejected', reason: 'revoked' }
    if (key.expiresAt !== null && key.expiresAt <= now) return { outcome: 'rejected', reason: 'expired' }
    this.noteUse(key.id, now)
    return { outcome: 'authenticated', principal: { keyId: key.id, role: key.role, storeIds: key.storeIds } }
  }

  private lookup(tokenHash: Buffer): Promise<StoredApiKey | null> {
    const cacheKey = tokenHash.toString('base64')
    const nowMs = this.clock.now().getTime()
    const cached = this.lookups.get(cacheKey)
    if (cached === undefined || nowMs - cached.fetchedAtMs >= this.options.ttlMs) return this.fetch(cacheKey, tokenHash, nowMs)
    // Past half its life, a key in use is looked up again in the background, so requests at
    // steady state never wait for the database; one refresh at a time per key.
    if (cached.refresh === undefined && nowMs - cached.fetchedAtMs >= this.options.ttlMs / 2) {
      cached.refresh = this.keys.findByTokenHash(tokenHash).then(
        (key) => void this.remember(cacheKey, Promise.resolve(key), nowMs),
        () => (cached.refresh = undefined),
      )
    }
    return cached.key
  }

  private fetch(cacheKey: string, tokenHash: Buffer, nowMs: number): Promise<StoredApiKey | null> {
    const key = this.keys.findByTokenHash(tokenHash)
    this.remember(cacheKey, key, nowMs)
    // A failed lookup (database unreachable) is not remembered: the next request asks again.
    key.catch(() => {
      if (this.lookups.get(cacheKey)?.key === key) this.lookups.delete(cacheKey)
    })
    return key
  }

  private remember(cacheKey: string, key: Promise<StoredApiKey | null>, fetchedAtMs: number): void {
    this.lookups.delete(cacheKey)
    if (this.lookups.size >= this.options.maxEntries) this.lookups.delete(this.lookups.keys().next().value as string)
    this.lookups.set(cacheKey, { key, fetchedAtMs })
  }

  private noteUse(keyId: number, now: Date): void {
    const last = this.lastUseRecordedMs.get(keyId)
    if (last !== undefined && now.getTime() - last < this.options.lastUseIntervalMs) return
    this.lastUseRecordedMs.set(keyId, now.getTime())
    this.keys.recordUse(keyId, now)
  }
}
