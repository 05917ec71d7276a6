import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../logger.js'
import { slidingWindowDecision, type RateLimitDecision, type RateLimiter, type SlidingWindow } from '../rate-limit/rate-limiter.js'
import type { Counters } from '../metrics/counters.js'
import { LuaScript, type RedisConnection } from './redis-connection.js'
import { uniqueToken } from './unique-token.js'

/** How long an instance may hand out the tokens of one lease, on its own clock. */
export const LEASE_USE_MS = 400
/** A lease's tokens are stamped this much after Redis granted them: past any use, which ends LEASE_USE_MS after the instance asked. */
const LEASE_STAMP_MS = LEASE_USE_MS + 100
/** Clients whose budget this instance remembers (request rate, open lease) at once. */
const MAX_TRACKED_CLIENTS = 100_000
/** A client unseen this long is forgotten: its next request starts again with single tokens. */
const FORGET_IDLE_MS = 10_000
/** Weight of the newest gap in a client's mean gap between requests. */
const GAP_WEIGHT = 0.25

/**
 * A sliding log in one atomic step, where one entry may stand for several requests. Entries are
 * `count:id`; a lease still open on the instance that holds it is `count:id:o`.
 *
 * First it settles the caller's previous lease, if any (ARGV[7]): the open entry becomes `used:id`,
 * stamped at ARGV[9], no earlier than its last use; unused tokens are given back. Then it drops
 * entries that left the window, counts the rest and grants up to ARGV[3] tokens: one is stamped now
 * (used at once, as a plain request); more are one open entry stamped LEASE_STAMP_MS ahead, after
 * any moment the holder may use them, so every window that contains a use counts it.
 *
 * The clock is Redis's own (TIME), so instances with skewed clocks still share one window; ARGV[6]
 * overrides it for tests of the window's edge. Times are whole milliseconds; an entry stamped t
 * counts until now - t > window (its requests happened before t + 1), so an edge request never
 * slips a window's limit.
 *
 * Returns granted, counted (after the grant), ms until the oldest and the newest entry leave, now,
 * and ms until the latest lease still open elsewhere ends (0 if none): until then a refusal may be
 * due to tokens another instance will give back.
 *
 * KEYS[1]: the client's log. ARGV: window ms, limit, tokens wanted, lease id, lease stamp ms,
 * now ms or '', entry to settle or '', its used count, its stamp.
 */
const LEASE = new LuaScript(`
local now = tonumber(ARGV[6])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local window = tonumber(ARGV[1])
if ARGV[7] ~= '' and redis.call('ZSCORE', KEYS[1], ARGV[7]) then
  redis.call('ZREM', KEYS[1], ARGV[7])
  local used = tonumber(ARGV[8])
  if used > 0 then
    redis.call('ZADD', KEYS[1], ARGV[9], used .. ':' .. string.match(ARGV[7], '^%d+:(.*):o$'))
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - window))
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local counted = 0
local openUntil = now
for index = 1, #entries, 2 do
  local entry = entries[index]
  counted = counted + (tonumber(string.match(entry, '^(%d+):')) or 1)
  local stamp = tonumber(entries[index + 1])
  if string.sub(entry, -2) == ':o' and stamp > openUntil then openUntil = stamp end
end
local granted = math.max(0, math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) - counted))
if granted == 1 then
  redis.call('ZADD', KEYS[1], now, '1:' .. ARGV[4])
elseif granted > 1 then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), granted .. ':' .. ARGV[4] .. ':o')
end
counted = counted + granted
redis.call('PEXPIRE', KEYS[1], window + tonumber(ARGV[5]) + 1)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or now
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2] or now
return { granted, counted, tonumber(oldest) + window + 1 - now, tonumber(newest) + window + 1 - now, now, openUntil - now }
`)

type LeaseReply = [granted: number, counted: number, msUntilOldestLeaves: number, msUntilNewestLeaves: number, redisNow: number, msUntilOpenLeasesEnd: number]

/** Tokens of a client's budget this instance holds: its Redis entry is open until settled. */
interface Lease {
  entry: string
  left: number
  used: number
  /** Redis's clock when it granted the lease, and this instance's when it asked for it. */
  grantedAt: number
  askedAt: number
  lastUseAt: number
  usableUntil: number
  /** Requests counted in Redis right after the grant, this lease's included. */
  counted: number
  /** This instance's clock when the budget is whole again, as far as the grant knew. */
  wholeAt: number
}

interface ClientBudget {
  lease: Lease | undefined
  renewal: Promise<RateLimitDecision> | undefined
  lastSeen: number
  meanGapMs: number
}

/**
 * The rate limiter shared by every instance on one Redis: never more than the limit in any window
 * per client, across instances. A client seen once in a while costs one script call per request,
 * exactly as a plain sliding log; a busy client gets a lease of several tokens in one call, sized to
 * what it used lately (about LEASE_USE_MS worth, at most a tenth of the limit), spent locally
 * without a round trip. Its entry is stamped after the lease's end, so the log is only ever
 * conservative, and settled on the client's next call (or when the lease ends): the used tokens are
 * re-stamped at their last use and the unused given back. An instance refused while another holds
 * an open lease waits for that lease to end (at most LEASE_STAMP_MS) and asks once more, so a
 * client under its limit is not refused for tokens nobody will use.
 *
 * When Redis is unreachable it lets requests through (the service degrades, it does not refuse),
 * counts them as failed_open, and warns once per outage.
 */
export class RedisRateLimiter implements RateLimiter {
  private failingOpen = false
  private readonly clients = new Map<string, ClientBudget>()
  /** The client whose request came last: the newest entry of `clients`. */
  private lastClient: string | undefined
  private readonly clock: () => number
  private readonly maxBatch: number

  constructor(
    private readonly redis: RedisConnection,
    private readonly window: SlidingWindow & { name: string },
    private readonly counters: Counters,
    private readonly logger: Logger,
    /** Overrides Redis's clock and this instance's, for tests of the window's edge. */
    private readonly now?: () => number,
  ) {
    this.clock = now ?? (() => performance.now())
    this.maxBatch = Math.max(1, Math.floor(window.limit / 10))
  }

  consumeNow(client: string): RateLimitDecision | undefined {
    const budget = this.clients.get(client)
    // Nothing is counted unless a token is spent: consume then does the whole work.
    if (budget === undefined || budget.renewal !== undefined || !this.hasUsableLease(budget)) return undefined
    this.seen(client, budget)
    return this.spendLeased(budget)
  }

  async consume(client: string): Promise<RateLimitDecision> {
    const budget = this.budgetOf(client)
    // Requests arriving while a renewal is in flight share its tokens instead of each asking Redis.
    for (let waited = 0; budget.renewal !== undefined && waited < 3; waited++) await budget.renewal.catch(() => undefined)
    const spent = this.spendLeased(budget)
    if (spent !== undefined) return spent
    const renewal = this.renew(client, budget)
    budget.renewal = renewal
    try {
      return await renewal
    } finally {
      if (budget.renewal === renewal) budget.renewal = undefined
    }
  }

  private budgetOf(client: string): ClientBudget {
    const budget = this.clients.get(client)
    if (budget !== undefined) {
      this.seen(client, budget)
      return budget
    }
    const now = this.clock()
    this.forgetIdleClients(now)
    const added: ClientBudget = { lease: undefined, renewal: undefined, lastSeen: now, meanGapMs: Infinity }
    this.clients.set(client, added)
    this.lastClient = client
    return added
  }

  /** A request of a known client: its mean gap between requests, and its place as the client seen last. */
  private seen(client: string, budget: ClientBudget): void {
    const now = this.clock()
    const gap = Math.max(0, now - budget.lastSeen)
    budget.meanGapMs = budget.meanGapMs === Infinity ? gap : budget.meanGapMs + GAP_WEIGHT * (gap - budget.meanGapMs)
    budget.lastSeen = now
    // Kept in order of last request, so that the first entries are the idle ones; the client seen
    // last is already in place (a busy client is, thousands of times a second).
    if (client !== this.lastClient) {
      this.clients.delete(client)
      this.clients.set(client, budget)
      this.lastClient = client
    }
  }

  private forgetIdleClients(now: number): void {
    for (const [client, budget] of this.clients) {
      if (this.clients.size < MAX_TRACKED_CLIENTS && now - budget.lastSeen <= FORGET_IDLE_MS) return
      this.clients.delete(client)
      this.settle(client, budget)
    }
  }

  private hasUsableLease(budget: ClientBudget): boolean {
    const lease = budget.lease
    return lease !== undefined && lease.left > 0 && this.clock() < lease.usableUntil
  }

  private spendLeased(budget: ClientBudget): RateLimitDecision | undefined {
    const lease = budget.lease
    const now = this.clock()
    if (lease === undefined || lease.left === 0 || now >= lease.usableUntil) return undefined
    lease.left--
    lease.used++
    lease.lastUseAt = now
    const { limit } = this.window
    return {
      allowed: true,
      limit,
      remaining: Math.max(0, limit - lease.counted + lease.left),
      resetSeconds: Math.max(0, Math.ceil((lease.wholeAt - now) / 1000)),
      retryAfterSeconds: 0,
    }
  }

  /** Settles the client's previous lease and asks for new tokens in one call; the caller spends the first. */
  private async renew(client: string, budget: ClientBudget): Promise<RateLimitDecision> {
    const { limit, name } = this.window
    const wanted = Math.min(this.maxBatch, Math.max(1, Math.floor(LEASE_USE_MS / budget.meanGapMs)))
    let reply: LeaseReply
    let askedAt: number
    let id: string
    try {
      askedAt = this.clock()
      id = uniqueToken()
      reply = await this.callLease(client, wanted, id, this.takeSettlement(budget))
      if (reply[0] === 0 && reply[5] > 0) {
        await sleep(reply[5])
        askedAt = this.clock()
        id = uniqueToken()
        reply = await this.callLease(client, wanted, id, undefined)
      }
    } catch (error) {
      this.counters.increment(name, 'failed_open')
      if (!this.failingOpen) this.logger.warn({ err: error, limiter: name }, 'rate limiter failing open: Redis unreachable')
      this.failingOpen = true
      return { allowed: true, limit, remaining: limit, resetSeconds: 0, retryAfterSeconds: 0 }
    }
    if (this.failingOpen) this.logger.info({ limiter: name }, 'rate limiter counting again')
    this.failingOpen = false
    const [granted, counted, msUntilOldestLeaves, msUntilNewestLeaves, redisNow] = reply
    if (granted > 1) {
      const lease: Lease = {
        entry: `${granted}:${id}:o`,
        left: granted - 1,
        used: 1,
        grantedAt: redisNow,
        askedAt,
        lastUseAt: askedAt,
        usableUntil: askedAt + LEASE_USE_MS,
        counted,
        wholeAt: this.clock() + msUntilNewestLeaves,
      }
      // A renewal that ran alongside this one may have left a lease: it is settled, never dropped open.
      this.settle(client, budget)
      budget.lease = lease
      setTimeout(() => this.endLease(client, budget, lease), LEASE_USE_MS).unref()
    }
    const decision = slidingWindowDecision(limit, { allowed: granted > 0, counted, msUntilOldestLeaves, msUntilNewestLeaves })
    return { ...decision, remaining: Math.max(0, limit - counted + Math.max(0, granted - 1)) }
  }

  private callLease(client: string, wanted: number, id: string, settlement: Settlement | undefined): Promise<LeaseReply> {
    const { limit, windowMs, name } = this.window
    return this.redis.evalScript(
      LEASE,
      [`${this.redis.keyPrefix}rate:${name}:${client}`],
      [
        String(windowMs),
        String(limit),
        String(wanted),
        id,
        String(LEASE_STAMP_MS),
        this.now ? String(this.now()) : '',
        settlement?.entry ?? '',
        String(settlement?.used ?? 0),
        String(settlement?.stamp ?? 0),
      ],
    ) as Promise<LeaseReply>
  }

  /** The client's open lease, taken off it to be settled in the next call to Redis. */
  private takeSettlement(budget: ClientBudget): Settlement | undefined {
    const lease = budget.lease
    if (lease === undefined) return undefined
    budget.lease = undefined
    // The last use happened at most lastUseAt - askedAt after Redis granted the lease (it was asked before).
    return { entry: lease.entry, used: lease.used, stamp: lease.grantedAt + Math.ceil(lease.lastUseAt - lease.askedAt) }
  }

  private endLease(client: string, budget: ClientBudget, lease: Lease): void {
    if (budget.lease !== lease) return
    this.settle(client, budget)
  }

  /** Settles the client's open lease now, in a call that asks for nothing; if it fails, the unused tokens count until the window passes them. */
  private settle(client: string, budget: ClientBudget): void {
    const settlement = this.takeSettlement(budget)
    if (settlement !== undefined) this.callLease(client, 0, '', settlement).catch(() => undefined)
  }
}

interface Settlement {
  entry: string
  used: number
  stamp: number
}
