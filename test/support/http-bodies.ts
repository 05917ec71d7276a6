/** What the API answers, typed for tests that read response bodies (response.json<T>()). */
export type { PageEnvelope } from '../../adapters/http/pagination.js'
export type { InventoryItemView, InventorySummaryView } from '../../adapters/http/schemas/inventory.schemas.js'
export type { CreatedOrderView, OrderView, StoreOrderSummaryView } from '../../adapters/http/schemas/order.schemas.js'
export type { ProductHitView } from '../../adapters/http/schemas/search.schemas.js'

/** An RFC 9457 problem as API.md shows it; extensions (such as product_ids) come beside the fields. */
export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  errors?: { path: string; message: string }[]
  [extension: string]: unknown
}
