import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError, type ErrorCode } from '../../domain/shared/domain-error.js'

const PROBLEM_BASE = 'https://aforro.dev/problems/'
const ONE_MIB = 1024 * 1024

/** Problems only the edge answers with: the framework's and HTTP parser's refusals, the rate limiter, failures. */
type EdgeProblem =
  | 'request-timeout'
  | 'payload-too-large'
  | 'uri-too-long'
  | 'unsupported-media-type'
  | 'rate-limited'
  | 'headers-too-large'
  | 'internal-error'
  | 'service-unavailable'

export type ProblemSlug = ErrorCode | EdgeProblem

/**
 * Every problem type the API can answer with: one row per stable slug (see API.md). A row per
 * ErrorCode is required, so a new domain error without one does not compile.
 */
const PROBLEM_TYPES = {
  'validation-error': { status: 400, title: 'Request validation failed' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed' },
  'not-found': { status: 404, title: 'Resource not found' },
  'request-timeout': { status: 408, title: 'Request not received in time' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  'idempotency-key-in-flight': { status: 409, title: 'A request with this idempotency key is still running' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'uri-too-long': { status: 414, title: 'URL too long' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'unknown-products': { status: 422, title: 'Unknown products' },
  'unknown-category': { status: 422, title: 'Unknown category' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused with a different request' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'headers-too-large': { status: 431, title: 'Request headers too large' },
  'internal-error': { status: 500, title: 'Internal server error' },
  'service-unavailable': { status: 503, title: 'Service temporarily unavailable' },
} as const satisfies Record<ProblemSlug, { status: number; title: string }>

/** An RFC 9457 problem as API.md shows it; extensions (such as product_ids) stand beside the fields. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  errors?: { path: string; message: string }[]
  [extension: string]: unknown
}

/** The request's path without its query string: what a problem's `instance` names. */
export function requestPath(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? request.url
}

/** A problem document: status and title follow from the slug. */
export function problemDocument(slug: ProblemSlug, detail: string, instance: string, extensions: Record<string, unknown> = {}): Problem {
  const { status, title } = PROBLEM_TYPES[slug]
  return { type: `${PROBLEM_BASE}${slug}`, title, status, detail, instance, ...extensions }
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json; charset=utf-8'

/** The one way to answer with a problem: status, media type and `instance` follow from the slug and the request. */
export function replyWithProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  slug: ProblemSlug,
  detail: string,
  extensions: Record<string, unknown> = {},
): FastifyReply {
  const body = problemDocument(slug, detail, requestPath(request), extensions)
  return reply.code(body.status).type(PROBLEM_MEDIA_TYPE).send(body)
}

const SLUG_BY_STATUS: Record<number, ProblemSlug> = {
  400: 'validation-error',
  404: 'not-found',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
  503: 'service-unavailable',
}

export interface ErrorHandlerOptions {
  /** Infrastructure failures that a retry may cure (lock timeout, database unreachable): answered 503. */
  isTransientFailure: (error: unknown) => boolean
  /** The body limit the app was built with, named in a 413's detail. */
  maxBodyBytes: number
}

/** Turns any thrown error into problem+json; only 5xx are logged with their cause, never sent. */
export function errorHandler({ isTransientFailure, maxBodyBytes }: ErrorHandlerOptions) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof DomainError) return replyWithProblem(request, reply, error.code, error.message, error.details)
    if (error.validation) {
      const errors = error.validation.map((issue) => ({
        path: issue.instancePath === '' ? '/' : issue.instancePath,
        message: describeValidationIssue(issue),
      }))
      const first = errors[0]
      const detail = `${error.validationContext ?? 'request'}${first?.path === '/' ? '' : (first?.path ?? '')} ${first?.message ?? 'is invalid'}`
      return replyWithProblem(request, reply, 'validation-error', detail, { errors })
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return replyWithProblem(request, reply, SLUG_BY_STATUS[status] ?? 'validation-error', clientErrorDetail(error, maxBodyBytes))
    }
    if (isTransientFailure(error)) {
      request.log.warn({ err: error }, 'transient failure answered 503')
      reply.header('retry-after', '1')
      return replyWithProblem(request, reply, 'service-unavailable', 'The service is busy or a dependency is unreachable; retry shortly')
    }
    request.log.error({ err: error }, 'unhandled error')
    return replyWithProblem(request, reply, 'internal-error', 'An unexpected error occurred')
  }
}

interface ValidationIssue {
  message?: string
  keyword: string
  params: Record<string, unknown>
}

export function describeValidationIssue(issue: ValidationIssue): string {
  if (issue.keyword === 'additionalProperties') return `must NOT have additional property '${String(issue.params.additionalProperty)}'`
  if (issue.keyword === 'required') return `must have required property '${String(issue.params.missingProperty)}'`
  return issue.message ?? 'is invalid'
}

/** Framework messages are safe to show for client errors, except a JSON parser's echo of the body. */
function clientErrorDetail(error: FastifyError, maxBodyBytes: number): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return 'Body is not valid JSON'
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return `Request body is larger than ${maxBodyBytes / ONE_MIB} MiB`
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'Send the body as application/json'
  return error.message
}
