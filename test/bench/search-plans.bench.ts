import { parseArgs } from 'node:util'
import type pg from 'pg'
import { facetsStatement, queriesStatement, searchStatement, type SearchQueries, type Statement } from '../../adapters/postgres/product-search-plans.js'
import { suggestStatement } from '../../adapters/postgres/pg-product-search.js'
import type { ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import { startPostgres } from '../support/services.js'
import { countOption } from './measure.js'
import { openBenchCatalog } from './search-scale.bench.js'
import type { BenchContext } from './run.js'

/**
 * The query plan of every search shape on the catalog search-scale seeds (`aforro_bench`, or
 * --database; seeded here first if it is not there): EXPLAIN (ANALYZE, BUFFERS) twice, cold then warm, of
 * the plan the API runs (a prepared statement's generic plan, see explainAsRun). Cold is the first run of the
 * shape with a word no earlier shape used, so its pages come from outside Postgres's buffers
 * (`shared read`; the machine's page cache may still hold them); warm is the same statement run
 * again at once (`shared hit`). Plan branches that never ran are left out, with everything below them.
 */
type Shape = { label: string; cold: Omit<ProductSearchCriteria, 'page'>; page?: number }

const SHAPES: Shape[] = [
  { label: 'one broad word (ranked-words)', cold: { words: ['granite'], sort: 'relevance' } },
  { label: 'short prefix (ranked-words)', cold: { words: ['con'], sort: 'relevance' } },
  { label: 'category-name prefix as a word (ranked-words)', cold: { words: ['electronic'], sort: 'relevance' } },
  { label: 'description-only word (ranked-words)', cold: { words: ['ergonomic'], sort: 'relevance' } },
  { label: 'rare description-only word (ranked-words)', cold: { words: ['sorrowful'], sort: 'relevance' } },
  { label: 'prefix of description words only (ranked-words, paged from the postings)', cold: { words: ['str'], sort: 'relevance' } },
  { label: 'two words (ranked-words)', cold: { words: ['rustic', 'chair'], sort: 'relevance' } },
  { label: 'page 50 of a broad word (ranked-words)', cold: { words: ['cotton'], sort: 'relevance' }, page: 50 },
  {
    label: 'word + category + price (category facets: search_filtered_page, migration 0021)',
    cold: { words: ['wooden'], category: { name: 'Books' }, minPrice: '10', maxPrice: '500', sort: 'relevance' },
  },
  { label: 'sort=price, broad word (sorted)', cold: { words: ['bamboo'], sort: 'price' } },
  { label: 'sort=newest, broad word (sorted)', cold: { words: ['frozen'], sort: 'newest' } },
  { label: 'store + in_stock + word (store)', cold: { words: ['soft'], storeId: 77, inStock: true, sort: 'relevance' } },
  { label: 'no words, newest (sorted)', cold: { words: [], sort: 'newest' } },
]

export default async function searchPlans({ args }: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      database: { type: 'string', default: 'aforro_bench' },
      products: { type: 'string', default: '1000000' },
      stores: { type: 'string', default: '200' },
    },
  })
  const postgres = await startPostgres()
  const products = countOption('products', values.products)
  const pool = await openBenchCatalog(postgres.url, String(values.database), { reseed: false, products, stores: Number(values.stores) })
  try {
    const explain = async (statement: Statement) => {
      const rows = await explainAsRun(pool, statement)
      const lines: string[] = []
      let skippingBelow = -1
      for (const { 'QUERY PLAN': line } of rows) {
        const indent = line.search(/\S/)
        if (skippingBelow >= 0 && indent > skippingBelow) continue
        skippingBelow = line.includes('(never executed)') ? indent : -1
        if (skippingBelow < 0) lines.push(`    ${line}`)
      }
      return lines.join('\n')
    }
    for (const shape of SHAPES) {
      const criteria = { ...shape.cold, page: { page: shape.page ?? 1, pageSize: 20 } }
      const queries = criteria.words.length === 0 ? undefined : (await pool.query<SearchQueries>(queriesStatement(criteria.words))).rows[0]
      const statement = facetsStatement(criteria) ?? searchStatement(criteria, queries)
      const cold = await explain(statement)
      const warm = await explain(statement)
      log(`\n## ${shape.label}: ${JSON.stringify(shape.cold)}${shape.page ? `, page ${shape.page}` : ''}\n\nCold:\n\n${cold}\n\nWarm:\n\n${warm}`)
    }
    const suggest = suggestStatement('gra', 10)
    log(`\n## suggest "gra"\n\nCold:\n\n${await explain(suggest)}\n\nWarm:\n\n${await explain(suggest)}`)
    await catalogWrites(pool)
  } finally {
    await pool.end()
    await postgres.stop()
  }
}

/**
 * The plan the API runs: a prepared statement (one with a name) with the generic plan it keeps
 * after its first runs on a connection (forced here from the first, so that cold is cold); any
 * other planned for its values.
 */
async function explainAsRun(pool: pg.Pool, statement: Statement): Promise<{ 'QUERY PLAN': string }[]> {
  const explain = 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)'
  if (statement.name === undefined) return (await pool.query<{ 'QUERY PLAN': string }>({ text: `${explain} ${statement.text}`, values: statement.values })).rows
  const client = await pool.connect()
  try {
    await client.query('SET plan_cache_mode = force_generic_plan')
    await client.query(`PREPARE explained AS ${statement.text}`)
    // Postgres writes each value's literal (arrays included) from the text node-postgres would bind.
    const literals = await Promise.all(
      statement.values.map(async (value) => (await client.query<{ literal: string }>('SELECT quote_nullable($1::text) AS literal', [value])).rows[0]?.literal),
    )
    const values = literals.join(', ')
    return (await client.query<{ 'QUERY PLAN': string }>(`${explain} EXECUTE explained(${values})`)).rows
  } finally {
    await client.query('DEALLOCATE explained')
    await client.query('RESET plan_cache_mode')
    client.release()
  }
}

/**
 * What search costs the catalog's writers: one product inserted (its search row, its title's
 * count and its words' counts are written by triggers in the same transaction), and a category
 * renamed (every product of it gets a new document). Each in a transaction rolled back, so the
 * catalog stays as seeded; median of the runs.
 */
async function catalogWrites(pool: pg.Pool): Promise<void> {
  const timed = async (sql: string, runs: number) => {
    const times: number[] = []
    for (let run = 0; run < runs; run++) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const started = performance.now()
        await client.query(sql)
        times.push(performance.now() - started)
      } finally {
        await client.query('ROLLBACK')
        client.release()
      }
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number
  }
  const insert = await timed(
    `INSERT INTO products (title, description, price, category_id)
     VALUES ('Bench Steel Lamp', 'A sturdy lamp for the benchmark', 25.00, (SELECT min(id) FROM categories))`,
    21,
  )
  const reprice = await timed(`UPDATE products SET price = price + 1 WHERE id = (SELECT max(id) FROM products)`, 21)
  const rename = await timed(`UPDATE categories SET name = name || ' Renamed' WHERE id = (SELECT min(id) FROM categories)`, 3)
  const { rows } = await pool.query<{ products: number }>('SELECT count(*)::int AS products FROM products WHERE category_id = (SELECT min(id) FROM categories)')
  log(
    `\n## catalog writes\n\none product inserted: ${insert.toFixed(1)} ms (median of 21); one product's price changed: ${reprice.toFixed(1)} ms (median of 21); a category of ${rows[0]?.products} products renamed: ${rename.toFixed(0)} ms (median of 3)`,
  )
}

function log(text: string): void {
  process.stdout.write(`${text}\n`)
}
