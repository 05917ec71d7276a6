import type { Cache } from './cache.js'
import type { ProductHitPage, ProductSearch, ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import { ANY_STOCK_SCOPE, CATALOG_SCOPE, stockScope } from './cache-scopes.js'
import { jsonCodec, productHitPageCodec, searchKey } from './codecs.js'

const suggestionsCodec = jsonCodec<string[]>()

/** ProductSearch served through the cache; results depend on the catalog, and on stock when the criteria look at it. */
export class CachedProductSearch implements ProductSearch {
  constructor(
    private readonly inner: ProductSearch,
    private readonly cache: Cache,
  ) {}

  search(criteria: ProductSearchCriteria): Promise<ProductHitPage> {
    return this.cache.getOrLoad({ namespace: 'search', key: searchKey(criteria), dependsOn: scopesOf(criteria), codec: productHitPageCodec }, () =>
      this.inner.search(criteria),
    )
  }

  /** Asked only for queries with no words to search for, so rarely that caching it would buy nothing. */
  storeExists(storeId: number): Promise<boolean> {
    return this.inner.storeExists(storeId)
  }

  suggest(q: string, limit: number): Promise<string[]> {
    return this.cache.getOrLoad({ namespace: 'suggest', key: `${limit}:${q}`, dependsOn: [CATALOG_SCOPE], codec: suggestionsCodec }, () =>
      this.inner.suggest(q, limit),
    )
  }
}

function scopesOf(criteria: ProductSearchCriteria): string[] {
  if (criteria.storeId !== undefined) return [CATALOG_SCOPE, stockScope(criteria.storeId)]
  if (criteria.inStock !== undefined) return [CATALOG_SCOPE, ANY_STOCK_SCOPE]
  return [CATALOG_SCOPE]
}
