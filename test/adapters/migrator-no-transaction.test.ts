import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import type pg from 'pg'
import { migrate, migrationStatus, splitStatements } from '../../adapters/postgres/migrator.js'
import { createPool } from '../../adapters/postgres/pool.js'
import { runProgram } from '../support/programs.js'
import { databaseUrl, withClient } from '../support/services.js'
import { createTestDatabase } from '../support/test-database.js'

const server = process.env.TEST_POSTGRES_URL as string

/** An empty database and a migrations directory of the given files, for one test. */
async function withEmptyDatabase(files: Record<string, string>, use: (pools: pg.Pool[], dir: string) => Promise<void>, instances = 1): Promise<void> {
  const name = `${process.env.TEST_RUN_ID}_${randomBytes(4).toString('hex')}`
  const dir = await mkdtemp(join(tmpdir(), 'migrations-'))
  for (const [file, sql] of Object.entries(files)) await writeFile(join(dir, file), sql)
  await withClient(server, (client) => client.query(`CREATE DATABASE ${name}`))
  const pools = Array.from({ length: instances }, () => createPool({ connectionString: databaseUrl(server, name), applicationName: 'test' }))
  try {
    await use(pools, dir)
  } finally {
    await Promise.all(pools.map((pool) => pool.end()))
    await withClient(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  }
}

const TABLE = `CREATE TABLE items (id int PRIMARY KEY, label text);
INSERT INTO items SELECT n, 'item ' || n FROM generate_series(1, 20000) AS n;`
const CONCURRENT_INDEX = `-- migrate: no-transaction
-- A failed concurrent build leaves an invalid index: drop it first, so the file can run again.
DROP INDEX CONCURRENTLY IF EXISTS items_label_idx;
CREATE INDEX CONCURRENTLY items_label_idx ON items (label);
`

describe('migrations outside a transaction', () => {
  test('a file marked no-transaction runs CREATE INDEX CONCURRENTLY, which a transaction refuses', async () => {
    await withEmptyDatabase(
      { '0001_items.sql': TABLE, '0002_label_index.sql': CONCURRENT_INDEX.replace('-- migrate: no-transaction\n', '') },
      async ([pool], dir) => {
        await assert.rejects(migrate(pool!, dir), /0002_label_index failed: .*cannot run inside a transaction block/)
      },
    )
    await withEmptyDatabase({ '0001_items.sql': TABLE, '0002_label_index.sql': CONCURRENT_INDEX }, async ([pool], dir) => {
      assert.deepEqual(await migrate(pool!, dir), ['0001_items', '0002_label_index'])

      const { rows } = await pool!.query(`SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = 'items_label_idx'::regclass`)
      assert.deepEqual(rows, [{ indisvalid: true }])
      assert.deepEqual(await migrate(pool!, dir), [], 'recorded: not run twice')
    })
  })

  test('instances starting together while one builds an index concurrently all finish (none deadlocks waiting for the lock)', async () => {
    await withEmptyDatabase(
      { '0001_items.sql': TABLE, '0002_label_index.sql': CONCURRENT_INDEX },
      async (pools, dir) => {
        const applied = await Promise.all(pools.map((pool) => migrate(pool, dir)))

        assert.deepEqual(applied.flat().sort(), ['0001_items', '0002_label_index'])
      },
      4,
    )
  })

  test('a failing statement is named; those before it stay applied, and the file runs again from the top once fixed', async () => {
    const broken = `-- migrate: no-transaction
CREATE TABLE IF NOT EXISTS first_step (id int);
SELECT no_such_column FROM first_step;
`
    await withEmptyDatabase({ '0001_steps.sql': broken }, async ([pool], dir) => {
      await assert.rejects(migrate(pool!, dir), /0001_steps failed at statement 2 of 2 \(no transaction: .*\): column "no_such_column" does not exist/)
      const { rows } = await pool!.query("SELECT to_regclass('first_step') IS NOT NULL AS kept, (SELECT count(*) FROM schema_migrations) AS recorded")
      assert.deepEqual(rows, [{ kept: true, recorded: 0 }])

      await writeFile(join(dir, '0001_steps.sql'), broken.replace('no_such_column', 'id'))
      assert.deepEqual(await migrate(pool!, dir), ['0001_steps'])
    })
  })

  test('statements split at their semicolons only: not in strings, identifiers, dollar-quoted bodies or comments', () => {
    const sql = `-- migrate: no-transaction
CREATE TABLE "odd;name" (note text DEFAULT 'a;b', other text DEFAULT E'it\\'s;');
/* a comment; /* nested; */ still comment; */
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END; $body$;
-- a trailing comment; with a semicolon
SELECT $$;$$
`
    assert.deepEqual(splitStatements(sql), [
      `-- migrate: no-transaction\nCREATE TABLE "odd;name" (note text DEFAULT 'a;b', other text DEFAULT E'it\\'s;');`,
      '/* a comment; /* nested; */ still comment; */\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END; $body$;',
      '-- a trailing comment; with a semicolon\nSELECT $$;$$',
    ])
  })
})

describe('migration status', () => {
  test('lists applied (with when), pending, edited and missing migrations without applying anything', async () => {
    await withEmptyDatabase({ '0001_a.sql': 'CREATE TABLE a (id int);', '0002_b.sql': 'CREATE TABLE b (id int);' }, async ([pool], dir) => {
      assert.deepEqual(
        (await migrationStatus(pool!, dir)).map(({ version, state }) => [version, state]),
        [
          ['0001_a', 'pending'],
          ['0002_b', 'pending'],
        ],
        'a database never migrated',
      )
      await migrate(pool!, dir)
      await writeFile(join(dir, '0001_a.sql'), 'CREATE TABLE a (id bigint);')
      await writeFile(join(dir, '0003_c.sql'), '-- migrate: no-transaction\nCREATE TABLE c (id int);')
      const { rm } = await import('node:fs/promises')
      await rm(join(dir, '0002_b.sql'))

      const states = await migrationStatus(pool!, dir)

      assert.deepEqual(
        states.map(({ version, state, inTransaction }) => [version, state, inTransaction]),
        [
          ['0001_a', 'edited', true],
          ['0002_b', 'missing', true],
          ['0003_c', 'pending', false],
        ],
      )
      assert.ok(states[0]?.appliedAt instanceof Date)
      const { rows } = await pool!.query<{ c: string | null }>("SELECT to_regclass('c') AS c")
      assert.equal(rows[0]?.c, null, 'nothing applied')
    })
  })

  test('npm run migrate -- status prints every migration of the project and a summary', async () => {
    const db = await createTestDatabase()
    try {
      const { code, output } = await runProgram('bootstrap/migrate.js', ['status'], { DATABASE_URL: db.url, LOG_LEVEL: 'warn' })

      assert.equal(code, 0, output)
      assert.match(output, /^0001_catalog\s+applied\s+\d{4}-\d\d-\d\dT/m)
      assert.match(output, /^\d+ applied, 0 pending$/m)
    } finally {
      await db.close()
    }
  })
})
