import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import { facetsStatement, pastCapStatement, planSearch, queriesStatement, searchStatement } from '../../adapters/postgres/product-search-plans.js'

const page = { page: 1, pageSize: 20 }
const criteria = (overrides: Partial<ProductSearchCriteria>): ProductSearchCriteria => ({ words: [], sort: 'newest', page, ...overrides })

describe('planSearch', () => {
  test('a store is read whole and counted exactly, whatever else is asked', () => {
    for (const overrides of [{}, { words: ['lamp'], sort: 'relevance' as const }, { inStock: true, category: { id: 1 } }]) {
      assert.deepEqual(planSearch(criteria({ storeId: 4, ...overrides })), { name: 'store', count: 'exact', prepared: true })
    }
  })

  test('no words: sorted, counted from the catalog size, the stock index, or capped under filters; prepared', () => {
    assert.deepEqual(planSearch(criteria({})), { name: 'sorted', count: 'catalog', prepared: true })
    assert.deepEqual(planSearch(criteria({ sort: 'price' })), { name: 'sorted', count: 'catalog', prepared: true })
    assert.deepEqual(planSearch(criteria({ inStock: true })), { name: 'sorted', count: 'stocked', prepared: true })
    assert.deepEqual(planSearch(criteria({ inStock: false })), { name: 'sorted', count: 'unstocked', prepared: true })
    assert.deepEqual(planSearch(criteria({ inStock: true, minPrice: '1' })), { name: 'sorted', count: 'capped', prepared: true })
    assert.deepEqual(planSearch(criteria({ category: { name: 'Books' } })), { name: 'sorted', count: 'capped', prepared: true })
  })

  test('words by relevance: from the titles alone, or from every match under filters and tier by tier past the cap', () => {
    assert.deepEqual(planSearch(criteria({ words: ['lamp'], sort: 'relevance' })), { name: 'ranked-words', count: 'words', prepared: true })
    assert.deepEqual(planSearch(criteria({ words: ['lamp', 'desk'], sort: 'relevance' })), { name: 'ranked-words', count: 'words', prepared: true })
    assert.deepEqual(planSearch(criteria({ words: ['lamp'], sort: 'relevance', maxPrice: '10' })), {
      name: 'ranked-filtered',
      count: 'capped',
      prepared: false,
      pastCap: 'ranked-filtered-tiers',
    })
    assert.deepEqual(planSearch(criteria({ words: ['lamp'], sort: 'relevance', inStock: false })), {
      name: 'ranked-filtered',
      count: 'capped',
      prepared: true,
      pastCap: 'ranked-filtered-tiers',
    })
  })

  test('words in another order: sorted, counted from the words alone or capped under filters', () => {
    assert.deepEqual(planSearch(criteria({ words: ['lamp'], sort: '-price' })), { name: 'sorted', count: 'words', prepared: true })
    assert.deepEqual(planSearch(criteria({ words: ['lamp'], sort: 'newest', category: { id: 2 } })), { name: 'sorted', count: 'capped', prepared: false })
  })
})

describe('facetsStatement', () => {
  test('asked only for words by relevance within a category, with or without prices, and no stock or store', () => {
    const within = criteria({ words: ['lamp'], sort: 'relevance', category: { id: 2 } })
    assert.ok(facetsStatement(within) !== undefined)
    assert.ok(facetsStatement({ ...within, minPrice: '1', maxPrice: '9' }) !== undefined)
    assert.ok(facetsStatement({ ...within, category: { name: 'Books' } }) !== undefined)
    for (const other of [
      { ...within, words: [] },
      { ...within, sort: 'price' as const },
      { ...within, inStock: true },
      { ...within, storeId: 3 },
      criteria({ words: ['lamp'], sort: 'relevance', maxPrice: '9' }),
    ]) {
      assert.equal(facetsStatement(other), undefined, JSON.stringify(other))
    }
  })

  test('prepared, its values never in its text, one name for every value', () => {
    const books = facetsStatement(criteria({ words: ["o'clock"], sort: 'relevance', category: { name: 'Books' }, minPrice: '10' }))
    const toys = facetsStatement(criteria({ words: ['kite'], sort: 'relevance', category: { name: 'Toys' }, minPrice: '99' }))
    assert.ok(books !== undefined && toys !== undefined)
    assert.ok(!books.text.includes('clock') && !books.text.includes('Books'))
    assert.equal(books.name, toys.name)
    assert.ok(books.name?.startsWith('search-'))
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
      anywhere: "'o''clock'",
      inTitle: "'o''clock':A",
      inTitleOrCategory: "'o''clock':AB",
      anyWord: "'o''clock'",
    })

    assert.ok(!queries.text.includes('clock') && !search.text.includes('clock'))
    assert.deepEqual(queries.values, [words, false])
    assert.ok(search.values.includes("'o''clock':AB"))
    assert.ok(search.values.includes(words), 'the words themselves, for search_words_total')
  })

  test('a prepared statement is named after its text: the same for any values, its own for each shape', () => {
    const queries = { anywhere: "'lamp'", inTitle: "'lamp':A", inTitleOrCategory: "'lamp':AB", anyWord: "'lamp'" }
    const lamp = searchStatement(criteria({ words: ['lamp'], sort: 'relevance' }), queries)
    const deskPage3 = searchStatement(criteria({ words: ['desk'], sort: 'relevance', page: { page: 3, pageSize: 50 } }), { ...queries, anywhere: "'desk'" })
    const shapes = [
      lamp,
      searchStatement(criteria({ words: ['lamp'], sort: 'relevance', inStock: true }), queries),
      searchStatement(criteria({ words: ['lamp'], sort: 'relevance', inStock: false }), queries),
      searchStatement(criteria({ words: ['lamp'], sort: 'price' }), queries),
      searchStatement(criteria({ storeId: 1 })),
      searchStatement(criteria({ category: { id: 3 } })),
      searchStatement(criteria({})),
    ]

    assert.equal(deskPage3.name, lamp.name)
    assert.notDeepEqual(deskPage3.values, lamp.values)
    assert.equal(new Set(shapes.map((statement) => statement.name)).size, shapes.length)
    for (const statement of shapes) assert.match(statement.name ?? '', /^search-[0-9a-f]{20}$/)
  })

  test('words with a category or price filter are planned for their values, and read past the cap by a second statement', () => {
    const queries = { anywhere: "'lamp'", inTitle: "'lamp':A", inTitleOrCategory: "'lamp':AB", anyWord: "'lamp'" }
    const filtered = criteria({ words: ['lamp'], sort: 'relevance', category: { name: 'Books' } })

    assert.equal(searchStatement(filtered, queries).name, undefined)
    assert.equal(searchStatement(criteria({ words: ['lamp'], sort: 'price', maxPrice: '10' }), queries).name, undefined)
    assert.equal(pastCapStatement(filtered, queries)?.name, undefined)
    assert.match(pastCapStatement(filtered, queries)?.text ?? '', /false AS exact/)
    assert.equal(pastCapStatement(criteria({ words: ['lamp'], sort: 'relevance' }), queries), undefined)
  })

  test('the last word is a prefix from three characters on', () => {
    assert.equal(queriesStatement(['lamp', 'de']).values[1], false)
    assert.equal(queriesStatement(['lamp', 'des']).values[1], true)
    assert.equal(queriesStatement(['cafe\u0301']).values[1], true)
    assert.equal(queriesStatement(['x\u0301']).values[1], false)
  })
})
