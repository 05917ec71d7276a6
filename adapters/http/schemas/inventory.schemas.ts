import { Type, type Static } from '@sinclair/typebox'
import type { StoreInventoryItem } from '../../../application/inventory/ports/inventory-queries.js'
import type { InventorySummary } from '../../../application/inventory/ports/inventory-summaries.js'
import { MAX_STOCK_LEVEL } from '../../../domain/inventory/store-inventory.js'
import { Id, Money, PageOf, PaginationQuery, ProductIdParam, StoreIdParam, Timestamp } from './common.schemas.js'

export const InventoryItemView = Type.Object(
  {
    product_id: Id,
    title: Type.String(),
    price: Money,
    category: Type.String(),
    quantity: Type.Integer({ minimum: 0 }),
  },
  { title: 'InventoryItem' },
)

export type InventoryItemView = Static<typeof InventoryItemView>

export const InventoryPage = PageOf(InventoryItemView, 'InventoryPage')

export const InventoryQuery = Type.Object(PaginationQuery, { additionalProperties: false })

export const InventoryItemParams = Type.Object({ store_id: StoreIdParam, product_id: ProductIdParam }, { additionalProperties: false })

export const RestockBody = Type.Object(
  { quantity: Type.Integer({ minimum: 0, maximum: MAX_STOCK_LEVEL, description: 'The new level: the store has exactly this many units.' }) },
  { additionalProperties: false, title: 'StockLevelRequest' },
)

export function toInventoryItemView(item: StoreInventoryItem): InventoryItemView {
  return { product_id: item.productId, title: item.title, price: item.price, category: item.category, quantity: item.quantity }
}

const Count = Type.Integer({ minimum: 0 })

export const InventorySummaryView = Type.Object(
  {
    store_id: Id,
    date: Type.String({ format: 'date', examples: ['2026-11-21'] }),
    sku_count: Count,
    total_units: Count,
    out_of_stock: Count,
    low_stock: Type.Array(Type.Object({ product_id: Id, title: Type.String(), quantity: Type.Integer({ minimum: 1 }) })),
    generated_at: Timestamp,
  },
  { title: 'InventorySummary' },
)

export type InventorySummaryView = Static<typeof InventorySummaryView>

export function toInventorySummaryView(summary: InventorySummary): InventorySummaryView {
  return {
    store_id: summary.storeId,
    date: summary.date,
    sku_count: summary.skuCount,
    total_units: summary.totalUnits,
    out_of_stock: summary.outOfStock,
    low_stock: summary.lowStock.map((item) => ({ product_id: item.productId, title: item.title, quantity: item.quantity })),
    generated_at: summary.generatedAt.toISOString(),
  }
}
