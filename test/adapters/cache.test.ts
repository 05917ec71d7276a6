import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { CacheEntry } from '../../adapters/cache/cache.js'
import type { CacheBackend } from '../../adapters/cache/cache-backend.js'
import { jsonCodec } from '../../adapters/cache/codecs.js'
import { ReadThroughCache } from '../../adapters/cache/read-through-cache.js'
import { MemoryCacheBackend } from '../../adapters/memory/memory-cache-backend.js'
import { Counters } from '../../adapters/metrics/counters.js'
import { RedisCacheBackend } from '../../adapters/redis/redis-cache-backend.js'
import type { RedisConnection } from '../../adapters/redis/redis-connection.js'
import { RedisKeyLayout } from '../../adapters/redis/redis-key-layout.js'
import { connectTestRedis, RecordingLogger } from '../support/redis.js'

const TTL_SECONDS = 300

function entry(key: string, dependsOn: string[] = ['catalog'], namespace = 'suggest'): CacheEntry<string> {
  return { namespace, key, dependsOn, codec: jsonCodec<string>() }
}

/** A load that counts its calls and answers what `value` says at the time it runs. */
function loader(value: () => string) {
  const load = async () => {
    load.calls++
    return value()
  }
  load.calls = 0
  return load
}

function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => (resolve = done))
  return { promise, resolve }
}

const connections: RedisConnection[] = []
/**
 * A connection with keys of its own, so that no two tests meet in Redis; patient, because these
 * tests are about what is cached, not about a slow Redis (a busy machine can stall one for 100 ms).
 */
async function freshRedis(): Promise<RedisConnection> {
  const redis = await connectTestRedis({ commandTimeoutMs: 2_000 })
  connections.push(redis)
  return redis
}
after(() => Promise.all(connections.map((redis) => redis.close())))

const backends: [string, () => Promise<CacheBackend>][] = [
  ['memory', async () => new MemoryCacheBackend({ ttlSeconds: TTL_SECONDS })],
  ['redis', async () => new RedisCacheBackend(await freshRedis(), TTL_SECONDS)],
]

for (const [name, makeBackend] of backends) {
  describe(`read-through cache over the ${name} backend`, () => {
    const makeCache = async () => {
      const counters = new Counters()
      return { cache: new ReadThroughCache(await makeBackend(), counters, new RecordingLogger()), counters }
    }

    test('a second read of an entry is a hit and does not load again', async () => {
      const { cache, counters } = await makeCache()
      const load = loader(() => 'Laptop')

      const first = await cache.getOrLoad(entry('lap'), load)
      const second = await cache.getOrLoad(entry('lap'), load)

      assert.deepEqual([first, second, load.calls], ['Laptop', 'Laptop', 1])
      assert.deepEqual(counters.snapshot(), { suggest: { miss: 1, hit: 1 } })
    })

    test('entries differing only in key or namespace are kept apart', async () => {
      const { cache } = await makeCache()

      await cache.getOrLoad(entry('lap'), async () => 'a')
      const otherKey = await cache.getOrLoad(entry('lamp'), async () => 'b')
      const otherNamespace = await cache.getOrLoad(entry('lap', ['catalog'], 'search'), async () => 'c')

      assert.deepEqual([otherKey, otherNamespace], ['b', 'c'])
    })

    test('invalidating a scope hides the entries that depend on it and only those', async () => {
      const { cache } = await makeCache()
      let version = 'old'
      const storeOne = loader(() => `one ${version}`)
      const storeTwo = loader(() => `two ${version}`)
      await cache.getOrLoad(entry('inv', ['catalog', 'stock:1']), storeOne)
      await cache.getOrLoad(entry('inv2', ['catalog', 'stock:2']), storeTwo)
      version = 'new'

      await cache.invalidate(['stock:1'])

      assert.equal(await cache.getOrLoad(entry('inv', ['catalog', 'stock:1']), storeOne), 'one new')
      assert.equal(await cache.getOrLoad(entry('inv2', ['catalog', 'stock:2']), storeTwo), 'two old')
      await cache.invalidate(['catalog'])
      assert.equal(await cache.getOrLoad(entry('inv2', ['catalog', 'stock:2']), storeTwo), 'two new')
    })

    test('a load that began before an invalidation is never served after it', async () => {
      const { cache } = await makeCache()
      const gate = deferred<string>()
      const slowOldRead = cache.getOrLoad(entry('lap'), () => gate.promise)
      await new Promise((resolve) => setTimeout(resolve, 20))

      await cache.invalidate(['catalog'])
      gate.resolve('old title')
      await slowOldRead
      const afterwards = await cache.getOrLoad(entry('lap'), async () => 'new title')

      assert.equal(afterwards, 'new title')
    })

    test('concurrent misses for one entry load it once', async () => {
      const { cache } = await makeCache()
      const gate = deferred<string>()
      let calls = 0
      const load = () => {
        calls++
        return gate.promise
      }

      const reads = Array.from({ length: 5 }, () => cache.getOrLoad(entry('lap'), load))
      await new Promise((resolve) => setTimeout(resolve, 20))
      gate.resolve('Laptop')

      assert.deepEqual(await Promise.all(reads), Array(5).fill('Laptop'))
      assert.equal(calls, 1)
    })

    test('a failing load reaches the caller and is not cached', async () => {
      const { cache } = await makeCache()

      await assert.rejects(
        cache.getOrLoad(entry('lap'), async () => Promise.reject(new Error('store missing'))),
        /store missing/,
      )
      const retried = await cache.getOrLoad(entry('lap'), async () => 'Laptop')

      assert.equal(retried, 'Laptop')
    })
  })
}

describe('invalidations the backend misses', () => {
  /** The real in-process backend, with bumps that fail or wait on demand. */
  function faultyBackend() {
    const inner = new MemoryCacheBackend({ ttlSeconds: TTL_SECONDS })
    const faults: (() => Promise<void>)[] = []
    const backend: CacheBackend = {
      ttlMs: inner.ttlMs,
      read: (name, dependsOn) => inner.read(name, dependsOn),
      write: (slot, text) => inner.write(slot, text),
      bump: async (scopes) => {
        await faults.shift()?.()
        await inner.bump(scopes)
      },
    }
    return { backend, faults }
  }

  test('an older bump finishing late does not clear a newer invalidation the backend missed', async () => {
    const { backend, faults } = faultyBackend()
    const counters = new Counters()
    const cache = new ReadThroughCache(backend, counters, new RecordingLogger(), { retryIntervalMs: 60_000 })
    let version = 'old'
    await cache.getOrLoad(entry('lap'), async () => version)
    const slowBump = deferred<void>()
    faults.push(
      () => slowBump.promise,
      () => Promise.reject(new Error('unreachable')),
    )

    const older = cache.invalidate(['catalog'])
    await cache.invalidate(['catalog'])
    version = 'new'
    slowBump.resolve()
    await older
    const read = await cache.getOrLoad(entry('lap'), async () => version)

    assert.equal(read, 'new')
    assert.deepEqual(counters.snapshot().suggest, { miss: 1, skip: 1 })
    await cache.close()
  })

  test('a missed invalidation is retried on a timer until the backend has it, with no read needed', async () => {
    const { backend, faults } = faultyBackend()
    const counters = new Counters()
    const cache = new ReadThroughCache(backend, counters, new RecordingLogger(), { retryIntervalMs: 10 })
    await cache.getOrLoad(entry('lap'), async () => 'old')
    faults.push(() => Promise.reject(new Error('unreachable')))

    await cache.invalidate(['catalog'])
    await new Promise((resolve) => setTimeout(resolve, 100))
    const fromBackend = await backend.read('suggest:lap', ['catalog'])

    assert.equal(fromBackend.text, undefined, 'the old entry is unreachable in the backend')
    await cache.close()
  })
})

describe('memory cache backend', () => {
  test('an entry expires after the TTL', async () => {
    let now = 0
    const cache = new ReadThroughCache(new MemoryCacheBackend({ ttlSeconds: 10, now: () => now }), new Counters(), new RecordingLogger())
    await cache.getOrLoad(entry('lap'), async () => 'old')

    now = 9_999
    const beforeExpiry = await cache.getOrLoad(entry('lap'), async () => 'new')
    now = 10_000
    const atExpiry = await cache.getOrLoad(entry('lap'), async () => 'new')

    assert.deepEqual([beforeExpiry, atExpiry], ['old', 'new'])
  })

  test('beyond its size bound it drops the least recently used entries', async () => {
    // Each entry takes 28 characters (slot and JSON text): room for two, not three.
    const cache = new ReadThroughCache(new MemoryCacheBackend({ ttlSeconds: 60, maxChars: 60 }), new Counters(), new RecordingLogger())
    const value = (key: string) => async () => `value of ${key} ....`
    await cache.getOrLoad(entry('a'), value('a'))
    await cache.getOrLoad(entry('b'), value('b'))
    await cache.getOrLoad(entry('a'), value('a'))

    await cache.getOrLoad(entry('c'), value('c'))

    const reloaded: string[] = []
    // b last: reloading it evicts again.
    for (const key of ['a', 'c', 'b']) {
      await cache.getOrLoad(entry(key), async () => {
        reloaded.push(key)
        return 'reloaded'
      })
    }
    assert.deepEqual(reloaded, ['b'])
  })
})

describe('redis cache backend', () => {
  let redis: RedisConnection
  before(async () => {
    redis = await freshRedis()
  })

  test('entries are written with the configured TTL', async () => {
    const backend = new RedisCacheBackend(redis, 42)
    const { slot } = await backend.read('suggest:lap', ['catalog'])

    await backend.write(slot, '"Laptop"')

    const ttl = await redis.client.ttl(slot)
    assert.ok(ttl > 40 && ttl <= 42, `TTL ${ttl}`)
  })

  test('a lost generation hides the older entries instead of bringing them back', async () => {
    const cache = new ReadThroughCache(new RedisCacheBackend(redis, TTL_SECONDS), new Counters(), new RecordingLogger())
    await cache.getOrLoad(entry('lap'), async () => 'first')
    await cache.invalidate(['catalog'])
    await cache.getOrLoad(entry('lap'), async () => 'second')

    const layout = new RedisKeyLayout(redis.keyPrefix)
    await redis.client.del(layout.generationKey(layout.homeOf(['catalog']), 'catalog'))
    const afterLoss = await cache.getOrLoad(entry('lap'), async () => 'third')

    assert.equal(afterLoss, 'third')
  })
})
