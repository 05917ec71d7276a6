import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { ProductId, StoreId } from '../../domain/shared/ids.js'
import type { UnitOfWork } from '../shared/unit-of-work.js'
import type { StoreInventoryItem } from './ports/inventory-queries.js'
import type { StockChanged } from './ports/stock-changed.js'

export interface SetStockLevelCommand {
  storeId: StoreId
  productId: ProductId
  quantity: number
  /** The API key that asked for it, recorded with the ledger movement. */
  keyId: number
}

/**
 * A restock: the level becomes exactly `quantity`, and the ledger records the difference (nothing
 * when the level already was `quantity`). A product the store did not carry yet is added to it.
 */
export class SetStockLevel {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly stockChanged: StockChanged,
  ) {}

  async execute({ storeId, productId, quantity, keyId }: SetStockLevelCommand): Promise<StoreInventoryItem> {
    const item = await this.uow.run(async (tx) => {
      const { storeExists, product } = await tx.inventory.ensureLevel(storeId, productId)
      if (!storeExists) throw new NotFoundError('Store', storeId)
      if (product === null) throw new NotFoundError('Product', productId)
      const stock = await tx.inventory.lockForUpdate(storeId, [productId])
      stock.setLevel(productId, quantity)
      await tx.inventory.save(stock, { reason: 'restock', reference: `api-key:${keyId}` })
      return { productId, ...product, quantity: stock.available(productId) }
    })
    // After the commit, so that nothing reloads the old level into a cache in between.
    await this.stockChanged.notify(storeId)
    return item
  }
}
