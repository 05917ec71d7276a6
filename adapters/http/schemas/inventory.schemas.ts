import { Type, type Static } from '@sinclair/typebox'
import type { StoreInventoryItem } from '../../../application/inventory/ports/inventory-queries.js'
import { MAX_STOCK_LEVEL } from '../../../domain/inventory/store-inventory.js'
import { Id, Money, PageOf, PaginationQuery } from './common.schemas.js'

export const InventoryItemView = Type.Object({
  product_id: Id,
  title: Type.String(),
  price: Money,
  category: Type.String(),
  quantity: Type.Integer({ minimum: 0 }),
})

export type InventoryItemView = Static<typeof InventoryItemView>

export const InventoryPage = PageOf(InventoryItemView)

export const InventoryQuery = Type.Object(PaginationQuery, { additionalProperties: false })

export const InventoryItemParams = Type.Object({ store_id: Id, product_id: Id }, { additionalProperties: false })

export const RestockBody = Type.Object(
  { quantity: Type.Integer({ minimum: 0, maximum: MAX_STOCK_LEVEL, description: 'The new level: the store has exactly this many units.' }) },
  { additionalProperties: false },
)

export function toInventoryItemView(item: StoreInventoryItem): InventoryItemView {
  return { product_id: item.productId, title: item.title, price: item.price, category: item.category, quantity: item.quantity }
}
