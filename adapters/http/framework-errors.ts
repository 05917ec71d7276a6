import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import { PROBLEM_MEDIA_TYPE, problemDocument, replyWithProblem, type Problem } from './problem-details.js'

/** Longest request target the API answers; longer is 414 (Node's own cap is the 16 KiB header limit). */
export const MAX_URL_LENGTH = 4_096

/** Whole numbers in path and query: plain ASCII digits, no sign, no leading zero, no spaces. */
const DIGITS_ONLY = /^(?:0|[1-9][0-9]*)$/

function isDigitsOnly(value: unknown): boolean {
  return typeof value === 'string' && DIGITS_ONLY.test(value)
}

/**
 * Fastify's own errors raised before a route runs (a URL it cannot decode, a path parameter
 * over its length limit), answered through the same problem table as everything else.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id)
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void replyWithProblem(request, reply, 'uri-too-long', 'A path segment is too long')
  } else if (error.code === 'FST_ERR_BAD_URL') {
    void replyWithProblem(request, reply, 'validation-error', 'The URL is not valid percent-encoded UTF-8')
  } else {
    request.log.error({ err: error }, 'framework error')
    void replyWithProblem(request, reply, 'internal-error', 'An unexpected error occurred')
  }
}

/**
 * Errors Node's HTTP parser raises before there is a request (malformed syntax, headers or a
 * request line over the size limit, a request that did not arrive in time): answered with a
 * problem document and a fresh x-request-id, then the connection is closed, as Node would.
 */
export function clientErrorHandler(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  // Bytes after a request that said Connection: close: that request is still answered (the
  // connection closes after it, as it asked), the bytes after it are not read.
  if (error.code === 'HPE_CLOSED_CONNECTION') return
  const answering = (socket as Socket & { _httpMessage?: { headersSent: boolean } | null })._httpMessage
  if (socket.writable && !answering?.headersSent) {
    const body = parserProblem(error, Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined)
    const json = JSON.stringify(body)
    socket.write(
      `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status] ?? ''}\r\n` +
        `content-type: ${PROBLEM_MEDIA_TYPE}\r\ncontent-length: ${Buffer.byteLength(json)}\r\n` +
        `x-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n${json}`,
    )
  }
  socket.destroy()
}

function parserProblem(error: { code?: string }, raw: Buffer | undefined): Problem {
  const line = requestLine(raw)
  const instance = line?.target !== undefined && line.target.length <= MAX_URL_LENGTH ? (line.target.split('?')[0] ?? '/') : '/'
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return problemDocument('request-timeout', 'The request did not arrive in time', instance)
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // The request line itself ran past the limit: the URL is what is too long.
    return line !== undefined && (!line.ended || (line.target?.length ?? 0) > MAX_URL_LENGTH)
      ? problemDocument('uri-too-long', `The URL is longer than ${MAX_URL_LENGTH} characters`, '/')
      : problemDocument('headers-too-large', 'The request headers are too large', instance)
  }
  return problemDocument('validation-error', 'The request is not valid HTTP/1.1', instance)
}

/**
 * The request line at the start of the bytes the parser failed on, when they start one (they may
 * be a later chunk of a request): whether it ended, and its target once it did.
 */
function requestLine(raw: Buffer | undefined): { ended: boolean; target: string | undefined } | undefined {
  if (raw === undefined || !/^[A-Z]+ /.test(raw.subarray(0, 16).toString('latin1'))) return undefined
  const end = raw.indexOf('\r\n')
  if (end === -1) return { ended: false, target: undefined }
  return { ended: true, target: /^[A-Z]+ (\S+) HTTP\/\d\.\d$/.exec(raw.subarray(0, end).toString('latin1'))?.[1] }
}

/**
 * Refuses, before anything else reads it, a URL the router would accept loosely: over the
 * length limit (414), or a query string whose percent-escapes are not UTF-8 (400) — the query
 * parser would pass those on raw.
 */
export function checkUrl(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const url = request.raw.url ?? '/'
  if (url.length > MAX_URL_LENGTH) return replyWithProblem(request, reply, 'uri-too-long', `The URL is longer than ${MAX_URL_LENGTH} characters`)
  const queryStart = url.indexOf('?')
  // Only a percent-escape can be malformed: most queries have none and need no decoding here.
  if (queryStart === -1 || url.indexOf('%', queryStart) === -1) return undefined
  try {
    decodeURIComponent(url.slice(queryStart + 1))
  } catch {
    return replyWithProblem(request, reply, 'validation-error', 'The query string is not valid percent-encoded UTF-8')
  }
  return undefined
}

interface ObjectSchema {
  properties?: Record<string, { type?: unknown }>
}

/**
 * Ajv coerces any text JavaScript reads as a number (`0x10`, `1e1`, ` 1`) to an integer, so each
 * route with integer path or query parameters first checks their raw text: digits only, no sign,
 * no leading zero. Registered for every route as it is added.
 */
export function strictIntegerParameters(route: RouteOptions): void {
  const fields = (['params', 'querystring'] as const).flatMap((part) => {
    const properties = (route.schema?.[part] as ObjectSchema | undefined)?.properties ?? {}
    return Object.entries(properties)
      .filter(([, schema]) => schema.type === 'integer')
      .map(([name]) => ({ part, name }))
  })
  if (fields.length === 0) return
  // A callback hook (done, or an answer): no promise per request.
  const check = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    for (const { part, name } of fields) {
      const raw = (part === 'params' ? request.params : request.query) as Record<string, unknown>
      const value = raw[name]
      if (value === undefined || value === null || (Array.isArray(value) ? value.every(isDigitsOnly) : isDigitsOnly(value))) continue
      const message = 'must be a whole number written in digits only'
      replyWithProblem(request, reply, 'validation-error', `${part}/${name} ${message}`, { errors: [{ path: `/${name}`, message }] })
      return
    }
    done()
  }
  route.preValidation = [check, ...([] as unknown[]).concat(route.preValidation ?? [])] as RouteOptions['preValidation']
}
