import { PgBoss, type Queue, type QueueOptions } from 'pg-boss'
import type pg from 'pg'
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
  /** With a transaction client, jobs are written through it and commit or roll back with it. */
  constructor(
    private readonly boss: PgBoss,
    private readonly transaction?: pg.ClientBase,
  ) {}

  async enqueue<Name extends JobName>(name: Name, payload: JobPayloads[Name]): Promise<void> {
    const client = this.transaction
    await this.boss.send(name, payload, client ? { db: { executeSql: (text, values) => client.query(text, values) } } : {})
  }
}
