import { compose, resolve } from './composition/container.js'
import { TOKENS } from './composition/tokens.js'
import { openDatabase } from './infrastructure/database.js'
import { startJobWorker } from './infrastructure/job-worker.js'
import { startPgBoss } from './infrastructure/jobs-runtime.js'
import { serveMetrics } from './infrastructure/metrics-server.js'
import { runProgram } from './runtime/run-program.js'

// Several may run at once: pg-boss hands each job to one of them (SKIP LOCKED), and SIGTERM lets
// running jobs finish before the process exits.
await runProgram('aforro-worker', async ({ config, logger, lifecycle }) => {
  lifecycle.exitOnSignals(25_000)
  const { directUrl, pool, sessionPool } = await openDatabase(config, logger, lifecycle, 'aforro-worker', config.databasePoolSize)
  const boss = await startPgBoss(directUrl, true, logger, lifecycle)
  const composition = compose({ config, logger, pool, sessionPool, boss })
  if (config.workerMetricsPort !== undefined) {
    const metrics = resolve(composition.container, TOKENS.metrics)
    await serveMetrics(metrics, { host: config.host, port: config.workerMetricsPort }, logger, lifecycle)
  }
  await startJobWorker(composition)
})
