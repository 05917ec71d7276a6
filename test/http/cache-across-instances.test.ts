import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { createClient } from 'redis'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import type { InventoryItemView, PageEnvelope } from '../support/http-bodies.js'
import { buildTestApp } from '../support/http-app.js'
import { eventually } from '../support/eventually.js'
import { freePort, startRedisServer } from '../support/services.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

/**
 * Instances of one deployment (apps of this process share their Redis keys) on a private
 * redis-server, which the tests hang with SIGSTOP. The contract: an invalidation is never lost to
 * a Redis fault; the other instances stop serving the old value within one second of the
 * writer's response, and the writer keeps retrying until Redis has it.
 */
const CONTRACT_BOUND_MS = 1_000

let db: TestDatabase
let redis: Awaited<ReturnType<typeof startRedisServer>>
let storeId: number
let lamp: number
let admin: TestKey
const apps: FastifyInstance[] = []

async function instance(): Promise<FastifyInstance> {
  const app = await buildTestApp(db, { REDIS_URL: redis.url })
  apps.push(app)
  return app
}

before(async () => {
  db = await createTestDatabase()
  redis = await startRedisServer(await freePort())
  ;[lamp] = (await addProducts(db.pool, [{ title: 'Brass Lamp' }])) as [number]
  storeId = await addStore(db.pool)
  await stock(db.pool, storeId, { [lamp]: 5 })
  admin = await adminKey(db.pool)
})
after(async () => {
  if (redis.process.exitCode === null) redis.process.kill('SIGCONT')
  for (const app of apps) await app.close()
  await redis.stop()
  await db.close()
})

async function quantityOn(app: FastifyInstance): Promise<number> {
  const response = await app.inject({ method: 'GET', url: `/stores/${storeId}/inventory/` })
  assert.equal(response.statusCode, 200, response.body)
  return response.json<PageEnvelope<InventoryItemView>>().results.find((row) => row.product_id === lamp)?.quantity as number
}

async function restock(app: FastifyInstance, quantity: number): Promise<void> {
  const response = await app.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/${lamp}/`, payload: { quantity }, headers: admin.headers })
  assert.equal(response.statusCode, 200, response.body)
}

/** Waits (bounded by the contract's second, from now) for `app` to show `quantity`. */
async function showsWithinBound(app: FastifyInstance, quantity: number): Promise<void> {
  await eventually(`the other instance to show ${quantity}`, async () => ((await quantityOn(app)) === quantity ? true : undefined), CONTRACT_BOUND_MS)
}

/** Waits until `app` reaches Redis again (its breaker closed after an earlier hang), then reads twice: once to fill, once from the cache. */
async function warm(app: FastifyInstance): Promise<number> {
  await eventually('the instance to reach Redis', async () =>
    (await app.inject({ url: '/health/ready' })).json<{ checks: { redis: string } }>().checks.redis === 'ok' ? true : undefined,
  )
  await quantityOn(app)
  return quantityOn(app)
}

async function unsettledAnnouncements(): Promise<number> {
  const { rows } = await db.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM cache_invalidations')
  return rows[0]?.count ?? 0
}

async function redisCommandsProcessed(): Promise<number> {
  const client = createClient({ url: redis.url })
  await client.connect()
  try {
    const stats = await client.info('stats')
    return Number(/total_commands_processed:(\d+)/.exec(stats)?.[1])
  } finally {
    client.destroy()
  }
}

describe('two instances on one Redis', () => {
  let a: FastifyInstance
  let b: FastifyInstance
  before(async () => {
    a = await instance()
    b = await instance()
  })

  /**
   * Hangs Redis, restocks through `writer` (after a read that times out and opens its breaker, so
   * its bump is refused without being sent), checks that `b` stops serving the old level within
   * the bound, runs `beforeResume`, then resumes Redis.
   */
  async function restockWhileRedisHangs(writer: FastifyInstance, quantity: number, beforeResume?: () => Promise<void>): Promise<void> {
    redis.process.kill('SIGSTOP')
    await quantityOn(writer)
    await restock(writer, quantity)
    await showsWithinBound(b, quantity)
    await beforeResume?.()
    redis.process.kill('SIGCONT')
  }

  /** Right after Redis resumes `b` still shows `quantity`; once Redis has the bump, so does an instance that never heard of the write. */
  async function everyInstanceShows(quantity: number): Promise<void> {
    assert.equal(await quantityOn(b), quantity, 'still the new level right after Redis resumes')
    await eventually('an instance to record the invalidation in Redis', async () => ((await unsettledAnnouncements()) === 0 ? true : undefined))
    const late = await instance()
    assert.equal(await quantityOn(late), quantity, 'an instance that never heard of the write reads the new level from Redis')
  }

  test('a repeated read is answered in process, without a Redis round trip per request', async () => {
    await quantityOn(b)
    await quantityOn(b)

    // Heartbeats and the INFO calls go on meanwhile, and a starved machine can let the feed's lease
    // lapse for a while (reads then ask Redis, as they should): the best of a few tries of 50 reads.
    const commandsPerTry: number[] = []
    for (let attempt = 0; attempt < 5 && !commandsPerTry.some((count) => count < 25); attempt++) {
      const before = await redisCommandsProcessed()
      for (let read = 0; read < 50; read++) await quantityOn(b)
      commandsPerTry.push((await redisCommandsProcessed()) - before)
    }

    assert.ok(
      commandsPerTry.some((count) => count < 25),
      `Redis commands per 50 cached reads: ${commandsPerTry.join(', ')}`,
    )
  })

  test('a restock on one instance reaches the other instance’s in-process entries', async () => {
    assert.equal(await quantityOn(b), 5)

    await restock(a, 6)

    await showsWithinBound(b, 6)
  })

  test('Redis hung around a restock: the other instance stops serving the old level within a second; once Redis resumes, every instance shows the new one', async () => {
    assert.equal(await warm(b), 6)

    await restockWhileRedisHangs(a, 40)

    await everyInstanceShows(40)
  })

  test('the same with the writer gone before Redis returns: the other instance records the invalidation itself', async () => {
    const writer = await instance()
    assert.equal(await warm(writer), 40)
    assert.equal(await warm(b), 40)

    await restockWhileRedisHangs(writer, 41, async () => {
      await writer.close()
      apps.splice(apps.indexOf(writer), 1)
    })

    await everyInstanceShows(41)
  })

  test('a writer cut off from Redis while the others reach it: they hear of the write through Postgres and record it in Redis for it', async () => {
    const cutOff = await buildTestApp(db, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` })
    apps.push(cutOff)
    const current = await warm(b)
    const late = await instance()
    assert.equal(await warm(late), current)

    await restock(cutOff, current + 1)

    await showsWithinBound(b, current + 1)
    await eventually('another instance to record the invalidation in Redis', async () => ((await unsettledAnnouncements()) === 0 ? true : undefined))
    assert.equal(await quantityOn(late), current + 1)
  })
})
