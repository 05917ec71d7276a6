import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type pg from 'pg'
import { createPool } from '../../adapters/postgres/pool.js'
import { addProducts, addStore, confirmationJobsFor, levelsOf, stock } from '../support/fixtures.js'
import { adminKey } from '../support/api-keys.js'
import { buildTestApp } from '../support/http-app.js'
import type { CreatedOrderView } from '../support/http-bodies.js'
import { startPgBouncer, type LocalPgBouncer } from '../support/local-pgbouncer.js'
import { freePort } from '../support/services.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

// Fewer server connections than the app's pool has clients: transactions of different clients
// share server connections, as they do under load in production.
const SERVER_CONNECTIONS = 2

let db: TestDatabase
let bouncer: LocalPgBouncer
let pooled: pg.Pool
let app: FastifyInstance
let storeId: number
let productId: number

before(async () => {
  db = await createTestDatabase()
  const server = new URL(db.url)
  bouncer = await startPgBouncer(await freePort(), { host: server.hostname, port: Number(server.port || 5432) }, SERVER_CONNECTIONS)
  pooled = createPool({ connectionString: bouncer.url(server.pathname.slice(1)), applicationName: 'test-pooled', max: 8 })
  storeId = await addStore(db.pool)
  ;[productId] = (await addProducts(db.pool, [{ title: 'Rye bread' }])) as [number]
  await stock(db.pool, storeId, { [productId]: 10 })
  // The app's statements go through the pooler; pg-boss and the catalog listener keep their sessions on the server itself.
  // DATABASE_DIRECT_URL set, as in a deployment: it tells the app that DATABASE_URL is a pooler.
  app = await buildTestApp({ url: db.url, pool: pooled, sessionPool: db.pool }, { DATABASE_DIRECT_URL: db.url })
})
after(async () => {
  await app?.close()
  await pooled?.end()
  await bouncer?.stop()
  await db?.close()
})

async function pooledTransactions(): Promise<number> {
  const rows = await bouncer.admin<{ database: string; total_xact_count: string }>('SHOW STATS')
  return Number(rows.find((row) => row.database === new URL(db.url).pathname.slice(1))?.total_xact_count ?? 0)
}

describe('the app through PgBouncer in transaction mode', () => {
  test('orders racing for the same units and a restock keep stock, ledger and confirmations exact', async () => {
    const before = await pooledTransactions()
    const responses = await Promise.all(
      Array.from({ length: 14 }, (_, n) =>
        app.inject({
          method: 'POST',
          url: '/orders/',
          headers: { 'idempotency-key': `race-${n % 12}` },
          payload: { store_id: storeId, items: [{ product_id: productId, quantity_requested: 1 }] },
        }),
      ),
    )
    const orders = new Map(responses.map((response) => response.json<CreatedOrderView>()).map((order) => [order.id, order.status]))
    const restock = await app.inject({
      method: 'PUT',
      url: `/stores/${storeId}/inventory/${productId}/`,
      payload: { quantity: 4 },
      headers: (await adminKey(db.pool)).headers,
    })

    assert.deepEqual(
      responses.map((response) => response.statusCode),
      Array(14).fill(201),
    )
    assert.equal(orders.size, 12, 'two repeated idempotency keys replay their first order')
    assert.equal([...orders.values()].filter((status) => status === 'CONFIRMED').length, 10)
    assert.equal(restock.statusCode, 200, restock.body)
    assert.deepEqual(await levelsOf(db.pool, storeId), { [productId]: 4 })
    const { rows } = await db.pool.query<{ units: number }>('SELECT sum(delta)::int AS units FROM stock_movements WHERE store_id = $1', [storeId])
    assert.equal(rows[0]?.units, 4, 'the ledger adds up to the level')
    for (const [id, status] of orders) assert.equal(await confirmationJobsFor(db.pool, id), status === 'CONFIRMED' ? 1 : 0)
    assert.ok((await pooledTransactions()) - before >= 13, 'the orders and the restock ran through the pooler')
  })

  test('views read through the pooler again and again, as each server connection answers in turn', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 3 * SERVER_CONNECTIONS }, async (_, n) => {
        // Distinct pages: each one misses the cache and reaches Postgres.
        const response = await app.inject({ method: 'GET', url: `/stores/${storeId}/inventory/?page=${n + 1}` })
        return response.statusCode
      }),
    )

    assert.deepEqual(statuses, Array(3 * SERVER_CONNECTIONS).fill(200))
  })

  test('no server connection keeps session state: no LISTEN, no advisory lock, no setting beyond the pooler’s own', async () => {
    const clients = await Promise.all(Array.from({ length: SERVER_CONNECTIONS }, () => pooled.connect()))
    try {
      // Both inside a transaction at once: each holds a different server connection.
      await Promise.all(clients.map((client) => client.query('BEGIN')))
      const states = await Promise.all(
        clients.map(async (client) => {
          const { rows } = await client.query<{ pid: number; channels: string[]; advisory: number; settings: string[] }>(
            `SELECT pg_backend_pid() AS pid,
                    ARRAY(SELECT pg_listening_channels()) AS channels,
                    (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS advisory,
                    ARRAY(SELECT name FROM pg_settings WHERE source = 'session' ORDER BY name) AS settings`,
          )
          return rows[0]!
        }),
      )
      await Promise.all(clients.map((client) => client.query('COMMIT')))

      assert.equal(new Set(states.map((state) => state.pid)).size, SERVER_CONNECTIONS)
      for (const state of states) {
        assert.deepEqual(state.channels, [])
        assert.equal(state.advisory, 0)
        // The pooler's connect_query sets the timeouts; application_name is the one parameter PgBouncer tracks per client.
        assert.deepEqual(state.settings, ['application_name', 'idle_in_transaction_session_timeout', 'jit', 'lock_timeout', 'statement_timeout'])
      }
    } finally {
      for (const client of clients) client.release()
    }
  })
})
