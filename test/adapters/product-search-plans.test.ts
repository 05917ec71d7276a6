import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import { planSearch, queriesStatement, searchStatement } from '../../adapters/postgres/product-search-plans.js'

const page = { page: 1, pageSize: 20 }
const criteria = (overrides: Partial<ProductSearchCriteria>): ProductSearchCriteria => ({ words: [], sort: 'newest', page, ...overrides })

describe('planSearch', () => {
  test('a store is read whole and counted exactly, whatever else is asked', () => {
    for (const overrides of [{}, { words: ['lamp'], sort: 'relevance' as const }, { inStock: true, category: { id: 1 } }]) {
      assert.deepEqual(planSearch(criteria({ storeId: 4, ...overrides })), { name: 'store', count: 'exact' })
    }
  })

  test('no words: sorted, counted from the catalog size, the stock index, or capped under filters', () => {
    assert.deepEqual(planSearch(criteria({})), { name: 'sorted', count: 'catalog' })
    assert.deepEqual(planSearch(criteria({ sort: 'price' })), { name: 'sorted', count: 'catalog' })
    assert.deepEqual(planSearch(criteria({ inStock: true })), { name: 'sorted', count: 'stocked' })
    assert.deepEqual(planSearch(criteria({ inStock: false })), { name: 'sorted', count: 'unstocked' })
    assert.deepEqual(planSearch(criteria({ inStock: true, minPrice: '1' })), { name: 'sorted', count: 'capped' })
    assert.deepEqual(planSearch(criteria({ category: { name: 'Books' } })), { name: 'sorted', count: 'capped' })
  })

  test('words by relevance: from the titles alone, or tier by tier under filters', () => {
    assert.deepEqual(planSearch(criteria({ words: ['lamp'], sort: 'relevance' })), { name: 'ranked-words', count: 'words' })
    assert.deepEqual(planSearch(criteria({ words: ['lamp', 'desk'], sort: 'relevance' })), { name: 'ranked-words', count: 'words' })
    assert.deepEqual(planSearch(criteria({ words: ['lamp'], sort: 'relevance', maxPrice: '10' })), { name: 'ranked-filtered', count: 'capped' })
    assert.deepEqual(planSearch(criteria({ words: ['lamp'], sort: 'relevance', inStock: false })), { name: 'ranked-filtered', count: 'capped' })
  })

  test('words in another order: sorted, counted from the words alone or capped under filters', () => {
    assert.deepEqual(planSearch(criteria({ words: ['lamp'], sort: '-price' })), { name: 'sorted', count: 'words' })
    assert.deepEqual(planSearch(criteria({ words: ['lamp'], sort: 'newest', category: { id: 2 } })), { name: 'sorted', count: 'capped' })
  })
})

describe('searchStatement', () => {
  test('binds only the values its text uses, numbered in order of use', () => {
    const { text, values } = searchStatement(criteria({ words: [], sort: 'price', maxPrice: '9.50' }))
    const used = [...new Set([...text.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])))].sort((a, b) => a - b)

    assert.deepEqual(
      used,
      values.map((_, index) => index + 1),
    )
    assert.ok(values.includes('9.50'))
    assert.ok(!text.includes('{{'))
  })

  test('words and their queries are values, never SQL text', () => {
    const words = ["o'clock", 'x\\']
    const queries = queriesStatement(words)
    const search = searchStatement(criteria({ words, sort: 'relevance' }), {
      counted: "'o''clock'",
      anywhere: "'o''clock'",
      inTitle: "'o''clock':A",
      inTitleOrCategory: "'o''clock':AB",
      anyWord: "'o''clock'",
    })

    assert.ok(!queries.text.includes('clock') && !search.text.includes('clock'))
    assert.deepEqual(queries.values, [words, false])
    assert.ok(search.values.includes("'o''clock':AB"))
  })

  test('the last word is a prefix from three characters on', () => {
    assert.equal(queriesStatement(['lamp', 'de']).values[1], false)
    assert.equal(queriesStatement(['lamp', 'des']).values[1], true)
    assert.equal(queriesStatement(['cafe\u0301']).values[1], true)
    assert.equal(queriesStatement(['x\u0301']).values[1], false)
  })
})
