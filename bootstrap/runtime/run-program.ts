import type { Logger } from 'pino'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createLogger } from './logger.js'
import { Lifecycle } from './shutdown.js'
import { flushTracing } from './tracing-switch.js'

export interface ProgramContext {
  config: Config
  logger: Logger
  lifecycle: Lifecycle
}

/**
 * Runs a program with validated config, a logger and a lifecycle; an invalid environment stops
 * it with one line naming the variable, and any failure closes what was opened and exits 1.
 */
export async function runProgram(name: string, program: (context: ProgramContext) => Promise<number | void>): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(78)
  }
  const logger = createLogger(config, name)
  const lifecycle = new Lifecycle(logger)
  lifecycle.add('tracing', flushTracing)
  try {
    const exitCode = await program({ config, logger, lifecycle })
    if (typeof exitCode === 'number') {
      await lifecycle.close()
      process.exit(exitCode)
    }
  } catch (error) {
    logger.fatal({ err: error }, `${name} failed`)
    await lifecycle.close()
    process.exit(1)
  }
}
