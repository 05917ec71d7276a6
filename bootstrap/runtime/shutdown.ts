import type { Logger } from 'pino'

type Closer = () => Promise<unknown>

/**
 * Resources in start order; closed in reverse so that nothing is closed while something started
 * after it may still use it (HTTP before jobs before Redis before the pool before Postgres itself).
 */
export class Lifecycle {
  private readonly closers: { name: string; close: Closer }[] = []
  private closing: Promise<void> | undefined

  constructor(private readonly logger: Logger) {}

  add(name: string, close: Closer): void {
    this.closers.push({ name, close })
  }

  close(): Promise<void> {
    this.closing ??= this.closeInReverse()
    return this.closing
  }

  private async closeInReverse(): Promise<void> {
    for (const { name, close } of [...this.closers].reverse()) {
      try {
        await close()
        this.logger.debug({ resource: name }, 'closed')
      } catch (error) {
        this.logger.error({ err: error, resource: name }, 'failed to close')
      }
    }
  }

  /**
   * An uncaught exception or unhandled rejection leaves the process in an unknown state: it is
   * logged, then everything is closed in order (requests already running may still answer) and
   * the process exits 1, or at once after `graceMs` if closing hangs.
   */
  exitOnCrash(graceMs = 10_000): void {
    const crash = (what: string) => (error: unknown) => {
      this.logger.fatal({ err: error }, `${what}; shutting down`)
      setTimeout(() => process.exit(1), graceMs).unref()
      void this.close().then(() => process.exit(1))
    }
    process.on('uncaughtException', crash('uncaught exception'))
    process.on('unhandledRejection', crash('unhandled promise rejection'))
  }

  /**
   * SIGINT/SIGTERM close everything and exit 0; a second signal, or closing that takes longer
   * than `graceMs` (each closer is meant to bound its own time well within it), exits 1.
   */
  exitOnSignals(graceMs: number, signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): void {
    let received = false
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) process.exit(1)
      received = true
      this.logger.info({ signal }, 'shutting down')
      setTimeout(() => {
        this.logger.error({ graceMs }, 'shutdown took too long; exiting')
        process.exit(1)
      }, graceMs).unref()
      void this.close().then(() => process.exit(0))
    }
    for (const signal of signals) process.on(signal, onSignal)
  }
}
