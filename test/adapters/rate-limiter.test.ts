import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RateLimiter } from '../../adapters/rate-limit/rate-limiter.js'
import { clientOf } from '../../adapters/http/rate-limit-hook.js'
import { MemoryRateLimiter } from '../../adapters/rate-limit/memory-rate-limiter.js'
import { Counters } from '../../adapters/metrics/counters.js'
import type { RedisConnection } from '../../adapters/redis/redis-connection.js'
import { LEASE_USE_MS, RedisRateLimiter } from '../../adapters/redis/redis-rate-limiter.js'
import { connectTestRedis, RecordingLogger } from '../support/redis.js'

const WINDOW = { limit: 20, windowMs: 60_000 }

const connections: RedisConnection[] = []
after(() => Promise.all(connections.map((redis) => redis.close())))

type Clock = { now: number }

const limiters: [string, (clock: Clock) => Promise<RateLimiter>][] = [
  ['memory', async (clock) => new MemoryRateLimiter(WINDOW, () => clock.now)],
  [
    'redis',
    async (clock) => {
      const redis = await connectTestRedis()
      connections.push(redis)
      return new RedisRateLimiter(redis, { ...WINDOW, name: 'suggest' }, new Counters(), new RecordingLogger(), () => clock.now)
    },
  ],
]

/** Sends `count` requests from `client` at the clock's current time; answers how many were allowed. */
async function burst(limiter: RateLimiter, client: string, count: number): Promise<number> {
  let allowed = 0
  for (let i = 0; i < count; i++) if ((await limiter.consume(client)).allowed) allowed++
  return allowed
}

const T0 = 1_700_000_000_000

for (const [name, makeLimiter] of limiters) {
  describe(`sliding-log rate limiter (${name})`, () => {
    test('allows 20 requests in a minute and refuses the 21st with when to retry', async () => {
      const clock = { now: T0 }
      const limiter = await makeLimiter(clock)
      const first = await limiter.consume('10.0.0.1')
      clock.now += 10_000
      await burst(limiter, '10.0.0.1', 19)
      clock.now += 5_000

      const refused = await limiter.consume('10.0.0.1')

      // The first request leaves the window after 60.001 s (see the edge test): whole seconds round up.
      assert.deepEqual(first, { allowed: true, limit: 20, remaining: 19, resetSeconds: 61, retryAfterSeconds: 0 })
      assert.deepEqual(refused, { allowed: false, limit: 20, remaining: 0, resetSeconds: 56, retryAfterSeconds: 46 })
    })

    test('never allows more than the limit across a minute boundary (a fixed window would allow 40)', async () => {
      const clock = { now: T0 + 59_000 }
      const limiter = await makeLimiter(clock)
      const beforeEdge = await burst(limiter, '10.0.0.2', 20)

      clock.now = T0 + 61_000
      const justAfterEdge = await burst(limiter, '10.0.0.2', 20)
      clock.now = T0 + 89_000
      const halfWindowLater = await burst(limiter, '10.0.0.2', 20)
      clock.now = T0 + 119_000
      const lastMillisecond = await burst(limiter, '10.0.0.2', 1)
      clock.now = T0 + 119_001
      const windowLater = await burst(limiter, '10.0.0.2', 25)

      assert.deepEqual([beforeEdge, justAfterEdge, halfWindowLater, lastMillisecond, windowLater], [20, 0, 0, 0, 20])
    })

    test('frees one slot as each accepted request leaves the window', async () => {
      const clock = { now: T0 }
      const limiter = await makeLimiter(clock)
      for (let i = 0; i < 20; i++) {
        await limiter.consume('10.0.0.3')
        clock.now += 1_000
      }

      clock.now = T0 + 60_001
      const oneFreed = await burst(limiter, '10.0.0.3', 3)
      clock.now = T0 + 62_001
      const twoMoreFreed = await burst(limiter, '10.0.0.3', 3)

      assert.deepEqual([oneFreed, twoMoreFreed], [1, 2])
    })

    test('refused requests do not use up the budget', async () => {
      const clock = { now: T0 }
      const limiter = await makeLimiter(clock)
      await burst(limiter, '10.0.0.4', 20)
      clock.now += 30_000
      await burst(limiter, '10.0.0.4', 50)

      clock.now = T0 + 60_001
      const afterWindow = await burst(limiter, '10.0.0.4', 20)

      assert.equal(afterWindow, 20)
    })

    test('the window edge is exclusive: a request exactly one window after another still counts with it', async () => {
      // Stamps are whole milliseconds: T0 may be T0.9 in truth, so T0 + 60 000 may be 59 999.1 ms later.
      const clock = { now: T0 }
      const limiter = await makeLimiter(clock)
      await burst(limiter, '10.0.0.7', 20)

      clock.now = T0 + 60_000
      const atTheEdge = await burst(limiter, '10.0.0.7', 1)
      clock.now = T0 + 60_001
      const pastTheEdge = await burst(limiter, '10.0.0.7', 25)

      assert.deepEqual([atTheEdge, pastTheEdge], [0, 20])
    })

    test('each client has a budget of its own', async () => {
      const clock = { now: T0 }
      const limiter = await makeLimiter(clock)
      await burst(limiter, '10.0.0.5', 21)

      const other = await limiter.consume('10.0.0.6')

      assert.deepEqual([other.allowed, other.remaining], [true, 19])
    })
  })
}

describe('in-process rate limiter', () => {
  test('tracks at most its cap of clients, forgetting the one idle longest', async () => {
    const clock = { now: T0 }
    const limiter = new MemoryRateLimiter(WINDOW, () => clock.now, 3)
    for (const client of ['10.1.0.1', '10.1.0.2', '10.1.0.3']) {
      await burst(limiter, client, 20)
      clock.now += 1
    }

    await limiter.consume('10.1.0.4')
    const forgotten = await burst(limiter, '10.1.0.1', 20)
    const stillTracked = await burst(limiter, '10.1.0.3', 1)

    assert.deepEqual([forgotten, stillTracked], [20, 0])
  })
})

describe('redis rate limiter', () => {
  test("limiters on one Redis share each client's budget, on Redis's own clock", async () => {
    const first = await connectTestRedis()
    const second = await connectTestRedis({ keyPrefix: first.keyPrefix })
    connections.push(first, second)
    const make = (redis: RedisConnection) => new RedisRateLimiter(redis, { ...WINDOW, name: 'suggest' }, new Counters(), new RecordingLogger())
    const [one, two] = [make(first), make(second)]

    const allowed = (await burst(one, '10.0.1.1', 10)) + (await burst(two, '10.0.1.1', 10))
    const refusedByEither = [await one.consume('10.0.1.1'), await two.consume('10.0.1.1')].map((decision) => decision.allowed)

    assert.equal(allowed, 20)
    assert.deepEqual(refusedByEither, [false, false])
  })
})

/**
 * Two limiters on one Redis (one key prefix), as two instances of the API, and the counters they
 * share. A loaded machine must not make them fail open (that lets everything through, by design):
 * their commands may take up to 5 s.
 */
async function twoInstances(window: { limit: number; windowMs: number }): Promise<{ instances: [RedisRateLimiter, RedisRateLimiter]; counters: Counters }> {
  const first = await connectTestRedis({ commandTimeoutMs: 5_000 })
  const second = await connectTestRedis({ keyPrefix: first.keyPrefix, commandTimeoutMs: 5_000 })
  connections.push(first, second)
  const counters = new Counters()
  const make = (redis: RedisConnection) => new RedisRateLimiter(redis, { ...window, name: 'suggest' }, counters, new RecordingLogger())
  return { instances: [make(first), make(second)], counters }
}

/** The most of `times` (ms, ascending) that fall within any span of `spanMs`. */
function mostWithinAnySpan(times: number[], spanMs: number): number {
  let most = 0
  for (let start = 0, end = 0; end < times.length; end++) {
    while ((times[end] as number) - (times[start] as number) >= spanMs) start++
    most = Math.max(most, end - start + 1)
  }
  return most
}

/** A script-call counter on a real connection: how often the limiter went to Redis. */
function countScriptCalls(redis: RedisConnection): { calls: number } {
  const counter = { calls: 0 }
  const evalScript = redis.evalScript.bind(redis)
  redis.evalScript = (...args) => {
    counter.calls++
    return evalScript(...args)
  }
  return counter
}

describe('redis rate limiter leases', () => {
  test('two instances hammering one client never allow more than the limit in any window, and do reach it', async () => {
    const window = { limit: 100, windowMs: 2_000 }
    const { instances, counters } = await twoInstances(window)
    const accepted: number[] = []
    const started = performance.now()
    // About 2,000 requests over 5 s, each instance four at a time: far over the limit, so leases are busy on both.
    for (let round = 0; round < 250 && performance.now() - started < 5_000; round++) {
      const decisions = instances.flatMap((limiter) =>
        Array.from({ length: 4 }, () => limiter.consume('10.0.2.1').then((decision) => decision.allowed && accepted.push(performance.now()))),
      )
      await Promise.all(decisions)
      await sleep(5)
    }

    // Times are taken when a decision reaches the caller, a little after it was made (more on a
    // loaded machine): a span shorter than the window keeps that delay from counting two windows'
    // requests as one. No request may have failed open: every one was counted.
    assert.deepEqual(counters.snapshot(), {})
    assert.equal(
      mostWithinAnySpan(
        accepted.sort((a, b) => a - b),
        window.windowMs - 500,
      ),
      window.limit,
    )
  })

  test('a client under its limit is never refused, whichever instance its requests reach', async () => {
    const window = { limit: 100, windowMs: 2_000 }
    const {
      instances: [one, two],
      counters,
    } = await twoInstances(window)
    const refusals: number[] = []
    const spend = async (limiter: RateLimiter, count: number, atOnce: number) => {
      for (let sent = 0; sent < count; sent += atOnce) {
        const decisions = await Promise.all(Array.from({ length: Math.min(atOnce, count - sent) }, () => limiter.consume('10.0.2.2')))
        refusals.push(...decisions.filter((decision) => !decision.allowed).map(() => sent))
      }
    }
    for (const burst of [0, 1]) {
      // 99 requests: 85 quickly on one instance, which then holds a lease with tokens to spare, and 14 on the other.
      await spend(one, 85, 3)
      await spend(two, 14, 1)
      // Past the window (and the leases' end) the whole budget is back for the second burst.
      if (burst === 0) await sleep(window.windowMs + 600)
    }

    assert.deepEqual(counters.snapshot(), {})
    assert.deepEqual(refusals, [])
  })

  test('a lease never settled (its instance died) counts until after the last moment its tokens could be used', async () => {
    const first = await connectTestRedis()
    const second = await connectTestRedis({ keyPrefix: first.keyPrefix })
    connections.push(second)
    const clock = { now: T0 }
    const make = (redis: RedisConnection) => new RedisRateLimiter(redis, { ...WINDOW, name: 'suggest' }, new Counters(), new RecordingLogger(), () => clock.now)
    const [dying, surviving] = [make(first), make(second)]
    // A single token, then a lease of two (the client is busy): one spent now, one 300 ms later, without asking Redis.
    await burst(dying, '10.0.2.5', 2)
    clock.now = T0 + 300
    await burst(dying, '10.0.2.5', 1)
    await first.close()
    const restOfBudget = await burst(surviving, '10.0.2.5', 20)

    clock.now = T0 + 60_100
    const afterFirstLeft = await burst(surviving, '10.0.2.5', 5)
    clock.now = T0 + 300 + LEASE_USE_MS + 100 + 60_001
    const afterLeaseLeft = await burst(surviving, '10.0.2.5', 25)

    // The request at T0 + 300 is in every window up to T0 + 60 300: with it, 20 at most. The lease's
    // entry, never settled, counts both its tokens until 60 s after the lease's end; then only the
    // request at T0 + 60 100 is left in the window.
    assert.deepEqual([restOfBudget, afterFirstLeft, afterLeaseLeft], [17, 1, 19])
  })

  test('a busy client spends leased tokens without asking Redis each time, and its headers count down one by one', async () => {
    const redis = await connectTestRedis()
    connections.push(redis)
    const calls = countScriptCalls(redis)
    const limiter = new RedisRateLimiter(redis, { limit: 1_000, windowMs: 60_000, name: 'suggest' }, new Counters(), new RecordingLogger())

    const remaining: number[] = []
    for (let i = 0; i < 60; i++) remaining.push((await limiter.consume('10.0.2.3')).remaining)

    assert.deepEqual(
      remaining,
      Array.from({ length: 60 }, (_, index) => 999 - index),
    )
    assert.ok(calls.calls <= 15, `${calls.calls} calls to Redis for 60 requests`)
  })

  test('decisions made at once spend the same leased tokens as consume: one count, down one by one, never past the limit', async () => {
    const redis = await connectTestRedis()
    connections.push(redis)
    const limiter = new RedisRateLimiter(redis, { limit: 50, windowMs: 60_000, name: 'suggest' }, new Counters(), new RecordingLogger())

    assert.equal(limiter.consumeNow('10.0.2.5'), undefined, 'an unknown client holds no lease')
    const decisions: { allowed: boolean; remaining: number; atOnce: boolean }[] = []
    for (let i = 0; i < 70; i++) {
      const now = limiter.consumeNow('10.0.2.5')
      const decision = now ?? (await limiter.consume('10.0.2.5'))
      decisions.push({ allowed: decision.allowed, remaining: decision.remaining, atOnce: now !== undefined })
    }

    assert.equal(decisions.filter((decision) => decision.allowed).length, 50)
    assert.deepEqual(
      decisions.slice(0, 50).map((decision) => [decision.allowed, decision.remaining]),
      Array.from({ length: 50 }, (_, index) => [true, 49 - index]),
    )
    assert.ok(decisions.filter((decision) => decision.atOnce).length >= 30, 'most of a busy client’s requests are decided at once')
  })

  test('a client seen once a second takes single tokens, each stamped when it was granted', async () => {
    const redis = await connectTestRedis()
    connections.push(redis)
    const calls = countScriptCalls(redis)
    const clock = { now: T0 }
    const limiter = new RedisRateLimiter(redis, { ...WINDOW, name: 'suggest' }, new Counters(), new RecordingLogger(), () => clock.now)
    for (let i = 0; i < 5; i++) {
      await limiter.consume('10.0.2.4')
      clock.now += 1_000
    }

    const stamps = await redis.client.zRangeWithScores(`${redis.keyPrefix}rate:suggest:10.0.2.4`, 0, -1)
    assert.equal(calls.calls, 5)
    assert.deepEqual(
      stamps.map(({ value, score }) => [value.split(':')[0], score]),
      [0, 1, 2, 3, 4].map((second) => ['1', T0 + second * 1_000]),
    )
  })
})

describe('the client a budget belongs to', () => {
  test('is the IPv4 address, an IPv4-mapped IPv6 address counting as IPv4', () => {
    assert.equal(clientOf('203.0.113.9'), '203.0.113.9')
    assert.equal(clientOf('::ffff:203.0.113.9'), '203.0.113.9')
  })

  test('is the /64 of an IPv6 address, however it is written', () => {
    const owners = ['2001:db8:0:1::1', '2001:0db8:0000:0001:ffff:ffff:ffff:ffff', '2001:DB8:0:1:0:0:0:2%eth0'].map(clientOf)

    assert.deepEqual(new Set(owners), new Set(['2001:0db8:0000:0001::/64']))
    assert.notEqual(clientOf('2001:db8:0:2::1'), owners[0])
    assert.equal(clientOf('::1'), '0000:0000:0000:0000::/64')
  })
})
