import type { Logger } from 'pino'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createLogger } from './logger.js'
import { Lifecycle } from './shutdown.js'
import { explainListenFailure, StartupFailure } from './startup-failure.js'
import { flushTracing } from './tracing-switch.js'

export interface ProgramContext {
  config: Config
  logger: Logger
  lifecycle: Lifecycle
}

/**
 * Runs a program with validated config, a logger and a lifecycle; an invalid environment stops
 * it with one line naming the variable. Any failure closes what was opened and exits 1: a failure
 * at start that we can explain (a port in use, Postgres unreachable or misconfigured) as one line
 * saying what to do, anything else logged with its stack.
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
  lifecycle.exitOnCrash()
  try {
    const exitCode = await program({ config, logger, lifecycle })
    if (typeof exitCode === 'number') {
      await lifecycle.close()
      process.exit(exitCode)
    }
  } catch (error) {
    const failure = error instanceof StartupFailure ? error : explainListenFailure(error, listenerVariable(error, config))
    if (failure) process.stderr.write(`${name}: ${failure.message}\n`)
    else logger.fatal({ err: error }, `${name} failed`)
    await lifecycle.close()
    process.exit(1)
  }
}

/** Which setting chose the port a listener failed on: the worker's metrics port, or the API's. */
function listenerVariable(error: unknown, config: Config): string {
  return (error as { port?: unknown }).port === config.workerMetricsPort ? 'WORKER_METRICS_PORT' : 'PORT'
}
