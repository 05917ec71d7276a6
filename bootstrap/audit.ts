import type { LedgerAuditReport } from '../application/inventory/audit-stock-ledger.js'
import { buildLedgerAudit } from './composition/container.js'
import { openDatabase } from './infrastructure/database.js'
import { runProgram } from './runtime/run-program.js'

const FINDINGS_SHOWN = 100

function describe(report: LedgerAuditReport): string {
  const count = (n: number) => n.toLocaleString('en')
  const lines = [
    `Checked ${count(report.levelsChecked)} inventory levels against ${count(report.movementsChecked)} stock movements ` +
      '(seed, restock, order, cancel): each level must equal the sum of its movements, and no level or running balance may be negative.',
  ]
  for (const finding of report.findings.slice(0, FINDINGS_SHOWN)) {
    lines.push(
      `FAIL store ${finding.storeId} product ${finding.productId}: level ${finding.level}, ledger sum ${finding.ledgerSum}, ` +
        `lowest running balance ${finding.lowestBalance} (${finding.problems.join(', ')})`,
    )
  }
  if (report.findings.length > FINDINGS_SHOWN) lines.push(`… and ${count(report.findings.length - FINDINGS_SHOWN)} more`)
  lines.push(
    report.passed
      ? 'Audit passed: every level matches its ledger and none is negative.'
      : `Audit FAILED: ${count(report.findings.length)} of ${count(report.levelsChecked)} levels disagree with the ledger.`,
  )
  return `${lines.join('\n')}\n`
}

await runProgram('aforro-audit', async ({ config, logger, lifecycle }) => {
  const { pool } = await openDatabase(config, logger, lifecycle, 'aforro-audit', 1)
  const report = await buildLedgerAudit(pool).execute()
  process.stdout.write(describe(report))
  return report.passed ? 0 : 1
})
