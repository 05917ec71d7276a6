interface Held<V> {
  value: V
  weight: number
  expiresAt: number
}

/**
 * A map bounded by the total weight of what it holds (callers weigh entries, e.g. in characters),
 * dropping the least recently used entries first, each entry also expiring at a time of its own.
 */
export class ExpiringLru<V> {
  // A Map iterates in insertion order; re-inserting on every read keeps the least recently used first.
  private readonly entries = new Map<string, Held<V>>()
  private weight = 0
  /** The key inserted last: reading it again needs no re-insertion (a hot key is read thousands of times a second). */
  private newest: string | undefined

  constructor(
    private readonly maxWeight: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size
  }

  /** The value and the milliseconds it has left, unless absent or expired. */
  get(key: string): { value: V; ttlMs: number } | undefined {
    const held = this.entries.get(key)
    if (held === undefined) return undefined
    const ttlMs = held.expiresAt - this.now()
    if (ttlMs <= 0) {
      this.remove(key, held)
      return undefined
    }
    if (key !== this.newest) {
      this.remove(key, held)
      this.add(key, held)
    }
    return { value: held.value, ttlMs }
  }

  set(key: string, value: V, weight: number, ttlMs: number): void {
    this.delete(key)
    if (weight > this.maxWeight || ttlMs <= 0) return
    this.add(key, { value, weight, expiresAt: this.now() + ttlMs })
    for (const [oldest, held] of this.entries) {
      if (this.weight <= this.maxWeight) break
      this.remove(oldest, held)
    }
  }

  delete(key: string): void {
    const held = this.entries.get(key)
    if (held !== undefined) this.remove(key, held)
  }

  clear(): void {
    this.entries.clear()
    this.weight = 0
  }

  private add(key: string, held: Held<V>): void {
    this.entries.set(key, held)
    this.newest = key
    this.weight += held.weight
  }

  private remove(key: string, held: Held<V>): void {
    this.entries.delete(key)
    this.weight -= held.weight
  }
}
