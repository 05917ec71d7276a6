import type { LedgerBalance, StockLedgerAudit } from './ports/stock-ledger-audit.js'

export type LedgerProblem = 'level-differs-from-ledger' | 'negative-level' | 'ledger-went-negative'

export interface LedgerFinding extends LedgerBalance {
  problems: LedgerProblem[]
}

export interface LedgerAuditReport {
  levelsChecked: number
  movementsChecked: number
  findings: LedgerFinding[]
  passed: boolean
}

/**
 * Every inventory level must equal the sum of its recorded movements (seed, restock, order),
 * and neither a level nor any running balance of the ledger may ever be negative.
 */
export class AuditStockLedger {
  constructor(private readonly audit: StockLedgerAudit) {}

  async execute(): Promise<LedgerAuditReport> {
    const scan = await this.audit.scan()
    const findings = scan.suspicious.map((balance) => ({ ...balance, problems: problemsOf(balance) })).filter((finding) => finding.problems.length > 0)
    return { levelsChecked: scan.levelsChecked, movementsChecked: scan.movementsChecked, findings, passed: findings.length === 0 }
  }
}

function problemsOf({ level, ledgerSum, lowestBalance }: LedgerBalance): LedgerProblem[] {
  const problems: LedgerProblem[] = []
  if (level !== ledgerSum) problems.push('level-differs-from-ledger')
  if (level < 0) problems.push('negative-level')
  if (lowestBalance < 0) problems.push('ledger-went-negative')
  return problems
}
