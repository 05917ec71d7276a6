import type { PgBoss } from 'pg-boss'
import type { Logger } from 'pino'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import type { Lifecycle } from '../runtime/shutdown.js'

/** A started pg-boss, closed with the lifecycle; `worker` decides whether it supervises and schedules. */
export async function startPgBoss(url: string, worker: boolean, logger: Logger, lifecycle: Lifecycle): Promise<PgBoss> {
  const boss = createPgBoss({ connectionString: url, worker })
  boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'))
  await boss.start()
  // Graceful: a worker finishes the jobs it holds before the pool beneath it closes.
  lifecycle.add('pg-boss', () => boss.stop({ graceful: true, timeout: 20_000 }))
  return boss
}
