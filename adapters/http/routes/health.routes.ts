import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { CheckReadiness } from '../../../application/operations/check-readiness.js'

export interface HealthRoutesOptions {
  version: string
  checkReadiness: CheckReadiness
}

const DependencyStatus = Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('not-configured')])

const ReadinessView = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('unavailable')]),
    checks: Type.Object({ postgres: DependencyStatus, redis: DependencyStatus }),
  },
  { title: 'Readiness' },
)

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, { version, checkReadiness }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['health'],
        summary: 'Service identity',
        response: { 200: Type.Object({ status: Type.Literal('ok'), service: Type.String(), version: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' as const, service: 'aforro-api', version }),
  )

  app.get(
    '/health/live',
    { schema: { tags: ['health'], summary: 'Liveness: the process runs', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: Postgres answers (Redis down only degrades)',
        response: { 200: ReadinessView, 503: ReadinessView },
      },
    },
    async (_request, reply) => {
      const report = await checkReadiness.execute()
      return reply.code(report.status === 'unavailable' ? 503 : 200).send(report)
    },
  )
}
