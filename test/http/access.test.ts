import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import type pg from 'pg'
import { PgInventorySummaries } from '../../adapters/postgres/pg-inventory-summaries.js'
import { BuildDailyInventorySummary } from '../../application/inventory/build-daily-inventory-summary.js'
import { generateApiToken } from '../../domain/access/api-token.js'
import { createTestKey, type TestKey } from '../support/api-keys.js'
import { addCategory, addProducts, addStore, stock } from '../support/fixtures.js'
import type { ProblemBody } from '../support/http-bodies.js'
import { appOverTestDatabase } from '../support/http-app.js'

interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>
  components: { securitySchemes: Record<string, { type: string; scheme: string; description: string }> }
}

interface World {
  storeId: number
  otherStoreId: number
  productId: number
  orderId: number
  categoryId: number
  /** Categories and products a permitted DELETE may consume, one per call. */
  spareCategories: number[]
  spareProducts: number[]
}

let unique = 0
const uniqueName = (prefix: string) => `${prefix} ${++unique}`

/** A protected route, who may call it, and what a permitted call answers. */
interface ProtectedRoute {
  name: string
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE'
  url: (world: World) => string
  payload?: (world: World) => object
  /** Roles that may call it (admin always may); a store key of `world.storeId` when 'store' is listed. */
  allowed: ('store' | 'catalog')[]
  status: number
}

const ROUTES: ProtectedRoute[] = [
  { name: 'GET /orders/<id>/', method: 'GET', url: (w) => `/orders/${w.orderId}/`, allowed: ['store'], status: 200 },
  { name: 'POST /orders/<id>/cancel/', method: 'POST', url: (w) => `/orders/${w.orderId}/cancel/`, allowed: ['store'], status: 200 },
  { name: 'GET /stores/<id>/orders/', method: 'GET', url: (w) => `/stores/${w.storeId}/orders/`, allowed: ['store'], status: 200 },
  {
    name: 'PUT /stores/<id>/inventory/<product_id>/',
    method: 'PUT',
    url: (w) => `/stores/${w.storeId}/inventory/${w.productId}/`,
    payload: () => ({ quantity: 6 }),
    allowed: ['store'],
    status: 200,
  },
  { name: 'GET /stores/<id>/inventory/summary/', method: 'GET', url: (w) => `/stores/${w.storeId}/inventory/summary/`, allowed: ['store'], status: 200 },
  { name: 'GET /metrics', method: 'GET', url: () => '/metrics', allowed: [], status: 200 },
  {
    name: 'POST /categories/',
    method: 'POST',
    url: () => '/categories/',
    payload: () => ({ name: uniqueName('Category') }),
    allowed: ['catalog'],
    status: 201,
  },
  {
    name: 'PATCH /categories/<id>/',
    method: 'PATCH',
    url: (w) => `/categories/${w.categoryId}/`,
    payload: () => ({ name: uniqueName('Renamed') }),
    allowed: ['catalog'],
    status: 200,
  },
  { name: 'DELETE /categories/<id>/', method: 'DELETE', url: (w) => `/categories/${w.spareCategories.pop()}/`, allowed: ['catalog'], status: 204 },
  {
    name: 'POST /products/',
    method: 'POST',
    url: () => '/products/',
    payload: (w) => ({ title: uniqueName('Product'), price: '1.00', category_id: w.categoryId }),
    allowed: ['catalog'],
    status: 201,
  },
  {
    name: 'POST /products/bulk/',
    method: 'POST',
    url: () => '/products/bulk/',
    payload: (w) => ({ products: [{ title: uniqueName('Bulk'), price: '1.00', category_id: w.categoryId }] }),
    allowed: ['catalog'],
    status: 201,
  },
  {
    name: 'PATCH /products/<id>/',
    method: 'PATCH',
    url: (w) => `/products/${w.productId}/`,
    payload: () => ({ price: '2.00' }),
    allowed: ['catalog'],
    status: 200,
  },
  { name: 'DELETE /products/<id>/', method: 'DELETE', url: (w) => `/products/${w.spareProducts.pop()}/`, allowed: ['catalog'], status: 204 },
  {
    name: 'POST /stores/',
    method: 'POST',
    url: () => '/stores/',
    payload: () => ({ name: uniqueName('Store'), location: 'Porto' }),
    allowed: ['catalog'],
    status: 201,
  },
  {
    name: 'PATCH /stores/<id>/',
    method: 'PATCH',
    url: (w) => `/stores/${w.otherStoreId}/`,
    payload: () => ({ location: 'Braga' }),
    allowed: ['catalog'],
    status: 200,
  },
]

const world = {} as World
const keys = {} as Record<'admin' | 'catalog' | 'staff' | 'otherStaff' | 'expired' | 'revoked', TestKey>

const subject = appOverTestDatabase({
  prepare: async ({ pool }) => {
    world.storeId = await addStore(pool, 'Guarded')
    world.otherStoreId = await addStore(pool, 'Elsewhere')
    // Every call of a DELETE route takes its own spare (refused calls too), so there are plenty.
    const spares = Array.from({ length: 20 }, (_, i) => `Spare ${i}`)
    const [guarded, ...spareProducts] = await addProducts(pool, [{ title: 'Guarded Lamp' }, ...spares.map((title) => ({ title }))])
    world.productId = guarded!
    world.spareProducts = spareProducts
    world.categoryId = (await pool.query<{ category_id: number }>('SELECT category_id FROM products WHERE id = $1', [world.productId])).rows[0]!.category_id
    world.spareCategories = await Promise.all(spares.map((name) => addCategory(pool, name)))
    await stock(pool, world.storeId, { [world.productId]: 9 })
    await new BuildDailyInventorySummary(new PgInventorySummaries(pool), { now: () => new Date() }, 5).execute({ date: '2026-11-01' })
    const { rows } = await pool.query<{ id: number }>(
      `WITH placed AS (INSERT INTO orders (store_id, status, total_items) VALUES ($1, 'CONFIRMED', 1) RETURNING id),
          line AS (INSERT INTO order_items (order_id, product_id, quantity_requested, line_number, title) SELECT id, $2, 1, 1, 'Guarded Lamp' FROM placed)
     SELECT id FROM placed`,
      [world.storeId, world.productId],
    )
    world.orderId = rows[0]!.id
    keys.admin = await createTestKey(pool, { role: 'admin' })
    keys.catalog = await createTestKey(pool, { role: 'catalog' })
    keys.staff = await createTestKey(pool, { role: 'store', storeIds: [world.storeId] })
    keys.otherStaff = await createTestKey(pool, { role: 'store', storeIds: [world.otherStoreId] })
    keys.expired = await createTestKey(pool, { role: 'admin', expiresAt: new Date(Date.now() - 1000) })
    keys.revoked = await createTestKey(pool, { role: 'admin', revokedAt: new Date(Date.now() - 1000) })
  },
})

const call = (route: ProtectedRoute, headers: Record<string, string> = {}) =>
  subject.app.inject({ method: route.method, url: route.url(world), headers, ...(route.payload ? { payload: route.payload(world) } : {}) })

/** Every row a protected call could change. */
async function snapshot(pool: pg.Pool): Promise<unknown> {
  const { rows } = await pool.query(`SELECT (SELECT json_agg(i ORDER BY store_id, product_id) FROM inventory i) AS inventory,
                                            (SELECT count(*) FROM stock_movements) AS movements,
                                            (SELECT json_agg(o ORDER BY id) FROM orders o) AS orders,
                                            (SELECT json_agg(c ORDER BY id) FROM categories c) AS categories,
                                            (SELECT json_agg(p ORDER BY id) FROM products p) AS products,
                                            (SELECT json_agg(s ORDER BY id) FROM stores s) AS stores`)
  return rows[0]
}

function assertProblem(response: LightMyRequestResponse, status: number, slug: string, what: string): void {
  assert.equal(response.statusCode, status, `${what}: ${response.body}`)
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/, what)
  assert.equal(response.json<ProblemBody>().type, `https://aforro.dev/problems/${slug}`, what)
}

describe('every protected route', () => {
  const unauthenticated: [string, () => Record<string, string>][] = [
    ['no Authorization header', () => ({})],
    ['an empty header', () => ({ authorization: '' })],
    ['another scheme', () => ({ authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` })],
    ['a bearer without a token', () => ({ authorization: 'Bearer' })],
    ['a token of the wrong shape', () => ({ authorization: 'Bearer afk_short' })],
    ['an unknown token', () => ({ authorization: `Bearer ${generateApiToken()}` })],
    ['an expired key', () => keys.expired.headers],
    ['a revoked key', () => keys.revoked.headers],
  ]

  for (const route of ROUTES) {
    describe(route.name, () => {
      for (const [what, headers] of unauthenticated) {
        test(`${what} → 401 with the Bearer challenge`, async () => {
          const response = await call(route, headers())

          assertProblem(response, 401, 'unauthorized', what)
          assert.equal(response.headers['www-authenticate'], 'Bearer realm="aforro"')
        })
      }

      const forbidden = [
        ...(route.allowed.includes('catalog') ? [] : (['catalog'] as const)),
        'otherStaff' as const,
        ...(route.allowed.includes('store') ? [] : (['staff'] as const)),
      ]
      for (const key of forbidden) {
        test(`a ${key} key → 403`, async () => {
          const response = await call(route, keys[key].headers)

          assertProblem(response, 403, 'forbidden', key)
          assert.equal(response.headers['www-authenticate'], undefined)
        })
      }

      const permitted = ['admin' as const, ...route.allowed.map((role) => (role === 'store' ? ('staff' as const) : role))]
      for (const key of permitted) {
        test(`a ${key} key → ${route.status}`, async () => {
          const response = await call(route, keys[key].headers)

          assert.equal(response.statusCode, route.status, response.body)
        })
      }
    })
  }
})

describe('refused calls', () => {
  test('leave every row as it was', async () => {
    const before = await snapshot(subject.db.pool)

    for (const route of ROUTES) {
      for (const headers of [{}, { authorization: `Bearer ${generateApiToken()}` }, keys.revoked.headers, keys.otherStaff.headers]) {
        assert.ok([401, 403].includes((await call(route, headers)).statusCode))
      }
    }

    assert.deepEqual(await snapshot(subject.db.pool), before)
  })

  test('are refused before the body is read: a 401 even for a body that is not JSON', async () => {
    const response = await subject.app.inject({
      method: 'PUT',
      url: `/stores/${world.storeId}/inventory/${world.productId}/`,
      headers: { 'content-type': 'application/json' },
      payload: '{"quantity": ',
    })

    assertProblem(response, 401, 'unauthorized', 'unparsable body')
  })

  test("a store key naming its store by a non-digit id gets a 400, never another store's data", async () => {
    for (const id of ['1e0', '0x1', `${world.storeId}.0`, '0']) {
      const response = await subject.app.inject({ method: 'GET', url: `/stores/${id}/orders/`, headers: keys.staff.headers })

      assertProblem(response, 400, 'validation-error', id)
    }
  })

  test('a store key asking for a missing order gets a 404', async () => {
    const response = await subject.app.inject({ method: 'GET', url: '/orders/987654/', headers: keys.staff.headers })

    assertProblem(response, 404, 'not-found', 'missing order')
  })
})

describe('public routes', () => {
  test('need no key, and a key changes nothing there', async () => {
    for (const url of ['/', '/health/live', `/stores/${world.storeId}/inventory/`, '/api/search/products/?q=lamp', '/openapi.json']) {
      const anonymous = await subject.app.inject({ method: 'GET', url })
      const withBadKey = await subject.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer nonsense' } })

      assert.equal(anonymous.statusCode, 200, url)
      assert.equal(withBadKey.statusCode, 200, url)
    }
  })
})

describe('the OpenAPI document', () => {
  test('declares bearerAuth, and security with 401/403 on exactly the protected operations', async () => {
    const spec = (await subject.app.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApiDocument>()
    const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
    )
    const secured = operations.filter(({ operation }) => operation.security !== undefined)

    const bearerAuth = spec.components.securitySchemes.bearerAuth
    assert.deepEqual({ type: bearerAuth?.type, scheme: bearerAuth?.scheme }, { type: 'http', scheme: 'bearer' })
    assert.match(bearerAuth?.description ?? '', /npm run keys -- create/)
    assert.deepEqual(secured.map(({ name }) => name).sort(), [
      'DELETE /categories/{category_id}',
      'DELETE /products/{product_id}',
      'GET /metrics',
      'GET /orders/{order_id}',
      'GET /stores/{store_id}/inventory/summary',
      'GET /stores/{store_id}/orders',
      'PATCH /categories/{category_id}',
      'PATCH /products/{product_id}',
      'PATCH /stores/{store_id}',
      'POST /categories',
      'POST /orders/{order_id}/cancel',
      'POST /products',
      'POST /products/bulk',
      'POST /stores',
      'PUT /stores/{store_id}/inventory/{product_id}',
    ])
    for (const { name, operation } of secured) {
      assert.deepEqual(operation.security, [{ bearerAuth: [] }], name)
      assert.ok(operation.responses['401'] && operation.responses['403'], name)
    }
  })
})
