import assert from 'node:assert/strict'
import { before, beforeEach, describe, test } from 'node:test'
import { addProducts, addStore, confirmationJobsFor, countOf, ledgerOf, levelsOf, someoneWaitsForALock, stock } from '../support/fixtures.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { appOverTestDatabase } from '../support/http-app.js'
import type { CreatedOrderView, PageEnvelope, ProblemBody, StoreOrderSummaryView } from '../support/http-bodies.js'

let storeId: number
let lamp: number
let desk: number
let chair: number

let admin: TestKey

const subject = appOverTestDatabase({
  pool: { lockTimeoutMs: 500 },
  prepare: async () => {
    admin = await adminKey(subject.db.pool)
    ;[lamp, desk, chair] = (await addProducts(subject.db.pool, [{ title: 'Steel Lamp' }, { title: 'Oak Desk' }, { title: 'Chair' }])) as [
      number,
      number,
      number,
    ]
  },
})

beforeEach(async () => {
  storeId = await addStore(subject.db.pool)
  await stock(subject.db.pool, storeId, { [lamp]: 5, [desk]: 1 })
})

const orderCount = () => countOf(subject.db.pool, 'SELECT count(*) AS n FROM orders')

const post = (body: unknown, headers: Record<string, string> = {}) =>
  subject.app.inject({ method: 'POST', url: '/orders/', payload: body as object, headers: { 'content-type': 'application/json', ...headers } })

describe('POST /orders/', () => {
  test('a confirmed order deducts exactly what was asked and records matching ledger rows', async () => {
    const response = await post({
      store_id: storeId,
      items: [
        { product_id: lamp, quantity_requested: 2 },
        { product_id: desk, quantity_requested: 1 },
      ],
    })

    assert.equal(response.statusCode, 201)
    const order = response.json<CreatedOrderView>()
    assert.equal(response.headers.location, `/orders/${order.id}/`)
    assert.deepEqual(
      { ...order, created_at: undefined },
      {
        id: order.id,
        store_id: storeId,
        status: 'CONFIRMED',
        created_at: undefined,
        total_items: 3,
        items: [
          { product_id: lamp, title: 'Steel Lamp', quantity_requested: 2 },
          { product_id: desk, title: 'Oak Desk', quantity_requested: 1 },
        ],
        rejection: null,
      },
    )
    assert.match(order.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [lamp]: 3, [desk]: 0 })
    assert.deepEqual(await ledgerOf(subject.db.pool, storeId), [
      { product_id: lamp, delta: -2, reason: 'order', reference: `order:${order.id}` },
      { product_id: desk, delta: -1, reason: 'order', reference: `order:${order.id}` },
    ])
    assert.equal(await confirmationJobsFor(subject.db.pool, order.id), 1)
  })

  test('a rejected order (one of two lines short) leaves both levels and the ledger untouched', async () => {
    const response = await post({
      store_id: storeId,
      items: [
        { product_id: lamp, quantity_requested: 2 },
        { product_id: desk, quantity_requested: 2 },
      ],
    })

    assert.equal(response.statusCode, 201)
    const order = response.json<CreatedOrderView>()
    assert.equal(order.status, 'REJECTED')
    assert.deepEqual(order.rejection, { reason: 'insufficient_stock', items: [{ product_id: desk, requested: 2, available: 1 }] })
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [lamp]: 5, [desk]: 1 })
    assert.deepEqual(await ledgerOf(subject.db.pool, storeId), [])
    assert.equal(await confirmationJobsFor(subject.db.pool, order.id), 0)
  })

  test('a product the store does not stock is short with 0 available', async () => {
    const response = await post({ store_id: storeId, items: [{ product_id: chair, quantity_requested: 1 }] })

    assert.deepEqual(response.json<CreatedOrderView>().rejection?.items, [{ product_id: chair, requested: 1, available: 0 }])
  })

  test('repeated lines for one product are decided together and answered as one line', async () => {
    const response = await post({
      store_id: storeId,
      items: [
        { product_id: lamp, quantity_requested: 3 },
        { product_id: lamp, quantity_requested: 3 },
      ],
    })

    assert.equal(response.json<CreatedOrderView>().status, 'REJECTED')
    assert.deepEqual(response.json<CreatedOrderView>().rejection?.items, [{ product_id: lamp, requested: 6, available: 5 }])
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [lamp]: 5, [desk]: 1 })
  })

  test('an unknown store is a 404 and an unknown product a 422 naming it; nothing is written', async () => {
    const before = await orderCount()

    const missingStore = await post({ store_id: 999_999, items: [{ product_id: lamp, quantity_requested: 1 }] })
    const unknown = await post({
      store_id: storeId,
      items: [
        { product_id: lamp, quantity_requested: 1 },
        { product_id: 888_888, quantity_requested: 1 },
      ],
    })

    assert.equal(missingStore.statusCode, 404)
    assert.equal(missingStore.json<ProblemBody>().type, 'https://aforro.dev/problems/not-found')
    assert.equal(unknown.statusCode, 422)
    assert.equal(unknown.json<ProblemBody>().type, 'https://aforro.dev/problems/unknown-products')
    assert.deepEqual(unknown.json<ProblemBody>().product_ids, [888_888])
    assert.equal(await orderCount(), before)
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [lamp]: 5, [desk]: 1 })
  })

  const malformed: [string, unknown][] = [
    ['no items', { store_id: 1, items: [] }],
    ['items missing', { store_id: 1 }],
    ['101 items', { store_id: 1, items: Array.from({ length: 101 }, (_, i) => ({ product_id: i + 1, quantity_requested: 1 })) }],
    ['a zero quantity', { store_id: 1, items: [{ product_id: 1, quantity_requested: 0 }] }],
    ['a negative quantity', { store_id: 1, items: [{ product_id: 1, quantity_requested: -1 }] }],
    ['a quantity over a million', { store_id: 1, items: [{ product_id: 1, quantity_requested: 1_000_001 }] }],
    ['a fractional quantity', { store_id: 1, items: [{ product_id: 1, quantity_requested: 1.5 }] }],
    ['a quantity sent as a string', { store_id: 1, items: [{ product_id: 1, quantity_requested: '2' }] }],
    ['a huge number', { store_id: 1, items: [{ product_id: 1, quantity_requested: 1e308 }] }],
    ['a store id of zero', { store_id: 0, items: [{ product_id: 1, quantity_requested: 1 }] }],
    ['a store id as text', { store_id: 'one', items: [{ product_id: 1, quantity_requested: 1 }] }],
    ['a product id beyond 2^53', { store_id: 1, items: [{ product_id: 2 ** 60, quantity_requested: 1 }] }],
    ['an unknown body field', { store_id: 1, items: [{ product_id: 1, quantity_requested: 1 }], coupon: 'FREE' }],
    ['an unknown item field', { store_id: 1, items: [{ product_id: 1, quantity_requested: 1, price: 0 }] }],
    ['a body that is an array', [{ store_id: 1 }]],
  ]
  for (const [name, body] of malformed) {
    test(`answers 400 problem+json for ${name}`, async () => {
      const response = await post(body)

      assert.equal(response.statusCode, 400)
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/)
      assert.equal(response.json<ProblemBody>().type, 'https://aforro.dev/problems/validation-error')
      assert.ok(Array.isArray(response.json<ProblemBody>().errors))
    })
  }

  test('a body that is not JSON is a 415, malformed JSON a 400, a body over 1 MiB a 413', async () => {
    const plain = await subject.app.inject({ method: 'POST', url: '/orders', headers: { 'content-type': 'text/plain' }, payload: 'hello' })
    const broken = await subject.app.inject({ method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, payload: '{"store_id":' })
    const huge = await subject.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(1_100_000) }),
    })

    assert.equal(plain.statusCode, 415)
    assert.equal(plain.json<ProblemBody>().type, 'https://aforro.dev/problems/unsupported-media-type')
    assert.equal(broken.statusCode, 400)
    assert.equal(broken.json<ProblemBody>().type, 'https://aforro.dev/problems/validation-error')
    assert.equal(huge.statusCode, 413)
    assert.equal(huge.json<ProblemBody>().type, 'https://aforro.dev/problems/payload-too-large')
  })

  test('a stuck lock fails fast with a 503 problem instead of hanging', async () => {
    const holder = await subject.db.pool.connect()
    try {
      await holder.query('BEGIN')
      await holder.query('SELECT 1 FROM inventory WHERE store_id = $1 FOR UPDATE', [storeId])

      const response = await post({ store_id: storeId, items: [{ product_id: lamp, quantity_requested: 1 }] })

      assert.equal(response.statusCode, 503)
      assert.equal(response.json<ProblemBody>().type, 'https://aforro.dev/problems/service-unavailable')
      assert.doesNotMatch(response.body, /lock|SQL|pg/i)
    } finally {
      await holder.query('ROLLBACK')
      holder.release()
    }
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [lamp]: 5, [desk]: 1 })
  })

  test('an order that fits takes one SQL round trip, whatever its number of lines; a rejection three', async () => {
    const many = await addProducts(
      subject.db.pool,
      Array.from({ length: 60 }, (_, i) => ({ title: `Bulk item ${i}` })),
    )
    await stock(subject.db.pool, storeId, Object.fromEntries(many.map((id) => [id, 10])))
    const roundTrips = async (productIds: number[], headers: Record<string, string> = {}, quantity = 1) => {
      subject.counting.reset()
      const response = await subject.app.inject({
        method: 'POST',
        url: '/orders/',
        headers,
        payload: { store_id: storeId, items: productIds.map((id) => ({ product_id: id, quantity_requested: quantity })) },
      })
      return { status: response.json<CreatedOrderView>().status, statements: subject.counting.statements(), roundTrips: subject.counting.roundTrips() }
    }

    const one = await roundTrips(many.slice(0, 1))
    const sixty = await roundTrips(many.slice(0, 60))
    const keyed = await roundTrips(many.slice(0, 1), { 'idempotency-key': `round-trips-${storeId}` })
    const rejected = await roundTrips([many[1] as number], {}, 11)

    // BEGIN, the stock's lock, the order's conditional write and COMMIT, sent together.
    assert.deepEqual(one, { status: 'CONFIRMED', statements: 4, roundTrips: 1 })
    assert.deepEqual(sixty, one)
    // And first the key's claim: BEGIN, its advisory lock and the look-up of a committed use.
    assert.deepEqual(keyed, { status: 'CONFIRMED', statements: 6, roundTrips: 2 })
    // Short of stock: the attempt writes nothing; then BEGIN with the locking look-up, and the rejection with COMMIT.
    assert.deepEqual(rejected, { status: 'REJECTED', statements: 8, roundTrips: 3 })
  })
})

describe('Idempotency-Key', () => {
  const body = () => ({ store_id: storeId, items: [{ product_id: lamp, quantity_requested: 1 }] })

  test('a replay returns the first response and writes nothing', async () => {
    const key = `replay-${storeId}`
    const first = await post(body(), { 'idempotency-key': key })

    const second = await post(body(), { 'idempotency-key': key })

    assert.equal(second.statusCode, first.statusCode)
    assert.equal(second.headers['idempotent-replayed'], 'true')
    assert.equal(first.headers['idempotent-replayed'], undefined)
    assert.deepEqual(second.json(), first.json())
    assert.equal(second.headers.location, first.headers.location)
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [lamp]: 4, [desk]: 1 })
  })

  test('the same key with a different body is a 422', async () => {
    const key = `reuse-${storeId}`
    await post(body(), { 'idempotency-key': key })

    const reused = await post({ ...body(), items: [{ product_id: lamp, quantity_requested: 2 }] }, { 'idempotency-key': key })

    assert.equal(reused.statusCode, 422)
    assert.equal(reused.json<ProblemBody>().type, 'https://aforro.dev/problems/idempotency-key-reused')
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [lamp]: 4, [desk]: 1 })
  })

  test('a duplicate arriving while the first is still running is a 409, and the first still completes', async () => {
    const key = `concurrent-${storeId}`
    const holder = await subject.db.pool.connect()
    await holder.query('BEGIN')
    await holder.query('SELECT 1 FROM inventory WHERE store_id = $1 FOR UPDATE', [storeId])
    const first = post(body(), { 'idempotency-key': key })
    await someoneWaitsForALock(subject.db.pool)

    const duplicate = await post(body(), { 'idempotency-key': key })
    await holder.query('ROLLBACK')
    holder.release()

    assert.equal(duplicate.statusCode, 409)
    assert.equal(duplicate.json<ProblemBody>().type, 'https://aforro.dev/problems/idempotency-key-in-flight')
    assert.equal((await first).statusCode, 201)
    assert.equal((await post(body(), { 'idempotency-key': key })).headers['idempotent-replayed'], 'true')
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [lamp]: 4, [desk]: 1 })
  })

  test('a key that is not 1–255 visible ASCII characters is a 400', async () => {
    for (const key of ['has space', 'x'.repeat(256), 'ключ']) {
      const response = await post(body(), { 'idempotency-key': key })
      assert.equal(response.statusCode, 400, key)
    }
  })

  test('a failed request does not burn its key', async () => {
    const key = `failed-${storeId}`
    const failed = await post({ store_id: 999_999, items: [{ product_id: lamp, quantity_requested: 1 }] }, { 'idempotency-key': key })

    const retried = await post({ store_id: 999_999, items: [{ product_id: lamp, quantity_requested: 1 }] }, { 'idempotency-key': key })

    assert.equal(failed.statusCode, 404)
    assert.equal(retried.statusCode, 404)
  })
})

describe('GET /orders/<id>/', () => {
  test('returns the order with confirmation_sent_at, and 404 or 400 otherwise', async () => {
    const created = (await post({ store_id: storeId, items: [{ product_id: lamp, quantity_requested: 1 }] })).json<CreatedOrderView>()

    const found = await subject.app.inject({ method: 'GET', url: `/orders/${created.id}/`, headers: admin.headers })
    const missing = await subject.app.inject({ method: 'GET', url: '/orders/987654321', headers: admin.headers })
    const invalid = await subject.app.inject({ method: 'GET', url: '/orders/abc', headers: admin.headers })

    assert.equal(found.statusCode, 200)
    assert.deepEqual(found.json(), { ...created, confirmation_sent_at: null })
    assert.equal(missing.statusCode, 404)
    assert.equal(invalid.statusCode, 400)
  })
})

describe('GET /stores/<id>/orders/', () => {
  let listedStore: number
  let ids: number[]

  before(async () => {
    listedStore = await addStore(subject.db.pool, 'Listing store')
    await stock(subject.db.pool, listedStore, { [lamp]: 3, [desk]: 10 })
    ids = []
    for (const quantity of [1, 1, 5, 1, 2]) {
      const response = await post({
        store_id: listedStore,
        items: [
          { product_id: lamp, quantity_requested: quantity },
          { product_id: desk, quantity_requested: 1 },
        ],
      })
      ids.push(response.json<CreatedOrderView>().id)
    }
  })

  test('lists newest first with totals, and pages without overlap', async () => {
    const first = (await subject.app.inject({ method: 'GET', url: `/stores/${listedStore}/orders/?page_size=2`, headers: admin.headers })).json<
      PageEnvelope<StoreOrderSummaryView>
    >()
    const third = (await subject.app.inject({ method: 'GET', url: `/stores/${listedStore}/orders/?page_size=2&page=3`, headers: admin.headers })).json<
      PageEnvelope<StoreOrderSummaryView>
    >()
    const beyond = (await subject.app.inject({ method: 'GET', url: `/stores/${listedStore}/orders/?page_size=2&page=9`, headers: admin.headers })).json<
      PageEnvelope<StoreOrderSummaryView>
    >()

    assert.equal(first.count, 5)
    assert.equal(first.total_pages, 3)
    assert.deepEqual(
      first.results.map((o) => o.id),
      [ids[4], ids[3]],
    )
    assert.deepEqual(Object.keys(first.results[0] ?? {}).sort(), ['created_at', 'id', 'status', 'total_items'])
    assert.equal(first.results[0]?.total_items, 3)
    assert.equal(first.previous, null)
    assert.equal(first.next, `/stores/${listedStore}/orders/?page_size=2&page=2`)
    assert.deepEqual(
      third.results.map((o) => o.id),
      [ids[0]],
    )
    assert.equal(third.next, null)
    assert.deepEqual(beyond.results, [])
    assert.equal(beyond.count, 5)
  })

  test('filters by status', async () => {
    const confirmed = (await subject.app.inject({ method: 'GET', url: `/stores/${listedStore}/orders?status=CONFIRMED`, headers: admin.headers })).json<
      PageEnvelope<StoreOrderSummaryView>
    >()
    const rejected = (await subject.app.inject({ method: 'GET', url: `/stores/${listedStore}/orders?status=REJECTED`, headers: admin.headers })).json<
      PageEnvelope<StoreOrderSummaryView>
    >()

    assert.deepEqual(
      confirmed.results.map((o) => o.id),
      [ids[3], ids[1], ids[0]],
    )
    assert.deepEqual(
      rejected.results.map((o) => o.id),
      [ids[4], ids[2]],
    )
    assert.equal(confirmed.count, 3)
    assert.ok(confirmed.results.every((o: { status: string }) => o.status === 'CONFIRMED'))
  })

  test('answers 404 for a missing store and 400 for bad parameters', async () => {
    const statuses = await Promise.all(
      [
        '/stores/999999/orders/',
        '/stores/x/orders/',
        `/stores/${listedStore}/orders/?status=LOST`,
        `/stores/${listedStore}/orders/?page_size=101`,
        `/stores/${listedStore}/orders/?page=0`,
        `/stores/${listedStore}/orders/?statuss=REJECTED`,
      ].map(async (url) => (await subject.app.inject({ method: 'GET', url, headers: admin.headers })).statusCode),
    )

    assert.deepEqual(statuses, [404, 400, 400, 400, 400, 400])
  })

  test('reads the page and its count in one statement (one snapshot), whatever the page size', async () => {
    // The key's lookup is cached after its first use, as at steady state.
    await subject.app.inject({ method: 'GET', url: `/stores/${listedStore}/orders/`, headers: admin.headers })
    const statementsFor = async (pageSize: number) => {
      subject.counting.reset()
      const response = await subject.app.inject({ method: 'GET', url: `/stores/${listedStore}/orders/?page_size=${pageSize}`, headers: admin.headers })
      assert.equal(response.json<PageEnvelope<StoreOrderSummaryView>>().results.length, Math.min(pageSize, 5))
      return subject.counting.statements()
    }

    const small = await statementsFor(1)
    const large = await statementsFor(100)

    assert.equal(small, 1)
    assert.equal(large, 1)
  })
})
