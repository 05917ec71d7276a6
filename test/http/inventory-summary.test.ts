import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { PgInventorySummaries } from '../../adapters/postgres/pg-inventory-summaries.js'
import { BuildDailyInventorySummary } from '../../application/inventory/build-daily-inventory-summary.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { appOverTestDatabase } from '../support/http-app.js'
import type { InventorySummaryView, ProblemBody } from '../support/http-bodies.js'
import { seedSmallDataSet } from '../support/job-worker.js'

let admin: TestKey
const subject = appOverTestDatabase({
  prepare: async (db) => {
    await seedSmallDataSet(db.pool)
    admin = await adminKey(db.pool)
  },
})

/** Runs the summary use case as the job does (the job itself is covered with the worker). */
async function summarise(date: string, lowStockThreshold = 5): Promise<void> {
  await new BuildDailyInventorySummary(new PgInventorySummaries(subject.db.pool), { now: () => new Date() }, lowStockThreshold).execute({ date })
}

describe('GET /stores/<id>/inventory/summary/', () => {
  test('is 404 for a store without a summary yet, and for a store that does not exist', async () => {
    const none = await subject.app.inject({ method: 'GET', url: '/stores/1/inventory/summary/', headers: admin.headers })
    const missing = await subject.app.inject({ method: 'GET', url: '/stores/999/inventory/summary/', headers: admin.headers })

    assert.equal(none.statusCode, 404)
    assert.match(String(none.headers['content-type']), /^application\/problem\+json/)
    assert.equal(none.json<ProblemBody>().type, 'https://aforro.dev/problems/not-found')
    assert.match(none.json<ProblemBody>().detail, /No inventory summary of store 1/)
    assert.equal(missing.statusCode, 404)
    assert.match(missing.json<ProblemBody>().detail, /store 999 does not exist/)
  })

  test('a store id that is not a positive integer is a 400', async () => {
    for (const id of ['0', 'abc', '-3', '1.5']) {
      const response = await subject.app.inject({ method: 'GET', url: `/stores/${id}/inventory/summary`, headers: admin.headers })

      assert.equal(response.statusCode, 400, id)
      assert.equal(response.json<ProblemBody>().type, 'https://aforro.dev/problems/validation-error', id)
    }
  })

  test('serves the latest day, with the figures and low-stock list of that day, with or without the slash', async () => {
    await subject.db.pool.query(`UPDATE inventory SET quantity = CASE WHEN product_id % 2 = 0 THEN 0 ELSE 7 END
                          WHERE store_id = 2 AND product_id IN (SELECT product_id FROM inventory WHERE store_id = 2 ORDER BY product_id LIMIT 6)`)
    await summarise('2026-03-01')
    await summarise('2026-03-02', 10)
    const { rows } = await subject.db.pool.query<Record<string, unknown>>(
      `SELECT count(*) AS sku_count, sum(i.quantity) AS total_units, count(*) FILTER (WHERE i.quantity = 0) AS out_of_stock,
              coalesce(json_agg(json_build_object('product_id', i.product_id, 'title', p.title, 'quantity', i.quantity)
                                ORDER BY i.quantity, p.title, i.product_id) FILTER (WHERE i.quantity BETWEEN 1 AND 9), '[]') AS low_stock
         FROM inventory i JOIN products p ON p.id = i.product_id WHERE i.store_id = 2`,
    )

    const response = await subject.app.inject({ method: 'GET', url: '/stores/2/inventory/summary/', headers: admin.headers })
    const again = await subject.app.inject({ method: 'GET', url: '/stores/2/inventory/summary', headers: admin.headers })

    assert.equal(response.statusCode, 200)
    const body = response.json<InventorySummaryView>()
    assert.deepEqual(Object.keys(body).sort(), ['date', 'generated_at', 'low_stock', 'out_of_stock', 'sku_count', 'store_id', 'total_units'])
    assert.deepEqual({ ...body, generated_at: undefined }, { store_id: 2, date: '2026-03-02', ...rows[0], generated_at: undefined })
    assert.ok(
      body.low_stock.some((item) => item.quantity === 7),
      'a threshold of 10 counts 7 as low',
    )
    assert.match(body.generated_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    assert.deepEqual(again.json(), body)
  })

  test('counts only what the store still carries: an archived product leaves the summary as it leaves the listing', async () => {
    const { rows } = await subject.db.pool.query<{ product_id: number }>('SELECT product_id FROM inventory WHERE store_id = 3 ORDER BY product_id LIMIT 2')
    const [archived, kept] = rows.map((row) => row.product_id)
    await subject.db.pool.query('UPDATE inventory SET quantity = 2 WHERE store_id = 3 AND product_id = ANY ($1)', [[archived, kept]])
    const deleted = await subject.app.inject({ method: 'DELETE', url: `/products/${archived}/`, headers: admin.headers })
    await summarise('2026-04-01')

    const summary = (await subject.app.inject({ method: 'GET', url: '/stores/3/inventory/summary/', headers: admin.headers })).json<InventorySummaryView>()
    const listing = (await subject.app.inject({ method: 'GET', url: '/stores/3/inventory/?page_size=1', headers: admin.headers })).json<{ count: number }>()

    assert.equal(deleted.statusCode, 204)
    assert.equal(summary.sku_count, listing.count)
    const lowStock = summary.low_stock.map((item) => item.product_id)
    assert.ok(lowStock.includes(kept as number), 'the product still carried is low')
    assert.ok(!lowStock.includes(archived as number), 'the archived product is not listed')
  })

  test('is documented in the OpenAPI document', async () => {
    const spec = (await subject.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>
    }>()

    assert.ok(spec.paths['/stores/{store_id}/inventory/summary']?.get?.responses['200'])
  })
})
