import type { StoreInventoryItem } from './ports/inventory-queries.js'
import type { StockChanged } from './ports/stock-changed.js'
import type { StockLevels } from './ports/stock-levels.js'

export interface SetStockLevelCommand {
  storeId: number
  productId: number
  quantity: number
  /** The API key that asked for it, recorded with the ledger movement. */
  keyId: number
}

/** A restock: the level becomes exactly `quantity`; the ledger records the difference. */
export class SetStockLevel {
  constructor(
    private readonly levels: StockLevels,
    private readonly stockChanged: StockChanged,
  ) {}

  async execute({ storeId, productId, quantity, keyId }: SetStockLevelCommand): Promise<StoreInventoryItem> {
    const item = await this.levels.set(storeId, productId, quantity, `api-key:${keyId}`)
    // After the commit, so that nothing reloads the old level into a cache in between.
    await this.stockChanged.notify(storeId)
    return item
  }
}
