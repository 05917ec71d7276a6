import { randomBytes } from 'node:crypto'
import { after, before } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type pg from 'pg'
import { buildHttpApp, type HttpAppDeps, type HttpUseCases } from '../../adapters/http/build-http-app.js'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import { compose, httpDeps, startCache } from '../../bootstrap/composition/container.js'
import { loadConfig } from '../../bootstrap/runtime/config.js'
import { createLogger } from '../../bootstrap/runtime/logger.js'
import type { PoolOptions } from '../../adapters/postgres/pool.js'
import { countingPool, type CountingPool } from './counting-pool.js'
import { createTestDatabase, type TestDatabase } from './test-database.js'
import { openRedis } from '../../bootstrap/infrastructure/redis.js'

/** Redis keys of this test process: files sharing one Redis (and their same-numbered stores) never meet. */
const TEST_REDIS_KEY_PREFIX = `aforro-test:${randomBytes(6).toString('hex')}:`

/**
 * The real composition over a test database, as the server builds it, without listening:
 * pg-boss connects to `url`, the app's queries go through `pool` (views through `replica` when
 * given), the catalog listener runs (on `sessionPool` when given), and
 * with REDIS_URL in `env` it uses that Redis (apps of one test process share its keys, as
 * instances of one deployment do). `deps` replaces parts of the HTTP wiring (use cases one by one).
 */
export async function buildTestApp(
  db: { url: string; pool: pg.Pool; sessionPool?: pg.Pool; replica?: pg.Pool },
  env: Record<string, string> = {},
  deps: Partial<Omit<HttpAppDeps, 'useCases'>> & { useCases?: Partial<HttpUseCases> } = {},
): Promise<FastifyInstance> {
  const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env })
  const logger = createLogger(config, 'test')
  const boss = createPgBoss({ connectionString: db.url, worker: false, max: 2 })
  boss.on('error', () => undefined)
  await boss.start()
  const redis = await openRedis(config, logger, TEST_REDIS_KEY_PREFIX)
  const composition = compose({ config, logger, pool: db.pool, sessionPool: db.sessionPool, replica: db.replica, boss, redis })
  const stopCache = await startCache(composition)
  const wired = httpDeps(composition)
  const app = await buildHttpApp({ ...wired, ...deps, useCases: { ...wired.useCases, ...deps.useCases } })
  app.addHook('onClose', async () => {
    await stopCache()
    await boss.stop({ graceful: false })
    await redis?.close()
  })
  return app
}

export interface TestAppOptions {
  /** Runs once the database exists, before the app is built: fills it, starts what the app needs. */
  prepare?: (db: TestDatabase) => Promise<unknown>
  /** Runs after the app closed and before the database is dropped: stops what `prepare` started. */
  release?: () => Promise<unknown>
  /** Settings of the database's pool: a short lock timeout, more connections. */
  pool?: Partial<PoolOptions>
  /** Configuration besides DATABASE_URL (REDIS_URL, TRUST_PROXY…), read when the app is built. */
  env?: () => Record<string, string>
  /** Parts of the HTTP wiring replaced, as for buildTestApp (no rate limiter, other connection limits…). */
  deps?: Partial<HttpAppDeps>
}

export interface TestApp {
  db: TestDatabase
  app: FastifyInstance
  /** The app queries through this pool over `db.pool`, so a test can count its statements. */
  counting: CountingPool
}

/**
 * A private test database and the app over it, for one test file: opened before the file's tests
 * and closed after them. Read the fields inside tests, once the hooks have run. The file's own
 * set-up goes in `prepare`, not in a top-level before(): node:test starts sibling top-level hooks
 * without waiting for one another.
 */
export function appOverTestDatabase(options: TestAppOptions = {}): TestApp {
  const subject = {} as TestApp
  before(async () => {
    subject.db = await createTestDatabase(options.pool)
    await options.prepare?.(subject.db)
    subject.counting = countingPool(subject.db.pool)
    subject.app = await buildTestApp({ url: subject.db.url, pool: subject.counting.pool }, options.env?.(), options.deps)
  })
  after(async () => {
    await subject.app?.close()
    await options.release?.()
    await subject.db?.close()
  })
  return subject
}
