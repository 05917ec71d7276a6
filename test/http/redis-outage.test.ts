import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { countingPool, type CountingPool } from '../support/counting-pool.js'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { buildTestApp } from '../support/http-app.js'
import { eventually } from '../support/eventually.js'
import { freePort, startRedisServer } from '../support/services.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let counting: CountingPool
let redisPort: number
let redisServer: Awaited<ReturnType<typeof startRedisServer>>
let app: FastifyInstance
let storeId: number
let lamp: number
let admin: TestKey

before(async () => {
  db = await createTestDatabase()
  counting = countingPool(db.pool)
  redisPort = await freePort()
  redisServer = await startRedisServer(redisPort)
  app = await buildTestApp({ url: db.url, pool: counting.pool }, { REDIS_URL: redisServer.url })
  admin = await adminKey(db.pool)
  ;[lamp] = (await addProducts(db.pool, [{ title: 'Steel Lamp' }])) as [number]
  storeId = await addStore(db.pool)
  await stock(db.pool, storeId, { [lamp]: 5 })
})
after(async () => {
  await app.close()
  await redisServer.stop()
  await db.close()
})

const get = (url: string, remoteAddress = '10.2.0.1') => app.inject({ method: 'GET', url, remoteAddress })

async function statementsFor(url: string): Promise<number> {
  counting.reset()
  assert.equal((await get(url, '10.2.0.9')).statusCode, 200)
  return counting.statements()
}

test('with Redis killed mid-run every endpoint answers from Postgres, readiness says redis down, and all recovers when it returns', async () => {
  await get('/api/search/suggest/?q=lamp', '10.2.0.9')
  assert.equal(await statementsFor('/api/search/suggest/?q=lamp'), 0, 'warm before the outage')

  await redisServer.stop()
  const suggest = await get('/api/search/suggest/?q=lamp')
  const search = await get(`/api/search/products/?q=lamp&store_id=${storeId}`)
  const inventory = await get(`/stores/${storeId}/inventory/`)
  const restock = await app.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/${lamp}/`, payload: { quantity: 9 }, headers: admin.headers })
  const afterRestock = await get(`/stores/${storeId}/inventory/`)
  const ready = await get('/health/ready')
  const overTheLimit = []
  for (let i = 0; i < 25; i++) overTheLimit.push((await get('/api/search/suggest/?q=lamp', '10.2.0.2')).statusCode)

  assert.deepEqual(suggest.json().suggestions, ['Steel Lamp'])
  assert.equal(search.json().results[0].quantity, 5)
  assert.equal(inventory.json().results[0].quantity, 5)
  assert.equal(restock.statusCode, 200)
  assert.equal(afterRestock.json().results[0].quantity, 9)
  assert.equal(ready.statusCode, 200)
  assert.deepEqual(ready.json(), { status: 'degraded', checks: { postgres: 'ok', redis: 'down' } })
  assert.deepEqual(overTheLimit, Array(25).fill(200), 'the rate limiter fails open')

  redisServer = await startRedisServer(redisPort)
  await eventually('readiness to see Redis again', async () => ((await get('/health/ready')).json().checks.redis === 'ok' ? true : undefined))
  await get('/api/search/suggest/?q=lamp', '10.2.0.9')
  const warmAgain = await statementsFor('/api/search/suggest/?q=lamp')
  const limited = await get('/api/search/suggest/?q=lamp', '10.2.0.3')

  assert.equal(warmAgain, 0, 'caching resumed')
  assert.equal(limited.headers['x-ratelimit-remaining'], '19', 'counting resumed')
})
