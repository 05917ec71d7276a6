import type pg from 'pg'
import type { Logger } from 'pino'
import type { Clock } from '../application/ports/clock.js'
import type { HealthProbe } from '../application/ports/health-probe.js'
import type { InventorySummaries } from '../application/ports/inventory-summaries.js'
import type { Notifier } from '../application/ports/notifier.js'
import type { OrderConfirmations } from '../application/ports/order-confirmations.js'
import type { StockLedgerAudit } from '../application/ports/stock-ledger-audit.js'
import type { AuditStockLedger } from '../application/use-cases/audit-stock-ledger.js'
import type { BuildDailyInventorySummary } from '../application/use-cases/build-daily-inventory-summary.js'
import type { CheckReadiness } from '../application/use-cases/check-readiness.js'
import type { GetInventorySummary } from '../application/use-cases/get-inventory-summary.js'
import type { SendOrderConfirmation } from '../application/use-cases/send-order-confirmation.js'
import type { Config } from './config.js'

/** A symbol that remembers the type registered under it, so resolve() needs no casts at call sites. */
export type Token<T> = symbol & { readonly __type?: T }

const token = <T>(name: string): Token<T> => Symbol(name) as Token<T>

export const TOKENS = {
  config: token<Config>('config'),
  logger: token<Logger>('logger'),
  pool: token<pg.Pool>('pool'),
  clock: token<Clock>('clock'),
  postgresProbe: token<HealthProbe>('postgresProbe'),
  redisProbe: token<HealthProbe>('redisProbe'),
  checkReadiness: token<CheckReadiness>('checkReadiness'),
  notifier: token<Notifier>('notifier'),
  orderConfirmations: token<OrderConfirmations>('orderConfirmations'),
  sendOrderConfirmation: token<SendOrderConfirmation>('sendOrderConfirmation'),
  inventorySummaries: token<InventorySummaries>('inventorySummaries'),
  buildDailyInventorySummary: token<BuildDailyInventorySummary>('buildDailyInventorySummary'),
  getInventorySummary: token<GetInventorySummary>('getInventorySummary'),
  stockLedgerAudit: token<StockLedgerAudit>('stockLedgerAudit'),
  auditStockLedger: token<AuditStockLedger>('auditStockLedger'),
}
