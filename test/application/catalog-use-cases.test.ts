import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Page } from '../../application/shared/pagination.js'
import type { ProductHit, ProductSearch, ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import { SearchProducts } from '../../application/catalog/search-products.js'
import { SuggestProducts } from '../../application/catalog/suggest-products.js'
import { ValidationError } from '../../domain/shared/validation-error.js'

/** Remembers what it was asked and what happened in which order. */
class RecordingSearch implements ProductSearch {
  readonly criteria: ProductSearchCriteria[] = []
  readonly suggested: [string, number][] = []

  async search(criteria: ProductSearchCriteria): Promise<Page<ProductHit>> {
    this.criteria.push(criteria)
    return { items: [], total: 0 }
  }

  async suggest(q: string, limit: number): Promise<string[]> {
    this.suggested.push([q, limit])
    return ['Laptop']
  }
}

const page = { page: 1, pageSize: 20 }

describe('SearchProducts', () => {
  test('orders by relevance when there are words and by newest when there are none', async () => {
    const search = new RecordingSearch()

    await new SearchProducts(search).execute({ q: ' lamp ', page })
    await new SearchProducts(search).execute({ q: '   ', page })
    await new SearchProducts(search).execute({ q: 'lamp', sort: 'price', page })

    assert.deepEqual(
      search.criteria.map(({ q, sort }) => ({ q, sort })),
      [
        { q: 'lamp', sort: 'relevance' },
        { q: undefined, sort: 'newest' },
        { q: 'lamp', sort: 'price' },
      ],
    )
  })

  test('compares prices as amounts: 9 to 10 is a range, 10.5 to 9.99 is upside down', async () => {
    const search = new RecordingSearch()

    await new SearchProducts(search).execute({ minPrice: '9', maxPrice: '10', page })
    const upsideDown = new SearchProducts(search).execute({ minPrice: '10.5', maxPrice: '9.99', page })

    await assert.rejects(upsideDown, ValidationError)
    assert.equal(search.criteria.length, 1)
  })
})

describe('SuggestProducts', () => {
  test('matches the trimmed query and asks for ten titles at most', async () => {
    const search = new RecordingSearch()

    const result = await new SuggestProducts(search).execute('  lap ')

    assert.deepEqual(result, { query: 'lap', suggestions: ['Laptop'] })
    assert.deepEqual(search.suggested, [['lap', 10]])
  })

  test('refuses fewer than three characters once trimmed', async () => {
    await assert.rejects(new SuggestProducts(new RecordingSearch()).execute('  ab  '), ValidationError)
  })
})
