import { ValidationError } from '../../domain/shared/validation-error.js'
import type { Page } from '../shared/pagination.js'
import type { ProductHit, ProductSearch, ProductSearchCriteria, ProductSort } from './ports/product-search.js'

export type SearchProductsQuery = Omit<ProductSearchCriteria, 'sort'> & { sort?: ProductSort }

export class SearchProducts {
  constructor(private readonly search: ProductSearch) {}

  /** Relevance is the default order when there are words to be relevant to, newest otherwise. */
  async execute({ q, sort, ...filters }: SearchProductsQuery): Promise<Page<ProductHit>> {
    const words = q?.trim() || undefined
    if (filters.minPrice !== undefined && filters.maxPrice !== undefined && Number(filters.minPrice) > Number(filters.maxPrice)) {
      throw new ValidationError('min_price', 'must not be greater than max_price')
    }
    return this.search.search({ ...filters, q: words, sort: sort ?? (words ? 'relevance' : 'newest') })
  }
}
