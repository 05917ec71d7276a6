import { slidingWindowDecision, type RateLimitDecision, type RateLimiter, type SlidingWindow } from './rate-limiter.js'

/**
 * The in-process rate limiter used without REDIS_URL: per client, the times of the requests it
 * accepted within the window (a sliding log: exact at any instant, at most `limit` numbers each).
 * Clients idle for a whole window are forgotten, so memory follows the active clients only.
 */
export class MemoryRateLimiter implements RateLimiter {
  // Ordered by last request: the first client is the one idle longest.
  private readonly logs = new Map<string, number[]>()

  constructor(
    private readonly window: SlidingWindow,
    private readonly now: () => number = Date.now,
  ) {}

  async consume(client: string): Promise<RateLimitDecision> {
    const now = this.now()
    this.forgetIdleClients(now)
    const log = (this.logs.get(client) ?? []).filter((at) => at > now - this.window.windowMs)
    const allowed = log.length < this.window.limit
    if (allowed) log.push(now)
    this.logs.delete(client)
    this.logs.set(client, log)
    return slidingWindowDecision(this.window.limit, {
      allowed,
      counted: log.length,
      msUntilOldestLeaves: (log[0] ?? now) + this.window.windowMs - now,
      msUntilNewestLeaves: (log.at(-1) ?? now) + this.window.windowMs - now,
    })
  }

  private forgetIdleClients(now: number): void {
    for (const [client, log] of this.logs) {
      if ((log.at(-1) ?? -Infinity) > now - this.window.windowMs) return
      this.logs.delete(client)
    }
  }
}
