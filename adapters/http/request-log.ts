import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/** Probed every few seconds by orchestrators and scrapers: logged at debug, not info, and not traced. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/metrics'])

/** pino's level numbers; a level not named here (a custom one) lets every line through. */
const LEVEL_RANK: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }

/**
 * One log line per request, written when it is answered (Fastify's default writes one on arrival,
 * one on completion, and a third for an unknown route). The line carries the request id (reqId)
 * and, with tracing on, the trace id.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const level = error ? 'error' : PROBE_ROUTES.has(request.routeOptions.url ?? '') ? 'debug' : 'info'
    // Below the configured level the line's fields are not even gathered.
    if ((LEVEL_RANK[level] ?? 0) < (LEVEL_RANK[request.log.level] ?? 0)) return
    const fields = {
      req: { method: request.method, url: request.url, remoteAddress: request.ip },
      res: { statusCode: reply.statusCode },
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
      ...(error ? { err: error } : {}),
    }
    request.log[level](fields, error ? 'request errored' : 'request completed')
  }
}
