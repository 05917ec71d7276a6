import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { createLogger } from '../../bootstrap/runtime/logger.js'
import { loadConfig } from '../../bootstrap/runtime/config.js'
import { ReplicaReads, type ReadRoute } from '../../adapters/postgres/replica-reads.js'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { buildTestApp } from '../support/http-app.js'
import type { InventoryItemView, PageEnvelope, ProductHitView } from '../support/http-bodies.js'
import { startReplicatedDatabase, type ReplicatedDatabase } from '../support/replicated-database.js'

const silent = createLogger(loadConfig({ LOG_LEVEL: 'silent' }), 'test')

let db: ReplicatedDatabase
let app: FastifyInstance
let storeId: number
let productId: number
let admin: TestKey

before(async () => {
  db = await startReplicatedDatabase()
  storeId = await addStore(db.pool)
  ;[productId] = (await addProducts(db.pool, [{ title: 'Oat milk', category: 'Pantry' }])) as [number]
  await stock(db.pool, storeId, { [productId]: 3 })
  admin = await adminKey(db.pool)
  app = await buildTestApp({ url: db.url, pool: db.pool, replica: db.replicaPool })
})
after(async () => {
  await app?.close()
  await db?.close()
})

async function quantityOn(pool: ReplicatedDatabase['pool']): Promise<number | undefined> {
  const { rows } = await pool.query<{ quantity: number }>('SELECT quantity FROM inventory WHERE store_id = $1 AND product_id = $2', [storeId, productId])
  return rows[0]?.quantity
}

async function listedQuantity(): Promise<number> {
  const response = await app.inject({ method: 'GET', url: `/stores/${storeId}/inventory/` })
  assert.equal(response.statusCode, 200)
  return response.json<PageEnvelope<InventoryItemView>>().results[0]!.quantity
}

async function restock(quantity: number): Promise<void> {
  const response = await app.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/${productId}/`, payload: { quantity }, headers: admin.headers })
  assert.equal(response.statusCode, 200, response.body)
}

/** Holds the replica's replay while `work` runs: it keeps streaming WAL but shows nothing new. */
async function withReplayPaused(work: () => Promise<void>): Promise<void> {
  await db.replicaPool.query('SELECT pg_wal_replay_pause()')
  try {
    await work()
  } finally {
    await db.replicaPool.query('SELECT pg_wal_replay_resume()')
  }
}

describe('reads through a streaming replica (DATABASE_READ_URL)', () => {
  test('a read right after a write is served by the replica once it has replayed the write, and shows it', async () => {
    const routes: ReadRoute[] = []
    const reads = new ReplicaReads(db.pool, db.replicaPool, silent, { maxWaitMs: 5_000 }, (route) => routes.push(route))

    await db.pool.query('UPDATE inventory SET quantity = 41 WHERE store_id = $1 AND product_id = $2', [storeId, productId])
    const { rows } = await reads.query<{ quantity: number }>('SELECT quantity FROM inventory WHERE store_id = $1 AND product_id = $2', [storeId, productId])

    assert.equal(rows[0]?.quantity, 41)
    assert.deepEqual(routes, ['replica'])
  })

  test('a restock then an immediate inventory read shows the new level, cached view included, while the replica lags', async () => {
    await restock(5)
    assert.equal(await listedQuantity(), 5, 'warms the cached inventory page')

    await withReplayPaused(async () => {
      await restock(17)

      assert.equal(await quantityOn(db.replicaPool), 5, 'the replica is behind: a plain replica read would be stale')
      assert.equal(await listedQuantity(), 17)
      assert.equal(await listedQuantity(), 17, 'and the cache did not keep a stale page')
    })
  })

  test('a search by store after a restock shows the new availability while the replica lags', async () => {
    await withReplayPaused(async () => {
      await restock(0)
      const response = await app.inject({ method: 'GET', url: `/api/search/products/?q=oat&store_id=${storeId}&in_stock=true` })

      assert.equal(response.statusCode, 200)
      assert.equal(response.json<PageEnvelope<ProductHitView>>().count, 0)
    })
  })

  test('a replica that does not answer degrades reads to the primary, and serves again once back', async () => {
    const routes: ReadRoute[] = []
    const cooldownMs = 300
    const reads = new ReplicaReads(db.pool, db.replicaPool, silent, { cooldownMs, maxWaitMs: 5_000 }, (route) => routes.push(route))
    const quantity = async () =>
      (await reads.query<{ quantity: number }>('SELECT quantity FROM inventory WHERE store_id = $1 AND product_id = $2', [storeId, productId])).rows[0]
        ?.quantity
    await db.replica.stop('immediate')
    try {
      await db.pool.query('UPDATE inventory SET quantity = 9 WHERE store_id = $1 AND product_id = $2', [storeId, productId])

      assert.equal(await quantity(), 9)
      assert.equal(await quantity(), 9)
      assert.deepEqual(routes, ['primary-unreachable', 'primary-cooling-down'])
    } finally {
      await db.replica.start()
    }
    await sleep(cooldownMs)

    assert.equal(await quantity(), 9)
    assert.equal(routes.at(-1), 'replica')
  })
})
