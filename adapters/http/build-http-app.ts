import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv, type Options as AjvOptions } from 'ajv'
import addFormats from 'ajv-formats'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type onRequestAsyncHookHandler } from 'fastify'
import type { AuthenticateApiKey } from '../../application/access/authenticate-api-key.js'
import type { AuthorizeAccess } from '../../application/access/authorize-access.js'
import type { CheckReadiness } from '../../application/operations/check-readiness.js'
import type { GetInventorySummary } from '../../application/inventory/get-inventory-summary.js'
import type { GetOrder } from '../../application/ordering/get-order.js'
import type { ListStoreInventory } from '../../application/inventory/list-store-inventory.js'
import type { ListStoreOrders } from '../../application/ordering/list-store-orders.js'
import type { PlaceOrder } from '../../application/ordering/place-order.js'
import type { SearchProducts } from '../../application/catalog/search-products.js'
import type { SetStockLevel } from '../../application/inventory/set-stock-level.js'
import type { SuggestProducts } from '../../application/catalog/suggest-products.js'
import { registerAccessControl, SECURITY_SCHEME } from './auth/access-control.js'
import { errorHandler, problem, sendProblem } from './problem-details.js'
import { healthRoutes } from './routes/health.routes.js'
import { inventorySummaryRoutes } from './routes/inventory-summary.routes.js'
import { inventoryRoutes } from './routes/inventory.routes.js'
import { metricsRoutes, type MetricsSnapshot } from './routes/metrics.routes.js'
import { orderRoutes } from './routes/orders.routes.js'
import { searchRoutes } from './routes/search.routes.js'

export interface HttpAppDeps {
  version: string
  /** A pino logger; omit for a silent app (tests). */
  logger?: FastifyBaseLogger
  trustProxy: boolean | number | string[]
  isTransientFailure: (error: unknown) => boolean
  checkReadiness: CheckReadiness
  authenticate: AuthenticateApiKey
  authorize: AuthorizeAccess
  /** Cache and rate-limit counters, served by GET /metrics. */
  metrics: () => MetricsSnapshot
  getInventorySummary: GetInventorySummary
  placeOrder: PlaceOrder
  getOrder: GetOrder
  listStoreOrders: ListStoreOrders
  listStoreInventory: ListStoreInventory
  setStockLevel: SetStockLevel
  searchProducts: SearchProducts
  suggestProducts: SuggestProducts
  /** Runs first on every autocomplete request: the rate limiter (see search.routes.ts). */
  suggestGuard?: onRequestAsyncHookHandler
}

const ONE_MIB = 1024 * 1024
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Query strings and path params arrive as text and are coerced to their schema types; bodies are
 * JSON and must already have the right types. Unknown body fields are rejected, never dropped.
 */
function buildValidators() {
  const shared: AjvOptions = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false }
  const coercing = new Ajv({ ...shared, coerceTypes: 'array' })
  const exact = new Ajv({ ...shared, coerceTypes: false })
  for (const ajv of [coercing, exact]) addFormats.default(ajv)
  return { coercing, exact }
}

/**
 * A hop count trusts that many proxies nearest to us (Fastify itself no longer honours numbers);
 * addresses and CIDRs trust those peers only. Anything else trusts no forwarded header.
 */
function trustProxy(setting: HttpAppDeps['trustProxy']) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting
}

/** Builds the whole HTTP surface without listening, so tests drive it through inject(). */
export async function buildHttpApp(deps: HttpAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: ONE_MIB,
    trustProxy: trustProxy(deps.trustProxy),
    requestIdHeader: false,
    genReqId: (raw) => {
      const incoming = raw.headers['x-request-id']
      return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID()
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>()

  const validators = buildValidators()
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.exact : validators.coercing).compile(schema))
  // JSON only: without this, Fastify would also accept text/plain bodies.
  app.removeContentTypeParser('text/plain')

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  // While draining, answers to requests already running close their connection: otherwise a
  // keep-alive socket that turns idle after close() began holds the server open until it times out.
  let draining = false
  app.addHook('preClose', async () => {
    draining = true
  })
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close')
  })
  app.setErrorHandler(errorHandler({ isTransientFailure: deps.isTransientFailure }))
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem('not-found', `No route for ${request.method} ${request.url.split('?')[0]}`, request.url.split('?')[0] ?? '/')),
  )

  // Before swagger and every route: its onRoute hook guards and documents each declared route.
  registerAccessControl(app, { authenticate: deps.authenticate, authorize: deps.authorize })
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Aforro retail API',
        version: deps.version,
        description: 'Catalog, per-store inventory, atomic orders, search and autocomplete. Errors are RFC 9457 problem details.',
      },
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key (`afk_…`) made with `npm run keys -- create`; the embedded default writes an admin key to `.data/admin.key`. ' +
              'Missing, malformed, unknown, expired or revoked → 401; a key without the role or the store → 403.',
          },
        },
      },
    },
  })
  // "Authorize" in /docs takes a pasted key and sends it with every protected call tried there.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: true } })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  await app.register(healthRoutes, { version: deps.version, checkReadiness: deps.checkReadiness })
  await app.register(metricsRoutes, { metrics: deps.metrics })
  await app.register(inventorySummaryRoutes, { getInventorySummary: deps.getInventorySummary })
  await app.register(orderRoutes, { placeOrder: deps.placeOrder, getOrder: deps.getOrder, listStoreOrders: deps.listStoreOrders })
  await app.register(inventoryRoutes, { listStoreInventory: deps.listStoreInventory, setStockLevel: deps.setStockLevel })
  await app.register(searchRoutes, {
    searchProducts: deps.searchProducts,
    suggestProducts: deps.suggestProducts,
    ...(deps.suggestGuard ? { suggestGuard: deps.suggestGuard } : {}),
  })

  return app
}
