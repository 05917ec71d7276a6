/** What the API answers, typed for tests that read response bodies (response.json<T>()). */
export type { PageEnvelope } from '../../adapters/http/pagination.js'
export type { Problem as ProblemBody } from '../../adapters/http/problem-details.js'
export type { InventoryItemView, InventorySummaryView } from '../../adapters/http/schemas/inventory.schemas.js'
export type { CreatedOrderView, OrderView, StoreOrderSummaryView } from '../../adapters/http/schemas/order.schemas.js'
export type { ProductHitView, SearchPageView } from '../../adapters/http/schemas/search.schemas.js'
export type { CategoryView, ProductView, StoreView } from '../../adapters/http/schemas/catalog.schemas.js'
