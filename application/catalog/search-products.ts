import { NotFoundError } from '../../domain/shared/domain-error.js'
import { ValidationError } from '../../domain/shared/validation-error.js'
import type { ProductHitPage, ProductSearch, ProductSearchCriteria, ProductSort } from './ports/product-search.js'

export type SearchProductsQuery = Omit<ProductSearchCriteria, 'sort' | 'words'> & { q?: string; sort?: ProductSort }

/** Runs of letters, marks and digits: everything else in a query separates words and is never syntax. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu

/** The words of free text, in order; composed characters first, so that "é" is one character however it was typed. */
export function searchWords(q: string): string[] {
  return q.normalize('NFC').match(WORD) ?? []
}

export class SearchProducts {
  constructor(private readonly search: ProductSearch) {}

  /**
   * Blank or absent `q` filters nothing; `q` with no word in it (only punctuation, say) matches
   * nothing, answered here without searching (a named store must still exist). Relevance is the default order when there are words
   * to be relevant to, newest otherwise (and relevance without words means newest).
   */
  async execute({ q, sort, ...filters }: SearchProductsQuery): Promise<ProductHitPage> {
    if (filters.minPrice !== undefined && filters.maxPrice !== undefined && Number(filters.minPrice) > Number(filters.maxPrice)) {
      throw new ValidationError('min_price', 'must not be greater than max_price')
    }
    const text = q?.trim() ?? ''
    const words = searchWords(text)
    if (text !== '' && words.length === 0) {
      if (filters.storeId !== undefined && !(await this.search.storeExists(filters.storeId))) throw new NotFoundError('Store', filters.storeId)
      return { items: [], total: 0, totalExact: true }
    }
    const order = sort ?? (words.length > 0 ? 'relevance' : 'newest')
    return this.search.search({ ...filters, words, sort: order === 'relevance' && words.length === 0 ? 'newest' : order })
  }
}
