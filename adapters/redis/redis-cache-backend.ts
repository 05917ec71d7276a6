import { setTimeout as sleep } from 'node:timers/promises'
import type { CacheBackend, CacheRead } from '../cache/cache-backend.js'
import type { Counters } from '../metrics/counters.js'
import { LuaScript, type RedisConnection } from './redis-connection.js'
import { RedisKeyLayout } from './redis-key-layout.js'
import { uniqueToken } from './unique-token.js'

/**
 * Reads the generations of an entry's scopes, the entry itself and its remaining life in one
 * round trip. A scope without a generation (never bumped, expired or evicted) gets the fresh one
 * passed in: a generation is never reused, so losing one hides old entries instead of bringing
 * them back. The entry key is built here from the generations read, so it is not among KEYS; it
 * starts with the same hash tag as they do (ARGV[1]), so it is always in the slot they declare.
 * KEYS: the generations, one slot group. ARGV: the entry key's start, a fresh generation, its TTL.
 */
const READ_ENTRY = new LuaScript(`
local parts = { ARGV[1] }
for _, key in ipairs(KEYS) do
  local generation = redis.call('GET', key)
  if not generation then
    generation = ARGV[2]
    redis.call('SET', key, generation, 'EX', ARGV[3])
  end
  parts[#parts + 1] = generation
end
local slot = table.concat(parts, '|')
local text = redis.call('GET', slot)
if not text then return { slot } end
return { slot, text, redis.call('PTTL', slot) }
`)

/**
 * Moves a slot group's generations on and tells the subscribers, atomically: the group's bump
 * counter goes up by one and leads the message, so a subscriber that missed a bump can tell.
 * Returns the count, and how long (ms) the writer must wait before it may answer: zero when the
 * message reached as many subscribers as there are listeners registered (RedisInvalidationFeed),
 * else until the last registered lease runs out, after which a listener that missed it has either
 * heard of the gap or stopped serving hits. It compares counts, not names: a subscriber that is
 * not a registered listener (its instance's heartbeats stopped) could stand in for one that missed
 * the bump; that takes two faults at once. KEYS[1]: the counter, KEYS[2]: the listeners,
 * KEYS[3..]: the generations. ARGV: the shard channel, the generations' TTL, the scopes
 * (space-separated), then one new generation per generation key.
 */
const BUMP = new LuaScript(`
local count = redis.call('INCR', KEYS[1])
for index = 3, #KEYS do
  redis.call('SET', KEYS[index], ARGV[index + 1], 'EX', ARGV[2])
end
local reached = redis.call('SPUBLISH', ARGV[1], count .. ' ' .. ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if reached >= redis.call('ZCARD', KEYS[2]) then return { count, 0 } end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
return { count, tonumber(last[2]) - now }
`)

/** Losing a generation only costs misses, so it may expire; a day makes that rare. */
const GENERATION_TTL_SECONDS = 86_400

/**
 * The CacheBackend shared by every instance: entries with a TTL, generations as unique tokens,
 * laid out by RedisKeyLayout so that it runs on one Redis and on a Redis Cluster alike.
 */
export class RedisCacheBackend implements CacheBackend {
  readonly ttlMs: number
  private readonly layout: RedisKeyLayout

  constructor(
    private readonly redis: RedisConnection,
    ttlSeconds: number,
    /** Counts each group's recorded bumps as heard or held. */
    private readonly invalidations?: Counters,
  ) {
    this.ttlMs = ttlSeconds * 1000
    this.layout = new RedisKeyLayout(redis.keyPrefix)
  }

  async read(name: string, dependsOn: readonly string[]): Promise<CacheRead> {
    const group = this.layout.homeOf(dependsOn)
    const reply = await this.redis.evalScript(
      READ_ENTRY,
      dependsOn.map((scope) => this.layout.generationKey(group, scope)),
      [this.layout.entryKey(group, name), uniqueToken(), String(GENERATION_TTL_SECONDS)],
    )
    const [slot, text, ttlMs] = reply as [string, string?, number?]
    return { slot, text, ttlMs: ttlMs ?? 0 }
  }

  async write(slot: string, text: string): Promise<void> {
    await this.redis.run((client) => client.set(slot, text, { expiration: { type: 'PX', value: this.ttlMs } }))
  }

  /**
   * One script per slot group the scopes live in, all in parallel. A bump counts only once the
   * node's replica has it too (WAIT, on a cluster): an acknowledged bump a failover lost would
   * bring old entries back. It resolves only once no process can serve a hit it made stale (the
   * script's wait). Any group failing fails the bump, which ReadThroughCache then announces
   * through Postgres and retries, so none is ever lost.
   */
  async bump(scopes: readonly string[]): Promise<void> {
    await Promise.all(
      [...this.layout.bumpsByGroup(scopes)].map(async ([group, groupScopes]) => {
        const counter = this.layout.bumpCounterKey(group)
        const [, unheardForMs] = (await this.redis.evalScript(
          BUMP,
          [counter, this.layout.listenersKey(group), ...groupScopes.map((scope) => this.layout.generationKey(group, scope))],
          [this.layout.invalidationChannel(group), String(GENERATION_TTL_SECONDS), groupScopes.join(' '), ...groupScopes.map(() => uniqueToken())],
        )) as [number, number]
        this.invalidations?.increment(group, unheardForMs > 0 ? 'held' : 'heard')
        await Promise.all([this.redis.waitForReplicas(counter), unheardForMs > 0 ? sleep(unheardForMs) : undefined])
      }),
    )
  }
}
