import { buildContainer } from './container.js'
import { openDatabase } from './database.js'
import { startJobWorker } from './job-worker.js'
import { startPgBoss } from './jobs-runtime.js'
import { runProgram } from './main.js'

// Several may run at once: pg-boss hands each job to one of them (SKIP LOCKED), and SIGTERM lets
// running jobs finish before the process exits.
await runProgram('aforro-worker', async ({ config, logger, lifecycle }) => {
  lifecycle.exitOnSignals()
  const { url, pool } = await openDatabase(config, logger, lifecycle, 'aforro-worker')
  const boss = await startPgBoss(url, true, logger, lifecycle)
  await startJobWorker(buildContainer({ config, logger, pool, boss }))
})
