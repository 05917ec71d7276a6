import cluster, { type Worker } from 'node:cluster'
import { once } from 'node:events'
import type { Logger } from 'pino'
import type { Lifecycle } from '../runtime/shutdown.js'

/**
 * Set by the primary on the one API worker that runs what must run once per deployment: the
 * job worker and schedules (when RUN_WORKER) and the idempotency purge. Internal, not a setting.
 */
const HOUSEKEEPER_VARIABLE = 'AFORRO_CLUSTER_HOUSEKEEPER'

const FIRST_RESTART_DELAY_MS = 1_000
const LONGEST_RESTART_DELAY_MS = 30_000
/** A worker that lived this long is taken as healthy again: its next crash restarts it at once-ish. */
const HEALTHY_LIFETIME_MS = 60_000

/** True in a single process, and in the one cluster worker the primary chose for once-only work. */
export function runsHousekeeping(): boolean {
  return cluster.isPrimary || process.env[HOUSEKEEPER_VARIABLE] === '1'
}

/**
 * In a cluster worker: SIGTERM from the primary starts the drain. SIGINT is ignored because a
 * terminal's Ctrl-C reaches the whole process group and the primary forwards it as SIGTERM (two
 * signals would force an exit 1); a primary that vanished without forwarding still stops it.
 */
export function followPrimary(): void {
  process.on('SIGINT', () => undefined)
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'))
}

/**
 * Forks `count` API workers sharing the port, with `env` on top of the primary's environment. A
 * worker that exits after it listened is restarted, after a delay that doubles while it keeps
 * dying young; one that dies before it ever listened (port taken, bad database) stops the
 * primary with exit 1, since its replacements would fail the same way. On shutdown the workers get
 * SIGTERM and drain; the lifecycle closes what the primary holds (the embedded Postgres) after all exited.
 */
export function forkApiWorkers(count: number, env: Record<string, string>, logger: Logger, lifecycle: Lifecycle): void {
  let stopping = false
  const live = new Set<Worker>()
  const restartDelays: number[] = Array.from({ length: count }, () => FIRST_RESTART_DELAY_MS)

  const fork = (slot: number) => {
    const startedAt = Date.now()
    let listened = false
    const worker = cluster.fork({ ...env, [HOUSEKEEPER_VARIABLE]: slot === 0 ? '1' : '0' })
    live.add(worker)
    worker.once('listening', () => (listened = true))
    worker.once('exit', (code, signal) => {
      live.delete(worker)
      if (stopping) return
      if (!listened) {
        logger.fatal({ workerPid: worker.process.pid, code, signal }, 'an API worker failed to start; stopping')
        stopping = true
        void lifecycle.close().then(() => process.exit(1))
        return
      }
      const lived = Date.now() - startedAt
      const delay = lived >= HEALTHY_LIFETIME_MS ? FIRST_RESTART_DELAY_MS : (restartDelays[slot] ?? FIRST_RESTART_DELAY_MS)
      restartDelays[slot] = Math.min(delay * 2, LONGEST_RESTART_DELAY_MS)
      logger.error({ workerPid: worker.process.pid, code, signal, restartInMs: delay }, 'an API worker exited; restarting it')
      setTimeout(() => stopping || fork(slot), delay)
    })
  }

  lifecycle.add('api workers', async () => {
    stopping = true
    await Promise.all(
      [...live].map(async (worker) => {
        const exited = once(worker, 'exit')
        worker.process.kill('SIGTERM')
        await exited
      }),
    )
  })
  for (let slot = 0; slot < count; slot++) fork(slot)
}
