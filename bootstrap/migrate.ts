import { openDatabase } from './infrastructure/database.js'
import { runProgram } from './runtime/run-program.js'

await runProgram('aforro-migrate', async ({ config, logger, lifecycle }) => {
  await openDatabase(config, logger, lifecycle, 'aforro-migrate')
  logger.info('schema is up to date')
  return 0
})
