import { registerSchedules } from '../../adapters/jobs/schedules.js'
import { startWorkers, type WorkerTuning } from '../../adapters/jobs/workers.js'
import { JOB_NAMES } from '../../application/shared/job-queue.js'
import { jobHandlers, resolve, type Composition } from '../composition/container.js'
import { TOKENS } from '../composition/tokens.js'

/**
 * Makes the composition's pg-boss (started as a worker) work every queue and run the schedules.
 * The queues themselves were created or updated with the schema (openDatabase). Stopping that
 * pg-boss gracefully (the lifecycle does) stops fetching, lets running jobs finish, and fails any
 * still running after the timeout so that they are retried.
 */
export async function startJobWorker({ container, useCases }: Composition, tuning: WorkerTuning = {}): Promise<void> {
  const config = resolve(container, TOKENS.config)
  const logger = resolve(container, TOKENS.logger)
  const boss = resolve(container, TOKENS.boss)
  await startWorkers(boss, jobHandlers(useCases), logger, resolve(container, TOKENS.jobCounters), tuning)
  await registerSchedules(boss, config)
  logger.info({ queues: JOB_NAMES, dailySummaryCron: config.dailySummaryCron }, 'job worker started')
}
