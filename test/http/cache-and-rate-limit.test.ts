import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { appOverTestDatabase, buildTestApp } from '../support/http-app.js'
import type { CreatedOrderView, ProblemBody } from '../support/http-bodies.js'
import { eventually } from '../support/eventually.js'
import { parseExposition, valueOf } from '../support/prometheus.js'
import { testRedisEnv } from '../support/redis.js'

let storeId: number
let otherStoreId: number
let lamp: number
let shade: number

let admin: TestKey

const subject = appOverTestDatabase({
  env: testRedisEnv,
  prepare: async () => {
    admin = await adminKey(subject.db.pool)
    ;[lamp, shade] = (await addProducts(subject.db.pool, [
      { title: 'Steel Lamp', category: 'Lighting' },
      { title: 'Lamp Shade', category: 'Lighting' },
      { title: 'Oak Desk', category: 'Furniture' },
    ])) as [number, number]
    storeId = await addStore(subject.db.pool, 'Baixa')
    otherStoreId = await addStore(subject.db.pool, 'Porto')
    await stock(subject.db.pool, storeId, { [lamp]: 5, [shade]: 2 })
    await stock(subject.db.pool, otherStoreId, { [lamp]: 7 })
  },
})

/** A client address of its own, so that tests about caching never meet the rate limit. */
const anyClient = () => `10.9.${randomBytes(1)[0]}.${randomBytes(1)[0]}`

const get = (url: string, remoteAddress = anyClient(), headers: Record<string, string> = {}) =>
  subject.app.inject({ method: 'GET', url, remoteAddress, headers })

/** Sends a request and says how many SQL statements it cost. */
async function statementsFor(url: string): Promise<{ body: unknown; statements: number }> {
  subject.counting.reset()
  const response = await get(url)
  assert.equal(response.statusCode, 200, response.body)
  return { body: response.json<unknown>(), statements: subject.counting.statements() }
}

const quantityOf = (body: unknown, productId: number): number | undefined => {
  const results = (body as { results: { id?: number; product_id?: number; quantity: number }[] }).results
  return results.find((row) => (row.product_id ?? row.id) === productId)?.quantity
}

describe('cached reads', () => {
  test('a second identical autocomplete call is served from the cache without touching Postgres', async () => {
    const first = await statementsFor('/api/search/suggest/?q=lamp')
    const second = await statementsFor('/api/search/suggest/?q=lamp')

    assert.ok(first.statements > 0)
    assert.equal(second.statements, 0)
    assert.deepEqual(second.body, first.body)
  })

  test('a second identical search is served from the cache, dates and all', async () => {
    const first = await statementsFor(`/api/search/products/?q=lamp&store_id=${storeId}`)
    const second = await statementsFor(`/api/search/products/?q=lamp&store_id=${storeId}`)

    assert.ok(first.statements > 0)
    assert.equal(second.statements, 0)
    assert.deepEqual(second.body, first.body)
  })

  test('hits and misses are counted at GET /metrics', async () => {
    await get('/api/search/suggest/?q=desk')
    await get('/api/search/suggest/?q=desk')

    const metrics = parseExposition((await get('/metrics', anyClient(), admin.headers)).body)

    assert.ok(valueOf(metrics, 'aforro_cache_lookups_total', { view: 'suggest', outcome: 'hit' }) >= 1)
    assert.ok(valueOf(metrics, 'aforro_cache_lookups_total', { view: 'suggest', outcome: 'miss' }) >= 1)
  })
})

describe('invalidation', () => {
  const inventory = () => `/stores/${storeId}/inventory/`
  const storeSearch = () => `/api/search/products/?q=lamp&store_id=${storeId}`

  async function warm(): Promise<void> {
    for (const url of [inventory(), storeSearch(), inventory(), storeSearch()]) await get(url)
  }

  test('the very next inventory listing and store search after a restock show the new quantity', async () => {
    await warm()

    const restock = await subject.app.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/${lamp}/`, payload: { quantity: 40 }, headers: admin.headers })
    const listing = await get(inventory())
    const search = await get(storeSearch())

    assert.equal(restock.statusCode, 200, restock.body)
    assert.equal(quantityOf(listing.json(), lamp), 40)
    assert.equal(quantityOf(search.json(), lamp), 40)
  })

  test('the very next inventory listing and store search after a confirmed order show the new quantity', async () => {
    await warm()
    const before = quantityOf((await get(inventory())).json(), shade) as number

    const order = await subject.app.inject({
      method: 'POST',
      url: '/orders/',
      payload: { store_id: storeId, items: [{ product_id: shade, quantity_requested: 1 }] },
    })
    const listing = await get(inventory())
    const search = await get(storeSearch())

    assert.equal(order.json<CreatedOrderView>().status, 'CONFIRMED', order.body)
    assert.equal(quantityOf(listing.json(), shade), before - 1)
    assert.equal(quantityOf(search.json(), shade), before - 1)
  })

  test("a restock in one store leaves the other store's cached listing in place", async () => {
    const otherInventory = `/stores/${otherStoreId}/inventory/`
    await get(otherInventory)

    await subject.app.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/${lamp}/`, payload: { quantity: 41 }, headers: admin.headers })
    const other = await statementsFor(otherInventory)

    assert.equal(other.statements, 0)
  })

  test('after a product title change, autocomplete shows the new title', async () => {
    const [screen] = await addProducts(subject.db.pool, [{ title: 'Paper Screen', category: 'Lighting' }])
    await get('/api/search/suggest/?q=screen')
    await get('/api/search/suggest/?q=screen')

    await subject.db.pool.query(`UPDATE products SET title = 'Rice Paper Screen' WHERE id = $1`, [screen])

    await eventually('autocomplete to show the new title', async () => {
      const { suggestions } = (await get('/api/search/suggest/?q=screen')).json<{ suggestions: string[] }>()
      return suggestions.includes('Rice Paper Screen') ? true : undefined
    })
  })
})

describe('autocomplete rate limit', () => {
  const suggest = (target: FastifyInstance, remoteAddress: string, headers: Record<string, string> = {}) =>
    target.inject({ method: 'GET', url: '/api/search/suggest/?q=lamp', remoteAddress, headers })

  async function spend(target: FastifyInstance, remoteAddress: string, count: number, headers: Record<string, string> = {}) {
    const statuses: number[] = []
    for (let i = 0; i < count; i++) statuses.push((await suggest(target, remoteAddress, headers)).statusCode)
    return statuses
  }

  test('the 21st call within a minute from one IP is refused with 429 and the rate-limit headers', async () => {
    const first = await suggest(subject.app, '10.1.0.1')
    await spend(subject.app, '10.1.0.1', 19)

    const refused = await suggest(subject.app, '10.1.0.1')

    assert.equal(first.statusCode, 200)
    assert.deepEqual([first.headers['x-ratelimit-limit'], first.headers['x-ratelimit-remaining'], first.headers['x-ratelimit-reset']], ['20', '19', '61'])
    assert.equal(refused.statusCode, 429)
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/)
    assert.equal(refused.json<ProblemBody>().type, 'https://aforro.dev/problems/rate-limited')
    assert.equal(refused.headers['x-ratelimit-remaining'], '0')
    assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/)
    assert.ok(Number(refused.headers['retry-after']) <= 61)
    assert.match(String(refused.headers['x-ratelimit-reset']), /^[1-9]\d*$/)
  })

  test('another IP is unaffected', async () => {
    await spend(subject.app, '10.1.0.2', 21)

    const other = await suggest(subject.app, '10.1.0.3')

    assert.equal(other.statusCode, 200)
    assert.equal(other.headers['x-ratelimit-remaining'], '19')
  })

  test('a forged X-Forwarded-For does not buy a fresh budget', async () => {
    await spend(subject.app, '10.1.0.4', 20)

    const forged = await spend(subject.app, '10.1.0.4', 5, { 'x-forwarded-for': '203.0.113.7' })

    assert.deepEqual(forged, [429, 429, 429, 429, 429])
  })

  test('refused and malformed calls carry the headers too', async () => {
    const tooShort = await subject.app.inject({ method: 'GET', url: '/api/search/suggest/?q=la', remoteAddress: '10.1.0.5' })

    assert.equal(tooShort.statusCode, 400)
    assert.equal(tooShort.headers['x-ratelimit-remaining'], '19')
  })

  test("two app instances on one Redis share each client's budget", async () => {
    const second = await buildTestApp({ url: subject.db.url, pool: subject.db.pool }, testRedisEnv())
    /** Requests either instance let through uncounted because Redis did not answer within its 100 ms command timeout. */
    const failedOpen = async () => {
      let total = 0
      for (const app of [subject.app, second]) {
        const metrics = parseExposition((await app.inject({ method: 'GET', url: '/metrics', headers: admin.headers })).body)
        total += valueOf(metrics, 'aforro_rate_limit_decisions_total', { route: 'suggest', outcome: 'failed_open' })
      }
      return total
    }
    try {
      // A request let through while Redis did not answer is the contract too (fail open), and on a
      // machine loaded with other test files a new instance's first calls can take that long: a
      // round in which one failed open proves nothing about sharing, so it is run again for a new
      // client, three times at most.
      for (let round = 1; ; round++) {
        const client = `10.1.6.${round}`
        const failedBefore = await failedOpen()
        const statuses = [...(await spend(subject.app, client, 10)), ...(await spend(second, client, 10))]
        const refusedHere = await suggest(subject.app, client)
        const refusedThere = await suggest(second, client)
        if ((await failedOpen()) > failedBefore && round < 3) continue

        assert.equal(await failedOpen(), failedBefore, 'no request failed open in the round checked')
        assert.deepEqual(statuses, Array(20).fill(200))
        assert.deepEqual([refusedHere.statusCode, refusedThere.statusCode], [429, 429])
        break
      }
    } finally {
      await second.close()
    }
  })

  test('behind a trusted proxy each forwarded client has its own budget, and forging an earlier hop does not help', async () => {
    const proxied = await buildTestApp({ url: subject.db.url, pool: subject.db.pool }, { ...testRedisEnv(), TRUST_PROXY: '1' })
    try {
      await spend(proxied, '10.0.0.254', 20, { 'x-forwarded-for': '198.51.100.1' })

      const sameClientForging = await suggest(proxied, '10.0.0.254', { 'x-forwarded-for': '192.0.2.99, 198.51.100.1' })
      const otherClient = await suggest(proxied, '10.0.0.254', { 'x-forwarded-for': '198.51.100.2' })

      assert.equal(sameClientForging.statusCode, 429)
      assert.equal(otherClient.statusCode, 200)
    } finally {
      await proxied.close()
    }
  })

  test('without REDIS_URL the limit holds in process', async () => {
    const inProcess = await buildTestApp({ url: subject.db.url, pool: subject.db.pool })
    try {
      const statuses = await spend(inProcess, '10.1.0.7', 21)

      assert.deepEqual(statuses.slice(19), [200, 429])
    } finally {
      await inProcess.close()
    }
  })
})
