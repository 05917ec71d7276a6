/** What cached views depend on; a write invalidates the scopes it changed. */
export const CATALOG_SCOPE = 'catalog'
/** Stock anywhere: views filtered by "in stock in some store" depend on every store's stock. */
export const ANY_STOCK_SCOPE = 'stock'

export function stockScope(storeId: number): string {
  return `stock:${storeId}`
}
