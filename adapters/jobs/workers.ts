import type { JobResult, PgBoss, WorkOptions } from 'pg-boss'
import { JOB_NAMES, type JobName, type JobPayloads } from '../../application/shared/job-queue.js'
import type { Logger } from '../logger.js'
import { Counters } from '../metrics/counters.js'

/** Runs one job; what it returns becomes the job's output, and a throw fails it into its retries. */
export type JobHandler<Payload> = (payload: Payload) => Promise<unknown>

export type JobHandlers = { [Name in JobName]: JobHandler<JobPayloads[Name]> }

// A new job on a notifying queue wakes a worker through LISTEN/NOTIFY; confirmations (no notify)
// and retries coming off their backoff are found by polling, frequent enough that neither waits long.
const POLLING: WorkOptions = { pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 5 }

const WORK_OPTIONS: Record<JobName, WorkOptions> = {
  // A confirmation is a few short statements. Full batches are fetched back to back, so a backlog
  // (a burst of orders, a worker restarted) drains at database speed rather than one job per poll.
  'order-confirmation': { ...POLLING, batchSize: 10, burstWhenBatchFull: true, localConcurrency: 2 },
  'daily-inventory-summary': POLLING,
}

/** Tests poll faster, so retries run without waiting. */
export type WorkerTuning = Pick<WorkOptions, 'pollingIntervalSeconds' | 'notifyPollingIntervalSeconds'>

export async function startWorkers(boss: PgBoss, handlers: JobHandlers, logger: Logger, outcomes: Counters, tuning: WorkerTuning = {}): Promise<void> {
  for (const name of JOB_NAMES) {
    await work(boss, name, handlers[name] as JobHandler<object>, logger, { ...WORK_OPTIONS[name], ...tuning }, outcomes)
  }
}

/**
 * Works a queue, settling each job of a fetched batch on its own: one failing job is retried
 * without failing its neighbours. Every outcome is logged with the job id, and failures with the
 * attempt they ended, and counted per queue in `outcomes`.
 */
export async function work<Payload extends object>(
  boss: PgBoss,
  name: string,
  handler: JobHandler<Payload>,
  logger: Logger,
  options: WorkOptions = {},
  outcomes: Counters = new Counters(),
): Promise<string> {
  return boss.work<Payload>(name, { ...options, perJobResults: true }, async (jobs) => {
    const results: JobResult[] = []
    for (const job of jobs) {
      try {
        const output = await handler(job.data)
        logger.info({ queue: name, jobId: job.id, output }, 'job completed')
        outcomes.increment(name, 'completed')
        results.push({ id: job.id, status: 'completed', output })
      } catch (error) {
        logger.warn({ queue: name, jobId: job.id, attempt: job.retryCount + 1, err: error }, 'job failed')
        outcomes.increment(name, 'failed')
        results.push({ id: job.id, status: 'failed', output: { message: error instanceof Error ? error.message : String(error) } })
      }
    }
    return results
  })
}
