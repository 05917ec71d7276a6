import type pg from 'pg'
import type {
  Categories,
  CategoryRecord,
  ProductFields,
  ProductRecord,
  Products,
  ProductsCreated,
  StoreRecord,
  Stores,
} from '../../application/catalog/ports/catalog-records.js'
import type { Page, PageRequest } from '../../application/shared/pagination.js'
import { CategoryNameTakenError } from '../../domain/catalog/catalog-errors.js'
import { offsetOf } from './page-offset.js'
import { inTransaction } from './pool.js'
import type { Queryable } from './queryable.js'

const UNIQUE_VIOLATION = '23505'
const FOREIGN_KEY_VIOLATION = '23503'

function sqlState(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { code?: string }).code : undefined
}

/**
 * `SET a = $2, b = $3` for the changes given (the first parameter is left for the row's id), with
 * column names from a fixed map, never from input.
 */
function assignments<Field extends string>(changes: Partial<Record<Field, unknown>>, columns: Record<Field, string>): { sql: string; values: unknown[] } {
  const fields = (Object.keys(columns) as Field[]).filter((field) => changes[field] !== undefined)
  return { sql: fields.map((field, index) => `${columns[field]} = $${index + 2}`).join(', '), values: fields.map((field) => changes[field]) }
}

async function pageOf<Row, Item>(db: Queryable, pageSql: string, countSql: string, page: PageRequest, toItem: (row: Row) => Item): Promise<Page<Item>> {
  const [rows, counted] = await Promise.all([db.query(pageSql, [page.pageSize, offsetOf(page)]), db.query<{ total: number }>(countSql)])
  return { items: (rows.rows as Row[]).map(toItem), total: counted.rows[0]?.total ?? 0 }
}

interface CategoryRow {
  id: number
  name: string
  product_count: number
}

// Counted in the search projection, which holds live products only, from its category index.
const PRODUCT_COUNT = '(SELECT count(*) FROM product_search s WHERE s.category_id = c.id) AS product_count'

const RENAME_TIMEOUT = '5min'

const toCategory = (row: CategoryRow): CategoryRecord => ({ id: row.id, name: row.name, productCount: row.product_count })

export class PgCategories implements Categories {
  constructor(private readonly pool: pg.Pool) {}

  list(page: PageRequest): Promise<Page<CategoryRecord>> {
    return pageOf(
      this.pool,
      `SELECT c.id, c.name, ${PRODUCT_COUNT} FROM categories c ORDER BY lower(c.name), c.id LIMIT $1 OFFSET $2`,
      'SELECT count(*) AS total FROM categories',
      page,
      toCategory,
    )
  }

  async create(name: string): Promise<CategoryRecord> {
    return toCategory(
      await this.nameTaken(name, () =>
        this.pool.query<CategoryRow>('INSERT INTO categories (name) VALUES ($1) RETURNING id, name, 0 AS product_count', [name]),
      ),
    )
  }

  /**
   * The categories_updated trigger rewrites the search row of every product in the category in
   * this statement (about 5 s for 100,000 products, see README): it gets a statement timeout of
   * its own, longer than the pool's, so that a large category can be renamed at all.
   */
  async rename(id: number, name: string): Promise<CategoryRecord | null> {
    const row = await this.nameTaken(name, () =>
      inTransaction(this.pool, async (client) => {
        await client.query(`SET LOCAL statement_timeout = '${RENAME_TIMEOUT}'`)
        return client.query<CategoryRow>(`UPDATE categories c SET name = $2 WHERE id = $1 RETURNING c.id, c.name, ${PRODUCT_COUNT}`, [id, name])
      }),
    )
    return row === undefined ? null : toCategory(row)
  }

  async delete(id: number): Promise<'deleted' | 'in-use' | 'missing'> {
    try {
      const { rows } = await this.pool.query<{ found: boolean; deleted: boolean }>(
        `WITH target AS (SELECT id FROM categories WHERE id = $1 FOR UPDATE),
              deleted AS (DELETE FROM categories c USING target
                           WHERE c.id = target.id AND NOT EXISTS (SELECT 1 FROM products p WHERE p.category_id = target.id)
                          RETURNING c.id)
         SELECT EXISTS (SELECT 1 FROM target) AS found, EXISTS (SELECT 1 FROM deleted) AS deleted`,
        [id],
      )
      if (!rows[0]?.found) return 'missing'
      return rows[0].deleted ? 'deleted' : 'in-use'
    } catch (error) {
      // A product added to it meanwhile, which this statement's snapshot did not see.
      if (sqlState(error) === FOREIGN_KEY_VIOLATION) return 'in-use'
      throw error
    }
  }

  private async nameTaken(name: string, write: () => Promise<pg.QueryResult<CategoryRow>>): Promise<CategoryRow> {
    try {
      return (await write()).rows[0]!
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION) throw new CategoryNameTakenError(name)
      throw error
    }
  }
}

interface ProductRow {
  id: number
  title: string
  description: string | null
  price: string
  category_id: number
  category_name: string
  created_at: Date
  updated_at: Date
}

const FIND_PRODUCT = `
  SELECT p.id, p.title, p.description, p.price, p.category_id, c.name AS category_name, p.created_at,
         coalesce(p.updated_at, p.created_at) AS updated_at
    FROM products p JOIN categories c ON c.id = p.category_id
   WHERE p.id = $1 AND p.archived_at IS NULL`

// Locks the categories named (KEY SHARE, as the foreign key would) so none is deleted before the
// products referring to it commit; the ones that do not come back are missing.
const LOCK_CATEGORIES = 'SELECT id FROM categories WHERE id = ANY($1::bigint[]) FOR KEY SHARE'

// Every product in one statement: the catalog triggers then update search and the title
// dictionary with a few set-based statements, whatever the number of products.
const INSERT_PRODUCTS = `
  INSERT INTO products (title, description, price, category_id)
  SELECT title, description, price, category_id
    FROM unnest($1::text[], $2::text[], $3::numeric[], $4::bigint[]) WITH ORDINALITY AS p(title, description, price, category_id, n)
   ORDER BY n
  RETURNING id`

const PRODUCT_COLUMNS: Record<keyof ProductFields, string> = { title: 'title', description: 'description', price: 'price', categoryId: 'category_id' }

const toProduct = (row: ProductRow): ProductRecord => ({
  id: row.id,
  title: row.title,
  description: row.description,
  price: row.price,
  category: { id: row.category_id, name: row.category_name },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

export class PgProducts implements Products {
  constructor(private readonly pool: pg.Pool) {}

  async find(id: number): Promise<ProductRecord | null> {
    const { rows } = await this.pool.query<ProductRow>(FIND_PRODUCT, [id])
    return rows[0] === undefined ? null : toProduct(rows[0])
  }

  create(products: ProductFields[]): Promise<ProductsCreated> {
    return inTransaction(this.pool, async (client) => {
      const missingCategoryIds = await missingCategories(
        client,
        products.map((product) => product.categoryId),
      )
      if (missingCategoryIds.length > 0) return { missingCategoryIds }
      const { rows } = await client.query<{ id: number }>(INSERT_PRODUCTS, [
        products.map((product) => product.title),
        products.map((product) => product.description),
        products.map((product) => product.price),
        products.map((product) => product.categoryId),
      ])
      // Identity values are drawn in the statement's row order, so ascending ids are the order given.
      return { ids: rows.map((row) => row.id).sort((a, b) => a - b) }
    })
  }

  update(id: number, changes: Partial<ProductFields>): Promise<ProductRecord | { missingCategoryId: number } | null> {
    return inTransaction(this.pool, async (client) => {
      if (changes.categoryId !== undefined && (await missingCategories(client, [changes.categoryId])).length > 0) {
        return { missingCategoryId: changes.categoryId }
      }
      const { sql, values } = assignments(changes, PRODUCT_COLUMNS)
      const { rowCount } = await client.query(`UPDATE products SET ${sql}${sql === '' ? '' : ', '}updated_at = now() WHERE id = $1 AND archived_at IS NULL`, [
        id,
        ...values,
      ])
      if (rowCount === 0) return null
      const { rows } = await client.query<ProductRow>(FIND_PRODUCT, [id])
      return toProduct(rows[0]!)
    })
  }

  async archive(id: number): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE products SET archived_at = now(), updated_at = now() WHERE id = $1 AND archived_at IS NULL', [id])
    return rowCount === 1
  }
}

async function missingCategories(db: Queryable, categoryIds: number[]): Promise<number[]> {
  const wanted = [...new Set(categoryIds)]
  const { rows } = await db.query<{ id: number }>(LOCK_CATEGORIES, [wanted])
  const found = new Set(rows.map((row) => row.id))
  return wanted.filter((id) => !found.has(id))
}

const STORE_COLUMNS: Record<keyof Omit<StoreRecord, 'id'>, string> = { name: 'name', location: 'location' }

export class PgStores implements Stores {
  constructor(private readonly pool: pg.Pool) {}

  list(page: PageRequest): Promise<Page<StoreRecord>> {
    return pageOf(
      this.pool,
      'SELECT id, name, location FROM stores ORDER BY id LIMIT $1 OFFSET $2',
      'SELECT count(*) AS total FROM stores',
      page,
      (row: StoreRecord) => row,
    )
  }

  async create({ name, location }: Omit<StoreRecord, 'id'>): Promise<StoreRecord> {
    const { rows } = await this.pool.query<StoreRecord>('INSERT INTO stores (name, location) VALUES ($1, $2) RETURNING id, name, location', [name, location])
    return rows[0]!
  }

  async update(id: number, changes: Partial<Omit<StoreRecord, 'id'>>): Promise<StoreRecord | null> {
    const { sql, values } = assignments(changes, STORE_COLUMNS)
    const { rows } = await this.pool.query<StoreRecord>(
      sql === '' ? 'SELECT id, name, location FROM stores WHERE id = $1' : `UPDATE stores SET ${sql} WHERE id = $1 RETURNING id, name, location`,
      [id, ...values],
    )
    return rows[0] ?? null
  }
}
