import type pg from 'pg'
import type { FakerSeedSource } from '../seed/faker-seed-source.js'
import { inTransaction } from './pool.js'

export interface SeedPlan {
  categories: number
  products: number
  stores: number
  /** Each store carries at least this many products (all of them if the catalog is smaller). */
  inventoryPerStore: number
  reset: boolean
}

export interface SeedCounts {
  categories: number
  products: number
  stores: number
  inventory: number
  stockMovements: number
}

export type SeedProgress = (stage: string, done: number, total: number) => void

export class DatabaseNotEmptyError extends Error {
  constructor(readonly existing: Record<string, number>) {
    const summary = Object.entries(existing)
      .map(([table, count]) => `${count} ${table}`)
      .join(', ')
    super(`The database already holds data (${summary}); rerun with --reset to replace it`)
    this.name = 'DatabaseNotEmptyError'
  }
}

/** Small enough that a chunk's statement fits the socket's buffer while the next chunk is generated. */
const PRODUCT_CHUNK = 5_000
const INVENTORY_CHUNK = 50_000

// Every table the seed owns, emptied together: CASCADE also clears rows that point at them.
const RESET = `TRUNCATE categories, products, stores, inventory, stock_movements, orders, order_items, seed_runs
               RESTART IDENTITY CASCADE`

// Order ids are never reused after a reset: queued confirmation jobs and sent messages name them.
const LAST_ORDER_ID = `SELECT last_value, is_called FROM orders_id_seq`
const CONTINUE_ORDER_IDS = `SELECT setval('orders_id_seq', $1, $2)`

const COUNT_EXISTING = `SELECT (SELECT count(*) FROM categories) AS categories, (SELECT count(*) FROM products) AS products,
                               (SELECT count(*) FROM stores) AS stores, (SELECT count(*) FROM orders) AS orders`

const INSERT_CATEGORIES = `INSERT INTO categories (name) SELECT name FROM unnest($1::text[]) WITH ORDINALITY AS c(name, n)
                           ORDER BY n RETURNING id`

const INSERT_PRODUCTS = `
  INSERT INTO products (title, description, price, category_id, created_at)
  SELECT title, description, price, category_id, created_at
    FROM unnest($1::text[], $2::text[], $3::numeric[], $4::bigint[], $5::timestamptz[])
         WITH ORDINALITY AS p(title, description, price, category_id, created_at, n)
   ORDER BY n
  RETURNING id`

const INSERT_STORES = `INSERT INTO stores (name, location)
                       SELECT name, location FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS s(name, location, n)
                        ORDER BY n RETURNING id`

const INSERT_INVENTORY = `INSERT INTO inventory (store_id, product_id, quantity)
                          SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[])`

// Every table a seed fills, derived ones included. Their secondary indexes are dropped for the
// load and built again at the end from their own definitions: one sorted build per index instead
// of a million random insertions, which at a million products halves the time a seed takes.
const BULK_TABLES = ['products', 'product_search', 'product_titles', 'inventory', 'stock_movements']

const SECONDARY_INDEXES = `
  SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i
   WHERE i.indrelid = ANY (SELECT to_regclass(t) FROM unnest($1::text[]) AS t)
     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
   ORDER BY 1`

// Foreign keys between the tables a seed fills are dropped for the load and added back at the
// end: adding one checks every row in one join, where keeping it checks each inserted row apart.
const FOREIGN_KEYS = `
  SELECT conrelid::regclass::text AS table_name, conname AS name, pg_get_constraintdef(oid) AS definition
    FROM pg_constraint
   WHERE contype = 'f' AND conrelid = ANY (SELECT to_regclass(t) FROM unnest($1::text[]) AS t)
   ORDER BY 1, 2`

// Seeded stock enters the ledger like any other movement, so the audit holds from the first row.
const RECORD_SEED_MOVEMENTS = `INSERT INTO stock_movements (store_id, product_id, delta, reason, reference)
                               SELECT store_id, product_id, quantity, 'seed', 'seed' FROM inventory WHERE quantity > 0`

/**
 * Writes a whole data set in one transaction with set-based inserts (unnest of arrays, never a
 * row at a time), so a run either leaves a complete data set or nothing.
 */
export async function seedDatabase(pool: pg.Pool, plan: SeedPlan, source: FakerSeedSource, progress: SeedProgress): Promise<SeedCounts> {
  const counts = await inTransaction(pool, async (client) => {
    if (plan.reset) {
      const { rows } = await client.query<{ last_value: number; is_called: boolean }>(LAST_ORDER_ID)
      await client.query(RESET)
      await client.query(CONTINUE_ORDER_IDS, [rows[0]?.last_value ?? 1, rows[0]?.is_called ?? false])
    } else {
      const existing = (await client.query<Record<string, number>>(COUNT_EXISTING)).rows[0] ?? {}
      const nonEmpty = Object.fromEntries(Object.entries(existing).filter(([, count]) => count > 0))
      if (Object.keys(nonEmpty).length > 0) throw new DatabaseNotEmptyError(nonEmpty)
    }

    const deferred = (await client.query<{ name: string; definition: string }>(SECONDARY_INDEXES, [BULK_TABLES])).rows
    for (const index of deferred) await client.query(`DROP INDEX ${index.name}`)
    const foreignKeys = (await client.query<{ table_name: string; name: string; definition: string }>(FOREIGN_KEYS, [BULK_TABLES])).rows
    for (const key of foreignKeys) await client.query(`ALTER TABLE ${key.table_name} DROP CONSTRAINT ${key.name}`)
    // Index builds, key checks and the projection's grouping each run once over a million rows.
    await client.query(`SET LOCAL maintenance_work_mem = '256MB'`)
    await client.query(`SET LOCAL work_mem = '64MB'`)

    // Search's per-word and catalog counts are computed once at the end (migration 0013).
    await client.query('SELECT search_counts_suspend()')
    const categoryIds = await returnedIds(client, INSERT_CATEGORIES, [source.categoryNames(plan.categories)])

    // Postgres inserts one chunk while the next is generated: the two share the machine's cores.
    const productIds: number[] = []
    const chunkOf = (done: number) => {
      const rows = source.products(Math.min(PRODUCT_CHUNK, plan.products - done), categoryIds.length)
      return [rows.titles, rows.descriptions, rows.prices, rows.categoryIndexes.map((index) => categoryIds[index]), rows.createdAt]
    }
    let next = plan.products > 0 ? chunkOf(0) : undefined
    for (let done = 0; next !== undefined;) {
      const inserting = returnedIds(client, INSERT_PRODUCTS, next)
      done += next[0]?.length ?? 0
      next = done < plan.products ? chunkOf(done) : undefined
      productIds.push(...(await inserting))
      progress('products', productIds.length, plan.products)
    }

    const stores = source.stores(plan.stores)
    const storeIds = await returnedIds(client, INSERT_STORES, [stores.names, stores.locations])

    let inventoryRows = 0
    let batch: { stores: number[]; products: number[]; quantities: number[] } = { stores: [], products: [], quantities: [] }
    const flush = async () => {
      await client.query(INSERT_INVENTORY, [batch.stores, batch.products, batch.quantities])
      inventoryRows += batch.stores.length
      batch = { stores: [], products: [], quantities: [] }
    }
    for (const [storeNumber, storeId] of storeIds.entries()) {
      const stock = source.stock(productIds.length, plan.inventoryPerStore)
      for (const [line, productIndex] of stock.productIndexes.entries()) {
        batch.stores.push(storeId)
        batch.products.push(productIds[productIndex] as number)
        batch.quantities.push(stock.quantities[line] as number)
      }
      if (batch.stores.length >= INVENTORY_CHUNK) await flush()
      progress('inventory', storeNumber + 1, storeIds.length)
    }
    if (batch.stores.length > 0) await flush()

    const movements = (await client.query(RECORD_SEED_MOVEMENTS)).rowCount ?? 0
    await client.query('SELECT search_counts_resume()')
    for (const index of deferred) await client.query(index.definition)
    for (const key of foreignKeys) await client.query(`ALTER TABLE ${key.table_name} ADD CONSTRAINT ${key.name} ${key.definition}`)
    const counts: SeedCounts = {
      categories: categoryIds.length,
      products: productIds.length,
      stores: storeIds.length,
      inventory: inventoryRows,
      stockMovements: movements,
    }
    await client.query('INSERT INTO seed_runs (seed, counts) VALUES ($1, $2)', [source.seed, counts])
    return counts
  })
  // Fresh statistics at once, rather than whenever autovacuum gets to it: until then the planner
  // would plan searches of a million products as if the tables were still empty. The vacuum of the
  // loaded tables marks their pages all-visible (index-only scans skip the heap) and sets their
  // rows' commit hints, which the first searches would otherwise write page by page.
  await pool.query(`VACUUM (ANALYZE) ${[...BULK_TABLES, 'search_lexemes', 'categories', 'stores'].join(', ')}`)
  return counts
}

/** Whether the seed CLI has ever written this database (the embedded default seeds only until it has). */
export async function hasBeenSeeded(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ seeded: boolean }>('SELECT EXISTS (SELECT 1 FROM seed_runs) OR EXISTS (SELECT 1 FROM products) AS seeded')
  return rows[0]?.seeded ?? false
}

// Ids come back in insertion order within one statement (one sequence, one session), so sorting
// them pairs the n-th id with the n-th row generated.
async function returnedIds(client: pg.PoolClient, sql: string, params: unknown[]): Promise<number[]> {
  const { rows } = await client.query<{ id: number }>(sql, params)
  return rows.map((row) => row.id).sort((a, b) => a - b)
}
