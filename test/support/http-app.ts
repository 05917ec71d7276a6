import { randomBytes } from 'node:crypto'
import { after, before } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type pg from 'pg'
import { buildHttpApp, type HttpAppDeps, type HttpUseCases } from '../../adapters/http/build-http-app.js'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import { compose, httpDeps } from '../../bootstrap/composition/container.js'
import { loadConfig } from '../../bootstrap/runtime/config.js'
import { createLogger } from '../../bootstrap/runtime/logger.js'
import { createTestDatabase, type TestDatabase } from './test-database.js'
import { openRedis } from '../../bootstrap/infrastructure/redis.js'

/** Redis keys of this test process: files sharing one Redis (and their same-numbered stores) never meet. */
const TEST_REDIS_KEY_PREFIX = `aforro-test:${randomBytes(6).toString('hex')}:`

/**
 * The real composition over a test database, as the server builds it, without listening:
 * pg-boss connects to `url`, the app's queries go through `pool`, the catalog listener runs, and
 * with REDIS_URL in `env` it uses that Redis (apps of one test process share its keys, as
 * instances of one deployment do). `deps` replaces parts of the HTTP wiring (use cases one by one).
 */
export async function buildTestApp(
  db: { url: string; pool: pg.Pool },
  env: Record<string, string> = {},
  deps: Partial<Omit<HttpAppDeps, 'useCases'>> & { useCases?: Partial<HttpUseCases> } = {},
): Promise<FastifyInstance> {
  const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env })
  const logger = createLogger(config, 'test')
  const boss = createPgBoss({ connectionString: db.url, worker: false, max: 2 })
  boss.on('error', () => undefined)
  await boss.start()
  const redis = await openRedis(config, logger, TEST_REDIS_KEY_PREFIX)
  const composition = compose({ config, logger, pool: db.pool, boss, redis })
  const { catalogListener } = composition
  await catalogListener.start()
  const wired = httpDeps(composition)
  const app = await buildHttpApp({ ...wired, ...deps, useCases: { ...wired.useCases, ...deps.useCases } })
  app.addHook('onClose', async () => {
    await catalogListener.stop()
    await boss.stop({ graceful: false })
    await redis?.close()
  })
  return app
}

/**
 * A private test database, prepared by `prepare`, and the app over it: opened before the calling
 * file's tests and closed after them. Read `db` and `app` inside tests, once the hooks have run.
 */
export function appOverTestDatabase(prepare: (pool: pg.Pool) => Promise<unknown>): { db: TestDatabase; app: FastifyInstance } {
  const subject = {} as { db: TestDatabase; app: FastifyInstance }
  before(async () => {
    subject.db = await createTestDatabase()
    await prepare(subject.db.pool)
    subject.app = await buildTestApp(subject.db)
  })
  after(async () => {
    await subject.app.close()
    await subject.db.close()
  })
  return subject
}
