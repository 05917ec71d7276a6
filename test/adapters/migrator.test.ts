import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { migrate, MIGRATION_LOCK_KEY } from '../../adapters/postgres/migrator.js'
import { createPool } from '../../adapters/postgres/pool.js'
import { databaseUrl, withClient } from '../support/services.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

describe('migrator', () => {
  const server = process.env.TEST_POSTGRES_URL as string
  const emptyName = `${process.env.TEST_RUN_ID}_${randomBytes(4).toString('hex')}`

  before(() => withClient(server, (client) => client.query(`CREATE DATABASE ${emptyName}`)))
  after(() => withClient(server, (client) => client.query(`DROP DATABASE IF EXISTS ${emptyName} WITH (FORCE)`)))

  test('instances migrating at once apply every file exactly once', async () => {
    const pools = Array.from({ length: 4 }, () => createPool({ connectionString: databaseUrl(server, emptyName), applicationName: 'test' }))

    const applied = await Promise.all(pools.map((pool) => migrate(pool)))

    const all = applied.flat()
    assert.ok(all.length > 0)
    assert.equal(new Set(all).size, all.length, 'no file applied twice')
    assert.deepEqual(
      applied.find((list) => list.length > 0),
      [...all].sort(),
    )
    const again = await migrate(pools[0]!)
    assert.deepEqual(again, [])
    await Promise.all(pools.map((pool) => pool.end()))
  })

  test("an instance waits for another one's migration however long it takes, beyond the pool's lock timeout", async () => {
    const db = await createTestDatabase()
    const impatient = createPool({ connectionString: db.url, applicationName: 'test', lockTimeoutMs: 100, statementTimeoutMs: 200 })
    const other = await db.pool.connect()
    try {
      await other.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
      const waiting = migrate(impatient)
      await new Promise((resolve) => setTimeout(resolve, 400))
      await other.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])

      assert.deepEqual(await waiting, [])
      const { rows } = await impatient.query<{ lock_timeout: string }>('SHOW lock_timeout')
      assert.equal(rows[0]?.lock_timeout, '100ms', 'the pooled connection got its own timeouts back')
    } finally {
      other.release()
      await impatient.end()
      await db.close()
    }
  })

  test('refuses a migration edited after it was applied, and rolls back a failing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'))
    const db = await createTestDatabase()
    try {
      await writeFile(join(dir, '0001_first.sql'), 'CREATE TABLE probe_one (id int);')
      await migrate(db.pool, dir)
      await writeFile(join(dir, '0001_first.sql'), 'CREATE TABLE probe_one (id bigint);')
      await assert.rejects(migrate(db.pool, dir), /0001_first was edited/)

      await writeFile(join(dir, '0001_first.sql'), 'CREATE TABLE probe_one (id int);')
      await writeFile(join(dir, '0002_broken.sql'), 'CREATE TABLE probe_two (id int); SELECT no_such_column FROM probe_one;')
      await assert.rejects(migrate(db.pool, dir), /0002_broken failed/)
      const { rows } = await db.pool.query<{ table: string | null }>("SELECT to_regclass('probe_two') AS table")
      assert.equal(rows[0]?.table, null, 'the failed file left nothing behind')
    } finally {
      await db.close()
    }
  })
})

describe('schema constraints', () => {
  let db: TestDatabase
  before(async () => {
    db = await createTestDatabase()
    await db.pool.query(`INSERT INTO categories (name) VALUES ('Books');
      INSERT INTO products (title, price, category_id) VALUES ('Atlas', 10, 1);
      INSERT INTO stores (name, location) VALUES ('Main', 'Lisbon');
      INSERT INTO inventory (store_id, product_id, quantity) VALUES (1, 1, 5);`)
  })
  after(() => db.close())

  const rejected: [string, string][] = [
    ['negative stock', 'UPDATE inventory SET quantity = -1'],
    ['a second inventory row for the same store and product', 'INSERT INTO inventory (store_id, product_id, quantity) VALUES (1, 1, 3)'],
    ['an inventory row for a product that does not exist', 'INSERT INTO inventory (store_id, product_id, quantity) VALUES (1, 999, 3)'],
    ['an inventory row moved to a product that does not exist', 'UPDATE inventory SET product_id = 999'],
    ['a negative price', "INSERT INTO products (title, price, category_id) VALUES ('Bad', -0.01, 1)"],
    ['a category name differing only in case', "INSERT INTO categories (name) VALUES ('BOOKS')"],
    ['a product in no category', "INSERT INTO products (title, price, category_id) VALUES ('Orphan', 1, 999)"],
    [
      'an order line of zero',
      "INSERT INTO orders (store_id, status) VALUES (1, 'CONFIRMED'); INSERT INTO order_items VALUES (currval('orders_id_seq'), 1, 0, 1)",
    ],
    ['a rejected order without its reason', "INSERT INTO orders (store_id, status) VALUES (1, 'REJECTED')"],
  ]
  for (const [name, sql] of rejected) {
    test(`the database refuses ${name}`, async () => {
      const client = await db.pool.connect()
      try {
        await client.query('BEGIN')
        await assert.rejects(client.query(sql))
      } finally {
        await client.query('ROLLBACK')
        client.release()
      }
    })
  }

  test('the stock ledger is append-only', async () => {
    await db.pool.query("INSERT INTO stock_movements (store_id, product_id, delta, reason) VALUES (1, 1, 5, 'seed')")

    await assert.rejects(db.pool.query('UPDATE stock_movements SET delta = 6'), /append-only/)
    await assert.rejects(db.pool.query('DELETE FROM stock_movements'), /append-only/)
  })

  test('every foreign key has an index that starts with its columns', async () => {
    const { rows } = await db.pool.query<{ constraint: string }>(`
      SELECT c.conname AS constraint
        FROM pg_constraint c
       WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
         AND NOT EXISTS (
           SELECT 1 FROM pg_index i
            WHERE i.indrelid = c.conrelid
              AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)`)

    assert.deepEqual(rows, [])
  })
})
