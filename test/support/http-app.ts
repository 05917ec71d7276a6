import type { FastifyInstance } from 'fastify'
import type pg from 'pg'
import { buildHttpApp } from '../../adapters/http/build-http-app.js'
import { buildContainer, httpDeps } from '../../bootstrap/container.js'
import { loadConfig } from '../../bootstrap/config.js'
import { createLogger } from '../../bootstrap/logger.js'

/** The real container graph over a test database, as the server builds it, without listening. */
export async function buildTestApp(pool: pg.Pool, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = loadConfig({ DATABASE_URL: 'postgres://test@localhost/test', LOG_LEVEL: 'silent', ...env })
  const container = buildContainer({ config, logger: createLogger(config, 'test'), pool })
  return buildHttpApp(httpDeps(container))
}
