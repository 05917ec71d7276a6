import type pg from 'pg'
import type { OrderConfirmations } from '../../application/ordering/ports/order-confirmations.js'

// The first recorded time wins, so a late duplicate run cannot move it.
const MARK_SENT = 'UPDATE orders SET confirmation_sent_at = $2 WHERE id = $1 AND confirmation_sent_at IS NULL'

export class PgOrderConfirmations implements OrderConfirmations {
  constructor(private readonly pool: pg.Pool) {}

  async markSent(orderId: number, sentAt: Date): Promise<void> {
    await this.pool.query(MARK_SENT, [orderId, sentAt])
  }
}
