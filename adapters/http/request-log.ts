import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/** Probed every few seconds by orchestrators and scrapers: logged at debug, not info, and not traced. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/metrics'])

/**
 * One log line per request, written when it is answered (Fastify's default writes one on arrival,
 * one on completion, and a third for an unknown route). The line carries the request id (reqId)
 * and, with tracing on, the trace id.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const fields = {
      req: { method: request.method, url: request.url, remoteAddress: request.ip },
      res: { statusCode: reply.statusCode },
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
      ...(error ? { err: error } : {}),
    }
    if (error) request.log.error(fields, 'request errored')
    else if (PROBE_ROUTES.has(request.routeOptions.url ?? '')) request.log.debug(fields, 'request completed')
    else request.log.info(fields, 'request completed')
  }
}
