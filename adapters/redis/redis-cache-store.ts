import { randomBytes } from 'node:crypto'
import type { CacheStore } from '../cache/cache-store.js'
import { LuaScript, type RedisConnection } from './redis-connection.js'

/**
 * Reads the generations of an entry's scopes and the entry itself in one round trip. A scope
 * without a generation (never bumped, expired or evicted) gets the fresh one passed in: a
 * generation is never reused, so losing one hides old entries instead of bringing them back.
 * The entry key is built here from the generations read, so it is not among KEYS: fine on one
 * Redis, not meant for Redis Cluster.
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
return { slot, redis.call('GET', slot) }
`)

/** Losing a generation only costs misses, so it may expire; a day makes that rare. */
const GENERATION_TTL_SECONDS = 86_400

function freshGeneration(): string {
  return randomBytes(9).toString('base64url')
}

/** The CacheStore shared by every instance: entries with a TTL, generations as random tokens. */
export class RedisCacheStore implements CacheStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly ttlSeconds: number,
  ) {}

  async read(name: string, dependsOn: readonly string[]): Promise<{ slot: string; text: string | undefined }> {
    const reply = await this.redis.evalScript(
      READ_ENTRY,
      dependsOn.map((scope) => this.generationKey(scope)),
      [`${this.redis.keyPrefix}cache:${name}`, freshGeneration(), String(GENERATION_TTL_SECONDS)],
    )
    const [slot, text] = reply as [string, string | null]
    return { slot, text: text ?? undefined }
  }

  async write(slot: string, text: string): Promise<void> {
    await this.redis.run((client) => client.set(slot, text, { expiration: { type: 'EX', value: this.ttlSeconds } }))
  }

  async bump(scopes: readonly string[]): Promise<void> {
    // One transaction: every scope moves on together, or none does.
    await this.redis.run((client) => {
      const transaction = client.multi()
      for (const scope of scopes) {
        transaction.set(this.generationKey(scope), freshGeneration(), { expiration: { type: 'EX', value: GENERATION_TTL_SECONDS } })
      }
      return transaction.exec()
    })
  }

  private generationKey(scope: string): string {
    return `${this.redis.keyPrefix}generation:${scope}`
  }
}
