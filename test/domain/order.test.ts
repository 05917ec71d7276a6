import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InsufficientStockError, MAX_STOCK_LEVEL, StoreInventory } from '../../domain/inventory/store-inventory.js'
import { draftOrder, InvalidOrderError, placeOrder, totalItems } from '../../domain/ordering/order.js'
import { orderRecord } from '../../domain/ordering/order-record.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'
import { ValidationError } from '../../domain/shared/validation-error.js'

const STORE = 1 as StoreId
const inventoryOf = (levels: Record<number, number>) =>
  new StoreInventory(
    STORE,
    Object.entries(levels).map(([id, quantity]) => ({ productId: Number(id) as ProductId, quantity })),
  )
const lines = (...pairs: [number, number][]) => pairs.map(([productId, quantity]) => ({ productId, quantity }))

describe('placing an order', () => {
  const cases: {
    name: string
    stock: Record<number, number>
    request: [number, number][]
    status: 'CONFIRMED' | 'REJECTED'
    after: Record<number, number>
    shortages?: { productId: number; requested: number; available: number }[]
  }[] = [
    {
      name: 'confirms and deducts every line when all fit',
      stock: { 1: 5, 2: 3 },
      request: [
        [1, 2],
        [2, 3],
      ],
      status: 'CONFIRMED',
      after: { 1: 3, 2: 0 },
    },
    {
      name: 'rejects the whole order and deducts nothing when one line is short',
      stock: { 1: 5, 2: 3 },
      request: [
        [1, 2],
        [2, 4],
      ],
      status: 'REJECTED',
      after: { 1: 5, 2: 3 },
      shortages: [{ productId: 2, requested: 4, available: 3 }],
    },
    {
      name: 'treats a product the store does not stock as available 0',
      stock: { 1: 5 },
      request: [
        [1, 1],
        [9, 1],
      ],
      status: 'REJECTED',
      after: { 1: 5 },
      shortages: [{ productId: 9, requested: 1, available: 0 }],
    },
    {
      name: 'adds up repeated lines for one product before deciding',
      stock: { 1: 5 },
      request: [
        [1, 3],
        [1, 3],
      ],
      status: 'REJECTED',
      after: { 1: 5 },
      shortages: [{ productId: 1, requested: 6, available: 5 }],
    },
    {
      name: 'confirms repeated lines that fit together',
      stock: { 1: 6 },
      request: [
        [1, 3],
        [1, 3],
      ],
      status: 'CONFIRMED',
      after: { 1: 0 },
    },
    { name: 'confirms taking exactly the last unit', stock: { 1: 1 }, request: [[1, 1]], status: 'CONFIRMED', after: { 1: 0 } },
    {
      name: 'rejects one more than is there',
      stock: { 1: 1_000_000 },
      request: [
        [1, 1_000_000],
        [1, 1],
      ],
      status: 'REJECTED',
      after: { 1: 1_000_000 },
      shortages: [{ productId: 1, requested: 1_000_001, available: 1_000_000 }],
    },
    {
      name: 'names every short line',
      stock: { 1: 0, 2: 1, 3: 10 },
      request: [
        [1, 1],
        [2, 2],
        [3, 10],
      ],
      status: 'REJECTED',
      after: { 1: 0, 2: 1, 3: 10 },
      shortages: [
        { productId: 1, requested: 1, available: 0 },
        { productId: 2, requested: 2, available: 1 },
      ],
    },
  ]

  for (const { name, stock, request, status, after, shortages } of cases) {
    test(name, () => {
      const inventory = inventoryOf(stock)

      const decision = placeOrder(draftOrder(STORE, lines(...request)), inventory)

      assert.equal(decision.status, status)
      for (const [productId, quantity] of Object.entries(after)) {
        assert.equal(inventory.available(Number(productId) as ProductId), quantity, `level of product ${productId}`)
      }
      assert.deepEqual(decision.shortages, shortages ?? null)
      if (status === 'REJECTED') assert.deepEqual(inventory.changes(), [])
    })
  }

  test('records each change as a negative delta in product-id order', () => {
    const inventory = inventoryOf({ 7: 10, 3: 4 })

    placeOrder(draftOrder(STORE, lines([7, 2], [3, 4])), inventory)

    assert.deepEqual(inventory.changes(), [
      { productId: 3, delta: -4, quantity: 0 },
      { productId: 7, delta: -2, quantity: 8 },
    ])
  })

  test("refuses to decide with another store's stock", () => {
    assert.throws(() => placeOrder(draftOrder(2, lines([1, 1])), inventoryOf({ 1: 5 })), InvalidOrderError)
  })
})

describe('drafting an order', () => {
  test('merges repeated products, keeping the order in which each was first named', () => {
    const draft = draftOrder(1, lines([5, 1], [2, 2], [5, 4]))

    assert.deepEqual(draft.lines, [
      { productId: 5, quantity: 5 },
      { productId: 2, quantity: 2 },
    ])
    assert.equal(totalItems(draft.lines), 7)
  })

  const invalid: [string, number, [number, number][]][] = [
    ['no lines', 1, []],
    ['101 lines', 1, Array.from({ length: 101 }, (_, i) => [i + 1, 1] as [number, number])],
    ['a zero quantity', 1, [[1, 0]]],
    ['a negative quantity', 1, [[1, -3]]],
    ['a fractional quantity', 1, [[1, 1.5]]],
    ['a quantity over a million', 1, [[1, 1_000_001]]],
    ['a product id of zero', 1, [[0, 1]]],
    ['a store id that is not an integer', 1.5, [[1, 1]]],
    ['an unsafe integer id', 1, [[2 ** 53, 1]]],
  ]
  for (const [name, storeId, request] of invalid) {
    test(`rejects ${name}`, () => {
      assert.throws(() => draftOrder(storeId, lines(...request)), InvalidOrderError)
    })
  }
})

describe('store inventory', () => {
  test('never lets a level go below zero', () => {
    const inventory = inventoryOf({ 1: 2 })

    assert.throws(() => inventory.deduct(1 as ProductId, 3), InsufficientStockError)
    assert.throws(() => inventory.deduct(1 as ProductId, -1), InsufficientStockError)
    assert.throws(() => inventory.deduct(2 as ProductId, 1), InsufficientStockError)
    assert.equal(inventory.available(1 as ProductId), 2)
  })

  test('a restock sets the level outright and changes by the difference; a product not carried starts at 0', () => {
    const inventory = inventoryOf({ 1: 2, 2: 9 })

    inventory.setLevel(1 as ProductId, 7)
    inventory.setLevel(2 as ProductId, 9)
    inventory.setLevel(3 as ProductId, 4)

    assert.deepEqual(inventory.changes(), [
      { productId: 1, delta: 5, quantity: 7 },
      { productId: 3, delta: 4, quantity: 4 },
    ])
  })

  test('a restock outside 0 to MAX_STOCK_LEVEL is refused and changes nothing', () => {
    const inventory = inventoryOf({ 1: 2 })

    for (const quantity of [-1, MAX_STOCK_LEVEL + 1, 1.5, Number.NaN]) {
      assert.throws(() => inventory.setLevel(1 as ProductId, quantity), ValidationError, String(quantity))
    }
    inventory.setLevel(1 as ProductId, MAX_STOCK_LEVEL)
    assert.equal(inventory.available(1 as ProductId), MAX_STOCK_LEVEL)
    inventory.setLevel(1 as ProductId, 2)
    assert.deepEqual(inventory.changes(), [])
  })
})

describe('order record', () => {
  test('derives the total from the items it is given, whichever source built it', () => {
    const record = orderRecord({
      id: 9 as OrderId,
      storeId: STORE,
      status: 'CONFIRMED',
      createdAt: new Date('2026-11-21T10:00:00.000Z'),
      cancelledAt: null,
      items: [
        { productId: 5 as ProductId, title: 'Lamp', quantity: 2 },
        { productId: 6 as ProductId, title: 'Desk', quantity: 3 },
      ],
      shortages: null,
      confirmationSentAt: null,
    })

    assert.equal(record.totalItems, 5)
  })
})
