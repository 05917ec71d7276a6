import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { addCategory } from '../support/fixtures.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

/**
 * The catalog's statement triggers join a statement's old rows to its new ones (migration 0022).
 * On a pooled connection whose earlier updates changed one row each, a bulk update (a category
 * rename rewrites every document of the category) must plan those joins for its own rows: a plan kept from
 * the one-row runs compares every old row with every new one, 10^10 comparisons for a category of
 * 100,000 products. The plans are read from auto_explain (shipped with Postgres), not timed.
 */
let db: TestDatabase
before(async () => {
  db = await createTestDatabase()
})
after(() => db.close())

test('a bulk update after one-row updates on the same connection plans its joins of old and new rows for its own rows', async () => {
  const category = await addCategory(db.pool, 'Joinery')
  await db.pool.query(
    `INSERT INTO products (title, description, price, category_id)
     SELECT 'Oak Joint ' || i, 'a plain joint', 1 + i % 50, $1 FROM generate_series(1, 3000) AS i`,
    [category],
  )
  const client = await db.pool.connect()
  const plans: string[] = []
  try {
    const { rows } = await client.query<{ id: number }>('SELECT min(id)::int AS id FROM products WHERE category_id = $1', [category])
    // More than five runs: what PL/pgSQL and the plan cache keep is settled by then.
    for (let run = 0; run < 6; run++) {
      await client.query("UPDATE products SET price = price + 1, title = title || '.' WHERE id = $1", [rows[0]?.id])
      await client.query("UPDATE categories SET name = name || '.' WHERE id = $1", [category])
    }
    await client.query("LOAD 'auto_explain'")
    await client.query('SET auto_explain.log_min_duration = 0')
    await client.query('SET auto_explain.log_nested_statements = on')
    await client.query('SET auto_explain.log_level = notice')
    client.on('notice', (notice) => plans.push(notice.message ?? ''))

    await client.query("UPDATE categories SET name = 'Joinery Renamed' WHERE id = $1", [category])
    await client.query("UPDATE products SET price = price * 2, title = title || ' Mk2' WHERE category_id = $1", [category])
  } finally {
    await client.query('RESET ALL')
    client.release()
  }

  // Plans over the products' and documents' transition tables (a category's is one row, rightly).
  const joins = plans.filter((plan) => /(new|old)_(rows|products)/.test(plan) && (plan.match(/Named Tuplestore Scan/g) ?? []).length >= 2)
  // The document, facet and title triggers each join old to new rows.
  assert.ok(joins.length >= 4, `joins of old and new rows seen: ${joins.length}`)
  // Planned for the 3,000 rows they join, not kept from a run over one.
  const estimates = joins.flatMap((plan) => [...plan.matchAll(/Named Tuplestore Scan {2}\(cost=[\d.]+ rows=(\d+)/g)].map((match) => Number(match[1])))
  assert.ok(estimates.length >= 8)
  assert.deepEqual(
    joins.filter((plan) => /Named Tuplestore Scan {2}\(cost=[\d.]+ rows=1 /.test(plan)),
    [],
  )
})
