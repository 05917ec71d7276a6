import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MAX_STOCK_LEVEL, StockLevelOverflowError, StoreInventory } from '../../domain/inventory/store-inventory.js'
import { decideCancellation, OrderNotCancellableError, returnStock, type OrderStatus, type PlacedOrder } from '../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'

const order = (status: OrderStatus): PlacedOrder => ({
  id: 9 as OrderId,
  storeId: 1 as StoreId,
  status,
  lines: [
    { productId: 20 as ProductId, quantity: 3 },
    { productId: 10 as ProductId, quantity: 2 },
  ],
})

const stock = () =>
  new StoreInventory(1 as StoreId, [
    { productId: 10 as ProductId, quantity: 0 },
    { productId: 20 as ProductId, quantity: 5 },
  ])

describe('cancelling an order', () => {
  test('a CONFIRMED order returns every line to the levels, recorded as changes in product-id order', () => {
    const inventory = stock()

    returnStock(order('CONFIRMED'), inventory)

    assert.deepEqual(inventory.changes(), [
      { productId: 10, delta: 2, quantity: 2 },
      { productId: 20, delta: 3, quantity: 8 },
    ])
  })

  test('a CANCELLED order has returned its stock already: nothing changes', () => {
    const inventory = stock()

    assert.equal(decideCancellation(order('CANCELLED')), 'already-cancelled')
    returnStock(order('CANCELLED'), inventory)

    assert.deepEqual(inventory.changes(), [])
  })

  test('a REJECTED or PENDING order cannot be cancelled: a conflict', () => {
    for (const status of ['REJECTED', 'PENDING'] as const) {
      assert.throws(
        () => decideCancellation(order(status)),
        (error: unknown) => error instanceof OrderNotCancellableError && error.code === 'conflict' && /only a CONFIRMED order/.test(error.message),
      )
      assert.throws(() => returnStock(order(status), stock()), OrderNotCancellableError)
    }
  })

  test('returning units never takes a level past the maximum: a conflict, and nothing recorded', () => {
    const nearTheCap = new StoreInventory(1 as StoreId, [
      { productId: 10 as ProductId, quantity: 0 },
      { productId: 20 as ProductId, quantity: MAX_STOCK_LEVEL - 2 },
    ])

    assert.throws(
      () => returnStock(order('CONFIRMED'), nearTheCap),
      (error: unknown) => error instanceof StockLevelOverflowError && error.code === 'conflict',
    )
    assert.equal(nearTheCap.available(20 as ProductId), MAX_STOCK_LEVEL - 2)
  })

  test('stock of another store is refused', () => {
    assert.throws(() => returnStock(order('CONFIRMED'), new StoreInventory(2 as StoreId, [])), /not of store 2/)
  })
})
