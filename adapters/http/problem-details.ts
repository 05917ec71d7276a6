import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError } from '../../domain/shared/domain-error.js'

const PROBLEM_BASE = 'https://aforro.dev/problems/'

/** Every problem type the API can answer with: one row per stable slug (see API.md). */
const PROBLEM_TYPES = {
  'validation-error': { status: 400, title: 'Request validation failed' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed for this API key' },
  'not-found': { status: 404, title: 'Resource not found' },
  'idempotency-key-in-flight': { status: 409, title: 'A request with this idempotency key is still running' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'unknown-products': { status: 422, title: 'Unknown products' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused with a different request' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'internal-error': { status: 500, title: 'Internal server error' },
  'service-unavailable': { status: 503, title: 'Service temporarily unavailable' },
} as const

export type ProblemSlug = keyof typeof PROBLEM_TYPES

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  errors?: { path: string; message: string }[]
  [extension: string]: unknown
}

export function problem(slug: ProblemSlug, detail: string, instance: string, extensions: Record<string, unknown> = {}): Problem {
  const { status, title } = PROBLEM_TYPES[slug]
  return { type: `${PROBLEM_BASE}${slug}`, title, status, detail, instance, ...extensions }
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json; charset=utf-8').send(body)
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
}

/** Turns any thrown error into problem+json; only 5xx are logged with their cause, never sent. */
export function errorHandler({ isTransientFailure }: ErrorHandlerOptions) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const instance = request.url.split('?')[0] ?? request.url
    if (error instanceof DomainError && error.code in PROBLEM_TYPES) {
      return sendProblem(reply, problem(error.code as ProblemSlug, error.message, instance, error.details))
    }
    if (error.validation) {
      const errors = error.validation.map((issue) => ({
        path: issue.instancePath === '' ? '/' : issue.instancePath,
        message: describeValidationIssue(issue),
      }))
      const first = errors[0]
      const detail = `${error.validationContext ?? 'request'}${first?.path === '/' ? '' : (first?.path ?? '')} ${first?.message ?? 'is invalid'}`
      return sendProblem(reply, problem('validation-error', detail, instance, { errors }))
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return sendProblem(reply, problem(SLUG_BY_STATUS[status] ?? 'validation-error', clientErrorDetail(error), instance))
    }
    if (isTransientFailure(error)) {
      request.log.warn({ err: error }, 'transient failure answered 503')
      return sendProblem(
        reply.header('retry-after', '1'),
        problem('service-unavailable', 'The service is busy or a dependency is unreachable; retry shortly', instance),
      )
    }
    request.log.error({ err: error }, 'unhandled error')
    return sendProblem(reply, problem('internal-error', 'An unexpected error occurred', instance))
  }
}

interface ValidationIssue {
  message?: string
  keyword: string
  params: Record<string, unknown>
}

function describeValidationIssue(issue: ValidationIssue): string {
  if (issue.keyword === 'additionalProperties') return `must NOT have additional property '${String(issue.params.additionalProperty)}'`
  if (issue.keyword === 'required') return `must have required property '${String(issue.params.missingProperty)}'`
  return issue.message ?? 'is invalid'
}

/** Framework messages are safe to show for client errors, except a JSON parser's echo of the body. */
function clientErrorDetail(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return 'Body is not valid JSON'
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'Request body is larger than 1 MiB'
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'Send the body as application/json'
  return error.message
}
