import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { CacheEntry } from '../../adapters/cache/cache.js'
import { jsonCodec } from '../../adapters/cache/codecs.js'
import { ReadThroughCache } from '../../adapters/cache/read-through-cache.js'
import { Counters } from '../../adapters/metrics/counters.js'
import { RedisCacheBackend } from '../../adapters/redis/redis-cache-backend.js'
import { RedisConnection, type RedisClient } from '../../adapters/redis/redis-connection.js'
import { RedisHealthProbe } from '../../adapters/redis/redis-health-probe.js'
import { RedisInvalidationFeed } from '../../adapters/redis/redis-invalidation-feed.js'
import { RedisRateLimiter } from '../../adapters/redis/redis-rate-limiter.js'
import { eventually } from '../support/eventually.js'
import { RecordingLogger } from '../support/redis.js'
import { freePort, startRedisServer } from '../support/services.js'

const titles = (key: string): CacheEntry<string> => ({ namespace: 'suggest', key, dependsOn: ['catalog'], codec: jsonCodec<string>() })

let port: number
let server: Awaited<ReturnType<typeof startRedisServer>>
let redis: RedisConnection
let logger: RecordingLogger
let cache: ReadThroughCache
let counters: Counters
let limiter: RedisRateLimiter
let probe: RedisHealthProbe

before(async () => {
  port = await freePort()
  server = await startRedisServer(port)
  logger = new RecordingLogger()
  redis = new RedisConnection({ url: server.url, logger, keyPrefix: 'outage:' })
  await redis.start()
  counters = new Counters()
  cache = new ReadThroughCache(new RedisCacheBackend(redis, 300), counters, logger)
  limiter = new RedisRateLimiter(redis, { limit: 20, windowMs: 60_000, name: 'suggest' }, new Counters(), logger)
  probe = new RedisHealthProbe(redis)
})
after(async () => {
  await redis.close()
  await server.stop()
})

describe('Redis stopped mid-run', () => {
  test('reads load from the source, readiness says down, the limiter lets requests through and warns', async () => {
    await cache.getOrLoad(titles('lap'), async () => 'Laptop')
    assert.equal(await probe.check(), 'ok')

    await server.stop()
    const loaded = await cache.getOrLoad(titles('lap'), async () => 'from Postgres')
    const status = await probe.check()
    const decision = await limiter.consume('10.0.0.1')

    assert.equal(loaded, 'from Postgres')
    assert.equal(status, 'down')
    assert.equal(decision.allowed, true)
    assert.ok(
      logger.warnings().some((message) => message.startsWith('rate limiter failing open')),
      logger.warnings().join('; '),
    )
  })

  test('a restarted Redis is picked up by itself and caching resumes', async () => {
    server = await startRedisServer(port)

    await eventually('readiness to see Redis again', async () => ((await probe.check()) === 'ok' ? true : undefined))
    await cache.getOrLoad(titles('lap'), async () => 'Laptop')
    const second = await cache.getOrLoad(titles('lap'), async () => 'not from the cache')

    assert.equal(second, 'Laptop')
    assert.equal((await limiter.consume('10.0.0.1')).remaining, 19)
  })
})

describe('Redis hung (stopped with SIGSTOP: connected, never answering)', () => {
  test("after the cooldown a request's command is still refused at once: only the background trial waits on Redis", async () => {
    const hung = new RedisConnection({ url: server.url, logger, keyPrefix: 'outage-trial:', cooldownMs: 50 })
    await hung.start()
    server.process.kill('SIGSTOP')
    try {
      await assert.rejects(
        hung.run((client) => client.ping()),
        /no answer within/,
      )
      await new Promise((resolve) => setTimeout(resolve, 200))

      await assert.rejects(
        hung.run((client) => client.ping()),
        /recent failure/,
      )
    } finally {
      server.process.kill('SIGCONT')
    }
    await eventually('the background trial to close the breaker', async () => (hung.available ? true : undefined))
    assert.equal(await hung.run((client) => client.ping()), 'PONG')
    await hung.close()
  })

  test('commands give up instead of waiting, and an invalidation missed meanwhile is applied before the cache is read again', async () => {
    await cache.getOrLoad(titles('desk'), async () => 'old title')
    server.process.kill('SIGSTOP')
    // This read times out; from then on commands are refused without being sent, so the
    // invalidation below never reaches Redis, not even once Redis resumes.
    const firstDuringOutage = await cache.getOrLoad(titles('desk'), async () => 'old title')

    await cache.invalidate(['catalog'])
    const duringOutage = await cache.getOrLoad(titles('desk'), async () => 'new title')
    const statusDuring = await probe.check()
    server.process.kill('SIGCONT')
    await eventually('Redis to answer again', async () => ((await probe.check()) === 'ok' ? true : undefined))
    const afterOutage = await cache.getOrLoad(titles('desk'), async () => 'new title')

    assert.equal(firstDuringOutage, 'old title')
    assert.equal(duringOutage, 'new title')
    assert.equal(statusDuring, 'down')
    assert.equal(afterOutage, 'new title')
    assert.ok((counters.snapshot().suggest?.skip ?? 0) > 0)
  })
})

describe('the invalidation feed behind the near cache', () => {
  test('a bump a listening instance did not hear holds its writer until that instance can no longer serve what it made stale', async () => {
    const readerRedis = new RedisConnection({ url: server.url, logger, keyPrefix: 'outage-unheard:' })
    await readerRedis.start()
    // The reader's subscription to bumps is gone without a sign, as when node-redis moves a channel
    // whose slot changed node, while its heartbeats still come back on theirs.
    const openSubscriber = readerRedis.openSubscriber.bind(readerRedis)
    readerRedis.openSubscriber = (interrupted) => {
      const subscriber = openSubscriber(interrupted)
      return {
        subscribe: (channel, listener) => (channel.endsWith(':invalidated') ? Promise.resolve() : subscriber.subscribe(channel, listener)),
        destroy: () => subscriber.destroy(),
      }
    }
    const writerRedis = new RedisConnection({ url: server.url, logger, keyPrefix: 'outage-unheard:' })
    await writerRedis.start()
    const readerFeed = new RedisInvalidationFeed(readerRedis, { heartbeatMs: 300, leaseMs: 1_500 })
    const reader = new ReadThroughCache(new RedisCacheBackend(readerRedis, 300), new Counters(), logger, { feed: readerFeed })
    const invalidations = new Counters()
    const writer = new ReadThroughCache(new RedisCacheBackend(writerRedis, 300, invalidations), new Counters(), logger, {
      feed: new RedisInvalidationFeed(writerRedis, { heartbeatMs: 20, leaseMs: 200 }),
    })
    await reader.start()
    await writer.start()
    try {
      await eventually('the reader to serve from its process', async () => (readerFeed.isCurrent() ? true : undefined))
      await reader.getOrLoad(titles('lamp'), async () => 'Brass Lamp')

      await writer.invalidate(['catalog'])
      const afterTheWrite = await reader.getOrLoad(titles('lamp'), async () => 'Copper Lamp')

      assert.equal(afterTheWrite, 'Copper Lamp')
      assert.equal(invalidations.snapshot().shared?.held, 1, JSON.stringify(invalidations.snapshot()))
    } finally {
      await reader.close()
      await writer.close()
      await readerRedis.close()
      await writerRedis.close()
    }
  })

  test('stops counting as current within its lease when Redis hangs or drops its subscription, and resets its listeners before counting again', async () => {
    const feed = new RedisInvalidationFeed(redis, { heartbeatMs: 20, leaseMs: 200 })
    let resets = 0
    feed.listen({ invalidated: () => undefined, reset: () => resets++ })
    feed.start()
    const current = () => eventually('the feed to be current', async () => (feed.isCurrent() ? true : undefined))
    try {
      await current()
      const resetsBeforeHang = resets
      server.process.kill('SIGSTOP')
      await new Promise((resolve) => setTimeout(resolve, 400))
      const currentDuringHang = feed.isCurrent()
      server.process.kill('SIGCONT')
      await current()
      const resetsAfterHang = resets

      await redis.run((client) => (client as RedisClient).sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']))
      await eventually('a reset for the lost subscription', async () => (resets > resetsAfterHang ? true : undefined))
      await current()

      assert.equal(currentDuringHang, false)
      assert.ok(resetsAfterHang > resetsBeforeHang)
    } finally {
      if (server.process.exitCode === null) server.process.kill('SIGCONT')
      await feed.close()
    }
  })
})
