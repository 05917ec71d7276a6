import type { CacheBackend, CacheRead } from '../cache/cache-backend.js'
import { LuaScript, type RedisConnection } from './redis-connection.js'
import { uniqueToken } from './unique-token.js'

/**
 * Reads the generations of an entry's scopes, the entry itself and its remaining life in one
 * round trip. A scope without a generation (never bumped, expired or evicted) gets the fresh one
 * passed in: a generation is never reused, so losing one hides old entries instead of bringing
 * them back. The entry key is built here from the generations read, so it is not among KEYS:
 * fine on one Redis, not meant for Redis Cluster.
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

/** Losing a generation only costs misses, so it may expire; a day makes that rare. */
const GENERATION_TTL_SECONDS = 86_400

/** The channel every bump is published on (scopes separated by spaces), for the near caches of every instance. */
export function invalidationChannel(redis: RedisConnection): string {
  return `${redis.keyPrefix}invalidated`
}

/** The CacheBackend shared by every instance: entries with a TTL, generations as unique tokens. */
export class RedisCacheBackend implements CacheBackend {
  readonly ttlMs: number

  constructor(
    private readonly redis: RedisConnection,
    ttlSeconds: number,
  ) {
    this.ttlMs = ttlSeconds * 1000
  }

  async read(name: string, dependsOn: readonly string[]): Promise<CacheRead> {
    const reply = await this.redis.evalScript(
      READ_ENTRY,
      dependsOn.map((scope) => this.generationKey(scope)),
      [`${this.redis.keyPrefix}cache:${name}`, uniqueToken(), String(GENERATION_TTL_SECONDS)],
    )
    const [slot, text, ttlMs] = reply as [string, string?, number?]
    return { slot, text, ttlMs: ttlMs ?? 0 }
  }

  async write(slot: string, text: string): Promise<void> {
    await this.redis.run((client) => client.set(slot, text, { expiration: { type: 'PX', value: this.ttlMs } }))
  }

  async bump(scopes: readonly string[]): Promise<void> {
    // One transaction, one round trip: every scope moves on together (or none does), and the
    // other instances' near caches hear of it in the same step.
    await this.redis.run((client) => {
      const transaction = client.multi()
      for (const scope of scopes) {
        transaction.set(this.generationKey(scope), uniqueToken(), { expiration: { type: 'EX', value: GENERATION_TTL_SECONDS } })
      }
      transaction.publish(invalidationChannel(this.redis), scopes.join(' '))
      return transaction.exec()
    })
  }

  private generationKey(scope: string): string {
    return `${this.redis.keyPrefix}generation:${scope}`
  }
}
