import type { PgBoss } from 'pg-boss'
import type { DependencyContainer } from 'tsyringe'
import { createPgBoss, createQueues } from '../adapters/jobs/pg-boss.js'
import { registerSchedules } from '../adapters/jobs/schedules.js'
import { startWorkers, type WorkerTuning } from '../adapters/jobs/workers.js'
import { JOB_NAMES } from '../application/ports/job-queue.js'
import { jobHandlers, resolve } from './container.js'
import type { Lifecycle } from './shutdown.js'
import { TOKENS } from './tokens.js'

/** How long a stopping worker lets running jobs finish; inside the lifecycle's own grace period. */
export const WORKER_STOP_TIMEOUT_MS = 20_000

/**
 * Starts a job worker on `connectionString` in this process: queues ensured, every queue worked,
 * schedules registered. On shutdown it stops fetching, lets running jobs finish (up to the
 * timeout), and hands back any still running to be retried, before the pool it uses closes.
 */
export async function startJobWorker(
  container: DependencyContainer,
  connectionString: string,
  lifecycle: Lifecycle,
  tuning: WorkerTuning = {},
): Promise<PgBoss> {
  const config = resolve(container, TOKENS.config)
  const logger = resolve(container, TOKENS.logger)
  const boss = createPgBoss({ connectionString, worker: true })
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'))
  await boss.start()
  lifecycle.add('job worker', () => boss.stop({ graceful: true, timeout: WORKER_STOP_TIMEOUT_MS }))
  await createQueues(boss)
  await startWorkers(boss, jobHandlers(container), logger, tuning)
  await registerSchedules(boss, config)
  logger.info({ queues: JOB_NAMES, dailySummaryCron: config.dailySummaryCron }, 'job worker started')
  return boss
}
