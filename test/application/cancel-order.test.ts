import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import { CancelOrder } from '../../application/ordering/cancel-order.js'
import { PlaceOrder } from '../../application/ordering/place-order.js'
import { OrderNotCancellableError } from '../../domain/ordering/order.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import { InMemoryDatabase } from './in-memory-database.js'

let store: InMemoryDatabase
let notified: number[]
let placeOrder: PlaceOrder
let cancelOrder: CancelOrder

beforeEach(() => {
  store = new InMemoryDatabase()
  store.stock(1, { 10: 5, 20: 1 })
  notified = []
  const stockChanged = { notify: async (storeId: number) => void notified.push(storeId) }
  placeOrder = new PlaceOrder(store, store, stockChanged)
  cancelOrder = new CancelOrder(store, store, stockChanged)
})

describe('CancelOrder', () => {
  test('returns the stock with cancel movements, marks the order CANCELLED and announces the stock change', async () => {
    const { order } = await placeOrder.execute({
      storeId: 1,
      items: [
        { productId: 20, quantity: 1 },
        { productId: 10, quantity: 2 },
      ],
    })
    notified.length = 0

    const cancelled = await cancelOrder.execute(order.id)

    assert.equal(cancelled.status, 'CANCELLED')
    assert.ok(cancelled.cancelledAt instanceof Date)
    assert.deepEqual([store.level(1, 10), store.level(1, 20)], [5, 1])
    assert.deepEqual(
      store.state.ledger.filter((movement) => movement.reason === 'cancel'),
      [
        { storeId: 1, productId: 10, delta: 2, reason: 'cancel', reference: `order:${order.id}` },
        { storeId: 1, productId: 20, delta: 1, reason: 'cancel', reference: `order:${order.id}` },
      ],
    )
    assert.deepEqual(notified, [1])
  })

  test('a second cancellation returns nothing twice and announces nothing', async () => {
    const { order } = await placeOrder.execute({ storeId: 1, items: [{ productId: 10, quantity: 2 }] })
    await cancelOrder.execute(order.id)
    const ledger = store.state.ledger.length
    notified.length = 0

    const again = await cancelOrder.execute(order.id)

    assert.equal(again.status, 'CANCELLED')
    assert.equal(store.level(1, 10), 5)
    assert.equal(store.state.ledger.length, ledger)
    assert.deepEqual(notified, [])
  })

  test('a REJECTED order is a conflict and changes nothing; a missing order is not found', async () => {
    const { order } = await placeOrder.execute({ storeId: 1, items: [{ productId: 20, quantity: 2 }] })
    const before = structuredClone(store.state)

    await assert.rejects(cancelOrder.execute(order.id), OrderNotCancellableError)
    await assert.rejects(cancelOrder.execute(999), NotFoundError)
    assert.deepEqual(store.state, before)
  })
})
