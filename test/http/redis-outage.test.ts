import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { appOverTestDatabase } from '../support/http-app.js'
import type { InventoryItemView, PageEnvelope, ProductHitView } from '../support/http-bodies.js'
import { eventually } from '../support/eventually.js'
import { freePort, startRedisServer } from '../support/services.js'

let redisPort: number
let redisServer: Awaited<ReturnType<typeof startRedisServer>>
let storeId: number
let lamp: number

let admin: TestKey

const subject = appOverTestDatabase({
  env: () => ({ REDIS_URL: redisServer.url }),
  prepare: async () => {
    admin = await adminKey(subject.db.pool)
    redisPort = await freePort()
    redisServer = await startRedisServer(redisPort)
    ;[lamp] = (await addProducts(subject.db.pool, [{ title: 'Steel Lamp' }])) as [number]
    storeId = await addStore(subject.db.pool)
    await stock(subject.db.pool, storeId, { [lamp]: 5 })
  },
  release: async () => {
    await redisServer.stop()
  },
})

const get = (url: string, remoteAddress = '10.2.0.1') => subject.app.inject({ method: 'GET', url, remoteAddress })

async function statementsFor(url: string): Promise<number> {
  subject.counting.reset()
  assert.equal((await get(url, '10.2.0.9')).statusCode, 200)
  return subject.counting.statements()
}

test('with Redis killed mid-run every endpoint answers from Postgres, readiness says redis down, and all recovers when it returns', async () => {
  await get('/api/search/suggest/?q=lamp', '10.2.0.9')
  assert.equal(await statementsFor('/api/search/suggest/?q=lamp'), 0, 'warm before the outage')

  await redisServer.stop()
  const suggest = await get('/api/search/suggest/?q=lamp')
  const search = await get(`/api/search/products/?q=lamp&store_id=${storeId}`)
  const inventory = await get(`/stores/${storeId}/inventory/`)
  const restock = await subject.app.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/${lamp}/`, payload: { quantity: 9 }, headers: admin.headers })
  const afterRestock = await get(`/stores/${storeId}/inventory/`)
  const ready = await get('/health/ready')
  const overTheLimit = []
  for (let i = 0; i < 25; i++) overTheLimit.push((await get('/api/search/suggest/?q=lamp', '10.2.0.2')).statusCode)

  assert.deepEqual(suggest.json<{ suggestions: string[] }>().suggestions, ['Steel Lamp'])
  assert.equal(search.json<PageEnvelope<ProductHitView>>().results[0]?.quantity, 5)
  assert.equal(inventory.json<PageEnvelope<InventoryItemView>>().results[0]?.quantity, 5)
  assert.equal(restock.statusCode, 200)
  assert.equal(afterRestock.json<PageEnvelope<InventoryItemView>>().results[0]?.quantity, 9)
  assert.equal(ready.statusCode, 200)
  assert.deepEqual(ready.json(), { status: 'degraded', checks: { postgres: 'ok', redis: 'down' } })
  assert.deepEqual(overTheLimit, Array(25).fill(200), 'the rate limiter fails open')

  redisServer = await startRedisServer(redisPort)
  await eventually('readiness to see Redis again', async () =>
    (await get('/health/ready')).json<{ checks: { redis: string } }>().checks.redis === 'ok' ? true : undefined,
  )
  await get('/api/search/suggest/?q=lamp', '10.2.0.9')
  const warmAgain = await statementsFor('/api/search/suggest/?q=lamp')
  const limited = await get('/api/search/suggest/?q=lamp', '10.2.0.3')

  assert.equal(warmAgain, 0, 'caching resumed')
  assert.equal(limited.headers['x-ratelimit-remaining'], '19', 'counting resumed')
})
