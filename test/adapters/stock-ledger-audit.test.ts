import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { PgStockLedgerAudit } from '../../adapters/postgres/pg-stock-ledger-audit.js'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
before(async () => {
  db = await createTestDatabase()
})
after(() => db.close())

const move = (storeId: number, productId: number, delta: number) =>
  db.pool.query("INSERT INTO stock_movements (store_id, product_id, delta, reason, reference) VALUES ($1, $2, $3, 'restock', 'test')", [
    storeId,
    productId,
    delta,
  ])

describe('PgStockLedgerAudit', () => {
  test('counts every level and movement, and reports only the levels at odds with their ledger', async () => {
    const storeId = await addStore(db.pool)
    const [kept, tampered, dipped, empty] = (await addProducts(db.pool, [
      { title: 'Kept' },
      { title: 'Tampered' },
      { title: 'Dipped' },
      { title: 'Empty' },
    ])) as [number, number, number, number]
    await stock(db.pool, storeId, { [kept]: 10, [tampered]: 4, [dipped]: 0, [empty]: 0 })
    await move(storeId, kept, -3)
    await db.pool.query('UPDATE inventory SET quantity = quantity - 3 WHERE store_id = $1 AND product_id = $2', [storeId, kept])
    await db.pool.query('UPDATE inventory SET quantity = 9 WHERE store_id = $1 AND product_id = $2', [storeId, tampered])
    // Sums to the level (zero), but the recorded history went below zero on the way.
    await move(storeId, dipped, -2)
    await move(storeId, dipped, 2)

    const scan = await new PgStockLedgerAudit(db.pool).scan()

    assert.deepEqual({ levels: scan.levelsChecked, movements: scan.movementsChecked }, { levels: 4, movements: 5 })
    assert.deepEqual(scan.suspicious, [
      { storeId, productId: tampered, level: 9, ledgerSum: 4, lowestBalance: 0 },
      { storeId, productId: dipped, level: 0, ledgerSum: 0, lowestBalance: -2 },
    ])
  })
})
