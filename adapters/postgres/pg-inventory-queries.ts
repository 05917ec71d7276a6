import type pg from 'pg'
import type { InventoryQueries, StoreInventoryItem } from '../../application/inventory/ports/inventory-queries.js'
import type { Page, PageRequest } from '../../application/shared/pagination.js'
import { offsetOf } from './page-offset.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'

interface InventoryItemRow {
  product_id: number
  title: string
  price: string
  category: string
  quantity: number
}

function toStoreInventoryItem(row: InventoryItemRow): StoreInventoryItem {
  return { productId: row.product_id, title: row.title, price: row.price, category: row.category, quantity: row.quantity }
}

/** A–Z ignoring case and accents, in byte order so that every server sorts alike; ties by id. */
const TITLE_ORDER = `lower(immutable_unaccent(p.title)) COLLATE "C", p.id`

// One statement answers whether the store exists, how many products it carries and one page of
// them: the LEFT JOIN keeps the store's row (and the count) even past the last page.
const LIST_STORE_INVENTORY = `
  SELECT (SELECT count(*) FROM inventory i JOIN products p ON p.id = i.product_id WHERE i.store_id = s.id AND p.archived_at IS NULL) AS total,
         page.product_id, page.title, page.price, page.category, page.quantity
    FROM stores s
    LEFT JOIN LATERAL (
      SELECT i.product_id, p.title, p.price, c.name AS category, i.quantity, row_number() OVER (ORDER BY ${TITLE_ORDER}) AS position
        FROM inventory i
        JOIN products p ON p.id = i.product_id
        JOIN categories c ON c.id = p.category_id
       WHERE i.store_id = s.id AND p.archived_at IS NULL
       ORDER BY ${TITLE_ORDER}
       LIMIT $2 OFFSET $3
    ) page ON true
   WHERE s.id = $1
   ORDER BY page.position`

type ListRow = { total: number } & ({ [K in keyof InventoryItemRow]: null } | InventoryItemRow)

export class PgInventoryQueries implements InventoryQueries {
  constructor(private readonly pool: pg.Pool) {}

  async listStoreInventory(storeId: number, page: PageRequest): Promise<Page<StoreInventoryItem>> {
    const { rows } = await this.pool.query<ListRow>(LIST_STORE_INVENTORY, [storeId, page.pageSize, offsetOf(page)])
    const first = rows[0]
    if (first === undefined) throw new NotFoundError('Store', storeId)
    const items = rows.flatMap((row) => (row.product_id === null ? [] : [toStoreInventoryItem(row)]))
    return { items, total: first.total }
  }
}
