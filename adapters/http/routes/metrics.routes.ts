import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { onResponseHookHandler } from 'fastify'
import type { RequestObservation } from '../../metrics/request-durations.js'

/** The process's metrics as the HTTP surface needs them: fed by every response, served at GET /metrics. */
export interface HttpMetrics {
  observeRequest(observation: RequestObservation): void
  readonly contentType: string
  exposition(): Promise<string>
}

export interface MetricsRoutesOptions {
  metrics: HttpMetrics
}

/** Serves the process's registry, to admin keys only (the contract's Access table). */
export const metricsRoutes: FastifyPluginAsyncTypebox<MetricsRoutesOptions> = async (app, { metrics }) => {
  app.get(
    '/metrics',
    {
      config: { access: { role: 'admin' } },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics: requests, cache, rate limits, Postgres pool, job queues, event loop, memory',
        response: { 200: { content: { 'text/plain': { schema: Type.String() } } } },
      },
    },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.exposition()),
  )
}

/**
 * Counts every answered request under its route template (`unmatched` for a 404 without a route,
 * so probing random paths cannot grow the label set).
 */
export function requestMetricsHook(metrics: HttpMetrics): onResponseHookHandler {
  return (request, reply, done) => {
    metrics.observeRequest({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    })
    done()
  }
}
