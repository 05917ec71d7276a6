import { compose } from './composition/container.js'
import { openDatabase } from './infrastructure/database.js'
import { startJobWorker } from './infrastructure/job-worker.js'
import { startPgBoss } from './infrastructure/jobs-runtime.js'
import { runProgram } from './runtime/run-program.js'

// Several may run at once: pg-boss hands each job to one of them (SKIP LOCKED), and SIGTERM lets
// running jobs finish before the process exits.
await runProgram('aforro-worker', async ({ config, logger, lifecycle }) => {
  lifecycle.exitOnSignals()
  const { url, pool } = await openDatabase(config, logger, lifecycle, 'aforro-worker')
  const boss = await startPgBoss(url, true, logger, lifecycle)
  await startJobWorker(compose({ config, logger, pool, boss }))
})
