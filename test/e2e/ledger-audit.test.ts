import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type pg from 'pg'
import { inTransaction } from '../../adapters/postgres/pool.js'
import { appOverTestDatabase } from '../support/http-app.js'
import { seedSmallDataSet } from '../support/job-worker.js'
import { runProgram } from '../support/programs.js'

const subject = appOverTestDatabase({ prepare: (db) => seedSmallDataSet(db.pool) })

const audit = () => runProgram('bootstrap/audit.js', [], { DATABASE_URL: subject.db.url, LOG_LEVEL: 'warn' })

/**
 * Sets a level the way a restock must: the new level and its 'restock' movement in one
 * transaction, under the row lock. (Stands in for PUT /stores/<id>/inventory/<product_id>/,
 * which is built on another branch.)
 */
async function restock(pool: pg.Pool, storeId: number, productId: number, quantity: number): Promise<void> {
  await inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ quantity: number }>('SELECT quantity FROM inventory WHERE store_id = $1 AND product_id = $2 FOR UPDATE', [
      storeId,
      productId,
    ])
    const delta = quantity - (rows[0]?.quantity ?? 0)
    await client.query('UPDATE inventory SET quantity = $3, updated_at = now() WHERE store_id = $1 AND product_id = $2', [storeId, productId, quantity])
    if (delta !== 0) {
      await client.query("INSERT INTO stock_movements (store_id, product_id, delta, reason, reference) VALUES ($1, $2, $3, 'restock', 'test')", [
        storeId,
        productId,
        delta,
      ])
    }
  })
}

describe('npm run audit', () => {
  test('passes on seeded data, and after a burst of concurrent orders and restocks', async () => {
    const levels = (await subject.db.pool.query<{ n: number }>('SELECT count(*) AS n FROM inventory')).rows[0]?.n
    const stock = (
      await subject.db.pool.query<{ store_id: number; product_id: number }>('SELECT store_id, product_id FROM inventory ORDER BY store_id, product_id')
    ).rows
    const seeded = await audit()

    const orders = Array.from({ length: 40 }, (_, i) => {
      const line = stock[(i * 7) % stock.length]!
      return subject.app.inject({
        method: 'POST',
        url: '/orders/',
        payload: { store_id: line.store_id, items: [{ product_id: line.product_id, quantity_requested: 1 + (i % 4) }] },
      })
    })
    const restocks = Array.from({ length: 10 }, (_, i) => {
      const line = stock[(i * 7) % stock.length]!
      return restock(subject.db.pool, line.store_id, line.product_id, 3 + i)
    })
    const responses = await Promise.all([...orders, ...restocks])
    const afterBurst = await audit()

    assert.equal(seeded.code, 0, seeded.output)
    assert.match(seeded.output, new RegExp(`Checked ${levels} inventory levels`))
    assert.match(seeded.output, /Audit passed/)
    assert.ok(responses.slice(0, 40).every((response) => response && response.statusCode === 201))
    const { rows } = await subject.db.pool.query<{ reason: string }>(
      "SELECT DISTINCT reason::text AS reason FROM stock_movements WHERE reason <> 'seed' ORDER BY 1",
    )
    assert.deepEqual(
      rows.map((row) => row.reason),
      ['order', 'restock'],
      'the burst moved stock both ways',
    )
    assert.equal(afterBurst.code, 0, afterBurst.output)
    assert.match(afterBurst.output, /Audit passed/)
  })

  test('fails, naming the row, when a level is changed behind the ledger', async () => {
    const { rows } = await subject.db.pool.query<{ store_id: number; product_id: number; quantity: number }>(
      'UPDATE inventory SET quantity = quantity + 3 WHERE (store_id, product_id) = (SELECT store_id, product_id FROM inventory WHERE store_id = 2 ORDER BY product_id LIMIT 1) RETURNING store_id, product_id, quantity',
    )
    const tampered = rows[0]!

    const result = await audit()

    assert.equal(result.code, 1, result.output)
    assert.match(
      result.output,
      new RegExp(`FAIL store 2 product ${tampered.product_id}: level ${tampered.quantity}, ledger sum ${tampered.quantity - 3}\\b.*level-differs-from-ledger`),
    )
    assert.match(result.output, /Audit FAILED: 1 of \d+ levels/)
  })
})
