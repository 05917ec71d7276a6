import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { GetInventorySummary } from '../../../application/inventory/get-inventory-summary.js'
import type { ListStoreInventory } from '../../../application/inventory/list-store-inventory.js'
import type { SetStockLevel } from '../../../application/inventory/set-stock-level.js'
import { principalOf } from '../auth/access-control.js'
import { pageEnvelope, toPageRequest } from '../pagination.js'
import { SerializedBodies } from '../serialized-bodies.js'
import { problemResponses, StoreParams } from '../schemas/common.schemas.js'
import {
  InventoryItemParams,
  InventoryItemView,
  InventoryPage,
  InventoryQuery,
  InventorySummaryView,
  RestockBody,
  toInventoryItemView,
  toInventorySummaryView,
} from '../schemas/inventory.schemas.js'

export interface InventoryRoutesOptions {
  listStoreInventory: ListStoreInventory
  setStockLevel: SetStockLevel
  getInventorySummary: GetInventorySummary
}

export const inventoryRoutes: FastifyPluginAsyncTypebox<InventoryRoutesOptions> = async (app, { listStoreInventory, setStockLevel, getInventorySummary }) => {
  const bodies = new SerializedBodies()
  app.get(
    '/stores/:store_id/inventory',
    {
      schema: {
        tags: ['inventory'],
        summary: "A store's inventory, by product title A→Z (case and accents ignored, ties by product id)",
        params: StoreParams,
        querystring: InventoryQuery,
        response: { 200: InventoryPage, ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const pageRequest = toPageRequest(request.query)
      const page = await listStoreInventory.execute(request.params.store_id, pageRequest)
      return bodies.send(reply, page, request.url, () => pageEnvelope(request, pageRequest, page, toInventoryItemView))
    },
  )

  app.put(
    '/stores/:store_id/inventory/:product_id',
    {
      config: { access: { role: 'store', storeParam: 'store_id' } },
      schema: {
        tags: ['inventory'],
        summary: "Restock: set a store's level of one product (the stock ledger records the difference)",
        params: InventoryItemParams,
        body: RestockBody,
        response: { 200: InventoryItemView, ...problemResponses(400, 404, 413, 415) },
      },
    },
    async (request) => {
      const { store_id: storeId, product_id: productId } = request.params
      const item = await setStockLevel.execute({ storeId, productId, quantity: request.body.quantity, keyId: principalOf(request).keyId })
      return toInventoryItemView(item)
    },
  )

  // A static last segment: Fastify's router prefers it to the parametric /inventory/:product_id.
  app.get(
    '/stores/:store_id/inventory/summary',
    {
      config: { access: { role: 'store', storeParam: 'store_id' } },
      schema: {
        tags: ['inventory'],
        summary: 'The latest daily inventory summary of a store',
        description:
          'Written by the daily-inventory-summary job (a daily schedule, or `npm run jobs -- trigger daily-inventory-summary`). ' +
          '`low_stock` lists carried products below the threshold and above zero, lowest quantity first. ' +
          '404 when the store does not exist or no summary was generated yet.',
        params: StoreParams,
        response: { 200: InventorySummaryView, ...problemResponses(400, 404) },
      },
    },
    async (request) => toInventorySummaryView(await getInventorySummary.execute(request.params.store_id)),
  )
}
