import { adminKey } from '../support/api-keys.js'
import { buildTestApp } from '../support/http-app.js'
import { withSeededDatabase } from './seeded-database.js'
import { measure, round, runConcurrently, STATS_HEADER, statsRow } from './measure.js'

const BULK_SIZE = 1_000
const RENAMED_CATEGORY_SIZE = 100_000
const ORDERS = 2_000
const CONCURRENCY = 8

/**
 * Catalog writes and cancellations through the whole HTTP stack (inject, no sockets) on the
 * default data set: a bulk import of 1,000 products (search projection, title dictionary and
 * lexeme counts kept exact by the triggers, in the same transaction); a rename of a category
 * holding 100,000 products (every one's search document is rewritten); and cancellations per
 * second against order placements per second, same products, same concurrency.
 */
export default async function catalogBenchmark(): Promise<void> {
  await withSeededDatabase('aforro_bench_catalog', { max: CONCURRENCY, statementTimeoutMs: 120_000 }, async ({ url, pool }) => {
    const admin = await adminKey(pool)
    const app = await buildTestApp({ url, pool })
    const call = async (method: 'POST' | 'PATCH', path: string, payload: object, expected: number) => {
      const response = await app.inject({ method, url: path, payload, headers: admin.headers })
      if (response.statusCode !== expected) throw new Error(`${method} ${path} answered ${response.statusCode}: ${response.body.slice(0, 300)}`)
      return response
    }

    const { rows } = await pool.query<{ id: number }>('SELECT id FROM categories ORDER BY id LIMIT 1')
    const categoryId = rows[0]!.id
    let batch = 0
    const bulk = await measure(
      async () => {
        batch += 1
        const products = Array.from({ length: BULK_SIZE }, (_, i) => ({
          title: `Bench Import ${batch} Item ${i}`,
          description: `Imported in batch ${batch}`,
          price: `${(i % 500) + 1}.50`,
          category_id: categoryId,
        }))
        await call('POST', '/products/bulk/', { products }, 201)
      },
      10,
      2,
    )

    const big = (await call('POST', '/categories/', { name: 'Bench Big Category' }, 201)).json<{ id: number }>().id
    await pool.query(
      `INSERT INTO products (title, description, price, category_id)
       SELECT 'Big Category Item ' || n, 'One of many', (n % 1000) + 0.99, $1 FROM generate_series(1, ${RENAMED_CATEGORY_SIZE}) AS n`,
      [big],
    )
    await pool.query('VACUUM ANALYZE')
    let renames = 0
    const rename = await measure(() => call('PATCH', `/categories/${big}/`, { name: `Bench Big Category ${++renames}` }, 200), 5, 1)

    const stocked = (await pool.query<{ product_id: number }>('SELECT product_id FROM inventory WHERE store_id = 1 ORDER BY product_id LIMIT 50')).rows.map(
      (row) => row.product_id,
    )
    await pool.query('UPDATE inventory SET quantity = 1000000 WHERE store_id = 1')
    const lines = (i: number) => [0, 1].map((line) => ({ product_id: stocked[(i * 3 + line * 7) % stocked.length]!, quantity_requested: 1 }))
    const orderIds: number[] = []
    const placing = await runConcurrently(ORDERS, CONCURRENCY, async (i) => {
      orderIds.push((await call('POST', '/orders/', { store_id: 1, items: lines(i) }, 201)).json<{ id: number }>().id)
    })
    const cancelling = await runConcurrently(ORDERS, CONCURRENCY, async (i) => {
      await call('POST', `/orders/${orderIds[i]}/cancel/`, {}, 200)
    })
    await app.close()

    console.log(
      `${STATS_HEADER}\n${statsRow(`bulk import of ${BULK_SIZE} products`, bulk)}\n${statsRow(`rename of a category of ${RENAMED_CATEGORY_SIZE.toLocaleString('en')} products`, rename)}`,
    )
    console.log(
      `catalog: ${round(ORDERS / cancelling.seconds, 0)} cancellations/s against ${round(ORDERS / placing.seconds, 0)} placements/s ` +
        `(${ORDERS} two-line orders of store 1, ${CONCURRENCY} in flight, each cancellation returning both lines)`,
    )
  })
}
