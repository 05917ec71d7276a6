import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export interface MetricsSnapshot {
  /** Per cached view (suggest, search, inventory): hit, miss and skip (loaded without the cache) counts. */
  cache: Record<string, Record<string, number>>
  /** Per limited route: accepted, limited and failed_open (let through while Redis was unreachable) counts. */
  rate_limit: Record<string, Record<string, number>>
}

export interface MetricsRoutesOptions {
  metrics: () => MetricsSnapshot
}

const Counts = Type.Record(Type.String(), Type.Record(Type.String(), Type.Integer({ minimum: 0 })))

export const metricsRoutes: FastifyPluginAsyncTypebox<MetricsRoutesOptions> = async (app, { metrics }) => {
  app.get(
    '/metrics',
    {
      config: { access: { role: 'admin' } },
      schema: {
        tags: ['health'],
        summary: 'Counters since this process started: cache hits and misses, rate-limit outcomes',
        response: { 200: Type.Object({ cache: Counts, rate_limit: Counts }) },
      },
    },
    async () => metrics(),
  )
}
