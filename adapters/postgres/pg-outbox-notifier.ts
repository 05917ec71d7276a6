import type pg from 'pg'
import type { Logger } from '../logger.js'
import type { Notification, NotificationReceipt, Notifier } from '../../application/ordering/ports/notifier.js'

// The unique order id turns a second send into a no-op; the insert waits for a concurrent one
// on the same order to commit or roll back, so two racing runs cannot both count as the first.
const RECORD = `INSERT INTO notifications (order_id, recipient, subject, body) VALUES ($1, $2, $3, $4)
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

  async send(notification: Notification): Promise<NotificationReceipt> {
    const { orderId, recipient, subject, body } = notification
    const recorded = (await this.pool.query<{ sent_at: Date }>(RECORD, [orderId, recipient, subject, body])).rows[0]
    if (recorded) {
      this.logger.info({ orderId, recipient, subject }, 'notification sent')
      return { sentAt: recorded.sent_at, firstSend: true }
    }
    const first = (await this.pool.query<{ sent_at: Date }>(FIRST_SEND, [orderId])).rows[0]
    if (!first) throw new Error(`The notification of order ${orderId} was neither recorded nor found`)
    return { sentAt: first.sent_at, firstSend: false }
  }
}
