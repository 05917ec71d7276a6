import type { Logger } from '../logger.js'
import { slidingWindowDecision, type RateLimitDecision, type RateLimiter, type SlidingWindow } from '../rate-limit/rate-limiter.js'
import type { Counters } from '../metrics/counters.js'
import { LuaScript, type RedisConnection } from './redis-connection.js'
import { uniqueToken } from './unique-token.js'

/**
 * A sliding log in one atomic step: drop the client's requests that left the window, count the
 * rest, add this one if under the limit. The clock is Redis's own (TIME), so instances with
 * skewed clocks still share one window; ARGV[4] overrides it for tests of the window's edge.
 * Times are whole milliseconds, which Lua's doubles print exactly; a request stamped t counts until
 * now - t > window (it happened somewhere in [t, t + 1)), so an edge request never slips a
 * window's limit.
 * KEYS[1]: the client's log. ARGV: window ms, limit, a unique member, now ms or ''.
 */
const CONSUME = new LuaScript(`
local now = tonumber(ARGV[4])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - window))
local counted = redis.call('ZCARD', KEYS[1])
local allowed = 0
if counted < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  counted = counted + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], window + 1)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or now
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2] or now
return { allowed, counted, tonumber(oldest) + window + 1 - now, tonumber(newest) + window + 1 - now }
`)

/**
 * The rate limiter shared by every instance on one Redis. When Redis is unreachable it lets
 * requests through (the service degrades, it does not refuse), counts them as failed_open, and
 * warns once per outage.
 */
export class RedisRateLimiter implements RateLimiter {
  private failingOpen = false

  constructor(
    private readonly redis: RedisConnection,
    private readonly window: SlidingWindow & { name: string },
    private readonly counters: Counters,
    private readonly logger: Logger,
    private readonly now?: () => number,
  ) {}

  async consume(client: string): Promise<RateLimitDecision> {
    const { limit, windowMs, name } = this.window
    let reply: unknown
    try {
      reply = await this.redis.evalScript(
        CONSUME,
        [`${this.redis.keyPrefix}rate:${name}:${client}`],
        [String(windowMs), String(limit), uniqueToken(), this.now ? String(this.now()) : ''],
      )
    } catch (error) {
      this.counters.increment(name, 'failed_open')
      if (!this.failingOpen) this.logger.warn({ err: error, limiter: name }, 'rate limiter failing open: Redis unreachable')
      this.failingOpen = true
      return { allowed: true, limit, remaining: limit, resetSeconds: 0, retryAfterSeconds: 0 }
    }
    if (this.failingOpen) this.logger.info({ limiter: name }, 'rate limiter counting again')
    this.failingOpen = false
    const [allowed, counted, msUntilOldestLeaves, msUntilNewestLeaves] = reply as [number, number, number, number]
    return slidingWindowDecision(limit, { allowed: allowed === 1, counted, msUntilOldestLeaves, msUntilNewestLeaves })
  }
}
