import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { addProducts, addStore, someoneWaitsForALock, stock } from '../support/fixtures.js'
import { startProgram } from '../support/programs.js'
import { freePort } from '../support/services.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
before(async () => {
  db = await createTestDatabase()
})
after(() => db.close())

const startServer = (env: Record<string, string>) => startProgram('bootstrap/server.js', [], { LOG_LEVEL: 'silent', ...env })

async function waitUntilReady(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  throw new Error('the server never became ready')
}

describe('the server process', () => {
  test('migrates, serves, and on SIGTERM finishes in-flight requests and exits 0', async () => {
    const storeId = await addStore(db.pool)
    const [productId] = (await addProducts(db.pool, [{ title: 'Held' }])) as [number]
    await stock(db.pool, storeId, { [productId]: 3 })
    const port = await freePort()
    const server = startServer({ DATABASE_URL: db.url, PORT: String(port) })
    await waitUntilReady(port)
    // Hold the row lock so the order below is provably still running when the signal arrives.
    const holder = await db.pool.connect()
    await holder.query('BEGIN')
    await holder.query('SELECT 1 FROM inventory WHERE store_id = $1 FOR UPDATE', [storeId])

    const inFlight = fetch(`http://127.0.0.1:${port}/orders/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ store_id: storeId, items: [{ product_id: productId, quantity_requested: 1 }] }),
    })
    await someoneWaitsForALock(db.pool)
    server.child.kill('SIGTERM')
    await sleep(200)
    await holder.query('COMMIT')
    holder.release()
    const code = await server.exited

    assert.equal((await inFlight).status, 201, 'the request that was running got its answer')
    assert.equal(code, 0)
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health/live`), 'no longer accepting')
  })

  test('an invalid setting stops it with one line naming the variable', async () => {
    const server = startServer({ DATABASE_URL: db.url, PORT: 'eighty' })

    const code = await server.exited

    assert.notEqual(code, 0)
    assert.equal(server.output().trim().split('\n').length, 1)
    assert.match(server.output(), /PORT/)
  })
})
