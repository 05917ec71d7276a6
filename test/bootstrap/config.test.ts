import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { availableParallelism } from 'node:os'
import { CONFIG_VARIABLES, ConfigError, DEFAULT_DATABASE_POOL_SIZE, loadConfig } from '../../bootstrap/runtime/config.js'

describe('configuration', () => {
  test('defaults to the embedded database, in-process worker and documented values', () => {
    const config = loadConfig({})

    assert.equal(config.databaseUrl, undefined)
    assert.equal(config.runWorker, true)
    assert.equal(config.port, 3000)
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.rateLimitSuggest, 20)
    assert.equal(config.cacheTtlSeconds, 300)
    assert.equal(config.trustProxy, false)
    assert.equal(config.logLevel, 'info')
  })

  test('keeps twice the cores, at most 10, connections per process to Postgres unless DATABASE_POOL_SIZE says otherwise', () => {
    assert.equal(DEFAULT_DATABASE_POOL_SIZE, Math.min(10, 2 * availableParallelism()))
    assert.equal(loadConfig({}).databasePoolSize, DEFAULT_DATABASE_POOL_SIZE)
    assert.equal(loadConfig({ DATABASE_POOL_SIZE: '25' }).databasePoolSize, 25)
  })

  test('an external database turns the in-process worker off unless asked for', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).runWorker, false)
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://u@h/db', RUN_WORKER: '1' }).runWorker, true)
  })

  test('reads the replica and direct URLs beside the primary', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@pgbouncer/db',
      DATABASE_READ_URL: 'postgres://u@replica/db',
      DATABASE_DIRECT_URL: 'postgres://u@primary/db',
    })
    assert.equal(config.databaseReadUrl, 'postgres://u@replica/db')
    assert.equal(config.databaseDirectUrl, 'postgres://u@primary/db')
  })

  test('reads TRUST_PROXY as a hop count or a list of addresses', () => {
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false)
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2)
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1'])
  })

  test("refuses TRUST_PROXY=true, asking for a hop count or the proxies' addresses", () => {
    assert.throws(() => loadConfig({ TRUST_PROXY: 'true' }), /TRUST_PROXY must name the proxies to trust: a hop count .* addresses\/CIDRs/)
  })

  const invalid: [string, string][] = [
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x@y/z'],
    ['DATABASE_READ_URL', 'mysql://x@y/z'],
    // A replica or a direct route means nothing without the primary's DATABASE_URL.
    ['DATABASE_READ_URL', 'postgres://u@replica/db'],
    ['DATABASE_DIRECT_URL', 'postgres://u@primary/db'],
    ['REDIS_URL', 'not a url'],
    ['REDIS_CLUSTER_NODES', 'redis1:6379,redis2'],
    ['REDIS_CLUSTER_NODES', 'redis1:99999'],
    ['RUN_WORKER', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_SUGGEST', '0'],
    ['CACHE_TTL_SECONDS', '-5'],
    ['TRUST_PROXY', '10.0.0.0/99'],
    ['TRUST_PROXY', 'true'],
    ['DAILY_SUMMARY_CRON', 'every day'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_POOL_SIZE', 'ten'],
    ['WEB_CONCURRENCY', '0'],
    ['WEB_CONCURRENCY', 'abc'],
    ['WEB_CONCURRENCY', '65'],
    // Several processes without a shared Redis would each keep a cache the others' writes never invalidate.
    ['WEB_CONCURRENCY', '2'],
  ]
  for (const [variable, value] of invalid) {
    test(`rejects ${variable}=${value} with one line naming the variable`, () => {
      assert.throws(
        () => loadConfig({ [variable]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(variable) && !error.message.includes('\n'),
      )
    })
  }

  test('REDIS_CLUSTER_NODES names a cluster by a few of its nodes; with REDIS_URL too it is refused, as neither would be obviously meant', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2:7001', WEB_CONCURRENCY: '2' })

    assert.deepEqual([config.redisClusterNodes, config.redisUrl, config.webConcurrency], [['10.0.0.1:7000', 'redis-2:7001'], undefined, 2])
    assert.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis1:6379', REDIS_URL: 'redis://redis:6379' }), /REDIS_CLUSTER_NODES and REDIS_URL are both set/)
  })

  test('reads exactly the variables it declares', () => {
    const read = new Set<string>()
    const recording = new Proxy<Record<string, string | undefined>>(
      {},
      {
        get: (_target, name) => {
          read.add(String(name))
          return undefined
        },
      },
    )

    loadConfig(recording)

    assert.deepEqual([...read].sort(), [...CONFIG_VARIABLES].sort())
  })
})
