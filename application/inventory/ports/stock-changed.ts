/**
 * Told after a commit that changed a store's stock levels (an order or a restock), so that views
 * derived from them (caches) stop serving old quantities. Called after commit, never inside.
 */
export interface StockChanged {
  notify(storeId: number): Promise<void>
}
