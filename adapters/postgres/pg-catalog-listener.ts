import type pg from 'pg'
import type { CatalogChanged } from '../cache/catalog-changed.js'
import type { Logger } from '../logger.js'

/** The channel the catalog triggers of migration 0007 notify after a committed change. */
export const CATALOG_CHANNEL = 'catalog_changed'

export interface PgCatalogListenerOptions {
  /** Wait before reconnecting after the connection is lost; doubles up to 30 s while failures last. */
  retryDelayMs?: number
}

const MAX_RETRY_DELAY_MS = 30_000

/**
 * Drives the CatalogChanged port from Postgres: LISTENs on one connection held from the pool,
 * calls the port for each notification, and reconnects when the connection drops. Whatever
 * changed while nobody listened went unheard, so a reconnection reports a change itself.
 */
export class PgCatalogListener {
  private client: pg.PoolClient | undefined
  private retry: NodeJS.Timeout | undefined
  private stopped = false
  private failures = 0

  constructor(
    private readonly pool: pg.Pool,
    private readonly catalogChanged: CatalogChanged,
    private readonly logger: Logger,
    private readonly options: PgCatalogListenerOptions = {},
  ) {}

  /** Resolves once listening, or once the first attempt failed (retries continue in the background). */
  async start(): Promise<void> {
    this.stopped = false
    await this.connect(false)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retry)
    const client = this.client
    this.client = undefined
    if (client === undefined) return
    await client.query(`UNLISTEN ${CATALOG_CHANNEL}`).catch(() => undefined)
    client.release()
  }

  /** True while a connection is listening. */
  get listening(): boolean {
    return this.client !== undefined
  }

  private async connect(reconnecting: boolean): Promise<void> {
    let client: pg.PoolClient | undefined
    try {
      client = await this.pool.connect()
      const connection = client
      connection.on('notification', () => void this.report())
      connection.on('error', (error) => this.lost(connection, error))
      connection.on('end', () => this.lost(connection, new Error('connection ended')))
      await connection.query(`LISTEN ${CATALOG_CHANNEL}`)
    } catch (error) {
      client?.release(error instanceof Error ? error : true)
      this.scheduleReconnect(error)
      return
    }
    if (this.stopped) {
      client.release()
      return
    }
    this.client = client
    this.failures = 0
    if (reconnecting) {
      this.logger.info({ channel: CATALOG_CHANNEL }, 'listening for catalog changes again')
      await this.report()
    }
  }

  private lost(client: pg.PoolClient, error: Error): void {
    if (this.client !== client) return
    this.client = undefined
    client.release(error)
    this.scheduleReconnect(error)
  }

  private scheduleReconnect(error: unknown): void {
    if (this.stopped) return
    const delay = Math.min((this.options.retryDelayMs ?? 1_000) * 2 ** this.failures, MAX_RETRY_DELAY_MS)
    this.failures += 1
    this.logger.warn({ err: error, retryInMs: delay }, 'catalog change listener lost its connection')
    this.retry = setTimeout(() => void this.connect(true), delay)
    this.retry.unref()
  }

  private async report(): Promise<void> {
    try {
      await this.catalogChanged.notify()
    } catch (error) {
      this.logger.error({ err: error }, 'a catalog change could not be reported')
    }
  }
}
