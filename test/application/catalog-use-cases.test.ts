import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ProductHitPage, ProductSearch, ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import { SearchProducts } from '../../application/catalog/search-products.js'
import { SuggestProducts } from '../../application/catalog/suggest-products.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import { ValidationError } from '../../domain/shared/validation-error.js'

/** Remembers what it was asked and what happened in which order. */
class RecordingSearch implements ProductSearch {
  readonly criteria: ProductSearchCriteria[] = []
  readonly suggested: [string, number][] = []

  constructor(private readonly stores: readonly number[] = [3]) {}

  async storeExists(storeId: number): Promise<boolean> {
    return this.stores.includes(storeId)
  }

  async search(criteria: ProductSearchCriteria): Promise<ProductHitPage> {
    this.criteria.push(criteria)
    return { items: [], total: 0, totalExact: true }
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
    await new SearchProducts(search).execute({ sort: 'relevance', page })

    assert.deepEqual(
      search.criteria.map(({ words, sort }) => ({ words, sort })),
      [
        { words: ['lamp'], sort: 'relevance' },
        { words: [], sort: 'newest' },
        { words: ['lamp'], sort: 'price' },
        { words: [], sort: 'newest' },
      ],
    )
  })

  test('splits q into words at anything but letters, marks and digits, composing accents first', async () => {
    const search = new RecordingSearch()

    await new SearchProducts(search).execute({ q: "steel-lamp, 2x  cafe\u0301 'x'", page })

    assert.deepEqual(search.criteria[0]?.words, ['steel', 'lamp', '2x', 'café', 'x'])
  })

  test('q without a single word is an empty page, asked of nobody', async () => {
    const search = new RecordingSearch()

    const result = await new SearchProducts(search).execute({ q: ' !? & ', storeId: 3, page })

    assert.deepEqual(result, { items: [], total: 0, totalExact: true })
    assert.equal(search.criteria.length, 0)
  })

  test('q without a single word still refuses a store that does not exist', async () => {
    const search = new RecordingSearch([3])

    const result = new SearchProducts(search).execute({ q: ' !? ', storeId: 4, page })

    await assert.rejects(result, NotFoundError)
    assert.equal(search.criteria.length, 0)
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
