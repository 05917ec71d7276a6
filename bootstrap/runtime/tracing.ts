import { FastifyOtelInstrumentation } from '@fastify/otel'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import { RedisInstrumentation } from '@opentelemetry/instrumentation-redis'
import { startNodeSdk } from '@opentelemetry/sdk-node'
import type { SpanProcessor } from '@opentelemetry/sdk-trace'
import { PROBE_ROUTES } from '../../adapters/http/request-log.js'

type Env = Readonly<Record<string, string | undefined>>

const untraced = (path: string | undefined) => PROBE_ROUTES.has((path ?? '').split('?')[0]?.replace(/\/$/, '') ?? '')

/**
 * Starts the OpenTelemetry SDK with the HTTP, Fastify, pg and Redis instrumentations; exporters,
 * sampling and resource come from the OTEL_* variables unless `spanProcessors` are given (tests).
 * Must run before pg, redis and fastify are first loaded: the instrumentations patch them as they
 * load (see register-tracing.ts). Metrics and logs stay with Prometheus and pino.
 */
export function startTracing(serviceName: string, spanProcessors?: SpanProcessor[], env: Env = process.env): { shutdown(): Promise<void> } {
  return startNodeSdk({
    ...(env.OTEL_SERVICE_NAME ? {} : { resourceAttributes: { 'service.name': serviceName } }),
    ...(spanProcessors ? { spanProcessors } : {}),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => untraced(request.url) }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true, ignorePaths: ({ url }) => untraced(url) }),
      new PgInstrumentation(),
      new RedisInstrumentation(),
    ],
  })
}
