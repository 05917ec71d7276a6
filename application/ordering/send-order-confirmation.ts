import type { OrderId } from '../../domain/shared/ids.js'
import type { Notification, Notifier } from './ports/notifier.js'
import type { OrderConfirmations } from './ports/order-confirmations.js'
import type { OrderRecord } from '../../domain/ordering/order-record.js'
import type { OrderQueries } from './ports/order-queries.js'

/** What one run did; the job stores it as its output. */
export type ConfirmationOutcome = 'sent' | 'already-sent' | 'not-confirmed' | 'order-missing'

/**
 * Sends the confirmation of a CONFIRMED order and records when it went out. Jobs are delivered
 * at least once, so this runs safely any number of times: the notifier sends at most once per
 * order, and a run that finds the confirmation already sent does nothing.
 */
export class SendOrderConfirmation {
  constructor(
    private readonly orders: OrderQueries,
    private readonly confirmations: OrderConfirmations,
    private readonly notifier: Notifier,
  ) {}

  async execute(orderId: OrderId): Promise<ConfirmationOutcome> {
    const order = await this.orders.findById(orderId)
    if (!order) return 'order-missing'
    if (order.status !== 'CONFIRMED') return 'not-confirmed'
    if (order.confirmationSentAt) return 'already-sent'

    const receipt = await this.notifier.send(confirmationOf(order))
    // Cancelled between the read above and the send: nothing went out, nothing to record.
    if (receipt === null) return 'not-confirmed'
    // A worker that died between the send and this write left the order unmarked; its retry
    // arrives here with a repeat receipt and records the first send's time, sending nothing new.
    await this.confirmations.markSent(order.id, receipt.sentAt)
    return receipt.firstSend ? 'sent' : 'already-sent'
  }
}

/**
 * Orders carry no customer, so the confirmation goes to the order desk of the store that
 * fulfils it: one mailbox per store under the orders domain.
 */
export function confirmationRecipient(storeId: number): string {
  return `store-${storeId}@orders.aforro.dev`
}

function confirmationOf(order: OrderRecord): Notification {
  return {
    orderId: order.id,
    recipient: confirmationRecipient(order.storeId),
    subject: `Order #${order.id} confirmed`,
    body: [
      `Order #${order.id} at store ${order.storeId} was confirmed at ${order.createdAt.toISOString()}.`,
      '',
      ...order.items.map((item) => `  ${item.quantity} × ${item.title} (product ${item.productId})`),
      '',
      `Total items: ${order.totalItems}`,
    ].join('\n'),
  }
}
