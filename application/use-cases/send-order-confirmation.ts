import type { Notification, Notifier } from '../ports/notifier.js'
import type { OrderConfirmations, OrderToConfirm } from '../ports/order-confirmations.js'

/** What one run did; the job stores it as its output. */
export type ConfirmationOutcome = 'sent' | 'already-sent' | 'not-confirmed' | 'order-missing'

/**
 * Sends the confirmation of a CONFIRMED order and records when it went out. Jobs are delivered
 * at least once, so this runs safely any number of times: the notifier sends at most once per
 * order, and a run that finds the confirmation already sent does nothing.
 */
export class SendOrderConfirmation {
  constructor(
    private readonly orders: OrderConfirmations,
    private readonly notifier: Notifier,
  ) {}

  async execute(orderId: number): Promise<ConfirmationOutcome> {
    const order = await this.orders.find(orderId)
    if (!order) return 'order-missing'
    if (order.status !== 'CONFIRMED') return 'not-confirmed'
    if (order.confirmationSentAt) return 'already-sent'

    const receipt = await this.notifier.send(confirmationOf(order))
    // A worker that died between the send and this write left the order unmarked; its retry
    // arrives here with a repeat receipt and records the first send's time, sending nothing new.
    await this.orders.markSent(order.id, receipt.sentAt)
    return receipt.firstSend ? 'sent' : 'already-sent'
  }
}

/**
 * Orders carry no customer, so the confirmation goes to the store's order desk, which hands
 * the order over: one mailbox per store under the orders domain.
 */
export function confirmationRecipient(storeId: number): string {
  return `store-${storeId}@orders.aforro.dev`
}

function confirmationOf(order: OrderToConfirm): Notification {
  const totalItems = order.items.reduce((sum, item) => sum + item.quantityRequested, 0)
  const lines = order.items.map((item) => `  ${item.quantityRequested} × ${item.title} (product ${item.productId})`)
  return {
    orderId: order.id,
    recipient: confirmationRecipient(order.storeId),
    subject: `Order #${order.id} confirmed`,
    body: [
      `Order #${order.id} at ${order.storeName} (store ${order.storeId}) was confirmed at ${order.createdAt.toISOString()}.`,
      '',
      ...lines,
      '',
      `Total items: ${totalItems}`,
    ].join('\n'),
  }
}
