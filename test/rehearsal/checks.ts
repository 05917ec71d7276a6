import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import type { WorkloadOutcome } from './workload.js'

export interface StockFindings {
  oversoldUnits: number
  /** Orders a client saw CONFIRMED that the database does not hold as CONFIRMED, and the reverse for REJECTED. */
  ordersMisreported: number
  /** Confirmed or cancelled orders whose units the ledger does not show deducted exactly once. */
  deductionsMismatched: number
  /** Cancelled orders whose units the ledger does not show returned exactly once (or returns for an order not cancelled). */
  returnsMismatched: number
}

/**
 * Oversold units, from the database alone: per store and product, the units confirmed orders
 * took beyond what the seed and the restocks ever made available (a level can be set lower than
 * what was sold since, so a restock's delta, not its level, counts). A cancelled order's units are
 * neither sold nor supplied: its deduction and its return cancel out in the level.
 */
export async function stockFindings(primary: pg.Pool, outcome: WorkloadOutcome): Promise<StockFindings> {
  const { rows: oversold } = await primary.query<{ units: number }>(
    `WITH sold AS (SELECT o.store_id, i.product_id, sum(i.quantity_requested) AS units
                     FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.status = 'CONFIRMED' GROUP BY 1, 2),
          supplied AS (SELECT store_id, product_id, sum(delta) AS units FROM stock_movements WHERE reason NOT IN ('order', 'cancel') GROUP BY 1, 2)
     SELECT coalesce(sum(greatest(sold.units - coalesce(supplied.units, 0), 0)), 0)::int AS units
       FROM sold LEFT JOIN supplied USING (store_id, product_id)`,
  )
  const ledgerMismatches = async (statuses: string[], reason: string, sign: number) => {
    const { rows } = await primary.query<{ mismatched: number }>(
      `WITH expected AS (SELECT 'order:' || o.id AS reference, i.product_id, i.quantity_requested AS units
                           FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.status::text = ANY($1::text[])),
            recorded AS (SELECT reference, product_id, $3 * sum(delta) AS units FROM stock_movements WHERE reason::text = $2 GROUP BY 1, 2)
       SELECT count(*)::int AS mismatched FROM expected FULL JOIN recorded USING (reference, product_id)
        WHERE expected.units IS DISTINCT FROM recorded.units`,
      [statuses, reason, sign],
    )
    return rows[0]!.mismatched
  }
  const ids = [...outcome.ordersSeen.keys()]
  const { rows: stored } = await primary.query<{ id: number; status: string }>('SELECT id, status FROM orders WHERE id = ANY($1::bigint[])', [ids])
  const storedStatus = new Map(stored.map((row) => [Number(row.id), row.status]))
  const ordersMisreported = ids.filter((id) => storedStatus.get(id) !== outcome.ordersSeen.get(id)?.status).length
  return {
    oversoldUnits: oversold[0]!.units,
    ordersMisreported,
    deductionsMismatched: await ledgerMismatches(['CONFIRMED', 'CANCELLED'], 'order', -1),
    returnsMismatched: await ledgerMismatches(['CANCELLED'], 'cancel', 1),
  }
}

export interface ConfirmationFindings {
  confirmed: number
  /** Cancelled orders whose confirmation had gone out before the cancellation (the send and the cancellation lock the order, so never after). */
  cancelledAfterSending: number
  sent: number
  /** Confirmed orders still without their message after the wait. */
  unsent: number
  /** Messages for orders never confirmed, or more than one for an order. */
  wrong: number
}

/** Waits (bounded) for the workers to send every confirmation, then counts the outbox against the orders. */
export async function confirmationFindings(primary: pg.Pool, waitMs: number): Promise<ConfirmationFindings> {
  const deadline = Date.now() + waitMs
  for (;;) {
    const { rows } = await primary.query<ConfirmationFindings>(
      `SELECT (SELECT count(*) FROM orders WHERE status = 'CONFIRMED')::int AS confirmed,
              (SELECT count(*) FROM notifications n JOIN orders o ON o.id = n.order_id WHERE o.status = 'CANCELLED')::int AS "cancelledAfterSending",
              (SELECT count(*) FROM notifications)::int AS sent,
              (SELECT count(*) FROM orders o WHERE status = 'CONFIRMED'
                  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.order_id = o.id))::int AS unsent,
              ((SELECT count(*) FROM notifications n JOIN orders o ON o.id = n.order_id WHERE o.status NOT IN ('CONFIRMED', 'CANCELLED'))
               + (SELECT count(*) - count(DISTINCT order_id) FROM notifications))::int AS wrong`,
    )
    const findings = rows[0]!
    if (findings.unsent === 0 || Date.now() > deadline) return findings
    await sleep(500)
  }
}
