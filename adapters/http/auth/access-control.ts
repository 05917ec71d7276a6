import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler, RouteOptions } from 'fastify'
import type { AuthenticateApiKey, RejectionReason } from '../../../application/access/authenticate-api-key.js'
import type { AccessRule, AuthorizeAccess } from '../../../application/access/authorize-access.js'
import type { Principal } from '../../../domain/access/principal.js'
import { replyWithProblem } from '../problem-details.js'
import { ProblemSchema } from '../schemas/common.schemas.js'

/**
 * A route's one declaration of who may call it (`config: { access }`): a store key for the store
 * in a path parameter (or for the store of the order in one), a catalog key, or an admin key.
 * An admin key passes every check. Routes without it are public.
 */
export type AccessDeclaration = { role: 'store'; storeParam: string } | { role: 'store'; orderParam: string } | { role: 'catalog' } | { role: 'admin' }

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessDeclaration
  }
  interface FastifyRequest {
    /** The authenticated caller of a protected route; null on public routes. */
    principal: Principal | null
  }
}

export interface AccessControlOptions {
  authenticateApiKey: AuthenticateApiKey
  authorizeAccess: AuthorizeAccess
}

export const SECURITY_SCHEME = 'bearerAuth'

const CHALLENGE = 'Bearer realm="aforro"'
const BEARER = /^Bearer +(\S+) *$/i
const DIGITS = /^\d{1,15}$/

const REJECTION_DETAIL: Record<RejectionReason | 'missing', string> = {
  missing: 'This operation needs an API key: send "Authorization: Bearer <token>"',
  malformed: 'The Authorization header is not "Bearer <token>" with a token of the form afk_…',
  unknown: 'The API key is not recognised',
  expired: 'The API key has expired',
  revoked: 'The API key has been revoked',
}

function unauthorized(request: FastifyRequest, reply: FastifyReply, reason: RejectionReason | 'missing'): FastifyReply {
  return replyWithProblem(request, reply.header('www-authenticate', CHALLENGE), 'unauthorized', REJECTION_DETAIL[reason])
}

function bearerToken(header: string | undefined): { token: string } | { rejection: 'missing' | 'malformed' } {
  if (header === undefined || header.trim() === '') return { rejection: 'missing' }
  const token = BEARER.exec(header)?.[1]
  return token === undefined ? { rejection: 'malformed' } : { token }
}

/** The rule a declaration stands for in this request, or the path parameter that names no id. */
function ruleFor(access: AccessDeclaration, params: unknown): AccessRule | { invalidParam: string } {
  if (access.role !== 'store') return access
  const param = 'storeParam' in access ? access.storeParam : access.orderParam
  const raw = (params as Record<string, string | undefined>)[param] ?? ''
  const id = Number(raw)
  if (!DIGITS.test(raw) || id < 1) return { invalidParam: param }
  return { role: 'store', target: 'storeParam' in access ? { kind: 'store', storeId: id } : { kind: 'order', orderId: id } }
}

function guard(access: AccessDeclaration, { authenticateApiKey, authorizeAccess }: AccessControlOptions): onRequestAsyncHookHandler {
  return async (request, reply) => {
    const bearer = bearerToken(request.headers.authorization)
    if ('rejection' in bearer) return unauthorized(request, reply, bearer.rejection)
    const authentication = await authenticateApiKey.execute(bearer.token)
    if (authentication.outcome === 'rejected') return unauthorized(request, reply, authentication.reason)

    const rule = ruleFor(access, request.params)
    if ('invalidParam' in rule) {
      const message = 'must be a positive integer (digits only)'
      return replyWithProblem(request, reply, 'validation-error', `params/${rule.invalidParam} ${message}`, {
        errors: [{ path: `/${rule.invalidParam}`, message }],
      })
    }
    const decision = await authorizeAccess.execute(authentication.principal, rule)
    if (decision === 'not-found') return replyWithProblem(request, reply, 'not-found', describeMissing(rule))
    if (decision === 'forbidden') {
      return replyWithProblem(request, reply, 'forbidden', `This API key (id ${authentication.principal.keyId}) may not perform this operation`)
    }
    request.principal = authentication.principal
  }
}

function describeMissing(rule: AccessRule): string {
  if (rule.role !== 'store') return 'Not found'
  return rule.target.kind === 'order' ? `Order ${rule.target.orderId} does not exist` : `Store ${rule.target.storeId} does not exist`
}

/** Adds the route's guard as its first onRequest hook, and documents its security and 401/403. */
function protectRoute(route: RouteOptions, options: AccessControlOptions): void {
  const access = route.config?.access
  if (access === undefined) return
  const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
  route.onRequest = [guard(access, options), ...existing]
  const schema = route.schema ?? {}
  const responses = (schema.response ?? {}) as Record<number, unknown>
  route.schema = { ...schema, security: [{ [SECURITY_SCHEME]: [] }], response: { ...responses, 401: ProblemSchema, 403: ProblemSchema } }
}

/**
 * Registers the checks on the root instance, before any route: each route declaring `access` is
 * guarded in onRequest, so the decision is made before its body is read or any row touched.
 */
export function registerAccessControl(app: FastifyInstance, options: AccessControlOptions): void {
  app.decorateRequest('principal', null)
  app.addHook('onRoute', (route) => protectRoute(route, options))
}

/** The caller of a protected route's handler; its guard has set it. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new Error(`${request.routeOptions.url ?? request.url} has no access declaration, so it has no principal`)
  return request.principal
}
