import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { createTestKey, type TestKey } from '../support/api-keys.js'
import { addProducts, addStore, countOf, stock } from '../support/fixtures.js'
import type { CategoryView, InventoryItemView, OrderView, PageEnvelope, ProblemBody, ProductHitView, ProductView, StoreView } from '../support/http-bodies.js'
import { testRedisEnv } from '../support/redis.js'
import { buildTestApp } from '../support/http-app.js'
import { createPool } from '../../adapters/postgres/pool.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import type pg from 'pg'

let db: TestDatabase
let otherPool: pg.Pool
/** Two instances sharing the database and Redis, as a deployment's instances do. */
let writer: FastifyInstance
let reader: FastifyInstance
let catalog: TestKey
let storeId: number
let client = 0

before(async () => {
  db = await createTestDatabase()
  otherPool = createPool({ connectionString: db.url, applicationName: 'reader instance' })
  writer = await buildTestApp(db, testRedisEnv())
  reader = await buildTestApp({ url: db.url, pool: otherPool }, testRedisEnv())
  catalog = await createTestKey(db.pool, { role: 'catalog' })
  storeId = await addStore(db.pool, 'Catalog store')
})
after(async () => {
  await writer.close()
  await reader.close()
  await otherPool.end()
  await db.close()
})

const pick = <T, K extends keyof T>(value: T, ...keys: K[]) => Object.fromEntries(keys.map((key) => [key, value[key]]))

/** A client address of its own per request, so that autocomplete's rate limit never interferes. */
const read = (app: FastifyInstance, url: string) => app.inject({ method: 'GET', url, remoteAddress: `10.7.${client >> 8}.${client++ & 255}` })
const write = (method: InjectOptions['method'], url: string, payload?: object) =>
  writer.inject({ method, url, headers: catalog.headers, ...(payload === undefined ? {} : { payload }) })
const searchTitles = async (app: FastifyInstance, query: string) =>
  (await read(app, `/api/search/products/?${query}`)).json<PageEnvelope<ProductHitView>>().results.map((hit) => hit.title)
const suggestions = async (app: FastifyInstance, q: string) =>
  (await read(app, `/api/search/suggest/?q=${encodeURIComponent(q)}`)).json<{ suggestions: string[] }>().suggestions
const rowsIn = (table: string) => countOf(db.pool, `SELECT count(*)::int AS n FROM ${table}`)

async function newCategory(name: string): Promise<number> {
  const response = await write('POST', '/categories/', { name })
  assert.equal(response.statusCode, 201, response.body)
  return response.json<CategoryView>().id
}

describe('categories', () => {
  test('create (201 + Location, trimmed), list A→Z with live product counts, rename, refuse clashes ignoring case', async () => {
    const created = await write('POST', '/categories/', { name: '  Zither Supplies ' })
    const clash = await write('POST', '/categories/', { name: 'zither SUPPLIES' })
    const other = await newCategory('Abacus Parts')
    await addProducts(db.pool, [{ title: 'Counting Frame', category: 'Abacus Parts' }])

    assert.equal(created.statusCode, 201)
    assert.equal(created.headers.location, `/categories/${created.json<CategoryView>().id}/`)
    assert.deepEqual(created.json<CategoryView>(), { id: created.json<CategoryView>().id, name: 'Zither Supplies', product_count: 0 })
    assert.equal(clash.statusCode, 409)
    assert.equal(clash.json<ProblemBody>().type, 'https://aforro.dev/problems/conflict')
    const listed = (await read(reader, '/categories/?page_size=100')).json<PageEnvelope<CategoryView>>()
    const names = listed.results.map((category) => category.name)
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
    )
    assert.deepEqual(
      listed.results.find((category) => category.id === other),
      { id: other, name: 'Abacus Parts', product_count: 1 },
    )

    const renamed = await write('PATCH', `/categories/${other}/`, { name: 'Counting Tools' })
    const renameClash = await write('PATCH', `/categories/${other}/`, { name: ' ZITHER supplies' })
    assert.equal(renamed.statusCode, 200)
    assert.deepEqual(renamed.json(), { id: other, name: 'Counting Tools', product_count: 1 })
    assert.equal(renameClash.statusCode, 409)
  })

  test('a rename reaches the search of all its products at once, on every instance', async () => {
    const id = await newCategory('Marimbas')
    await addProducts(db.pool, [
      { title: 'Rosewood Bar', category: 'Marimbas' },
      { title: 'Padauk Bar', category: 'Marimbas' },
    ])
    assert.deepEqual(await searchTitles(reader, 'q=xylophones'), [])

    await write('PATCH', `/categories/${id}/`, { name: 'Xylophones' })

    assert.deepEqual((await searchTitles(reader, 'q=xylophones')).sort(), ['Padauk Bar', 'Rosewood Bar'])
    assert.deepEqual(await searchTitles(reader, 'q=marimbas'), [])
    assert.deepEqual((await searchTitles(reader, 'category=xylophones')).sort(), ['Padauk Bar', 'Rosewood Bar'])
  })

  test('delete: 204 when unused, 409 while a product (even archived) uses it, 404 when missing', async () => {
    const unused = await newCategory('Ephemera')
    const used = await newCategory('Kazoos')
    const [kazoo] = (await addProducts(db.pool, [{ title: 'Tin Kazoo', category: 'Kazoos' }])) as [number]
    await write('DELETE', `/products/${kazoo}/`)

    const deleted = await write('DELETE', `/categories/${unused}/`)
    const inUse = await write('DELETE', `/categories/${used}/`)
    const missing = await write('DELETE', `/categories/${unused}/`)

    assert.equal(deleted.statusCode, 204)
    assert.equal(deleted.body, '')
    assert.equal(inUse.statusCode, 409)
    assert.equal(missing.statusCode, 404)
    assert.equal(await countOf(db.pool, 'SELECT count(*)::int AS n FROM categories WHERE id = $1', [used]), 1)
  })

  test('names must be 1–100 characters with something besides spaces, and nothing else is accepted', async () => {
    for (const payload of [{ name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }, { name: 5 }, {}, { name: 'ok', extra: 1 }, { name: 'tab\there' }]) {
      const response = await write('POST', '/categories/', payload)
      assert.equal(response.statusCode, 400, JSON.stringify(payload))
    }
    assert.equal((await write('POST', '/categories/', { name: 'x'.repeat(100) })).statusCode, 201)
  })
})

describe('products', () => {
  let categoryId: number
  before(async () => {
    categoryId = await newCategory('Lighting')
  })

  test('a new product is found by search and autocomplete on every instance right after its 201', async () => {
    assert.deepEqual(await searchTitles(reader, 'q=zanzibar'), [])
    assert.deepEqual(await suggestions(reader, 'zanz'), [])

    const response = await write('POST', '/products/', { title: ' Zanzibar Lantern ', description: 'Brass, hand-made', price: '12.5', category_id: categoryId })

    assert.equal(response.statusCode, 201, response.body)
    const product = response.json<ProductView>()
    assert.equal(response.headers.location, `/products/${product.id}/`)
    assert.deepEqual(
      { ...product, created_at: undefined, updated_at: undefined },
      {
        id: product.id,
        title: 'Zanzibar Lantern',
        description: 'Brass, hand-made',
        price: '12.50',
        category: { id: categoryId, name: 'Lighting' },
        created_at: undefined,
        updated_at: undefined,
      },
    )
    assert.deepEqual(await searchTitles(reader, 'q=zanzibar'), ['Zanzibar Lantern'])
    assert.deepEqual(await suggestions(reader, 'zanz'), ['Zanzibar Lantern'])
    assert.deepEqual((await read(reader, `/products/${product.id}/`)).json<ProductView>(), product)
  })

  test('prices round-trip exactly as decimal strings; JSON numbers and a third decimal are refused', async () => {
    for (const price of ['0.10', '9999999999.99', '0.00', '7']) {
      const created = await write('POST', '/products/', { title: `Priced ${price}`, price, category_id: categoryId })
      assert.equal(created.statusCode, 201, created.body)
      const expected = price === '7' ? '7.00' : price
      assert.equal(created.json<ProductView>().price, expected)
      assert.equal((await read(reader, `/products/${created.json<ProductView>().id}/`)).json<ProductView>().price, expected)
      assert.ok(
        (await read(reader, `/api/search/products/?q=priced&page_size=100`)).json<PageEnvelope<ProductHitView>>().results.some((hit) => hit.price === expected),
      )
    }
    for (const price of [12.5, '1.234', '10000000000.00', '-1.00', '1e3', ' 1.00', '']) {
      const refused = await write('POST', '/products/', { title: 'Mispriced', price, category_id: categoryId })
      assert.equal(refused.statusCode, 400, `${JSON.stringify(price)}: ${refused.body}`)
    }
  })

  test('an unknown category is a 422 unknown-category; bad fields are 400s; a missing product is a 404', async () => {
    const unknown = await write('POST', '/products/', { title: 'Orphan', price: '1.00', category_id: 999999 })
    const missingTitle = await write('POST', '/products/', { price: '1.00', category_id: categoryId })
    const longDescription = await write('POST', '/products/', { title: 'Verbose', description: 'x'.repeat(5001), price: '1.00', category_id: categoryId })
    const longTitle = await write('POST', '/products/', { title: 'x'.repeat(201), price: '1.00', category_id: categoryId })

    assert.equal(unknown.statusCode, 422)
    assert.equal(unknown.json<ProblemBody>().type, 'https://aforro.dev/problems/unknown-category')
    assert.deepEqual(unknown.json<ProblemBody>().category_ids, [999999])
    assert.deepEqual([missingTitle.statusCode, longDescription.statusCode, longTitle.statusCode], [400, 400, 400])
    assert.equal((await read(reader, '/products/999999/')).statusCode, 404)
    assert.equal((await read(reader, '/products/abc/')).statusCode, 400)
  })

  test('PATCH changes any field, and every read path shows the change at once', async () => {
    const otherCategory = await newCategory('Garden')
    const [id] = (await addProducts(db.pool, [{ title: 'Quokka Lamp', price: '3.00', category: 'Lighting' }])) as [number]
    await stock(db.pool, storeId, { [id]: 4 })
    await read(reader, `/stores/${storeId}/inventory/?page_size=100`)
    await searchTitles(reader, 'q=quokka')

    const patched = await write('PATCH', `/products/${id}/`, { title: 'Quokka Lantern', price: '4.25', category_id: otherCategory, description: null })
    const unknownCategory = await write('PATCH', `/products/${id}/`, { category_id: 999999 })
    const empty = await write('PATCH', `/products/${id}/`, {})

    assert.equal(patched.statusCode, 200, patched.body)
    assert.deepEqual(pick(patched.json<ProductView>(), 'title', 'price', 'category', 'description'), {
      title: 'Quokka Lantern',
      price: '4.25',
      category: { id: otherCategory, name: 'Garden' },
      description: null,
    })
    assert.ok(patched.json<ProductView>().updated_at > patched.json<ProductView>().created_at)
    assert.equal(unknownCategory.statusCode, 422)
    assert.equal(empty.statusCode, 400)
    const item = (await read(reader, `/stores/${storeId}/inventory/?page_size=100`))
      .json<PageEnvelope<InventoryItemView>>()
      .results.find((row) => row.product_id === id)
    assert.deepEqual(item, { product_id: id, title: 'Quokka Lantern', price: '4.25', category: 'Garden', quantity: 4 })
    assert.deepEqual(await searchTitles(reader, 'q=quokka'), ['Quokka Lantern'])
    assert.deepEqual(await suggestions(reader, 'quokka l'), ['Quokka Lantern'])
  })

  test('DELETE archives: gone from search, autocomplete, listings, reads and new orders; old orders keep it with its title', async () => {
    const [id, twin] = (await addProducts(db.pool, [
      { title: 'Wombat Clock', category: 'Lighting' },
      { title: 'Wombat Clock', category: 'Lighting' },
    ])) as [number, number]
    await stock(db.pool, storeId, { [id]: 5, [twin]: 2 })
    const order = await writer.inject({ method: 'POST', url: '/orders/', payload: { store_id: storeId, items: [{ product_id: id, quantity_requested: 1 }] } })
    const inventory = () => read(reader, `/stores/${storeId}/inventory/?page_size=100`)
    const listed = async () => (await inventory()).json<PageEnvelope<InventoryItemView>>().results.map((row) => row.product_id)
    const searchIds = async (query: string) =>
      (await read(reader, `/api/search/products/?${query}`)).json<PageEnvelope<ProductHitView>>().results.map((hit) => hit.id)
    assert.ok((await listed()).includes(id))
    const countBefore = (await inventory()).json<PageEnvelope<InventoryItemView>>().count
    const stockCount = async (inStock: boolean) => (await read(reader, `/api/search/products/?in_stock=${inStock}`)).json<PageEnvelope<ProductHitView>>().count
    const [inStockBefore, outOfStockBefore] = [await stockCount(true), await stockCount(false)]

    const archived = await write('DELETE', `/products/${id}/`)

    assert.equal(archived.statusCode, 204)
    assert.equal((await read(reader, `/products/${id}/`)).statusCode, 404)
    assert.equal((await write('DELETE', `/products/${id}/`)).statusCode, 404)
    assert.equal((await write('PATCH', `/products/${id}/`, { price: '1.00' })).statusCode, 404)
    assert.ok(!(await listed()).includes(id))
    assert.equal((await inventory()).json<PageEnvelope<InventoryItemView>>().count, countBefore - 1)
    assert.deepEqual([await stockCount(true), await stockCount(false)], [inStockBefore - 1, outOfStockBefore], 'in stock anywhere no longer counts it')
    for (const query of [
      'q=wombat',
      'q=wombat%20clock',
      `q=wombat&store_id=${storeId}`,
      `store_id=${storeId}&in_stock=true&page_size=100`,
      'in_stock=true&page_size=100',
    ]) {
      const ids = await searchIds(query)
      assert.ok(!ids.includes(id), query)
    }
    assert.deepEqual(await searchIds('q=wombat'), [twin], 'the twin with the same title stays')
    assert.deepEqual(await suggestions(reader, 'wombat'), ['Wombat Clock'], 'its title stays while the twin carries it')
    const refused = await writer.inject({ method: 'POST', url: '/orders/', payload: { store_id: storeId, items: [{ product_id: id, quantity_requested: 1 }] } })
    assert.equal(refused.statusCode, 422)
    assert.deepEqual(refused.json<ProblemBody>().product_ids, [id])
    const old = await writer.inject({
      method: 'GET',
      url: `/orders/${order.json<OrderView>().id}/`,
      headers: (await createTestKey(db.pool, { role: 'admin' })).headers,
    })
    assert.deepEqual(old.json<OrderView>().items, [{ product_id: id, title: 'Wombat Clock', quantity_requested: 1 }])

    await write('DELETE', `/products/${twin}/`)
    assert.deepEqual(await suggestions(reader, 'wombat'), [], 'the title leaves with its last live product')
    assert.deepEqual(await searchIds('q=wombat'), [])
  })
})

describe('bulk import', () => {
  let categoryId: number
  before(async () => {
    categoryId = await newCategory('Imports')
  })
  const entry = (i: number) => ({ title: `Imported Yak ${i}`, price: `${i}.99`, category_id: categoryId })

  test('creates every product in the order given, searchable at once', async () => {
    const response = await write('POST', '/products/bulk/', { products: Array.from({ length: 25 }, (_, i) => entry(i)) })

    assert.equal(response.statusCode, 201, response.body)
    const { ids } = response.json<{ ids: number[] }>()
    assert.equal(ids.length, 25)
    for (const [i, id] of ids.entries()) assert.equal((await read(reader, `/products/${id}/`)).json<ProductView>().title, `Imported Yak ${i}`)
    assert.equal((await read(reader, '/api/search/products/?q=yak')).json<PageEnvelope<ProductHitView>>().count, 25)
  })

  test('one bad entry writes nothing, and every bad entry is named by its index', async () => {
    const products = Array.from({ length: 10 }, (_, i) => entry(100 + i))
    products[3] = { ...entry(3), price: 12 as unknown as string }
    products[7] = { title: '', price: '1.00', category_id: categoryId }
    const before = await rowsIn('products')

    const response = await write('POST', '/products/bulk/', { products })

    assert.equal(response.statusCode, 400)
    assert.deepEqual([...new Set(response.json<ProblemBody>().errors?.map((error) => error.path))], ['/products/3/price', '/products/7/title'])
    assert.equal(await rowsIn('products'), before)
  })

  test('unknown categories are a 422 naming each entry; nothing is written', async () => {
    const products = [entry(1), { ...entry(2), category_id: 888888 }, entry(3), { ...entry(4), category_id: 888889 }]
    const before = await rowsIn('products')

    const response = await write('POST', '/products/bulk/', { products })

    assert.equal(response.statusCode, 422)
    assert.deepEqual(
      response.json<ProblemBody>().errors?.map((error) => error.path),
      ['/products/1/category_id', '/products/3/category_id'],
    )
    assert.equal(await rowsIn('products'), before)
  })

  test('1 to 1,000 entries', async () => {
    assert.equal((await write('POST', '/products/bulk/', { products: [] })).statusCode, 400)
    assert.equal((await write('POST', '/products/bulk/', { products: Array.from({ length: 1001 }, (_, i) => entry(i)) })).statusCode, 400)
    assert.equal((await write('POST', '/products/bulk/', { products: Array.from({ length: 1000 }, (_, i) => entry(i)) })).statusCode, 201)
  })
})

describe('stores', () => {
  test('create (201 + Location), list in id order, patch, 404 when missing', async () => {
    const created = await write('POST', '/stores/', { name: ' Chiado ', location: 'Rua Garrett 1, Lisboa' })
    const patched = await write('PATCH', `/stores/${created.json<StoreView>().id}/`, { location: 'Rua Garrett 2, Lisboa' })
    const missing = await write('PATCH', '/stores/999999/', { name: 'Nowhere' })
    const invalid = await write('POST', '/stores/', { name: 'No location' })

    assert.equal(created.statusCode, 201)
    assert.equal(created.headers.location, `/stores/${created.json<StoreView>().id}/`)
    assert.deepEqual(patched.json<StoreView>(), { id: created.json<StoreView>().id, name: 'Chiado', location: 'Rua Garrett 2, Lisboa' })
    assert.equal(missing.statusCode, 404)
    assert.equal(invalid.statusCode, 400)
    const listed = (await read(reader, '/stores/?page_size=100')).json<PageEnvelope<StoreView>>()
    const ids = listed.results.map((store) => store.id)
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    )
    assert.equal(listed.count, await rowsIn('stores'))
    assert.deepEqual(listed.results.at(-1), patched.json<StoreView>())
  })
})
