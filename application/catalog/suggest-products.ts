import { ValidationError } from '../../domain/shared/validation-error.js'
import type { ProductSearch } from './ports/product-search.js'

export const MIN_SUGGEST_QUERY_LENGTH = 3
export const MAX_SUGGESTIONS = 10

export interface Suggestions {
  /** The query as matched: trimmed. */
  query: string
  suggestions: string[]
}

export class SuggestProducts {
  constructor(private readonly search: ProductSearch) {}

  async execute(q: string): Promise<Suggestions> {
    const query = q.trim()
    if ([...query].length < MIN_SUGGEST_QUERY_LENGTH) {
      throw new ValidationError('q', `must have at least ${MIN_SUGGEST_QUERY_LENGTH} characters besides surrounding spaces`)
    }
    return { query, suggestions: await this.search.suggest(query, MAX_SUGGESTIONS) }
  }
}
