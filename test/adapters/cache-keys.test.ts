import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import { searchKey } from '../../adapters/cache/codecs.js'

const lamp: ProductSearchCriteria = { words: ['lamp'], sort: 'relevance', page: { page: 2, pageSize: 20 } }

describe('search cache keys', () => {
  test('equal criteria give one key whatever the order their fields were written in, at every depth', () => {
    const written = searchKey({ words: ['desk', 'lamp'], category: { name: 'Home' }, minPrice: '5.00', sort: 'price', page: { page: 2, pageSize: 20 } })
    const reordered = searchKey({ page: { pageSize: 20, page: 2 }, sort: 'price', minPrice: '5.00', category: { name: 'Home' }, words: ['desk', 'lamp'] })

    assert.equal(written, reordered)
    assert.equal(searchKey({ ...lamp, storeId: undefined, inStock: undefined }), searchKey(lamp), 'an absent criterion is one left undefined')
  })

  test('criteria that differ in any field, or only in how a value is written, give different keys', () => {
    const variants: ProductSearchCriteria[] = [
      lamp,
      { ...lamp, words: ['lamps'] },
      { ...lamp, words: ['lamp', 'desk'] },
      { ...lamp, words: ['desk', 'lamp'] },
      { ...lamp, words: ['lamp desk'] },
      { ...lamp, category: { id: 3 } },
      { ...lamp, category: { name: '3' } },
      { ...lamp, category: { name: 'Home' } },
      { ...lamp, minPrice: '3' },
      { ...lamp, maxPrice: '3' },
      { ...lamp, storeId: 3 },
      { ...lamp, inStock: true },
      { ...lamp, inStock: false },
      { ...lamp, sort: 'newest' },
      { ...lamp, sort: '-price' },
      { ...lamp, page: { page: 3, pageSize: 20 } },
      { ...lamp, page: { page: 2, pageSize: 3 } },
      { ...lamp, words: ['say "hi"\n|'] },
      { ...lamp, words: ['say \\"hi\\"\\n|'] },
    ]
    const keys = variants.map(searchKey)

    assert.equal(new Set(keys).size, variants.length, keys.join('\n'))
  })
})
