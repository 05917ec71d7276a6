export type { CatalogChanged } from '../../application/catalog/ports/catalog-changed.js'
