import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isDeepStrictEqual } from 'node:util'
import { addCategory, addProducts, addStore, stock } from '../support/fixtures.js'
import { codePointRepresentatives } from '../support/code-points.js'
import { eventually } from '../support/eventually.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { appOverTestDatabase } from '../support/http-app.js'
import type { PageEnvelope, ProblemBody } from '../support/http-bodies.js'

let admin: TestKey

const subject = appOverTestDatabase({
  prepare: async () => {
    admin = await adminKey(subject.db.pool)
    const { pool } = subject.db
    lamps = await addCategory(pool, 'Lamps')
    const ids = await addProducts(pool, CATALOG)
    CATALOG.forEach((product, index) => (id[product.title] = ids[index]!))
    storeA = await addStore(pool, 'Store A')
    storeB = await addStore(pool, 'Store B')
    await stock(pool, storeA, { [id['Steel Lamp']!]: 3, [id.Laptop!]: 0, [id['Oak Desk']!]: 1 })
    await stock(pool, storeB, { [id.Laptop!]: 5 })
  },
})

interface Hit {
  id: number
  title: string
  description: string | null
  price: string
  category: { id: number; name: string }
  created_at: string
  quantity?: number
}

let lamps: number
let storeA: number
let storeB: number
const id: Record<string, number> = {}

const CATALOG = [
  { title: 'Steel Lamp', description: 'A sturdy desk light', price: '25.00', category: 'Lamps' },
  { title: 'Oak Desk', description: 'Pairs well with a steel lamp', price: '120.00', category: 'Furniture' },
  { title: 'Reading Light', description: 'Bright and warm', price: '40.00', category: 'Lamps' },
  { title: 'Café Crème Mug', description: null, price: '8.50', category: 'Kitchen' },
  { title: 'Laptop', description: 'Fast and light', price: '999.99', category: 'Electronics' },
  { title: 'Laptop Stand', description: 'Aluminium stand', price: '45.00', category: 'Electronics' },
  { title: 'Lamp Shade', description: 'Linen shade', price: '25.00', category: 'Lamps' },
  { title: 'Desk Organizer', description: 'Keeps pens tidy', price: '15.00', category: 'Furniture' },
]

async function search(query: string) {
  const response = await subject.app.inject({ method: 'GET', url: `/api/search/products/?${query}` })
  assert.equal(response.statusCode, 200, response.body)
  return response.json<PageEnvelope<Hit>>()
}

async function titles(query: string): Promise<string[]> {
  return (await search(query)).results.map((hit) => hit.title)
}

async function rejected(query: string, status = 400) {
  const response = await subject.app.inject({ method: 'GET', url: `/api/search/products?${query}` })
  assert.equal(response.statusCode, status, `${query} answered ${response.statusCode}`)
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/)
  return response.json<ProblemBody>()
}

/** Walks every page and returns the hits in the order served. */
async function walk(query: string, pageSize: number): Promise<Hit[]> {
  const hits: Hit[] = []
  for (let page = 1; ; page++) {
    const body = await search(`${query}&page=${page}&page_size=${pageSize}`)
    hits.push(...body.results)
    if (body.next === null) return hits
  }
}

describe('keywords', () => {
  test('match the title, the category name and the description, ranked in that order', async () => {
    const found = await titles('q=lamp')

    assert.deepEqual(new Set(found.slice(0, 2)), new Set(['Steel Lamp', 'Lamp Shade']))
    assert.deepEqual(found.slice(2), ['Reading Light', 'Oak Desk'])
  })

  test('the last word matches as a prefix, the others only whole', async () => {
    assert.deepEqual(await titles('q=lap'), ['Laptop', 'Laptop Stand'])
    assert.deepEqual(await titles('q=stand%20lap'), ['Laptop Stand'])
    assert.deepEqual(await titles('q=lap%20stand'), [])
  })

  test('every word is required', async () => {
    assert.deepEqual(new Set(await titles('q=steel%20desk')), new Set(['Steel Lamp', 'Oak Desk']))
    assert.deepEqual(await titles('q=steel%20mug'), [])
  })

  test('ignore case and accents on both sides', async () => {
    for (const q of ['cafe', 'CRÈME', 'café%20creme', 'Cafe%CC%81']) {
      assert.deepEqual(await titles(`q=${q}`), ['Café Crème Mug'], q)
    }
  })

  test('stop words and punctuation alone match nothing, and blank q is no filter', async () => {
    assert.equal((await search('q=the')).count, 0)
    assert.equal((await search('q=%21%3F%26')).count, 0)
    assert.equal((await search('q=%20%20')).count, CATALOG.length)
  })

  test('tsquery syntax in q is only text', async () => {
    assert.deepEqual(await titles("q=lamp%20%26%20!(shade%3A*)%20'x"), [])
    assert.deepEqual(await titles('q=steel:*%7Clamp'), ['Steel Lamp', 'Oak Desk'])
  })

  test('letters that unaccent turns into tsquery syntax stay text', async () => {
    // ⑴ becomes "(1)", ʼ and ŉ an apostrophe, ∖ a backslash once accents are stripped.
    for (const q of ['⑴', 'ʼ', 'lamp ŉ', 'steel ∖', '⑽lamp']) {
      const response = await subject.app.inject({ method: 'GET', url: `/api/search/products/?q=${encodeURIComponent(q)}` })
      assert.equal(response.statusCode, 200, `${q}: ${response.body}`)
    }
  })

  test('control characters in q or category are a 400, not a database error', async () => {
    for (const query of ['q=lamp%00', 'category=%00x', 'q=%07', 'category=Lamps%0A']) {
      const response = await subject.app.inject({ method: 'GET', url: `/api/search/products/?${query}` })
      assert.equal(response.statusCode, 400, query)
      assert.equal(response.json<ProblemBody>().type, 'https://aforro.dev/problems/validation-error', query)
    }
  })
})

describe('filters', () => {
  test('category by id or by exact name in any case', async () => {
    const expected = ['Lamp Shade', 'Reading Light', 'Steel Lamp']

    assert.deepEqual(await titles(`category=${lamps}`), expected)
    assert.deepEqual(await titles('category=lamps'), expected)
    assert.deepEqual(await titles('category=LAMPS&q=shade'), ['Lamp Shade'])
    assert.deepEqual(await titles('category=Lamp'), [])
    assert.deepEqual(await titles('category=999999'), [])
  })

  test('an inclusive price range', async () => {
    assert.deepEqual(await titles('min_price=25&max_price=45&sort=price'), ['Steel Lamp', 'Lamp Shade', 'Reading Light', 'Laptop Stand'])
    assert.deepEqual(await titles('min_price=999.99'), ['Laptop'])
    assert.deepEqual(await titles('max_price=8.5'), ['Café Crème Mug'])
  })

  test('store_id keeps the products the store carries, zero included, each with its quantity there', async () => {
    const body = await search(`store_id=${storeA}&sort=price`)

    assert.deepEqual(
      body.results.map((hit) => [hit.title, hit.quantity]),
      [
        ['Steel Lamp', 3],
        ['Oak Desk', 1],
        ['Laptop', 0],
      ],
    )
  })

  test('in_stock with a store looks at that store only', async () => {
    assert.deepEqual(await titles(`store_id=${storeA}&in_stock=true&sort=price`), ['Steel Lamp', 'Oak Desk'])
    assert.deepEqual(await titles(`store_id=${storeA}&in_stock=0`), ['Laptop'])
    assert.deepEqual(await titles(`store_id=${storeB}&in_stock=1&q=lap`), ['Laptop'])
  })

  test('in_stock without a store means in stock somewhere, or nowhere', async () => {
    const stocked = await search('in_stock=1&sort=price')
    const nowhere = await titles('in_stock=false&sort=price')

    assert.deepEqual(
      stocked.results.map((hit) => hit.title),
      ['Steel Lamp', 'Oak Desk', 'Laptop'],
    )
    assert.ok(stocked.results.every((hit) => !('quantity' in hit)))
    assert.deepEqual(nowhere, ['Café Crème Mug', 'Desk Organizer', 'Lamp Shade', 'Reading Light', 'Laptop Stand'])
    assert.equal(stocked.count, 3)
    assert.equal((await search('in_stock=false')).count, 5)
  })

  test('a restock shows in the quantities and stock filters at once', async () => {
    const restock = await subject.app.inject({
      method: 'PUT',
      url: `/stores/${storeA}/inventory/${id.Laptop}`,
      payload: { quantity: 7 },
      headers: admin.headers,
    })

    const body = await search(`store_id=${storeA}&in_stock=true&q=laptop`)

    assert.equal(restock.statusCode, 200)
    assert.deepEqual(
      body.results.map((hit) => [hit.title, hit.quantity]),
      [['Laptop', 7]],
    )
  })

  test('a missing store is a 404, with words, without, and with a q that has none', async () => {
    for (const query of ['store_id=999999', 'store_id=999999&q=mug', 'store_id=999999&q=%21%3F']) {
      const problem = await rejected(query, 404)

      assert.equal(problem.type, 'https://aforro.dev/problems/not-found', query)
    }
  })
})

describe('sorting and pages', () => {
  test('results carry the contract fields', async () => {
    const [hit] = (await search('q=mug')).results

    assert.deepEqual(Object.keys(hit!).sort(), ['category', 'created_at', 'description', 'id', 'price', 'title'])
    assert.deepEqual(hit!.category.name, 'Kitchen')
    assert.equal(hit!.description, null)
    assert.match(hit!.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })

  test('newest is the default without q and relevance with it', async () => {
    assert.deepEqual(await titles('page_size=2'), ['Desk Organizer', 'Lamp Shade'])
    assert.deepEqual(await titles('q=lamp'), await titles('q=lamp&sort=relevance'))
  })

  const orders: [string, (a: Hit, b: Hit) => boolean][] = [
    ['sort=newest', (a, b) => a.created_at > b.created_at || (a.created_at === b.created_at && a.id > b.id)],
    ['sort=price', (a, b) => Number(a.price) < Number(b.price) || (a.price === b.price && a.id < b.id)],
    ['sort=-price', (a, b) => Number(a.price) > Number(b.price) || (a.price === b.price && a.id > b.id)],
  ]
  for (const [query, before] of orders) {
    test(`${query} is strictly ordered with id as the tie-break, and its pages hold every product once`, async () => {
      const hits = await walk(query, 3)

      assert.deepEqual(
        hits.map((hit) => hit.id).sort((a, b) => a - b),
        Object.values(id).sort((a, b) => a - b),
      )
      hits.slice(1).forEach((hit, index) => assert.ok(before(hits[index]!, hit), `${hits[index]!.title} then ${hit.title}`))
    })
  }

  test('relevance pages hold every match once, in the order of a single page, across the title tier', async () => {
    for (const [q, pageSize] of [
      ['lamp', 1],
      ['lamp', 3],
      ['light', 1],
      ['light', 2],
    ] as const) {
      const walked = await walk(`q=${q}`, pageSize)

      assert.deepEqual(
        walked.map((hit) => hit.title),
        await titles(`q=${q}`),
        `q=${q}, pages of ${pageSize}`,
      )
    }
  })

  test('the envelope links keep every other parameter, and a page past the end is empty with the count', async () => {
    const middle = await search('q=lamp&sort=price&page=2&page_size=1')
    const beyond = await search('q=lamp&page=50&page_size=1')

    assert.deepEqual(
      { count: middle.count, total_pages: middle.total_pages, next: middle.next, previous: middle.previous },
      {
        count: 4,
        total_pages: 4,
        next: '/api/search/products/?q=lamp&sort=price&page=3&page_size=1',
        previous: '/api/search/products/?q=lamp&sort=price&page=1&page_size=1',
      },
    )
    assert.deepEqual({ count: beyond.count, results: beyond.results, next: beyond.next }, { count: 4, results: [], next: null })
  })
})

describe('bad input is a 400 problem', () => {
  test('each malformed parameter', async () => {
    const queries = [
      `q=${'x'.repeat(201)}`,
      'page_size=101',
      'page=0',
      'sort=cheapest',
      'in_stock=yes',
      'min_price=-1',
      'min_price=1.234',
      'max_price=abc',
      'category=0',
      'store_id=abc',
      'colour=red',
    ]
    for (const query of queries) {
      const problem = await rejected(query)
      assert.equal(problem.type, 'https://aforro.dev/problems/validation-error', query)
    }
  })

  test('min_price above max_price', async () => {
    const problem = await rejected('min_price=50&max_price=10')

    assert.deepEqual(problem.errors, [{ path: '/min_price', message: 'must not be greater than max_price' }])
  })

  test('q of exactly 200 characters is accepted', async () => {
    assert.equal((await search(`q=${'x'.repeat(200)}`)).count, 0)
  })
})

describe('the search document follows the catalog', () => {
  // Results are cached; the cache hears of catalog writes through NOTIFY just after their commit,
  // so the first check of each test waits for that on a query cached before the write.
  const settles = (query: string, holds: (titles: string[]) => boolean) =>
    eventually(`q=${query} to follow the catalog`, async () => (holds(await titles(query)) ? true : undefined))

  test('a renamed product is found by its new title only', async () => {
    const [kettle] = await addProducts(subject.db.pool, [{ title: 'Copper Kettle', description: 'Whistles', category: 'Kitchen' }])
    await settles('q=copper', (found) => isDeepStrictEqual(found, ['Copper Kettle']))

    await subject.db.pool.query(`UPDATE products SET title = 'Brass Kettle' WHERE id = $1`, [kettle])

    await settles('q=copper', (found) => found.length === 0)
    assert.deepEqual(await titles('q=brass'), ['Brass Kettle'])
    assert.equal((await search('q=copper')).count, 0)
    assert.equal((await search('q=brass')).count, 1)
  })

  test('a renamed category changes what its products match', async () => {
    await addProducts(subject.db.pool, [
      { title: 'Clay Pot', price: '12.00', category: 'Cookware' },
      { title: 'Iron Pan', price: '30.00', category: 'Cookware' },
    ])
    await settles('q=cookware', (found) => found.length === 2)

    await subject.db.pool.query(`UPDATE categories SET name = 'Ovenware' WHERE name = 'Cookware'`)

    await settles('q=cookware', (found) => found.length === 0)
    assert.deepEqual(await titles('q=ovenware&sort=price'), ['Clay Pot', 'Iron Pan'])
    assert.equal((await search('q=ovenware')).count, 2)
  })

  test('a deleted product is gone from search', async () => {
    const [gnome] = await addProducts(subject.db.pool, [{ title: 'Garden Gnome', category: 'Garden' }])
    await settles('q=gnome', (found) => found.length === 1)

    await subject.db.pool.query('DELETE FROM products WHERE id = $1', [gnome])

    await settles('q=gnome', (found) => found.length === 0)
    const { rows } = await subject.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM products')
    assert.equal((await search('')).count, rows[0]!.n)
  })
})

describe('any text in q', () => {
  test('a combining mark that unaccent deletes is no 500', async () => {
    for (const q of ['x%CC%81', '%CC%81', 'lamp%20x%CC%81', 'x%CC%81%CC%82lamp']) {
      const response = await subject.app.inject({ method: 'GET', url: `/api/search/products/?q=${q}` })
      assert.equal(response.statusCode, 200, `${q}: ${response.body}`)
    }
  })

  test('every class of code point, alone or within words, is answered without a 5xx', async () => {
    const failures: string[] = []
    for (const character of codePointRepresentatives()) {
      for (const q of [character, `x${character}`, `lamp ${character}steel`, `${character}${character}\\`]) {
        const response = await subject.app.inject({ method: 'GET', url: `/api/search/products/?q=${encodeURIComponent(q)}&sort=relevance` })
        if (response.statusCode >= 500) failures.push(`U+${character.codePointAt(0)?.toString(16)} in ${JSON.stringify(q)}: ${response.statusCode}`)
      }
    }

    assert.deepEqual(failures, [])
  })
})
