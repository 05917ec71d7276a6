import cluster from 'node:cluster'
import { closeWithin } from '../adapters/http/bounded-server.js'
import { buildHttpApp } from '../adapters/http/build-http-app.js'
import { hasBeenSeeded } from '../adapters/postgres/pg-seeder.js'
import { compose, httpDeps, startCache } from './composition/container.js'
import { openDatabase } from './infrastructure/database.js'
import { ensureEmbeddedAdminKey } from './infrastructure/admin-key.js'
import { followPrimary, forkApiWorkers, runsHousekeeping } from './infrastructure/api-cluster.js'
import { startJobWorker } from './infrastructure/job-worker.js'
import { startPgBoss } from './infrastructure/jobs-runtime.js'
import { runProgram } from './runtime/run-program.js'
import { openRedis } from './infrastructure/redis.js'
import { DEFAULT_SEED_PLAN, runSeed } from './infrastructure/seed-runner.js'

const IDEMPOTENCY_PURGE_INTERVAL_MS = 60 * 60 * 1000
/**
 * The contract: exit 0 within 10 s of SIGTERM. Requests in flight get 6 s, jobs the API's own
 * worker runs 2 s more; Redis, the pool and the embedded Postgres close in what is left.
 */
const SHUTDOWN_DEADLINE_MS = 10_000
const HTTP_DRAIN_MS = 6_000
const JOBS_DRAIN_MS = 2_000

await runProgram('aforro-api', async ({ config, logger, lifecycle }) => {
  const clusterPrimary = cluster.isPrimary && config.webConcurrency > 1
  lifecycle.exitOnSignals(SHUTDOWN_DEADLINE_MS, cluster.isWorker ? ['SIGTERM'] : undefined)
  if (cluster.isWorker) followPrimary()
  const { url, directUrl, pool, sessionPool, replica, embedded } = await openDatabase(config, logger, lifecycle, 'aforro-api', config.databasePoolSize)
  if (embedded && !(await hasBeenSeeded(pool))) {
    logger.info('first start of the embedded database: seeding the default data set')
    await runSeed(pool, { ...DEFAULT_SEED_PLAN, seed: 1 })
  }
  if (embedded) await ensureEmbeddedAdminKey(pool, config.dataDir, logger)
  if (clusterPrimary) {
    // Migrated and seeded once, here; the workers reach the embedded Postgres (if any) by its URL,
    // keep this process's RUN_WORKER choice, and only the housekeeping one acts on it.
    forkApiWorkers(config.webConcurrency, { DATABASE_URL: url, RUN_WORKER: String(config.runWorker) }, logger, lifecycle)
    return
  }
  const housekeeping = runsHousekeeping()
  const runWorker = config.runWorker && housekeeping
  // With RUN_WORKER the API's own pg-boss also works the queues and runs the schedules. It closes
  // after the HTTP server (registered later), so running jobs finish once requests have stopped.
  const boss = await startPgBoss(directUrl, runWorker, logger, lifecycle, JOBS_DRAIN_MS)

  const redis = await openRedis(config, logger)
  if (redis) lifecycle.add('redis', () => redis.close())
  const composition = compose({ config, logger, pool, sessionPool, replica, boss, redis })
  if (runWorker) await startJobWorker(composition)

  if (housekeeping) {
    const purge = composition.useCases.purgeIdempotencyKeys
    const purgeTimer = setInterval(() => {
      purge.execute().then(
        (purged) => purged > 0 && logger.info({ purged }, 'expired idempotency keys purged'),
        (error: unknown) => logger.warn({ err: error }, 'idempotency key purge failed; retrying next interval'),
      )
    }, IDEMPOTENCY_PURGE_INTERVAL_MS).unref()
    lifecycle.add('idempotency purge', async () => clearInterval(purgeTimer))
  }

  lifecycle.add('cache and its notification listener', await startCache(composition))
  const app = await buildHttpApp(httpDeps(composition))
  lifecycle.add('http server', () => closeWithin(app, HTTP_DRAIN_MS))
  await app.listen({ port: config.port, host: config.host })
})
