import { PgBoss, type Queue, type QueueOptions } from 'pg-boss'
import { JOB_NAMES, type JobName, type JobPayloads, type JobQueue } from '../../application/shared/job-queue.js'

export const PGBOSS_SCHEMA = 'pgboss'

export const deadLetterQueueOf = (name: string): string => `${name}.dead`

/**
 * Delivery is at least once: handlers are idempotent, and retries back off exponentially. A job
 * that exhausts its retries moves to `<name>.dead`. `notify` wakes workers the moment a job
 * commits instead of at their next poll; confirmations go without it, because a NOTIFY inside the
 * order's transaction makes every order's commit queue for Postgres's one notification lock
 * (measured: ~520 instead of ~475 orders/s), and a confirmation a poll (2 s) later is soon enough.
 */
const QUEUE_OPTIONS: Record<JobName, QueueOptions & { notify: boolean }> = {
  'order-confirmation': { retryLimit: 5, retryDelay: 5, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 60, notify: false },
  'daily-inventory-summary': { retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 600, notify: true },
}

export interface PgBossOptions {
  connectionString: string
  /**
   * Workers supervise (maintenance), run the cron clock and listen for new jobs; an API-only
   * process does none of these.
   */
  worker: boolean
  max?: number
}

export function createPgBoss({ connectionString, worker, max }: PgBossOptions): PgBoss {
  return new PgBoss({
    connectionString,
    schema: PGBOSS_SCHEMA,
    application_name: worker ? 'aforro-worker' : 'aforro-api-jobs',
    max: max ?? 4,
    supervise: worker,
    schedule: worker,
    useListenNotify: worker,
    migrate: true,
  })
}

/**
 * Creates the queue and its dead-letter queue if missing, then applies `options`, so settings
 * changed here reach databases whose queues already exist. Safe to run from several processes.
 */
export async function ensureQueue(boss: PgBoss, name: string, options: QueueOptions & { notify?: boolean }): Promise<void> {
  const deadLetter = deadLetterQueueOf(name)
  const settings: Omit<Queue, 'name'> = { notify: true, ...options, deadLetter }
  await boss.createQueue(deadLetter)
  await boss.createQueue(name, settings)
  await boss.updateQueue(name, settings)
}

/** pg-boss 12 needs every queue, and each dead-letter queue, to exist before send or work. */
async function createQueues(boss: PgBoss): Promise<void> {
  for (const name of JOB_NAMES) await ensureQueue(boss, name, QUEUE_OPTIONS[name])
}

/** Installs or upgrades pg-boss's schema and queues, then lets go of the connection. */
export async function installPgBoss(connectionString: string): Promise<void> {
  const boss = createPgBoss({ connectionString, worker: false, max: 1 })
  boss.on('error', () => undefined)
  await boss.start()
  try {
    await createQueues(boss)
  } finally {
    await boss.stop({ graceful: false })
  }
}

export class PgBossJobQueue implements JobQueue {
  constructor(private readonly boss: PgBoss) {}

  async enqueue<Name extends JobName>(name: Name, payload: JobPayloads[Name]): Promise<void> {
    await this.boss.send(name, payload)
  }
}

/**
 * A CTE named `cte` inserting one job of queue `name` for each row of `from` (SQL), with `data`
 * (an SQL expression over those rows) as its payload: the row pg-boss 12's send() writes for a job
 * without options (its plans.insertJobs), the queue's retry, expiry, retention and dead-letter
 * settings copied from pgboss.queue. A statement that writes what the job is about writes the job
 * too, in the same round trip and transaction, where send() would take one more round trip. Unlike
 * send(), a queue that does not exist inserts nothing rather than throwing: the caller counts
 * `cte`'s rows. Queues that notify are not supported: their NOTIFY would be missing.
 */
export function insertJobCte(cte: string, name: JobName, { data, from }: { data: string; from: string }): string {
  if (QUEUE_OPTIONS[name].notify) throw new Error(`insertJobCte does not notify, and queue ${name} is set to`)
  const now = `${PGBOSS_SCHEMA}.job_now()`
  return `
  ${cte} AS (
    INSERT INTO ${PGBOSS_SCHEMA}.job (id, name, data, priority, start_after, created_on, keep_until, expire_seconds, deletion_seconds,
                                      retry_limit, retry_delay, retry_backoff, retry_delay_max, policy, dead_letter, heartbeat_seconds)
    SELECT gen_random_uuid(), q.name, ${data}, 0, ${now}, ${now}, ${now} + q.retention_seconds * interval '1s', q.expire_seconds, q.deletion_seconds,
           q.retry_limit, q.retry_delay, coalesce(q.retry_backoff, false), q.retry_delay_max, q.policy, q.dead_letter, q.heartbeat_seconds
      FROM ${from} JOIN ${PGBOSS_SCHEMA}.queue q ON q.name = '${name}'
    RETURNING id)`
}
