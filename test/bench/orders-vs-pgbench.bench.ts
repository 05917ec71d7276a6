import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { buildTestApp } from '../support/http-app.js'
import { withSeededDatabase } from './seeded-database.js'
import { round, runConcurrently } from './measure.js'
import type { BenchContext } from './run.js'

const CONNECTIONS = 10
const ORDERS_PER_ROUND = 1_500
const LINES_WHEN_SPREAD = 3

/**
 * POST /orders/ over a real socket (10 in flight) against `pgbench` (10 clients) running the same
 * all-or-nothing transaction on the same database: lock the stock rows in product-id order, update
 * them, insert the order and its lines, the ledger movements and the confirmation job row. Rounds
 * alternate service and pgbench so that both see the same machine; medians and ratios are printed,
 * with the process's CPU per order (the server's and the load generator's: they share the
 * process), for one hot product and for orders spread over the store's products. `--rounds N`
 * (default 3).
 */
export default async function ordersVsPgbench({ args }: BenchContext): Promise<void> {
  const rounds = Number(optionValue(args, '--rounds') ?? 3)
  await withSeededDatabase('aforro_bench_orders_pgbench', { max: CONNECTIONS }, async ({ url, pool }) => {
    await pool.query('UPDATE inventory SET quantity = 100000000')
    const { rows } = await pool.query<{ product_id: number }>('SELECT product_id FROM inventory WHERE store_id = 1 ORDER BY product_id')
    const stocked = rows.map((row) => row.product_id)
    const app = await buildTestApp({ url, pool })
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    const scratch = await mkdtemp(join(tmpdir(), 'aforro-pgbench-'))
    try {
      const shapes = [
        { label: 'hot', products: () => [stocked[0] as number] },
        {
          label: 'spread',
          products: (index: number) =>
            Array.from({ length: LINES_WHEN_SPREAD }, (_, line) => stocked[(index * 7 + line * 101) % stocked.length] as number).sort((a, b) => a - b),
        },
      ]
      console.log(
        `${stocked.length} stocked products in store 1; ${CONNECTIONS} connections; ${ORDERS_PER_ROUND} orders per round; ${rounds} alternating rounds`,
      )
      for (const shape of shapes) {
        const script = join(scratch, `${shape.label}.sql`)
        await writeFile(script, scriptFor(shape.label, stocked))
        const service: number[] = []
        const database: number[] = []
        const cpuPerOrder: number[] = []
        for (let round_ = 0; round_ < rounds; round_++) {
          const cpuBefore = process.cpuUsage()
          service.push(await ordersPerSecond(address, shape.products))
          const cpu = process.cpuUsage(cpuBefore)
          cpuPerOrder.push((cpu.user + cpu.system) / 1000 / ORDERS_PER_ROUND)
          database.push(await pgbenchTps(url, script))
        }
        const serviceMedian = median(service)
        const databaseMedian = median(database)
        // Each round's ratio against the pgbench round right after it, so a load that drifts
        // across the run weighs on both sides of each ratio alike.
        const ratios = service.map((orders, index) => (100 * orders) / (database[index] as number))
        console.log(
          `orders/${shape.label}: service ${round(serviceMedian, 0)} orders/s [${service.map((v) => round(v, 0)).join(', ')}], ` +
            `pgbench ${round(databaseMedian, 0)} tps [${database.map((v) => round(v, 0)).join(', ')}], ratio ${round((100 * serviceMedian) / databaseMedian, 1)} %; ` +
            `per round ${round(median(ratios), 1)} % [${ratios.map((v) => round(v, 0)).join(', ')}]; ` +
            `this process's CPU ${round(median(cpuPerOrder), 2)} ms per order (server and load generator)`,
        )
      }
    } finally {
      await app.close()
      await rm(scratch, { recursive: true, force: true })
    }
  })
}

async function ordersPerSecond(address: string, products: (index: number) => number[]): Promise<number> {
  const { seconds } = await runConcurrently(ORDERS_PER_ROUND, CONNECTIONS, async (index) => {
    const response = await fetch(`${address}/orders/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ store_id: 1, items: products(index).map((id) => ({ product_id: id, quantity_requested: 1 })) }),
      signal: AbortSignal.timeout(30_000),
    })
    const body = (await response.json()) as { status?: string }
    if (response.status !== 201 || body.status !== 'CONFIRMED') throw new Error(`order failed: ${response.status} ${JSON.stringify(body)}`)
  })
  return ORDERS_PER_ROUND / seconds
}

/**
 * pgbench's custom script: one order, the service's write path in SQL. `variables` are pgbench
 * `\set` lines run first; `products` is an SQL expression of the order's product ids, ascending.
 */
function pgbenchScript(variables: string[], products: string): string {
  return [
    ...variables,
    'BEGIN;',
    `SELECT product_id, quantity FROM inventory WHERE store_id = 1 AND product_id = ANY(${products}) ORDER BY product_id FOR UPDATE;`,
    `UPDATE inventory SET quantity = quantity - 1, updated_at = now() WHERE store_id = 1 AND product_id = ANY(${products});`,
    "WITH placed AS (INSERT INTO orders (store_id, status, total_items) VALUES (1, 'CONFIRMED', 1) RETURNING id), " +
      `lines AS (INSERT INTO order_items (order_id, product_id, quantity_requested, line_number, title) SELECT placed.id, p, 1, n, 'bench' FROM placed, unnest(${products}) WITH ORDINALITY AS l(p, n)), ` +
      `ledger AS (INSERT INTO stock_movements (store_id, product_id, delta, reason, reference) SELECT 1, p, -1, 'order', 'order:' || placed.id FROM placed, unnest(${products}) AS l(p)) ` +
      "INSERT INTO pgboss.job (name, data) SELECT 'order-confirmation', json_build_object('orderId', placed.id) FROM placed;",
    'COMMIT;',
    '',
  ].join('\n')
}

/** The script for a shape: the hot product, or the spread orders' product picks done by pgbench. */
function scriptFor(label: string, stocked: number[]): string {
  if (label === 'hot') return pgbenchScript([], `ARRAY[${stocked[0]}]::bigint[]`)
  const all = `'{${stocked.join(',')}}'::bigint[]`
  const n = stocked.length
  const picks = Array.from({ length: LINES_WHEN_SPREAD }, (_, line) => `\\set p${line} (:i * 7 + ${line * 101}) % ${n} + 1`)
  const ids = Array.from({ length: LINES_WHEN_SPREAD }, (_, line) => `(${all})[:p${line}]`)
  return pgbenchScript([`\\set i random(0, ${n - 1})`, ...picks], `ARRAY(SELECT unnest(ARRAY[${ids.join(', ')}]) ORDER BY 1)`)
}

async function pgbenchTps(url: string, script: string): Promise<number> {
  const transactions = Math.ceil(ORDERS_PER_ROUND / CONNECTIONS)
  const { stdout } = await promisify(execFile)('pgbench', ['-n', `-c${CONNECTIONS}`, '-j1', `-t${transactions}`, '-f', script, url], { timeout: 120_000 })
  const match = /tps = ([\d.]+)/.exec(stdout)
  if (!match?.[1]) throw new Error(`pgbench printed no tps:\n${stdout}`)
  if (!stdout.includes(`number of failed transactions: 0`)) throw new Error(`pgbench transactions failed:\n${stdout}`)
  return Number(match[1])
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

function optionValue(args: string[], name: string): string | undefined {
  const index = args.indexOf(name)
  return index === -1 ? undefined : args[index + 1]
}
