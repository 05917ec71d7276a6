import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { CATALOG_SCOPE, ANY_STOCK_SCOPE, stockScope } from '../../adapters/cache/cache-scopes.js'
import { RedisCacheBackend } from '../../adapters/redis/redis-cache-backend.js'
import { type LuaScript, RedisConnection } from '../../adapters/redis/redis-connection.js'
import { RedisKeyLayout, STORE_SLOT_GROUPS } from '../../adapters/redis/redis-key-layout.js'
import { RedisInvalidationFeed } from '../../adapters/redis/redis-invalidation-feed.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { eventually } from '../support/eventually.js'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import type { InventoryItemView, PageEnvelope } from '../support/http-bodies.js'
import { buildTestApp } from '../support/http-app.js'
import { command, startRedisCluster, type LocalRedisCluster } from '../support/redis-cluster.js'
import { RecordingLogger, uniqueKeyPrefix } from '../support/redis.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

/**
 * One Redis Cluster (3 masters, 1 replica each, private processes) for the whole file: the key
 * layout, the other Redis test files run again over it, and failovers, in that order (the last
 * ones move masters around).
 */
let cluster: LocalRedisCluster
const connections: RedisConnection[] = []

async function connect(): Promise<RedisConnection> {
  const redis = new RedisConnection({ clusterNodes: cluster.seedNodes, logger: new RecordingLogger(), keyPrefix: uniqueKeyPrefix(), commandTimeoutMs: 2_000 })
  await redis.start()
  connections.push(redis)
  return redis
}

before(async () => {
  cluster = await startRedisCluster()
})
after(async () => {
  for (const redis of connections) await redis.close()
  await cluster?.stop()
})

const slotOf = async (key: string) => Number(await command(cluster.nodes[0]?.port as number, ['CLUSTER', 'KEYSLOT', key]))

/** The scopes each cached view depends on, and each invalidation bumps (adapters/cache). */
const STORES = Array.from({ length: 2 * STORE_SLOT_GROUPS }, (_, n) => n + 1)
const VIEWS = [[CATALOG_SCOPE], [CATALOG_SCOPE, ANY_STOCK_SCOPE], ...STORES.map((store) => [CATALOG_SCOPE, stockScope(store)])]
const INVALIDATIONS = [[CATALOG_SCOPE], ...STORES.map((store) => [stockScope(store), ANY_STOCK_SCOPE])]

describe('key layout on a cluster', () => {
  test("every script's keys, the entry it builds and the channel it publishes on hash to one slot", async () => {
    const redis = await connect()
    const scripts: { keys: string[]; alsoTouches: string[] }[] = []
    const evalScript = redis.evalScript.bind(redis)
    redis.evalScript = (script: LuaScript, keys: string[], args: string[]) => {
      // READ_ENTRY builds the entry key from ARGV[1]; BUMP publishes on ARGV[1]; both are slot-bound like a key.
      scripts.push({ keys, alsoTouches: [args[0] as string] })
      return evalScript(script, keys, args)
    }
    const backend = new RedisCacheBackend(redis, 60)

    for (const dependsOn of VIEWS) {
      const { slot } = await backend.read(`inventory:${dependsOn.join(',')}`, dependsOn)
      await backend.write(slot, '"filled"')
      assert.equal((await backend.read(`inventory:${dependsOn.join(',')}`, dependsOn)).text, '"filled"')
    }
    for (const scopes of INVALIDATIONS) await backend.bump(scopes)

    assert.ok(scripts.length >= 2 * VIEWS.length + INVALIDATIONS.length)
    for (const { keys, alsoTouches } of scripts) {
      const slots = new Set(await Promise.all([...keys, ...alsoTouches].map(slotOf)))
      assert.equal(slots.size, 1, `${[...keys, ...alsoTouches].join(' ')} span slots ${[...slots].join(', ')}`)
    }
  })

  test('stock views of different stores land on different slots, spread over every master', async () => {
    const layout = new RedisKeyLayout('aforro:')
    const entryKeys = STORES.slice(0, STORE_SLOT_GROUPS).map((store) => layout.entryKey(layout.homeOf([CATALOG_SCOPE, stockScope(store)]), 'inventory:1:50'))

    const slots = new Set(await Promise.all(entryKeys.map(slotOf)))
    const masters = new Set(await Promise.all(entryKeys.map(async (key) => (await cluster.shardOf(key)).master)))

    assert.equal(slots.size, STORE_SLOT_GROUPS)
    assert.equal(masters.size, 3)
  })
})

describe('the Redis test files, again over the cluster', () => {
  const files = ['adapters/cache.test.js', 'adapters/rate-limiter.test.js', 'http/cache-and-rate-limit.test.js', 'http/catalog.test.js']

  test(`${files.join(', ')} pass with the cluster as their Redis`, async () => {
    const dist = fileURLToPath(new URL('../', import.meta.url))
    const result = await promisify(execFile)(
      process.execPath,
      ['--enable-source-maps', '--test', '--test-reporter=tap', ...files.map((file) => `${dist}${file}`)],
      {
        // Without NODE_TEST_CONTEXT, which would make the child report to this runner instead of printing.
        env: { ...process.env, NODE_TEST_CONTEXT: undefined, TEST_REDIS_CLUSTER_NODES: cluster.seedNodes.join(',') },
        maxBuffer: 1 << 26,
      },
    ).catch((error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }))

    const failed = /^# fail (\d+)/m.exec(result.stdout)?.[1]
    assert.equal(failed, '0', result.stdout.slice(-6_000))
    assert.ok(Number(/^# pass (\d+)/m.exec(result.stdout)?.[1]) > 30, result.stdout.slice(-2_000))
  })
})

describe('a master failing over', () => {
  let db: TestDatabase
  let admin: TestKey
  let storeId: number
  let lamp: number
  let writer: FastifyInstance
  let reader: FastifyInstance
  /** The key of the slot group the store's views and stock generation live in. */
  let storeGroupKey: string

  before(async () => {
    db = await createTestDatabase()
    ;[lamp] = (await addProducts(db.pool, [{ title: 'Brass Lamp' }])) as [number]
    storeId = await addStore(db.pool)
    await stock(db.pool, storeId, { [lamp]: 5 })
    admin = await adminKey(db.pool)
    const env = { REDIS_CLUSTER_NODES: cluster.seedNodes.join(',') }
    writer = await buildTestApp(db, env)
    reader = await buildTestApp(db, env)
    const layout = new RedisKeyLayout('')
    storeGroupKey = layout.bumpCounterKey(layout.homeOf([stockScope(storeId)]))
  })
  after(async () => {
    await writer?.close()
    await reader?.close()
    await db?.close()
  })

  async function quantityOn(app: FastifyInstance): Promise<number | undefined> {
    const response = await app.inject({ method: 'GET', url: `/stores/${storeId}/inventory/` })
    assert.equal(response.statusCode, 200, response.body)
    return response.json<PageEnvelope<InventoryItemView>>().results.find((row) => row.product_id === lamp)?.quantity
  }

  async function restock(quantity: number): Promise<void> {
    const response = await writer.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/${lamp}/`, payload: { quantity }, headers: admin.headers })
    assert.equal(response.statusCode, 200, response.body)
  }

  /** Reads through both instances until both have the level cached again (from Redis and in process). */
  async function cachedEverywhere(quantity: number): Promise<void> {
    for (const app of [writer, reader]) {
      await eventually('Redis to be reachable from the instance', async () =>
        (await app.inject({ url: '/health/ready' })).json<{ checks: { redis: string } }>().checks.redis === 'ok' ? true : undefined,
      )
      assert.equal(await quantityOn(app), quantity)
      assert.equal(await quantityOn(app), quantity)
    }
  }

  /** Reads on both instances while `during` runs, and once after: every read must show `quantity`. */
  async function neverOlderThan(quantity: number, during: () => Promise<unknown>): Promise<void> {
    const seen = new Set<number | undefined>()
    let done = false
    const reading = (async () => {
      for (let read = 0; read < 2_000 && !done; read++) {
        for (const app of [writer, reader]) seen.add(await quantityOn(app))
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    await during()
    done = true
    await reading
    await cachedEverywhere(quantity)
    assert.deepEqual([...seen], [quantity])
  }

  test('a restock, then its master replaced by its replica: no instance shows the old level', async () => {
    await cachedEverywhere(5)

    await restock(7)

    await neverOlderThan(7, () => cluster.failOver(storeGroupKey))
  })

  test('a restock its master acknowledged but could not copy to its replica before dying: still never the old level', async () => {
    await cachedEverywhere(7)
    const { master, replica } = await cluster.shardOf(storeGroupKey)
    assert.ok(replica !== undefined)
    // Stopped, and cut off (what it had received but not applied would survive a mere SIGSTOP in its socket).
    cluster.pause(replica)
    await command(master, ['CLIENT', 'KILL', 'TYPE', 'replica'])

    await restock(9)

    await neverOlderThan(9, async () => {
      await cluster.kill(master)
      cluster.resume(replica)
      // The replica is promoted once the other masters see its master fail (node timeout: 1 s);
      // the dead master comes back as its replica, so that bumps are acknowledged again.
      await eventually('the replica to be promoted', async () => ((await cluster.shardOf(storeGroupKey)).master === replica ? true : undefined))
      await cluster.revive(master)
      await cluster.settled()
    })
  })
})

describe('the invalidation feed on a cluster', () => {
  test('a bump this process did not hear (its subscriber was elsewhere) resets the near cache before the feed counts as current again', async () => {
    const redis = await connect()
    const feed = new RedisInvalidationFeed(redis, { heartbeatMs: 20, leaseMs: 400 })
    let resets = 0
    feed.listen({ invalidated: () => undefined, reset: () => resets++ })
    feed.start()
    try {
      await eventually('the feed to be current', async () => (feed.isCurrent() ? true : undefined))
      const resetsBefore = resets
      // A bump whose message never reaches the subscriber: the counter moves, nothing is published.
      const layout = new RedisKeyLayout(redis.keyPrefix)
      await redis.run((client) => client.incr(layout.bumpCounterKey(layout.homeOf([stockScope(3)]))))

      await eventually('a reset', async () => (resets > resetsBefore ? true : undefined))
      await eventually('the feed to be current again', async () => (feed.isCurrent() ? true : undefined))
    } finally {
      await feed.close()
    }
  })
})
