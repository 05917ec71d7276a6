/**
 * Told when products or categories changed (titles, prices, names, archiving), so that views
 * derived from the catalog (search, autocomplete, inventory listings) stop serving old entries.
 * Resolves once every instance will read the change.
 */
export interface CatalogChanged {
  notify(): Promise<void>
}
