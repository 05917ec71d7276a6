import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import { SetStockLevel } from '../../application/inventory/set-stock-level.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { ProductId, StoreId } from '../../domain/shared/ids.js'
import { ValidationError } from '../../domain/shared/validation-error.js'
import { InMemoryDatabase } from './in-memory-database.js'

let database: InMemoryDatabase
let events: string[]
let setStockLevel: SetStockLevel

beforeEach(() => {
  database = new InMemoryDatabase()
  database.stock(1, { 10: 5 })
  database.catalog.set(30, { title: 'Lamp', price: '19.90', category: 'Home' })
  events = []
  setStockLevel = new SetStockLevel(database, { notify: async (storeId) => void events.push(`changed ${storeId}`) })
})

const restock = (storeId: number, productId: number, quantity: number) =>
  setStockLevel.execute({ storeId: storeId as StoreId, productId: productId as ProductId, quantity, keyId: 7 })

describe('SetStockLevel', () => {
  test('sets the level, records the difference as a restock and then tells the store changed', async () => {
    const item = await restock(1, 10, 8)

    assert.deepEqual(item, { productId: 10, title: 'Product 10', price: '1.00', category: 'General', quantity: 8 })
    assert.equal(database.level(1, 10), 8)
    assert.deepEqual(database.state.ledger, [{ storeId: 1, productId: 10, delta: 3, reason: 'restock', reference: 'api-key:7' }])
    assert.deepEqual(events, ['changed 1'])
  })

  test('adds a product the store did not carry, recording its whole level', async () => {
    const item = await restock(1, 30, 4)

    assert.deepEqual(item, { productId: 30, title: 'Lamp', price: '19.90', category: 'Home', quantity: 4 })
    assert.equal(database.level(1, 30), 4)
    assert.deepEqual(database.state.ledger, [{ storeId: 1, productId: 30, delta: 4, reason: 'restock', reference: 'api-key:7' }])
  })

  test('records no movement when the level already is the one asked for', async () => {
    await restock(1, 10, 5)

    assert.equal(database.level(1, 10), 5)
    assert.deepEqual(database.state.ledger, [])
  })

  test('a missing store or product writes nothing and tells nothing', async () => {
    await assert.rejects(restock(2, 10, 1), /Store 2/)
    await assert.rejects(restock(1, 99, 1), NotFoundError)

    assert.equal(database.level(1, 99), undefined)
    assert.deepEqual(database.state.ledger, [])
    assert.deepEqual(events, [])
  })

  test('refuses a level outside 0 to MAX_STOCK_LEVEL and rolls back the row it would have added', async () => {
    await assert.rejects(restock(1, 30, -1), ValidationError)
    await assert.rejects(restock(1, 30, 1_000_000_001), ValidationError)

    assert.equal(database.level(1, 30), undefined)
    assert.deepEqual(events, [])
  })
})
