import { slidingWindowDecision, type RateLimitDecision, type RateLimiter, type SlidingWindow } from './rate-limiter.js'

/** Clients tracked at once by default: about 200 bytes each at the default limit of 20. */
export const DEFAULT_MAX_CLIENTS = 100_000

/**
 * The in-process rate limiter used without REDIS_URL: per client, the times of the requests it
 * accepted within the window (a sliding log: exact at any instant, at most `limit` numbers each).
 * Clients idle for a whole window are forgotten, so memory follows the active clients only, and
 * it never tracks more than `maxClients`: past that, the client idle longest is forgotten (and
 * starts again with a whole budget) — a flood of addresses costs bounded memory, not the process.
 */
export class MemoryRateLimiter implements RateLimiter {
  // Ordered by last request: the first client is the one idle longest.
  private readonly logs = new Map<string, number[]>()

  constructor(
    private readonly window: SlidingWindow,
    private readonly now: () => number = Date.now,
    private readonly maxClients = DEFAULT_MAX_CLIENTS,
  ) {}

  async consume(client: string): Promise<RateLimitDecision> {
    const now = this.now()
    this.forgetIdleClients(now)
    const log = (this.logs.get(client) ?? []).filter((at) => !hasLeftWindow(at, now, this.window.windowMs))
    const allowed = log.length < this.window.limit
    if (allowed) log.push(now)
    this.logs.delete(client)
    if (this.logs.size >= this.maxClients) this.logs.delete(this.logs.keys().next().value as string)
    this.logs.set(client, log)
    return slidingWindowDecision(this.window.limit, {
      allowed,
      counted: log.length,
      msUntilOldestLeaves: msUntilLeaves(log[0] ?? now, now, this.window.windowMs),
      msUntilNewestLeaves: msUntilLeaves(log.at(-1) ?? now, now, this.window.windowMs),
    })
  }

  private forgetIdleClients(now: number): void {
    for (const [client, log] of this.logs) {
      if (!hasLeftWindow(log.at(-1) ?? -Infinity, now, this.window.windowMs)) return
      this.logs.delete(client)
    }
  }
}

/**
 * Times are whole milliseconds, so a request stamped `at` happened somewhere in [at, at + 1): it
 * has surely left a window of `windowMs` only once `now - at > windowMs`. Counting it until then
 * keeps any span of `windowMs` to the limit, an edge request included.
 */
function hasLeftWindow(at: number, now: number, windowMs: number): boolean {
  return now - at > windowMs
}

function msUntilLeaves(at: number, now: number, windowMs: number): number {
  return at + windowMs + 1 - now
}
