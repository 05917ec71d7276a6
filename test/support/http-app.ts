import type { FastifyInstance } from 'fastify'
import type pg from 'pg'
import { buildHttpApp } from '../../adapters/http/build-http-app.js'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import { buildContainer, httpDeps } from '../../bootstrap/container.js'
import { loadConfig } from '../../bootstrap/config.js'
import { createLogger } from '../../bootstrap/logger.js'

/**
 * The real container graph over a test database, as the server builds it, without listening.
 * pg-boss connects to `url`; the app's queries go through `pool`.
 */
export async function buildTestApp(db: { url: string; pool: pg.Pool }, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env })
  const boss = createPgBoss({ connectionString: db.url, worker: false, max: 2 })
  boss.on('error', () => undefined)
  await boss.start()
  const container = buildContainer({ config, logger: createLogger(config, 'test'), pool: db.pool, boss })
  const app = await buildHttpApp(httpDeps(container))
  app.addHook('onClose', async () => {
    await boss.stop({ graceful: false })
  })
  return app
}
