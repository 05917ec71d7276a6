import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import type { FakerSeedSource, ProductRows } from '../seed/faker-seed-source.js'
import { inTransaction, withPoolClient } from './pool.js'

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

export interface SeedPhase {
  name: string
  seconds: number
}

export interface SeedResult {
  counts: SeedCounts
  phases: SeedPhase[]
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

/** A bulk statement over a whole catalog (the projection, an index build) runs for seconds to minutes, past the pool's usual limit. */
const BULK_STATEMENT_TIMEOUT = '10min'
/** One COPY per chunk: generation of the next overlaps it, and progress is reported as chunks complete. */
const PRODUCT_CHUNK = 50_000
const INVENTORY_CHUNK = 50_000
/** Rows generated between two turns of the event loop, which let the pending COPY data reach the socket. */
const GENERATION_SLICE = 2_000

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

// COPY gives each product its id: the seed takes the next `$1` ids of the sequence at once, the
// ones inserts would have drawn (the tables are locked, by TRUNCATE or by LOCK_SEEDED_TABLES, so no
// other writer draws in between).
const RESERVE_PRODUCT_IDS = `
  WITH sequence AS (SELECT pg_get_serial_sequence('products', 'id')::regclass AS name)
  SELECT setval(name, nextval(name) + $1 - 1) - $1 + 1 AS first FROM sequence`
const LOCK_SEEDED_TABLES = `LOCK TABLE categories, products, stores, inventory IN EXCLUSIVE MODE`

const INSERT_STORES = `INSERT INTO stores (name, location)
                       SELECT name, location FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS s(name, location, n)
                        ORDER BY n RETURNING id`

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
 * Writes a whole data set in one transaction, products and inventory by COPY (never a row at a
 * time), so a run either leaves a complete data set or nothing.
 */
export async function seedDatabase(pool: pg.Pool, plan: SeedPlan, source: FakerSeedSource, progress: SeedProgress): Promise<SeedResult> {
  const phases = new PhaseClock()
  const counts = await inTransaction(pool, async (client) => {
    if (plan.reset) {
      const { rows } = await client.query<{ last_value: number; is_called: boolean }>(LAST_ORDER_ID)
      await client.query(RESET)
      await client.query(CONTINUE_ORDER_IDS, [rows[0]?.last_value ?? 1, rows[0]?.is_called ?? false])
    } else {
      await client.query(LOCK_SEEDED_TABLES)
      const existing = (await client.query<Record<string, number>>(COUNT_EXISTING)).rows[0] ?? {}
      const nonEmpty = Object.fromEntries(Object.entries(existing).filter(([, count]) => count > 0))
      if (Object.keys(nonEmpty).length > 0) throw new DatabaseNotEmptyError(nonEmpty)
    }
    // Tables emptied by this transaction's TRUNCATE take their rows already frozen (COPY … FREEZE):
    // their pages are all-visible from the start, and the vacuum after has nothing to do on them.
    // Other sessions see no more than TRUNCATE already shows them (it is not MVCC-safe either).
    const freeze = plan.reset ? 'FREEZE' : ''

    const deferred = (await client.query<{ name: string; definition: string }>(SECONDARY_INDEXES, [BULK_TABLES])).rows
    for (const index of deferred) await client.query(`DROP INDEX ${index.name}`)
    const foreignKeys = (await client.query<{ table_name: string; name: string; definition: string }>(FOREIGN_KEYS, [BULK_TABLES])).rows
    for (const key of foreignKeys) await client.query(`ALTER TABLE ${key.table_name} DROP CONSTRAINT ${key.name}`)
    // Index builds, key checks and the projection's grouping each run once over a million rows.
    await client.query(`SET LOCAL maintenance_work_mem = '256MB'`)
    await client.query(`SET LOCAL work_mem = '64MB'`)
    await client.query(`SET LOCAL statement_timeout = '${BULK_STATEMENT_TIMEOUT}'`)

    // The search projection and its per-word and catalog counts are computed once at the end, the
    // projection by parallel workers (migrations 0013 and 0019).
    await client.query('SELECT search_projection_suspend()')
    await client.query('SELECT search_counts_suspend()')
    const categoryIds = await returnedIds(client, INSERT_CATEGORIES, [source.categoryNames(plan.categories)])
    phases.lap('prepare')

    const firstProductId = plan.products > 0 ? Number((await client.query<{ first: string }>(RESERVE_PRODUCT_IDS, [plan.products])).rows[0]?.first) : 1
    await copyProducts(client, source, { ...plan, categoryIds, firstProductId, freeze }, progress)
    phases.lap('products')

    const stores = source.stores(plan.stores)
    const storeIds = await returnedIds(client, INSERT_STORES, [stores.names, stores.locations])
    const copyInventory = `COPY inventory (store_id, product_id, quantity) FROM STDIN ${freeze}`
    let inventoryRows = 0
    let lines = ''
    let pendingRows = 0
    for (const [storeNumber, storeId] of storeIds.entries()) {
      const stock = source.stock(plan.products, plan.inventoryPerStore)
      for (const [line, productIndex] of stock.productIndexes.entries()) {
        lines += `${storeId}\t${firstProductId + productIndex}\t${stock.quantities[line]}\n`
      }
      pendingRows += stock.productIndexes.length
      if (pendingRows >= INVENTORY_CHUNK || storeNumber === storeIds.length - 1) {
        await copyChunk(client, copyInventory, lines)
        inventoryRows += pendingRows
        lines = ''
        pendingRows = 0
      }
      progress('inventory', storeNumber + 1, storeIds.length)
    }
    phases.lap('stores and inventory')

    const movements = (await client.query(RECORD_SEED_MOVEMENTS)).rowCount ?? 0
    phases.lap('ledger')
    await client.query('SELECT search_projection_resume()')
    phases.lap('search projection')
    await client.query('SELECT search_counts_resume()')
    phases.lap('search counts')
    for (const index of deferred) await client.query(index.definition)
    phases.lap('indexes')
    for (const key of foreignKeys) await client.query(`ALTER TABLE ${key.table_name} ADD CONSTRAINT ${key.name} ${key.definition}`)
    phases.lap('foreign keys')
    const counts: SeedCounts = {
      categories: categoryIds.length,
      products: plan.products,
      stores: storeIds.length,
      inventory: inventoryRows,
      stockMovements: movements,
    }
    await client.query('INSERT INTO seed_runs (seed, counts) VALUES ($1, $2)', [source.seed, counts])
    return counts
  })
  phases.lap('commit')
  // Fresh statistics at once, rather than whenever autovacuum gets to it: until then the planner
  // would plan searches of a million products as if the tables were still empty. The vacuum of the
  // tables filled by INSERT (the projection, its counts, the ledger) marks their pages all-visible
  // (index-only scans skip the heap) and sets their rows' commit hints, which the first searches
  // would otherwise write page by page.
  await withPoolClient(pool, async (client) => {
    await client.query(`SET statement_timeout = '${BULK_STATEMENT_TIMEOUT}'`)
    try {
      await client.query(`VACUUM (ANALYZE) ${[...BULK_TABLES, 'search_lexemes', 'search_postings', 'categories', 'stores'].join(', ')}`)
    } finally {
      await client.query('RESET statement_timeout')
    }
  })
  phases.lap('vacuum and analyse')
  return { counts, phases: phases.laps }
}

/** Whether the seed CLI has ever written this database (the embedded default seeds only until it has). */
export async function hasBeenSeeded(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ seeded: boolean }>('SELECT EXISTS (SELECT 1 FROM seed_runs) OR EXISTS (SELECT 1 FROM products) AS seeded')
  return rows[0]?.seeded ?? false
}

interface ProductLoad {
  products: number
  categoryIds: number[]
  firstProductId: number
  freeze: string
}

/**
 * Postgres loads one chunk while the next is generated; generation yields between slices so that
 * the chunk being loaded keeps flowing to the socket. A chunk's COPY starts only once the one
 * before has completed, so a failed chunk ends the load there.
 */
async function copyProducts(client: pg.PoolClient, source: FakerSeedSource, load: ProductLoad, progress: SeedProgress): Promise<void> {
  let loading: Promise<void> | undefined
  for (let done = 0; done < load.products;) {
    const chunk = Math.min(PRODUCT_CHUNK, load.products - done)
    const slices: string[] = []
    for (let sliceStart = 0; sliceStart < chunk; sliceStart += GENERATION_SLICE) {
      const rows = source.products(Math.min(GENERATION_SLICE, chunk - sliceStart), load.categoryIds.length)
      slices.push(productLines(rows, load.firstProductId + done + sliceStart, load.categoryIds))
      await new Promise(setImmediate)
    }
    await loading
    if (done > 0) progress('products', done, load.products)
    loading = copyChunk(client, `COPY products (id, title, description, price, category_id, created_at) FROM STDIN ${load.freeze}`, slices.join(''))
    done += chunk
  }
  await loading
  progress('products', load.products, load.products)
}

function productLines(rows: ProductRows, firstId: number, categoryIds: number[]): string {
  let lines = ''
  for (const [index, title] of rows.titles.entries()) {
    const category = categoryIds[rows.categoryIndexes[index] as number] as number
    const createdAt = (rows.createdAt[index] as Date).toISOString()
    lines += `${firstId + index}\t${copyText(title)}\t${copyText(rows.descriptions[index] ?? null)}\t${rows.prices[index]}\t${category}\t${createdAt}\n`
  }
  return lines
}

// COPY's text format: backslash, tab and line breaks escaped, \\N for null.
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }
function copyText(value: string | null): string {
  return value === null ? '\\N' : value.replace(/[\\\t\n\r]/g, (special) => COPY_ESCAPES[special] as string)
}

/**
 * Runs one COPY of `data`, settling once Postgres has taken it all. The data goes in one write:
 * pg-copy-streams (7.0.0) dereferences its connection after a server error when it still holds
 * more than one chunk to send (brianc/node-pg-copy-streams#171), which crashes the process instead
 * of failing the seed. The promise is marked handled at once: a chunk that fails while the next is
 * being generated is reported when the seed awaits it, not as an unhandled rejection before.
 */
function copyChunk(client: pg.PoolClient, statement: string, data: string): Promise<void> {
  const copy = client.query(copyFrom(statement))
  const finished = new Promise<void>((resolve, reject) => {
    copy.once('finish', resolve)
    copy.on('error', reject)
  })
  finished.catch(() => undefined)
  copy.end(data)
  return finished
}

/** How long each phase of a seed took, in order. */
class PhaseClock {
  readonly laps: SeedPhase[] = []
  private last = performance.now()

  lap(name: string): void {
    const now = performance.now()
    this.laps.push({ name, seconds: (now - this.last) / 1000 })
    this.last = now
  }
}

// Ids come back in insertion order within one statement (one sequence, one session), so sorting
// them pairs the n-th id with the n-th row generated.
async function returnedIds(client: pg.PoolClient, sql: string, params: unknown[]): Promise<number[]> {
  const { rows } = await client.query<{ id: number }>(sql, params)
  return rows.map((row) => row.id).sort((a, b) => a - b)
}
