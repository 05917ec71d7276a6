import type pg from 'pg'
import type { LedgerScan, StockLedgerAudit } from '../../application/inventory/ports/stock-ledger-audit.js'

// One statement, one snapshot: an order or restock commits its level and its movement together,
// so no concurrent write can show up half-done here. Movements always have an inventory row
// (foreign key), so walking inventory covers the whole ledger. The running balance follows
// recording order (id); a product's movements are serialised by its inventory row lock.
const SCAN = `
  WITH ledger AS (
    SELECT store_id, product_id, count(*) AS movements, sum(delta) AS ledger_sum, min(balance) AS lowest_balance
      FROM (SELECT store_id, product_id, delta,
                   sum(delta) OVER (PARTITION BY store_id, product_id ORDER BY id) AS balance
              FROM stock_movements) AS m
     GROUP BY store_id, product_id),
  checked AS (
    SELECT i.store_id, i.product_id, i.quantity, coalesce(l.movements, 0) AS movements,
           coalesce(l.ledger_sum, 0) AS ledger_sum, least(coalesce(l.lowest_balance, 0), 0) AS lowest_balance
      FROM inventory i
      LEFT JOIN ledger l USING (store_id, product_id))
  SELECT count(*) AS levels_checked, coalesce(sum(movements), 0)::bigint AS movements_checked,
         coalesce(jsonb_agg(jsonb_build_object('storeId', store_id, 'productId', product_id, 'level', quantity,
                                               'ledgerSum', ledger_sum, 'lowestBalance', lowest_balance)
                            ORDER BY store_id, product_id)
                  FILTER (WHERE quantity <> ledger_sum OR quantity < 0 OR lowest_balance < 0), '[]') AS suspicious
    FROM checked`

export class PgStockLedgerAudit implements StockLedgerAudit {
  constructor(private readonly pool: pg.Pool) {}

  async scan(): Promise<LedgerScan> {
    const row = (await this.pool.query<{ levels_checked: number; movements_checked: number; suspicious: LedgerScan['suspicious'] }>(SCAN)).rows[0]
    return { levelsChecked: row?.levels_checked ?? 0, movementsChecked: row?.movements_checked ?? 0, suspicious: row?.suspicious ?? [] }
  }
}
