import { Type, type Static } from '@sinclair/typebox'
import type { OrderSummary } from '../../../application/ordering/ports/order-queries.js'
import type { OrderRecord } from '../../../domain/ordering/order-record.js'
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES } from '../../../domain/ordering/order.js'
import { Id, OrderIdParam, PageOf, PaginationQuery, ProductIdParam, StoreIdParam, Timestamp } from './common.schemas.js'

export const OrderStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('CONFIRMED'), Type.Literal('REJECTED'), Type.Literal('CANCELLED')])

export const PlaceOrderBody = Type.Object(
  {
    store_id: StoreIdParam,
    items: Type.Array(
      Type.Object(
        { product_id: ProductIdParam, quantity_requested: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }) },
        { additionalProperties: false },
      ),
      {
        minItems: 1,
        maxItems: MAX_ORDER_LINES,
        description: 'Lines naming the same product are added up and decided, stored and answered as one line, in the order each product was first named',
      },
    ),
  },
  { additionalProperties: false, title: 'PlaceOrderRequest' },
)
export type PlaceOrderBody = Static<typeof PlaceOrderBody>

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ pattern: '^[!-~]{1,255}$', description: '1–255 visible ASCII characters; repeats replay the first response' }),
  ),
})

const OrderItemView = Type.Object({ product_id: Id, title: Type.String(), quantity_requested: Type.Integer() }, { title: 'OrderItem' })

const RejectionView = Type.Object(
  {
    reason: Type.Literal('insufficient_stock'),
    items: Type.Array(Type.Object({ product_id: Id, requested: Type.Integer(), available: Type.Integer() })),
  },
  { title: 'OrderRejection' },
)

const orderFields = {
  id: Id,
  store_id: Id,
  status: OrderStatus,
  created_at: Timestamp,
  total_items: Type.Integer(),
  items: Type.Array(OrderItemView),
  rejection: Type.Union([RejectionView, Type.Null()]),
}

export const CreatedOrderView = Type.Object(orderFields, { title: 'CreatedOrder' })
export type CreatedOrderView = Static<typeof CreatedOrderView>

export const OrderView = Type.Object(
  {
    ...orderFields,
    confirmation_sent_at: Type.Union([Timestamp, Type.Null()], { description: 'When the confirmation was sent; null until then' }),
    cancelled_at: Type.Optional(Timestamp),
  },
  { title: 'Order' },
)
export type OrderView = Static<typeof OrderView>

export const OrderParams = Type.Object({ order_id: OrderIdParam }, { additionalProperties: false })

/** A cancellation takes no input: no body (read as `{}`), or an empty JSON object. */
export const CancelOrderBody = Type.Object({}, { additionalProperties: false })

export const StoreOrdersQuery = Type.Object({ status: Type.Optional(OrderStatus), ...PaginationQuery }, { additionalProperties: false })

export const StoreOrderSummaryView = Type.Object(
  {
    id: Id,
    status: OrderStatus,
    created_at: Timestamp,
    total_items: Type.Integer(),
  },
  { title: 'StoreOrderSummary' },
)
export type StoreOrderSummaryView = Static<typeof StoreOrderSummaryView>

export const StoreOrdersPage = PageOf(StoreOrderSummaryView, 'StoreOrdersPage')

export function toCreatedOrderView(order: OrderRecord): CreatedOrderView {
  return {
    id: order.id,
    store_id: order.storeId,
    status: order.status,
    created_at: order.createdAt.toISOString(),
    total_items: order.totalItems,
    items: order.items.map((item) => ({ product_id: item.productId, title: item.title, quantity_requested: item.quantity })),
    rejection:
      order.shortages === null
        ? null
        : {
            reason: 'insufficient_stock',
            items: order.shortages.map((s) => ({ product_id: s.productId, requested: s.requested, available: s.available })),
          },
  }
}

export function toOrderView(order: OrderRecord): OrderView {
  return {
    ...toCreatedOrderView(order),
    confirmation_sent_at: order.confirmationSentAt?.toISOString() ?? null,
    ...(order.cancelledAt === null ? {} : { cancelled_at: order.cancelledAt.toISOString() }),
  }
}

export function toSummaryView(order: OrderSummary): StoreOrderSummaryView {
  return { id: order.id, status: order.status, created_at: order.createdAt.toISOString(), total_items: order.totalItems }
}
