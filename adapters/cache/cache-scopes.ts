/** What cached views depend on; a write invalidates the scopes it changed. */
export const CATALOG_SCOPE = 'catalog'
/** Stock anywhere: views filtered by "in stock in some store" depend on every store's stock. */
export const ANY_STOCK_SCOPE = 'stock'

export function stockScope(storeId: number): string {
  return `stock:${storeId}`
}

/** The store a `stock:<storeId>` scope is about; undefined for any other scope. */
export function storeOfScope(scope: string): number | undefined {
  const match = /^stock:(\d+)$/.exec(scope)
  return match ? Number(match[1]) : undefined
}
