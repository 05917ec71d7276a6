import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import type { WorkloadOutcome } from './workload.js'

export interface StockFindings {
  oversoldUnits: number
  /** Orders a client saw CONFIRMED that the database does not hold as CONFIRMED, and the reverse for REJECTED. */
  ordersMisreported: number
  /** Confirmed orders whose units the ledger does not show deducted exactly once. */
  deductionsMismatched: number
}

/**
 * Oversold units, from the database alone: per store and product, the units confirmed orders
 * took beyond what the seed and the restocks ever made available (a level can be set lower than
 * what was sold since, so a restock's delta, not its level, counts).
 */
export async function stockFindings(primary: pg.Pool, outcome: WorkloadOutcome): Promise<StockFindings> {
  const { rows: oversold } = await primary.query<{ units: number }>(
    `WITH sold AS (SELECT o.store_id, i.product_id, sum(i.quantity_requested) AS units
                     FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.status = 'CONFIRMED' GROUP BY 1, 2),
          supplied AS (SELECT store_id, product_id, sum(delta) AS units FROM stock_movements WHERE reason <> 'order' GROUP BY 1, 2)
     SELECT coalesce(sum(greatest(sold.units - coalesce(supplied.units, 0), 0)), 0)::int AS units
       FROM sold LEFT JOIN supplied USING (store_id, product_id)`,
  )
  const { rows: deductions } = await primary.query<{ mismatched: number }>(
    `WITH sold AS (SELECT 'order:' || o.id AS reference, i.product_id, i.quantity_requested AS units
                     FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.status = 'CONFIRMED'),
          taken AS (SELECT reference, product_id, -sum(delta) AS units FROM stock_movements WHERE reason = 'order' GROUP BY 1, 2)
     SELECT count(*)::int AS mismatched FROM sold FULL JOIN taken USING (reference, product_id)
      WHERE sold.units IS DISTINCT FROM taken.units`,
  )
  const ids = [...outcome.ordersSeen.keys()]
  const { rows: stored } = await primary.query<{ id: number; status: string }>('SELECT id, status FROM orders WHERE id = ANY($1::bigint[])', [ids])
  const storedStatus = new Map(stored.map((row) => [Number(row.id), row.status]))
  const ordersMisreported = ids.filter((id) => storedStatus.get(id) !== outcome.ordersSeen.get(id)?.status).length
  return { oversoldUnits: oversold[0]!.units, ordersMisreported, deductionsMismatched: deductions[0]!.mismatched }
}

export interface ConfirmationFindings {
  confirmed: number
  sent: number
  /** Confirmed orders still without their message after the wait. */
  unsent: number
  /** Messages for orders that are not confirmed, or more than one for an order. */
  wrong: number
}

/** Waits (bounded) for the workers to send every confirmation, then counts the outbox against the orders. */
export async function confirmationFindings(primary: pg.Pool, waitMs: number): Promise<ConfirmationFindings> {
  const deadline = Date.now() + waitMs
  for (;;) {
    const { rows } = await primary.query<ConfirmationFindings>(
      `SELECT (SELECT count(*) FROM orders WHERE status = 'CONFIRMED')::int AS confirmed,
              (SELECT count(*) FROM notifications)::int AS sent,
              (SELECT count(*) FROM orders o WHERE status = 'CONFIRMED'
                  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.order_id = o.id))::int AS unsent,
              ((SELECT count(*) FROM notifications n JOIN orders o ON o.id = n.order_id WHERE o.status <> 'CONFIRMED')
               + (SELECT count(*) - count(DISTINCT order_id) FROM notifications))::int AS wrong`,
    )
    const findings = rows[0]!
    if (findings.unsent === 0 || Date.now() > deadline) return findings
    await sleep(500)
  }
}
