import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { appOverTestDatabase } from '../support/http-app.js'
import { family, labelValues, parseExposition, valueOf, type Scrape } from '../support/prometheus.js'
import { freePort, startRedisServer } from '../support/services.js'

const SUGGEST_LIMIT = 3

let redisServer: Awaited<ReturnType<typeof startRedisServer>>
let storeId: number
let lamp: number
let admin: TestKey

const subject = appOverTestDatabase({
  prepare: async ({ pool }) => {
    // A Redis of this file's own, stopped on purpose to see the rate limiter fail open.
    redisServer = await startRedisServer(await freePort())
    admin = await adminKey(pool)
    ;[lamp] = (await addProducts(pool, [{ title: 'Steel Lamp' }])) as [number]
    storeId = await addStore(pool)
    await stock(pool, storeId, { [lamp]: 5 })
  },
  release: () => redisServer.stop(),
  env: () => ({ REDIS_URL: redisServer.url, RATE_LIMIT_SUGGEST: String(SUGGEST_LIMIT) }),
})

async function scrape(): Promise<Scrape> {
  const response = await subject.app.inject({ method: 'GET', url: '/metrics', headers: admin.headers })
  assert.equal(response.statusCode, 200, response.body)
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  return parseExposition(response.body)
}

const suggest = (client: string, q = 'lamp') => subject.app.inject({ method: 'GET', url: `/api/search/suggest/?q=${q}`, remoteAddress: client })

describe('GET /metrics', () => {
  test('a placed order shows as a ready confirmation job in the queue depths', async () => {
    const order = await subject.app.inject({
      method: 'POST',
      url: '/orders/',
      payload: { store_id: storeId, items: [{ product_id: lamp, quantity_requested: 1 }] },
    })
    assert.equal(order.statusCode, 201, order.body)

    // No worker runs here, so the job waits; depths are recounted at most once a minute, and this
    // file's first look at the queues (the first test) comes after the order.
    const metrics = await scrape()

    assert.ok(valueOf(metrics, 'aforro_job_queue_jobs', { queue: 'order-confirmation', state: 'ready' }) >= 1)
    assert.equal(valueOf(metrics, 'aforro_job_queue_jobs', { queue: 'order-confirmation.dead', state: 'ready' }), 0)
  })

  test('serves every family an operator needs in the Prometheus text format', async () => {
    const metrics = await scrape()

    const expected: [string, string][] = [
      ['aforro_http_request_duration_seconds', 'HISTOGRAM'],
      ['aforro_cache_lookups_total', 'COUNTER'],
      ['aforro_cache_invalidations_total', 'COUNTER'],
      ['aforro_rate_limit_decisions_total', 'COUNTER'],
      ['aforro_pg_pool_connections', 'GAUGE'],
      ['aforro_pg_pool_idle_connections', 'GAUGE'],
      ['aforro_pg_pool_waiting_clients', 'GAUGE'],
      ['aforro_job_queue_jobs', 'GAUGE'],
      ['aforro_jobs_processed_total', 'COUNTER'],
      ['nodejs_eventloop_lag_seconds', 'GAUGE'],
      ['nodejs_eventloop_lag_p99_seconds', 'GAUGE'],
      ['nodejs_heap_size_used_bytes', 'GAUGE'],
      ['process_resident_memory_bytes', 'GAUGE'],
    ]
    for (const [name, type] of expected) assert.equal(family(metrics, name).type, type, name)
    assert.ok(valueOf(metrics, 'process_resident_memory_bytes') > 0)
    assert.ok(valueOf(metrics, 'nodejs_heap_size_used_bytes') > 0)
  })

  test('requests, cache lookups, rate-limit decisions and the pool move the numbers', async () => {
    const before = await scrape()

    for (let i = 0; i < SUGGEST_LIMIT + 1; i++) await suggest('10.7.0.1')
    const order = await subject.app.inject({ method: 'GET', url: `/orders/999999/`, headers: admin.headers })
    await redisServer.stop()
    // A query not asked before: one asked before may still be answered from the process's near cache.
    const failedOpen = await suggest('10.7.0.2', 'desk')
    const after = await scrape()

    assert.equal(order.statusCode, 404)
    assert.equal(failedOpen.statusCode, 200)
    const moved = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels)
    const suggestRoute = { method: 'GET', route: '/api/search/suggest' }
    assert.equal(moved('aforro_http_request_duration_seconds', { ...suggestRoute, status_code: '200' }), SUGGEST_LIMIT + 1)
    assert.equal(moved('aforro_http_request_duration_seconds', { ...suggestRoute, status_code: '429' }), 1)
    assert.equal(moved('aforro_http_request_duration_seconds', { route: '/orders/:order_id', status_code: '404' }), 1, 'counted by route template')
    assert.equal(moved('aforro_cache_lookups_total', { view: 'suggest', outcome: 'miss' }), 1)
    assert.ok(moved('aforro_cache_lookups_total', { view: 'suggest', outcome: 'hit' }) >= SUGGEST_LIMIT - 1)
    assert.equal(moved('aforro_cache_lookups_total', { view: 'suggest', outcome: 'skip' }), 1, 'Redis down: loaded without the cache')
    assert.equal(moved('aforro_rate_limit_decisions_total', { route: 'suggest', outcome: 'accepted' }), SUGGEST_LIMIT + 1)
    assert.equal(moved('aforro_rate_limit_decisions_total', { route: 'suggest', outcome: 'limited' }), 1)
    assert.equal(moved('aforro_rate_limit_decisions_total', { route: 'suggest', outcome: 'failed_open' }), 1)
    assert.ok(valueOf(after, 'aforro_pg_pool_connections', { pool: 'app' }) >= 1)
    assert.equal(valueOf(after, 'aforro_pg_pool_waiting_clients', { pool: 'app' }), 0)
  })

  test('an unmatched path is counted under one label, however many paths are probed', async () => {
    for (const path of ['/nope', '/wp-admin', '/.env']) await subject.app.inject({ method: 'GET', url: path })

    const metrics = await scrape()

    const routes = labelValues(metrics, 'aforro_http_request_duration_seconds', 'route')
    assert.ok(routes.has('unmatched'))
    for (const path of ['/nope', '/wp-admin', '/.env']) assert.ok(!routes.has(path), path)
  })
})
