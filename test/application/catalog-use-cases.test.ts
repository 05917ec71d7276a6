import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { StoreInventoryItem } from '../../application/inventory/ports/inventory-queries.js'
import type { Page } from '../../application/shared/pagination.js'
import type { ProductHit, ProductSearch, ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import type { StockLevels } from '../../application/inventory/ports/stock-levels.js'
import { SearchProducts } from '../../application/catalog/search-products.js'
import { SetStockLevel } from '../../application/inventory/set-stock-level.js'
import { SuggestProducts } from '../../application/catalog/suggest-products.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
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

const ITEM: StoreInventoryItem = { productId: 2, title: 'Laptop', price: '10.00', category: 'Electronics', quantity: 5 }
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

describe('SetStockLevel', () => {
  test('tells the store has changed only after the level is set, recording which key set it', async () => {
    const events: string[] = []
    const levels: StockLevels = {
      set: async (storeId, productId, quantity, reference) => {
        events.push(`set ${storeId}/${productId}=${quantity} by ${reference}`)
        return ITEM
      },
    }

    const item = await new SetStockLevel(levels, { notify: async (storeId) => void events.push(`changed ${storeId}`) }).execute({
      storeId: 1,
      productId: 2,
      quantity: 5,
      keyId: 7,
    })

    assert.deepEqual(item, ITEM)
    assert.deepEqual(events, ['set 1/2=5 by api-key:7', 'changed 1'])
  })

  test('tells nothing when the level could not be set', async () => {
    const events: number[] = []
    const levels: StockLevels = {
      set: async () => {
        throw new NotFoundError('Store', 1)
      },
    }

    await assert.rejects(
      new SetStockLevel(levels, { notify: async (storeId) => void events.push(storeId) }).execute({ storeId: 1, productId: 2, quantity: 5, keyId: 7 }),
      NotFoundError,
    )
    assert.deepEqual(events, [])
  })
})
