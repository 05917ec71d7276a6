import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { addCategory } from '../support/fixtures.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

/**
 * The posting lists (migration 0020) against the documents they index: after every kind of catalog
 * write, each (lexeme, product) pair of product_search is in search_postings and nothing else is,
 * every array sorted without repeats; and the counts and pages read from them equal count(*) and
 * ORDER BY id over the documents themselves.
 */
let db: TestDatabase
let tools: number
let toys: number
before(async () => {
  db = await createTestDatabase()
  tools = await addCategory(db.pool, 'Tools')
  toys = await addCategory(db.pool, 'Toys')
})
after(() => db.close())

/** Pairs the documents hold that the postings lack, and the other way round; arrays not sorted or with repeats. */
async function drift(): Promise<{ missing: number; extra: number; unsorted: number }> {
  const { rows } = await db.pool.query<{ missing: number; extra: number; unsorted: number }>(`
    WITH documented AS (SELECT lexeme, product_id FROM product_search, unnest(tsvector_to_array(document)) AS lexeme),
         posted AS (SELECT lexeme, search_postings_product(block, o) AS product_id FROM search_postings, unnest(offsets) AS o)
    SELECT (SELECT count(*) FROM (SELECT * FROM documented EXCEPT SELECT * FROM posted) d)::int AS missing,
           (SELECT count(*) FROM (SELECT * FROM posted EXCEPT SELECT * FROM documented) p)::int AS extra,
           (SELECT count(*) FROM search_postings WHERE offsets <> intarray.uniq(intarray.sort(offsets)))::int AS unsorted`)
  return rows[0] as { missing: number; extra: number; unsorted: number }
}

async function insert(title: string, description: string, category: number): Promise<number> {
  const { rows } = await db.pool.query<{ id: number }>('INSERT INTO products (title, description, price, category_id) VALUES ($1, $2, 9.99, $3) RETURNING id', [
    title,
    description,
    category,
  ])
  return rows[0]?.id as number
}

async function total(words: string[], lastAsPrefix: boolean): Promise<{ total: number; exact: boolean } | undefined> {
  const { rows } = await db.pool.query<{ total: number; exact: boolean }>('SELECT total::int, exact FROM search_words_total($1, $2, 10000)', [
    words,
    lastAsPrefix,
  ])
  return rows[0]
}

async function reference(words: string[], lastAsPrefix: boolean): Promise<{ count: number; ids: number[] }> {
  const { rows } = await db.pool.query<{ id: number }>(
    `SELECT product_id::int AS id FROM product_search WHERE document @@ search_words_query($1, $2, '') ORDER BY product_id DESC`,
    [words, lastAsPrefix],
  )
  return { count: rows.length, ids: rows.map((row) => row.id) }
}

async function page(words: string[], lastAsPrefix: boolean, skip: number, take: number): Promise<number[]> {
  const { rows } = await db.pool.query<{ id: number }>(
    'SELECT product_id::int AS id FROM search_words_page($1, $2, $3, $4) WITH ORDINALITY AS listed(product_id, position) ORDER BY position',
    [words, lastAsPrefix, skip, take],
  )
  return rows.map((row) => row.id)
}

describe('search postings', () => {
  test('follow inserts, edits, category moves and renames, archiving and deletes', async () => {
    const lamp = await insert('Brass Lamp', 'a warm glow', tools)
    const kite = await insert('Paper Kite', 'flies in a warm wind', toys)
    await insert('Leather Bellows', 'pumps air', tools)
    // A bulk insert in one statement, across two blocks of 65,536 ids.
    await db.pool.query(`SELECT setval('products_id_seq', 65530)`)
    await db.pool.query(
      `INSERT INTO products (title, description, price, category_id)
       SELECT 'Brass Bell ' || i, CASE WHEN i % 2 = 0 THEN 'rings warm' ELSE 'rings cold' END, 1.00, $1 FROM generate_series(1, 12) AS i`,
      [tools],
    )
    assert.deepEqual(await drift(), { missing: 0, extra: 0, unsorted: 0 })

    await db.pool.query("UPDATE products SET title = 'Copper Lamp', description = 'a cold glow' WHERE id = $1", [lamp])
    // The same lexemes at other positions and weights: the document changes, its postings do not.
    await db.pool.query("UPDATE products SET title = 'Glow Lamp', description = 'a cold copper' WHERE id = $1", [lamp])
    await db.pool.query('UPDATE products SET category_id = $1 WHERE id = $2', [tools, kite])
    await db.pool.query("UPDATE products SET price = 19.99 WHERE title LIKE 'Brass Bell%'")
    assert.deepEqual(await drift(), { missing: 0, extra: 0, unsorted: 0 })

    await db.pool.query("UPDATE categories SET name = 'Hardware' WHERE id = $1", [tools])
    assert.deepEqual(await drift(), { missing: 0, extra: 0, unsorted: 0 })

    await db.pool.query("UPDATE products SET archived_at = now() WHERE title = 'Brass Bell 3'")
    await db.pool.query("DELETE FROM products WHERE title = 'Brass Bell 4'")
    assert.deepEqual(await drift(), { missing: 0, extra: 0, unsorted: 0 })
  })

  test('counts and pages equal count(*) and id order over the documents, across blocks', async () => {
    for (const [words, lastAsPrefix] of [
      [['brass'], false],
      [['warm'], false],
      [['brass', 'warm'], false],
      [['rings', 'war'], true],
      [['ri'], false],
      [['hardware', 'bell'], false],
      [['nothing'], false],
      // Stop words are left out, with the prefix the last one would have been.
      [['the', 'brass'], false],
      [['rings', 'the'], true],
      [['bell', 'the'], true],
      [['the'], true],
    ] as [string[], boolean][]) {
      const expected = await reference(words, lastAsPrefix)

      assert.deepEqual(await total(words, lastAsPrefix), { total: expected.count, exact: true }, words.join(' '))
      assert.deepEqual(await page(words, lastAsPrefix, 0, 100), expected.ids, words.join(' '))
      assert.deepEqual(await page(words, lastAsPrefix, 2, 3), expected.ids.slice(2, 5), words.join(' '))
    }
  })

  test('a word the parser splits is left to the matches', async () => {
    assert.equal(await total(['e-mail'], false), undefined)
    assert.deepEqual(await page(['e-mail'], false, 0, 10), [])
  })

  test('concurrent writers sharing words neither deadlock nor lose a posting', async () => {
    // As the catalog writes products: one statement a transaction, its rows in any order.
    const writers = Array.from({ length: 12 }, (_, writer) => {
      const titles = [`Shared Anvil ${writer}`, `Shared Hammer ${writer}`, `Shared Tongs ${writer}`]
      if (writer % 2 === 1) titles.reverse()
      return db.pool.query(
        `INSERT INTO products (title, description, price, category_id) SELECT title, 'heavy iron', 1.00, $2 FROM unnest($1::text[]) AS title`,
        [titles, toys],
      )
    })
    await Promise.all(writers)

    assert.deepEqual(await drift(), { missing: 0, extra: 0, unsorted: 0 })
    assert.deepEqual(await total(['shared', 'iron'], false), { total: 36, exact: true })
  })

  test('a truncated catalog leaves no postings', async () => {
    await db.pool.query('TRUNCATE products CASCADE')
    assert.equal((await db.pool.query('SELECT 1 FROM search_postings')).rowCount, 0)
  })
})
