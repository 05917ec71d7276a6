import type { PgBoss } from 'pg-boss'
import { JOB_NAMES } from '../../application/shared/job-queue.js'
import { deadLetterQueueOf } from './pg-boss.js'

export interface QueueCounts {
  name: string
  /** Runnable now. */
  ready: number
  /** Waiting for a later start, such as a retry's backoff. */
  deferred: number
  active: number
  /** Failed for good and still retained; each also sits in the dead-letter queue. */
  failed: number
}

export interface DeadLetter {
  id: string
  queue: string
  data: object
  deadLetteredAt: Date
  /** The last error of the job that exhausted its retries. */
  error: string | undefined
}

export interface JobsStatus {
  queues: QueueCounts[]
  deadLetters: DeadLetter[]
}

/** Fresh counts of every queue and of its dead-letter queue, and the jobs waiting in the latter. */
export async function jobsStatus(boss: PgBoss): Promise<JobsStatus> {
  const queues = await queueCounts(boss)
  const deadLetters: DeadLetter[] = []
  for (const job of JOB_NAMES) {
    const dead = await boss.findJobs<object>(deadLetterQueueOf(job), { queued: true })
    deadLetters.push(
      ...dead.map((entry) => ({
        id: entry.id,
        queue: job,
        data: entry.data,
        deadLetteredAt: entry.createdOn,
        error: errorMessage(entry.sourceOutput ?? entry.output),
      })),
    )
  }
  deadLetters.sort((a, b) => b.deadLetteredAt.getTime() - a.deadLetteredAt.getTime())
  return { queues, deadLetters }
}

/**
 * Counts of every queue and of its dead-letter queue. pg-boss recounts a queue when its cached
 * counts are over a minute old, so frequent callers (a metrics scrape) cost one count a minute.
 */
export async function queueCounts(boss: PgBoss): Promise<QueueCounts[]> {
  const queues: QueueCounts[] = []
  for (const name of JOB_NAMES.flatMap((job) => [job, deadLetterQueueOf(job)])) {
    const [stats] = await boss.getQueueStats(name, { force: true })
    queues.push({
      name,
      ready: stats?.readyCount ?? 0,
      deferred: stats?.deferredCount ?? 0,
      active: stats?.activeCount ?? 0,
      failed: stats?.failedCount ?? 0,
    })
  }
  return queues
}

/**
 * Moves every job waiting in the dead-letter queues of `queues` back to the queue it failed on,
 * to run again with fresh retries (the handlers are idempotent); returns how many per queue.
 */
export async function redriveDeadLetters(boss: PgBoss, queues: readonly string[] = JOB_NAMES): Promise<Record<string, number>> {
  const moved: Record<string, number> = {}
  for (const name of queues) {
    // pg-boss moves at most 1,000 jobs a call.
    let total = 0
    let batch: number
    do {
      batch = await boss.redrive(deadLetterQueueOf(name))
      total += batch
    } while (batch > 0)
    moved[name] = total
  }
  return moved
}

// pg-boss stores a thrown error as its serialised fields (message, stack…), and its own failures,
// such as an expired job, as { value: { message } }.
function errorMessage(output: object | null | undefined): string | undefined {
  if (output === null || output === undefined) return undefined
  const { message, value } = output as { message?: unknown; value?: { message?: unknown } }
  if (typeof message === 'string') return message
  if (typeof value?.message === 'string') return value.message
  return JSON.stringify(output)
}
