import { ExpiringLru } from './expiring-lru.js'

/** What a near cache knew when a fill began; the fill is kept only if nothing changed since. */
export interface FillTicket {
  epoch: number
  versions: number[]
}

interface NearEntry {
  value: unknown
  versions: number[]
}

/**
 * Decoded values kept in the process, in front of the shared backend. Each scope has a local
 * version, raised by every invalidation this process hears of; an entry remembers the versions
 * of its scopes when its fill began and is served only while they are unchanged. `clear` starts a
 * new epoch, so a fill begun before it is dropped too. Values are frozen: every hit shares one.
 */
export class NearCache {
  private readonly versions = new Map<string, number>()
  private readonly entries: ExpiringLru<NearEntry>
  private epoch = 0

  constructor(maxChars: number, now?: () => number) {
    this.entries = new ExpiringLru(maxChars, now)
  }

  get(name: string, dependsOn: readonly string[]): unknown {
    const entry = this.entries.get(name)?.value
    if (entry === undefined) return undefined
    for (let index = 0; index < dependsOn.length; index++) {
      if (entry.versions[index] !== (this.versions.get(dependsOn[index] as string) ?? 0)) {
        this.entries.delete(name)
        return undefined
      }
    }
    return entry.value
  }

  ticket(dependsOn: readonly string[]): FillTicket {
    return { epoch: this.epoch, versions: dependsOn.map((scope) => this.versions.get(scope) ?? 0) }
  }

  /** Keeps `value` (whose encoding is `size` characters) for at most `ttlMs`, unless the ticket is stale. */
  fill(name: string, dependsOn: readonly string[], ticket: FillTicket, value: unknown, size: number, ttlMs: number): void {
    if (ticket.epoch !== this.epoch) return
    if (dependsOn.some((scope, index) => ticket.versions[index] !== (this.versions.get(scope) ?? 0))) return
    this.entries.set(name, { value: deepFreeze(value), versions: ticket.versions }, name.length + size, ttlMs)
  }

  invalidate(scopes: readonly string[]): void {
    for (const scope of scopes) this.versions.set(scope, (this.versions.get(scope) ?? 0) + 1)
  }

  clear(): void {
    this.epoch++
    if (this.entries.size > 0) this.entries.clear()
  }
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || value instanceof Date) return value
  for (const field of Object.values(value)) deepFreeze(field)
  return Object.freeze(value)
}
