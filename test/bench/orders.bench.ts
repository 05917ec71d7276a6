import { buildTestApp } from '../support/http-app.js'
import { withSeededDatabase } from './seeded-database.js'
import { round, runConcurrently, summarize } from './measure.js'
import type { CreatedOrderView } from '../support/http-bodies.js'

const ORDERS = 3_000
const CONCURRENCY = 16
const LINES_PER_ORDER = 3

/**
 * Orders per second through the whole HTTP stack (inject, no sockets) on the default data set:
 * a spread of products (3 random lines of the store's stock) and one hot product every order
 * wants. Stock is raised high first so that every order confirms and does the full write path.
 */
export default async function ordersBenchmark(): Promise<void> {
  await withSeededDatabase('aforro_bench_orders', { max: CONCURRENCY }, async ({ url, pool }) => {
    await pool.query('UPDATE inventory SET quantity = 1000000')
    const { rows } = await pool.query<{ product_id: number }>('SELECT product_id FROM inventory WHERE store_id = 1 ORDER BY product_id')
    const carried = rows.map((row) => row.product_id)
    const app = await buildTestApp({ url, pool })

    const scenario = async (label: string, itemsFor: (index: number) => { product_id: number; quantity_requested: number }[]) => {
      const { latencies, seconds } = await runConcurrently(ORDERS, CONCURRENCY, async (index) => {
        const response = await app.inject({ method: 'POST', url: '/orders/', payload: { store_id: 1, items: itemsFor(index) } })
        if (response.statusCode !== 201 || response.json<CreatedOrderView>().status !== 'CONFIRMED') throw new Error(`order failed: ${response.body}`)
      })
      const latency = summarize(latencies)
      console.log(
        `orders/${label}: ${round(ORDERS / seconds, 0)} orders/s, latency median ${latency.median} ms, p99 ${latency.p99} ms ` +
          `(${ORDERS} orders, ${CONCURRENCY} in flight, ${carried.length} stocked products)`,
      )
    }

    await scenario('spread', (index) =>
      Array.from({ length: LINES_PER_ORDER }, (_, line) => ({
        product_id: carried[(index * 7 + line * 101) % carried.length] as number,
        quantity_requested: 1,
      })),
    )
    await scenario('hot-product', () => [{ product_id: carried[0] as number, quantity_requested: 1 }])
    await app.close()
  })
}
