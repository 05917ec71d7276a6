/**
 * Turns the document @fastify/swagger derives from the route schemas into one a client generator
 * can trust: named component schemas (every schema with a `title`), operationIds, parameters
 * with defaults optional, every error as application/problem+json with the shared Problem schema,
 * the 500 and 503 every route can answer, the response headers, and examples that work on the
 * default seed (seed 1; a test runs them). The routes only declare what is particular to them.
 */
import { STATUS_CODES } from 'node:http'

interface Schema {
  title?: string
  $ref?: string
  [keyword: string]: unknown
}

interface MediaType {
  schema?: Schema
  example?: unknown
}

interface Response {
  description: string
  content?: Record<string, MediaType>
  headers?: Record<string, { $ref: string }>
}

interface Parameter {
  name: string
  in: 'query' | 'path' | 'header' | 'cookie'
  required?: boolean
  schema?: Schema
  example?: unknown
}

interface Operation {
  operationId?: string
  /** Present on operations that need an API key (see adapters/http/auth/access-control.ts). */
  security?: Record<string, string[]>[]
  tags?: string[]
  summary?: string
  parameters?: Parameter[]
  requestBody?: { content?: Record<string, MediaType> }
  responses?: Record<string, Response>
}

export interface OpenApiDocument {
  openapi: string
  info: { title: string; version: string; [field: string]: unknown }
  servers?: { url: string; description?: string }[]
  security?: Record<string, string[]>[]
  paths?: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, Schema>; headers?: Record<string, unknown> }
  [field: string]: unknown
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const
// What @fastify/swagger says of a response nobody described.
const UNDESCRIBED = 'Default Response'
const PROBLEM = 'application/problem+json'

/** Explicit names for the operations; any other route gets one derived from its method and path. */
const OPERATION_IDS: Record<string, string> = {
  'get /': 'getServiceIdentity',
  'get /health/live': 'checkLiveness',
  'get /health/ready': 'checkReadiness',
  'get /metrics': 'getMetrics',
  'post /orders': 'placeOrder',
  'get /orders/{order_id}': 'getOrder',
  'get /stores/{store_id}/orders': 'listStoreOrders',
  'get /stores/{store_id}/inventory': 'listStoreInventory',
  'put /stores/{store_id}/inventory/{product_id}': 'setStockLevel',
  'get /stores/{store_id}/inventory/summary': 'getInventorySummary',
  'get /api/search/products': 'searchProducts',
  'get /api/search/suggest': 'suggestProducts',
  'post /orders/{order_id}/cancel': 'cancelOrder',
  'get /categories': 'listCategories',
  'post /categories': 'createCategory',
  'patch /categories/{category_id}': 'renameCategory',
  'delete /categories/{category_id}': 'deleteCategory',
  'get /products/{product_id}': 'getProduct',
  'post /products': 'createProduct',
  'post /products/bulk': 'importProducts',
  'patch /products/{product_id}': 'updateProduct',
  'delete /products/{product_id}': 'archiveProduct',
  'get /stores': 'listStores',
  'post /stores': 'createStore',
  'patch /stores/{store_id}': 'updateStore',
}

/**
 * Examples that work on the default data set (`npm start`'s first start, or `npm run seed --
 * --seed 1`): store 1 stocks products 3 (178 units) and 9 (96), 30 titles contain "chair". The
 * order read (and cancelled) is the one the order example creates; the summary exists once the
 * daily job ran (`npm run jobs -- trigger daily-inventory-summary`). The seed has 10 categories
 * (2 is Books), 1,000 products and 20 stores, so the category, products and store the create
 * examples add are 11, 1001–1003 and 21. Protected operations need a key (`.data/admin.key`).
 */
export const SEEDED_EXAMPLES: Record<string, { parameters?: Record<string, unknown>; body?: unknown }> = {
  placeOrder: {
    body: {
      store_id: 1,
      items: [
        { product_id: 3, quantity_requested: 2 },
        { product_id: 9, quantity_requested: 1 },
      ],
    },
  },
  getOrder: { parameters: { order_id: 1 } },
  listStoreOrders: { parameters: { store_id: 1 } },
  listStoreInventory: { parameters: { store_id: 1 } },
  setStockLevel: { parameters: { store_id: 1, product_id: 3 }, body: { quantity: 180 } },
  getInventorySummary: { parameters: { store_id: 1 } },
  searchProducts: { parameters: { q: 'chair', min_price: '10', max_price: '1500', store_id: 1, in_stock: 'true' } },
  suggestProducts: { parameters: { q: 'cha' } },
  cancelOrder: { parameters: { order_id: 1 }, body: {} },
  listCategories: { parameters: { page_size: 5 } },
  createCategory: { body: { name: 'Board Games' } },
  renameCategory: { parameters: { category_id: 2 }, body: { name: 'Books & Magazines' } },
  deleteCategory: { parameters: { category_id: 11 } },
  getProduct: { parameters: { product_id: 3 } },
  createProduct: { body: { title: 'Walnut Side Table', description: 'Solid walnut, oiled', price: '129.90', category_id: 3 } },
  importProducts: {
    body: {
      products: [
        { title: 'Cork Coaster', price: '4.50', category_id: 3 },
        { title: 'Linen Napkin', description: 'Set of four', price: '12.00', category_id: 3 },
      ],
    },
  },
  updateProduct: { parameters: { product_id: 1001 }, body: { price: '119.90' } },
  archiveProduct: { parameters: { product_id: 1002 } },
  listStores: { parameters: { page_size: 5 } },
  createStore: { body: { name: 'Chiado', location: 'Rua Garrett 1, Lisboa' } },
  updateStore: { parameters: { store_id: 21 }, body: { location: 'Rua Garrett 2, Lisboa' } },
}

const HEADERS = {
  RequestId: { description: 'The request id: the x-request-id sent (1–128 of A-Z a-z 0-9 . _ : -), else a generated UUID', schema: { type: 'string' } },
  Location: { description: 'Where the created resource can be read', schema: { type: 'string' } },
  IdempotentReplayed: {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
  RetryAfter: { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
  RateLimitLimit: { description: 'Requests allowed per minute', schema: { type: 'integer', minimum: 1 } },
  RateLimitRemaining: { description: 'Requests left in the current window', schema: { type: 'integer', minimum: 0 } },
  RateLimitReset: { description: 'Seconds until the full budget is back', schema: { type: 'integer', minimum: 0 } },
}

const header = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` })
const problemResponse = (description: string): Response => ({ description, content: { [PROBLEM]: { schema: { $ref: '#/components/schemas/Problem' } } } })

export function refineOpenApi(document: OpenApiDocument): OpenApiDocument {
  const schemas: Record<string, Schema> = { ...document.components?.schemas }
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = operations[method]
      if (operation) refineOperation(operation, method, path, schemas)
    }
  }
  return {
    ...document,
    info: { ...document.info, license: { name: 'Proprietary' } },
    servers: [{ url: '/', description: 'This server' }],
    // Every operation is public unless it declares its own security.
    security: [],
    components: { ...document.components, schemas, headers: HEADERS },
  }
}

function refineOperation(operation: Operation, method: string, path: string, schemas: Record<string, Schema>): void {
  operation.operationId ??= OPERATION_IDS[`${method} ${path}`] ?? derivedOperationId(method, path)
  const examples = SEEDED_EXAMPLES[operation.operationId]
  for (const parameter of operation.parameters ?? []) {
    // A parameter with a default is filled in by the server: the client may leave it out.
    if (parameter.schema && 'default' in parameter.schema) parameter.required = false
    if (parameter.schema) parameter.schema = hoistNamed(parameter.schema, schemas)
    if (examples?.parameters && parameter.name in examples.parameters) parameter.example = examples.parameters[parameter.name]
  }
  for (const media of Object.values(operation.requestBody?.content ?? {})) {
    if (media.schema) media.schema = hoistNamed(media.schema, schemas)
    if (examples?.body !== undefined) media.example = examples.body
  }
  const responses = (operation.responses ??= {})
  for (const response of Object.values(responses)) {
    for (const media of Object.values(response.content ?? {})) if (media.schema) media.schema = hoistNamed(media.schema, schemas)
  }
  if (!operation.tags?.includes('health')) {
    if ((operation.parameters?.length ?? 0) > 0 || operation.requestBody) responses['400'] ??= problemResponse('The request is malformed')
    responses['503'] ??= problemResponse('A dependency failed for a moment (a lock wait, Postgres unreachable): retry')
  }
  responses['500'] ??= problemResponse('An unexpected failure; the cause is logged, never sent')
  const rateLimited = '429' in responses
  const idempotent = operation.parameters?.some((parameter) => parameter.in === 'header' && parameter.name.toLowerCase() === 'idempotency-key') ?? false
  for (const [status, response] of Object.entries(responses)) {
    const json = response.content?.['application/json']
    const isProblem = Number(status) >= 400 && json?.schema?.$ref === '#/components/schemas/Problem'
    if (isProblem) response.content = { [PROBLEM]: json }
    if (response.description === UNDESCRIBED || isProblem) response.description = STATUS_CODES[status] ?? response.description
    const headers: Response['headers'] = { ...response.headers, 'x-request-id': header('RequestId') }
    if (status === '201') headers.Location = header('Location')
    if (status === '201' && idempotent) headers['Idempotent-Replayed'] = header('IdempotentReplayed')
    if (status === '429' || status === '503') headers['Retry-After'] = header('RetryAfter')
    if (rateLimited) {
      headers['x-ratelimit-limit'] = header('RateLimitLimit')
      headers['x-ratelimit-remaining'] = header('RateLimitRemaining')
      headers['x-ratelimit-reset'] = header('RateLimitReset')
    }
    response.headers = headers
  }
}

/**
 * Moves every schema with a `title` into components.schemas under that title and refers to it,
 * nested ones included. Two different schemas with one title are a mistake in the routes.
 */
function hoistNamed(schema: Schema, schemas: Record<string, Schema>): Schema {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk)
    if (node === null || typeof node !== 'object') return node
    const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value)])) as Schema
    if (typeof copy.title !== 'string') return copy
    const known = schemas[copy.title]
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(copy)) {
      throw new Error(`Two different schemas are both titled ${copy.title}: give one another title`)
    }
    schemas[copy.title] = copy
    return { $ref: `#/components/schemas/${copy.title}` }
  }
  return walk(schema) as Schema
}

/** `get /stores/{store_id}/orders` → `getStoresStoreIdOrders`. */
function derivedOperationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean)
  return method + words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('')
}
