import { randomUUID } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv, type Options as AjvOptions } from 'ajv'
import addFormats from 'ajv-formats'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type onRequestAsyncHookHandler, type onRequestHookHandler } from 'fastify'
import { registerAccessControl, SECURITY_SCHEME, type AccessControlOptions } from './auth/access-control.js'
import { createBoundedServer, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './bounded-server.js'
import { docsRoutes } from './docs.js'
import { checkUrl, clientErrorHandler, frameworkErrorHandler, strictIntegerParameters } from './framework-errors.js'
import { refineOpenApi, type OpenApiDocument } from './openapi.js'
import { errorHandler, replyWithProblem, requestPath } from './problem-details.js'
import { lazyRequestLogger, OneLinePerRequest } from './request-log.js'
import { catalogRoutes, type CatalogRoutesOptions } from './routes/catalog.routes.js'
import { healthRoutes, type HealthRoutesOptions } from './routes/health.routes.js'
import { inventoryRoutes, type InventoryRoutesOptions } from './routes/inventory.routes.js'
import { metricsRoutes, requestMetricsHook, type HttpMetrics } from './routes/metrics.routes.js'
import { orderRoutes, type OrderRoutesOptions } from './routes/orders.routes.js'
import { searchRoutes, type SearchRoutesOptions } from './routes/search.routes.js'

/** The use cases the routes call: each route file declares the ones it needs in its options. */
export type HttpUseCases = AccessControlOptions &
  CatalogRoutesOptions &
  Omit<HealthRoutesOptions, 'version'> &
  OrderRoutesOptions &
  InventoryRoutesOptions &
  Omit<SearchRoutesOptions, 'suggestGuard'>

export interface HttpAppDeps {
  version: string
  /** A pino logger; omit for a silent app (tests). */
  logger?: FastifyBaseLogger
  trustProxy: false | number | string[]
  /** Per-client bounds on time, connections and pipelined requests; defaults otherwise. */
  connectionLimits?: ConnectionLimits
  isTransientFailure: (error: unknown) => boolean
  /** Observes every response and is served by GET /metrics. */
  metrics: HttpMetrics
  useCases: HttpUseCases
  /** Runs first on every autocomplete request: the rate limiter (see search.routes.ts). */
  suggestGuard?: onRequestHookHandler | onRequestAsyncHookHandler
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
 * addresses and CIDRs trust those peers only; false trusts no forwarded header.
 */
function trustProxy(setting: HttpAppDeps['trustProxy']) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting
}

/** Builds the whole HTTP surface without listening, so tests drive it through inject(). */
export async function buildHttpApp(deps: HttpAppDeps): Promise<FastifyInstance> {
  const app = Fastify<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: deps.logger,
    logController: new OneLinePerRequest(),
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: ONE_MIB,
    trustProxy: trustProxy(deps.trustProxy),
    requestIdHeader: false,
    genReqId: (raw) => {
      const incoming = raw.headers['x-request-id']
      return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID()
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    serverFactory: (handler) => createBoundedServer(handler, deps.connectionLimits ?? DEFAULT_CONNECTION_LIMITS),
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    // Requests arriving while the server drains get the 503 problem below, not Fastify's plain JSON.
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>()

  const validators = buildValidators()
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.exact : validators.coercing).compile(schema))
  // JSON only: without this, Fastify would also accept text/plain bodies.
  app.removeContentTypeParser('text/plain')

  app.addHook('onResponse', requestMetricsHook(deps.metrics))
  // While draining, answers to requests already running close their connection: otherwise a
  // keep-alive socket that turns idle after close() began holds the server open until it times out.
  // A request that arrives on such a socket meanwhile is told to go elsewhere.
  let draining = false
  app.addHook('preClose', async () => {
    draining = true
  })
  // The hooks every request runs take a callback rather than return a promise: that saves a
  // promise and a microtask turn per hook per request. A hook that answers does not call done.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    if (draining) {
      reply.header('retry-after', '1')
      replyWithProblem(request, reply, 'service-unavailable', 'This instance is shutting down; retry shortly')
    } else if (checkUrl(request, reply) === undefined) done()
  })
  app.addHook('onRoute', strictIntegerParameters)
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close')
    done(null, payload)
  })
  app.setErrorHandler(errorHandler({ isTransientFailure: deps.isTransientFailure, maxBodyBytes: ONE_MIB }))
  app.setNotFoundHandler((request, reply) => replyWithProblem(request, reply, 'not-found', `No route for ${request.method} ${requestPath(request)}`))

  // Before swagger and every route: its onRoute hook guards and documents each declared route.
  registerAccessControl(app, deps.useCases)
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
    transformObject: (document) => ('openapiObject' in document ? refineOpenApi(document.openapiObject as OpenApiDocument) : document.swaggerObject),
  })
  await app.register(docsRoutes)
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  const { useCases } = deps
  await app.register(healthRoutes, { ...useCases, version: deps.version })
  await app.register(metricsRoutes, { metrics: deps.metrics })
  await app.register(orderRoutes, useCases)
  await app.register(inventoryRoutes, useCases)
  await app.register(catalogRoutes, useCases)
  await app.register(searchRoutes, { ...useCases, ...(deps.suggestGuard ? { suggestGuard: deps.suggestGuard } : {}) })

  return app
}
