import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { InventorySummary } from '../../../application/inventory/ports/inventory-summaries.js'
import type { GetInventorySummary } from '../../../application/inventory/get-inventory-summary.js'
import { Id, problemResponses, StoreParams, Timestamp } from '../schemas/common.schemas.js'

export interface InventorySummaryRoutesOptions {
  getInventorySummary: GetInventorySummary
}

const Count = Type.Integer({ minimum: 0 })

const InventorySummaryView = Type.Object({
  store_id: Id,
  date: Type.String({ format: 'date', examples: ['2026-11-21'] }),
  sku_count: Count,
  total_units: Count,
  out_of_stock: Count,
  low_stock: Type.Array(Type.Object({ product_id: Id, title: Type.String(), quantity: Type.Integer({ minimum: 1 }) })),
  generated_at: Timestamp,
})

function toView(summary: InventorySummary) {
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

// A static last segment: Fastify's router prefers it to the parametric /inventory/:product_id.
export const inventorySummaryRoutes: FastifyPluginAsyncTypebox<InventorySummaryRoutesOptions> = async (app, { getInventorySummary }) => {
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
    async (request) => toView(await getInventorySummary.execute(request.params.store_id)),
  )
}
