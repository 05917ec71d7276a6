import type { Page, PageRequest } from '../../shared/pagination.js'

export type ProductSort = 'relevance' | 'newest' | 'price' | '-price'

/**
 * Search may stop counting matches here (the contract's `count_exact: false`): counting every
 * match of a broad word is most of the cost of a page. Below it every count is exact.
 */
export const SEARCH_COUNT_CAP = 10_000

export interface ProductSearchCriteria {
  /** Words of the query, all required, none empty; the last may match as a prefix. Empty: no text filter. */
  words: string[]
  /** A category id, or an exact category name compared case-insensitively. */
  category?: { id: number } | { name: string }
  /** Decimal strings, inclusive. */
  minPrice?: string
  maxPrice?: string
  /** Only products this store carries; each hit then carries its quantity there. */
  storeId?: number
  inStock?: boolean
  /** `relevance` only with words. */
  sort: ProductSort
  page: PageRequest
}

export interface ProductHit {
  id: number
  title: string
  description: string | null
  price: string
  category: { id: number; name: string }
  createdAt: Date
  /** Present only when the criteria named a store. */
  quantity?: number
}

/** A page of hits; `total` is exact, or SEARCH_COUNT_CAP with `totalExact` false when counting stopped there. */
export interface ProductHitPage extends Page<ProductHit> {
  totalExact: boolean
}

/** Read side of the catalog for clients that look for products. */
export interface ProductSearch {
  /** One page of the products that meet every criterion, in `sort` order; NotFoundError if `storeId` names no store. */
  search(criteria: ProductSearchCriteria): Promise<ProductHitPage>
  /** Whether a store with this id exists (a search that needs no query still answers 404 for a missing store). */
  storeExists(storeId: number): Promise<boolean>
  /** At most `limit` distinct titles containing `q`, best matches first (see API.md). */
  suggest(q: string, limit: number): Promise<string[]>
}
