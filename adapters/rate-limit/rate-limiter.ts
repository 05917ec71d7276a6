export interface RateLimitDecision {
  allowed: boolean
  limit: number
  /** Requests still allowed now, after this one. */
  remaining: number
  /** Whole seconds until the client's whole budget is available again (0: it is). */
  resetSeconds: number
  /** Whole seconds until a refused client may succeed again; 0 when allowed. */
  retryAfterSeconds: number
}

/**
 * Counts requests per client over a sliding window: never more than `limit` allowed in any window.
 * Never throws: when its backend is unreachable it allows the request (fails open).
 */
/** At most `limit` requests in any span of `windowMs`. */
export interface SlidingWindow {
  limit: number
  windowMs: number
}

export interface RateLimiter {
  consume(client: string): Promise<RateLimitDecision>
  /**
   * The same, made at once when it needs no I/O (tokens of a lease held here); undefined, having
   * counted nothing, when it does: then consume. Spares a busy client's request a promise.
   */
  consumeNow?(client: string): RateLimitDecision | undefined
}

/** A decision from what a sliding log knows: requests counted in the window and when its oldest and newest leave it. */
export function slidingWindowDecision(
  limit: number,
  log: { allowed: boolean; counted: number; msUntilOldestLeaves: number; msUntilNewestLeaves: number },
): RateLimitDecision {
  const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))
  return {
    allowed: log.allowed,
    limit,
    remaining: Math.max(0, limit - log.counted),
    resetSeconds: seconds(log.msUntilNewestLeaves),
    retryAfterSeconds: log.allowed ? 0 : Math.max(1, seconds(log.msUntilOldestLeaves)),
  }
}
