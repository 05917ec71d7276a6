import type { PgBoss } from 'pg-boss'
import type { Logger } from 'pino'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import type { Lifecycle } from '../runtime/shutdown.js'

/**
 * A started pg-boss, closed with the lifecycle; `worker` decides whether it supervises and
 * schedules. At close, jobs running may finish for `stopTimeoutMs`; one cut short is retried later.
 */
export async function startPgBoss(url: string, worker: boolean, logger: Logger, lifecycle: Lifecycle, stopTimeoutMs = 20_000): Promise<PgBoss> {
  const boss = createPgBoss({ connectionString: url, worker })
  boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'))
  await boss.start()
  // Graceful: a worker finishes the jobs it holds before the pool beneath it closes.
  lifecycle.add('pg-boss', () => boss.stop({ graceful: true, timeout: stopTimeoutMs }))
  return boss
}
