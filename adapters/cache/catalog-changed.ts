/**
 * Told when products or categories changed (titles, prices, names…), so that views derived from
 * the catalog (search and autocomplete caches) stop serving old entries.
 */
export interface CatalogChanged {
  notify(): Promise<void>
}
