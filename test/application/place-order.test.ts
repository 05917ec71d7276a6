import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import { IdempotencyKeyInFlightError, IdempotencyKeyReusedError } from '../../application/ordering/idempotency-errors.js'
import { PlaceOrder } from '../../application/ordering/place-order.js'
import { UnknownProductsError } from '../../domain/ordering/order.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import { InMemoryDatabase } from './in-memory-database.js'

let database: InMemoryDatabase
let notified: number[]
let placeOrder: PlaceOrder

beforeEach(() => {
  database = new InMemoryDatabase()
  database.stock(1, { 10: 5, 20: 1 })
  notified = []
  placeOrder = new PlaceOrder(database, database, { notify: async (storeId) => void notified.push(storeId) })
})

describe('PlaceOrder', () => {
  test('a confirmed order deducts, records the ledger, enqueues its confirmation and announces the stock change', async () => {
    const { order } = await placeOrder.execute({ storeId: 1, items: [{ productId: 10, quantity: 2 }] })

    assert.equal(order.status, 'CONFIRMED')
    assert.equal(database.level(1, 10), 3)
    assert.deepEqual(database.state.ledger, [{ storeId: 1, productId: 10, delta: -2, reason: 'order', reference: `order:${order.id}` }])
    assert.deepEqual(database.state.jobs, [{ name: 'order-confirmation', payload: { orderId: order.id } }])
    assert.deepEqual(notified, [1])
  })

  test('a rejected order is stored but changes no stock, enqueues nothing and announces nothing', async () => {
    const { order } = await placeOrder.execute({
      storeId: 1,
      items: [
        { productId: 10, quantity: 1 },
        { productId: 20, quantity: 2 },
      ],
    })

    assert.equal(order.status, 'REJECTED')
    assert.deepEqual(order.shortages, [{ productId: 20, requested: 2, available: 1 }])
    assert.equal(database.level(1, 10), 5)
    assert.deepEqual(database.state.jobs, [])
    assert.deepEqual(notified, [])
    assert.equal(database.state.orders.length, 1)
  })

  test('an unknown store or product writes nothing', async () => {
    await assert.rejects(placeOrder.execute({ storeId: 2, items: [{ productId: 10, quantity: 1 }] }), NotFoundError)
    await assert.rejects(
      placeOrder.execute({
        storeId: 1,
        items: [
          { productId: 10, quantity: 1 },
          { productId: 99, quantity: 1 },
          { productId: 98, quantity: 1 },
        ],
      }),
      (error: unknown) => error instanceof UnknownProductsError && JSON.stringify(error.details) === '{"product_ids":[99,98]}',
    )

    assert.equal(database.state.orders.length, 0)
    assert.equal(database.level(1, 10), 5)
  })

  test('a repeated key with the same request replays the first order and writes nothing', async () => {
    const command = { storeId: 1, items: [{ productId: 10, quantity: 2 }], idempotencyKey: 'k-1' }
    const first = await placeOrder.execute(command)

    const second = await placeOrder.execute(command)

    assert.equal(second.replayed, true)
    assert.deepEqual(second.order, first.order)
    assert.equal(database.level(1, 10), 3)
    assert.equal(database.state.orders.length, 1)
    assert.deepEqual(notified, [1])
  })

  test('a repeated key with another request is refused', async () => {
    await placeOrder.execute({ storeId: 1, items: [{ productId: 10, quantity: 2 }], idempotencyKey: 'k-1' })

    await assert.rejects(placeOrder.execute({ storeId: 1, items: [{ productId: 10, quantity: 3 }], idempotencyKey: 'k-1' }), IdempotencyKeyReusedError)
    assert.equal(database.level(1, 10), 3)
  })

  test('a key still held by another request is refused as in flight', async () => {
    database.keysInFlight.add('k-2')

    await assert.rejects(placeOrder.execute({ storeId: 1, items: [{ productId: 10, quantity: 1 }], idempotencyKey: 'k-2' }), IdempotencyKeyInFlightError)
    assert.equal(database.level(1, 10), 5)
  })
})
