/** An inventory level set beside the movements the ledger recorded for it. */
export interface LedgerBalance {
  storeId: number
  productId: number
  level: number
  /** The sum of every recorded movement. */
  ledgerSum: number
  /** The lowest running balance, from zero through each movement in the order they were recorded. */
  lowestBalance: number
}

export interface LedgerScan {
  levelsChecked: number
  movementsChecked: number
  /** Only the levels that disagree with their ledger or went negative at any point. */
  suspicious: LedgerBalance[]
}

/** Reads every inventory level against the stock ledger in one consistent snapshot. */
export interface StockLedgerAudit {
  scan(): Promise<LedgerScan>
}
