/** A message about one order, addressed and written, ready to go out. */
export interface Notification {
  orderId: number
  recipient: string
  subject: string
  body: string
}

export interface NotificationReceipt {
  /** When the notification went out: for a repeat, when it first went out. */
  sentAt: Date
  /** False when this order's notification had already been sent and nothing new went out. */
  firstSend: boolean
}

/**
 * Sends at most one notification per order, however often it is asked: a repeat sends nothing.
 * A first send happens only while the order is CONFIRMED, checked atomically with the send, so an
 * order cancelled meanwhile gets none: then the answer is null.
 */
export interface Notifier {
  send(notification: Notification): Promise<NotificationReceipt | null>
}
