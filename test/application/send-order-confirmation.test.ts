import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Notification, NotificationReceipt, Notifier } from '../../application/ordering/ports/notifier.js'
import type { OrderConfirmations } from '../../application/ordering/ports/order-confirmations.js'
import type { OrderQueries } from '../../application/ordering/ports/order-queries.js'
import { orderRecord, type OrderRecord } from '../../domain/ordering/order-record.js'
import { SendOrderConfirmation } from '../../application/ordering/send-order-confirmation.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'

/** Keeps the port's promise the way the outbox does: one notification per order, ever. */
class OutboxFake implements Notifier {
  readonly sent = new Map<number, { notification: Notification; sentAt: Date }>()
  private tick = 0

  async send(notification: Notification): Promise<NotificationReceipt | null> {
    const first = this.sent.get(notification.orderId)
    if (first) return { sentAt: first.sentAt, firstSend: false }
    const sentAt = new Date(Date.UTC(2026, 10, 21, 12, 0, this.tick++))
    this.sent.set(notification.orderId, { notification, sentAt })
    return { sentAt, firstSend: true }
  }
}

class OrdersFake implements OrderQueries, OrderConfirmations {
  readonly orders = new Map<number, OrderRecord>()
  failNextMark = false

  async findById(id: OrderId): Promise<OrderRecord | null> {
    const order = this.orders.get(id)
    return order ? { ...order } : null
  }

  async listByStore(): Promise<null> {
    throw new Error('not used by the confirmation')
  }

  async markSent(orderId: number, sentAt: Date): Promise<void> {
    if (this.failNextMark) {
      this.failNextMark = false
      throw new Error('worker died')
    }
    const order = this.orders.get(orderId)
    if (order && order.confirmationSentAt === null) order.confirmationSentAt = sentAt
  }
}

const ORDER = 42 as OrderId

function order(overrides: Partial<Omit<OrderRecord, 'totalItems'>> = {}): OrderRecord {
  return orderRecord({
    id: ORDER,
    storeId: 7 as StoreId,
    status: 'CONFIRMED',
    cancelledAt: null,
    createdAt: new Date('2026-11-21T19:18:00.000Z'),
    items: [
      { productId: 5 as ProductId, title: 'Steel Lamp', quantity: 2 },
      { productId: 10 as ProductId, title: 'Oak Desk', quantity: 1 },
    ],
    shortages: null,
    confirmationSentAt: null,
    ...overrides,
  })
}

function arrange(existing: OrderRecord) {
  const orders = new OrdersFake()
  orders.orders.set(existing.id, existing)
  const outbox = new OutboxFake()
  return { orders, outbox, useCase: new SendOrderConfirmation(orders, orders, outbox) }
}

describe('SendOrderConfirmation', () => {
  test('sends the confirmation of a confirmed order to its store and records when it went out', async () => {
    const { orders, outbox, useCase } = arrange(order())

    const outcome = await useCase.execute(ORDER)

    assert.equal(outcome, 'sent')
    const sent = outbox.sent.get(42)
    assert.deepEqual(
      { recipient: sent?.notification.recipient, subject: sent?.notification.subject },
      { recipient: 'store-7@orders.aforro.dev', subject: 'Order #42 confirmed' },
    )
    assert.equal(
      sent?.notification.body,
      [
        'Order #42 at store 7 was confirmed at 2026-11-21T19:18:00.000Z.',
        '',
        '  2 × Steel Lamp (product 5)',
        '  1 × Oak Desk (product 10)',
        '',
        'Total items: 3',
      ].join('\n'),
    )
    assert.equal(orders.orders.get(42)?.confirmationSentAt, sent?.sentAt)
  })

  test('a second run finds the confirmation sent and sends nothing', async () => {
    const { outbox, useCase } = arrange(order())
    await useCase.execute(ORDER)

    const outcome = await useCase.execute(ORDER)

    assert.equal(outcome, 'already-sent')
    assert.equal(outbox.sent.size, 1)
  })

  test('a retry after dying between send and record records the first send and sends nothing new', async () => {
    const { orders, outbox, useCase } = arrange(order())
    orders.failNextMark = true
    await assert.rejects(useCase.execute(ORDER), /worker died/)
    const firstSentAt = outbox.sent.get(42)?.sentAt

    const outcome = await useCase.execute(ORDER)

    assert.equal(outcome, 'already-sent')
    assert.equal(outbox.sent.size, 1)
    assert.equal(orders.orders.get(42)?.confirmationSentAt, firstSentAt)
  })

  test('rejected and pending orders are never confirmed', async () => {
    for (const status of ['REJECTED', 'PENDING'] as const) {
      const { orders, outbox, useCase } = arrange(order({ status }))

      const outcome = await useCase.execute(ORDER)

      assert.equal(outcome, 'not-confirmed', status)
      assert.equal(outbox.sent.size, 0, status)
      assert.equal(orders.orders.get(42)?.confirmationSentAt, null, status)
    }
  })

  test('a job for an order that no longer exists completes without sending', async () => {
    const { outbox, useCase } = arrange(order())

    const outcome = await useCase.execute(404 as OrderId)

    assert.equal(outcome, 'order-missing')
    assert.equal(outbox.sent.size, 0)
  })
})
