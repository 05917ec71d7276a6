import type { PgBoss, WorkOptions } from 'pg-boss'
import { JOB_NAMES, type JobName, type JobPayloads } from '../../application/ports/job-queue.js'
import type { Logger } from '../../application/ports/logger.js'

/** Runs one job; what it returns becomes the job's output, and a throw fails it into its retries. */
export type JobHandler<Payload> = (payload: Payload) => Promise<unknown>

export type JobHandlers = { [Name in JobName]: JobHandler<JobPayloads[Name]> }

// A new job wakes a worker through LISTEN/NOTIFY; a retry coming off its backoff does not, so
// polling stays frequent enough that retries are not held back much beyond their delay.
const POLLING: WorkOptions = { pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 5 }

const WORK_OPTIONS: Record<JobName, WorkOptions> = {
  // A confirmation is a few short statements: several in flight keep up with a burst of orders.
  'order-confirmation': { ...POLLING, localConcurrency: 4 },
  'daily-inventory-summary': POLLING,
}

/** Tests poll faster, so retries run without waiting. */
export type WorkerTuning = Pick<WorkOptions, 'pollingIntervalSeconds' | 'notifyPollingIntervalSeconds'>

export async function startWorkers(boss: PgBoss, handlers: JobHandlers, logger: Logger, tuning: WorkerTuning = {}): Promise<void> {
  for (const name of JOB_NAMES) {
    await work(boss, name, handlers[name] as JobHandler<object>, logger, { ...WORK_OPTIONS[name], ...tuning })
  }
}

/**
 * Works a queue one job per fetch, so one failing job never fails a neighbour with it; every
 * outcome is logged with the job id, and failures with the attempt they ended.
 */
export async function work<Payload extends object>(
  boss: PgBoss,
  name: string,
  handler: JobHandler<Payload>,
  logger: Logger,
  options: WorkOptions = {},
): Promise<string> {
  return boss.work<Payload>(name, { ...options, batchSize: 1 }, async ([job]) => {
    if (!job) return undefined
    try {
      const output = await handler(job.data)
      logger.info({ queue: name, jobId: job.id, output }, 'job completed')
      return output
    } catch (error) {
      logger.warn({ queue: name, jobId: job.id, attempt: job.retryCount + 1, err: error }, 'job failed')
      throw error
    }
  })
}
