import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { catalogChanges, PgNotificationListener } from '../../adapters/postgres/pg-notification-listener.js'
import { addCategory, addProducts } from '../support/fixtures.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
before(async () => {
  db = await createTestDatabase()
})
after(() => db.close())

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

/** Counts the changes reported, and lets a test wait for the next one. */
function counter() {
  let count = 0
  let waiters: (() => void)[] = []
  return {
    port: {
      notify: async () => {
        count += 1
        for (const wake of waiters) wake()
        waiters = []
      },
    },
    get count() {
      return count
    },
    next: (timeoutMs = 5_000) =>
      Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), sleep(timeoutMs).then(() => assert.fail('no catalog change was reported'))]),
  }
}

describe('PgNotificationListener', () => {
  test('reports each committed catalog change, and nothing for a rolled-back one', async () => {
    const changes = counter()
    const listener = new PgNotificationListener(db.pool, [catalogChanges(changes.port)], quiet)
    await listener.start()

    const rolledBack = db.pool.connect().then(async (client) => {
      await client.query('BEGIN')
      await client.query(`INSERT INTO categories (name) VALUES ('Never')`)
      await client.query('ROLLBACK')
      client.release()
    })
    await rolledBack
    const heard = changes.next()
    await addCategory(db.pool, 'Garden')
    await heard
    const heardAgain = changes.next()
    await addProducts(db.pool, [{ title: 'Rake', category: 'Garden' }])
    await heardAgain

    assert.equal(changes.count, 2)
    await listener.stop()
  })

  test('reconnects after losing its connection, and reports a change for what it may have missed', async () => {
    const changes = counter()
    const listener = new PgNotificationListener(db.pool, [catalogChanges(changes.port)], quiet, { retryDelayMs: 20 })
    await listener.start()

    const reconnected = changes.next()
    await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`)
    await reconnected
    const heard = changes.next()
    await db.pool.query(`UPDATE categories SET name = name || '!'`)
    await heard

    assert.equal(listener.listening, true)
    await listener.stop()
    assert.equal(listener.listening, false)
  })
})
