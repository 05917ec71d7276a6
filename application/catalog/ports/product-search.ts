import type { Page, PageRequest } from '../../shared/pagination.js'

export type ProductSort = 'relevance' | 'newest' | 'price' | '-price'

export interface ProductSearchCriteria {
  /** Keywords, ANDed; the last may be a prefix. Absent or blank: no text filter. */
  q?: string
  /** A category id, or an exact category name compared case-insensitively. */
  category?: { id: number } | { name: string }
  /** Decimal strings, inclusive. */
  minPrice?: string
  maxPrice?: string
  /** Only products this store carries; each hit then carries its quantity there. */
  storeId?: number
  inStock?: boolean
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

/** Read side of the catalog for clients that look for products. */
export interface ProductSearch {
  /** One page of the products that meet every criterion, in `sort` order; NotFoundError if `storeId` names no store. */
  search(criteria: ProductSearchCriteria): Promise<Page<ProductHit>>
  /** At most `limit` distinct titles containing `q`, best matches first (see API.md). */
  suggest(q: string, limit: number): Promise<string[]>
}
