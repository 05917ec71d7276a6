import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { LedgerBalance, LedgerScan, StockLedgerAudit } from '../../application/inventory/ports/stock-ledger-audit.js'
import { AuditStockLedger } from '../../application/inventory/audit-stock-ledger.js'

function auditOf(suspicious: LedgerBalance[]): AuditStockLedger {
  const scan: LedgerScan = { levelsChecked: 100, movementsChecked: 250, suspicious }
  const port: StockLedgerAudit = { scan: async () => scan }
  return new AuditStockLedger(port)
}

const balance = (overrides: Partial<LedgerBalance>): LedgerBalance => ({ storeId: 1, productId: 2, level: 5, ledgerSum: 5, lowestBalance: 0, ...overrides })

describe('AuditStockLedger', () => {
  test('passes when every level matches its ledger and nothing went negative', async () => {
    const report = await auditOf([]).execute()

    assert.deepEqual(report, { levelsChecked: 100, movementsChecked: 250, findings: [], passed: true })
  })

  test('names each problem of each disagreeing level', async () => {
    const cases: [Partial<LedgerBalance>, string[]][] = [
      [{ level: 7, ledgerSum: 5 }, ['level-differs-from-ledger']],
      [{ level: -1, ledgerSum: -1, lowestBalance: -1 }, ['negative-level', 'ledger-went-negative']],
      [{ level: 3, ledgerSum: 3, lowestBalance: -2 }, ['ledger-went-negative']],
    ]
    for (const [fields, problems] of cases) {
      const report = await auditOf([balance(fields)]).execute()

      assert.equal(report.passed, false)
      assert.deepEqual(
        report.findings.map((finding) => finding.problems),
        [problems],
      )
    }
  })
})
