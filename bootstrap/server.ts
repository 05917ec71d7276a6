import { buildHttpApp } from '../adapters/http/build-http-app.js'
import { hasBeenSeeded } from '../adapters/postgres/pg-seeder.js'
import { buildContainer, httpDeps } from './container.js'
import { openDatabase } from './database.js'
import { startJobWorker } from './job-worker.js'
import { runProgram } from './main.js'
import { DEFAULT_SEED_PLAN, runSeed } from './seed-runner.js'

await runProgram('aforro-api', async ({ config, logger, lifecycle }) => {
  lifecycle.exitOnSignals()
  const { pool, url, embedded } = await openDatabase(config, logger, lifecycle, 'aforro-api')
  if (embedded && !(await hasBeenSeeded(pool))) {
    logger.info('first start of the embedded database: seeding the default data set')
    await runSeed(pool, { ...DEFAULT_SEED_PLAN, seed: 1 })
  }

  const container = buildContainer({ config, logger, pool })
  // Started before the HTTP server so that shutdown closes HTTP first and lets running jobs finish.
  if (config.runWorker) await startJobWorker(container, url, lifecycle)
  const app = await buildHttpApp(httpDeps(container))
  lifecycle.add('http server', () => app.close())
  await app.listen({ port: config.port, host: config.host })
})
