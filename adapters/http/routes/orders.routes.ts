import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { CancelOrder } from '../../../application/ordering/cancel-order.js'
import type { GetOrder } from '../../../application/ordering/get-order.js'
import type { ListStoreOrders } from '../../../application/ordering/list-store-orders.js'
import type { PlaceOrder } from '../../../application/ordering/place-order.js'
import { pageEnvelope, toPageRequest } from '../pagination.js'
import { problemResponses, StoreParams } from '../schemas/common.schemas.js'
import {
  CancelOrderBody,
  CreatedOrderView,
  IdempotencyHeaders,
  OrderParams,
  OrderView,
  PlaceOrderBody,
  StoreOrdersPage,
  StoreOrdersQuery,
  toCreatedOrderView,
  toOrderView,
  toSummaryView,
} from '../schemas/order.schemas.js'

export interface OrderRoutesOptions {
  placeOrder: PlaceOrder
  getOrder: GetOrder
  listStoreOrders: ListStoreOrders
  cancelOrder: CancelOrder
}

export const orderRoutes: FastifyPluginAsyncTypebox<OrderRoutesOptions> = async (app, { placeOrder, getOrder, listStoreOrders, cancelOrder }) => {
  app.post(
    '/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'Place an order: CONFIRMED with all stock deducted, or REJECTED with none (both 201)',
        headers: IdempotencyHeaders,
        body: PlaceOrderBody,
        response: { 201: CreatedOrderView, ...problemResponses(400, 404, 409, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const { order, replayed } = await placeOrder.execute({
        storeId: request.body.store_id,
        items: request.body.items.map((item) => ({ productId: item.product_id, quantity: item.quantity_requested })),
        ...(request.headers['idempotency-key'] === undefined ? {} : { idempotencyKey: request.headers['idempotency-key'] }),
      })
      if (replayed) reply.header('idempotent-replayed', 'true')
      return reply.code(201).header('location', `/orders/${order.id}/`).send(toCreatedOrderView(order))
    },
  )

  app.get(
    '/orders/:order_id',
    {
      config: { access: { role: 'store', orderParam: 'order_id' } },
      schema: {
        tags: ['orders'],
        summary: 'One order, with when its confirmation was sent',
        params: OrderParams,
        response: { 200: OrderView, ...problemResponses(400, 404) },
      },
    },
    async (request) => toOrderView(await getOrder.execute(request.params.order_id)),
  )

  app.post(
    '/orders/:order_id/cancel',
    {
      config: { access: { role: 'store', orderParam: 'order_id' } },
      schema: {
        tags: ['orders'],
        summary: 'Cancel a CONFIRMED order: its quantities return to the store (200, with cancelled_at)',
        description:
          "One transaction: the status, the levels and the ledger's `cancel` movements. Cancelling a CANCELLED order again " +
          'answers 200 and returns nothing twice; a REJECTED order is a 409. A confirmation not yet sent is never sent.',
        params: OrderParams,
        body: CancelOrderBody,
        response: { 200: OrderView, ...problemResponses(400, 404, 409, 413, 415, 503) },
      },
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request) => toOrderView(await cancelOrder.execute(request.params.order_id)),
  )

  app.get(
    '/stores/:store_id/orders',
    {
      config: { access: { role: 'store', storeParam: 'store_id' } },
      schema: {
        tags: ['orders'],
        summary: "A store's orders, newest first",
        params: StoreParams,
        querystring: StoreOrdersQuery,
        response: { 200: StoreOrdersPage, ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const pageRequest = toPageRequest(request.query)
      const page = await listStoreOrders.execute(request.params.store_id, request.query.status, pageRequest)
      return pageEnvelope(request, pageRequest, page, toSummaryView)
    },
  )
}
