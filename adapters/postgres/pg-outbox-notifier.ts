import type pg from 'pg'
import type { Logger } from '../logger.js'
import type { Notification, NotificationReceipt, Notifier } from '../../application/ordering/ports/notifier.js'

// The unique order id turns a second send into a no-op; the insert waits for a concurrent one
// on the same order to commit or roll back, so two racing runs cannot both count as the first.
// FOR KEY SHARE makes the CONFIRMED check atomic with the send: a cancellation holds the order's
// row FOR UPDATE (pg-order-repository.ts), so the send waits for it and its CANCELLED status then
// withholds the send; a send that goes first makes the cancellation wait until it is recorded.
// (The weakest lock that does this: writers of other columns, FOR NO KEY UPDATE, are not waited for.)
const RECORD = `INSERT INTO notifications (order_id, recipient, subject, body)
                SELECT id, $2, $3, $4 FROM orders WHERE id = $1 AND status = 'CONFIRMED' FOR KEY SHARE
                ON CONFLICT ON CONSTRAINT notifications_one_per_order DO NOTHING
                RETURNING sent_at`

// A separate statement: its fresh snapshot sees the row a concurrent run has just committed.
const FIRST_SEND = 'SELECT sent_at FROM notifications WHERE order_id = $1'

/**
 * The default notifier: records each message in the notifications outbox and logs it. A mail
 * adapter would implement the same port by relaying the outbox, keyed by order id.
 */
export class PgOutboxNotifier implements Notifier {
  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  async send(notification: Notification): Promise<NotificationReceipt | null> {
    const { orderId, recipient, subject, body } = notification
    const recorded = (await this.pool.query<{ sent_at: Date }>(RECORD, [orderId, recipient, subject, body])).rows[0]
    if (recorded) {
      this.logger.info({ orderId, recipient, subject }, 'notification sent')
      return { sentAt: recorded.sent_at, firstSend: true }
    }
    const first = (await this.pool.query<{ sent_at: Date }>(FIRST_SEND, [orderId])).rows[0]
    if (!first) return null
    return { sentAt: first.sent_at, firstSend: false }
  }
}
