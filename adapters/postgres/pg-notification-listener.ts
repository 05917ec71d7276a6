import type pg from 'pg'
import type { CatalogChanged } from '../cache/catalog-changed.js'
import type { Logger } from '../logger.js'

/** The channel the catalog triggers of migration 0007 notify after a committed change. */
export const CATALOG_CHANNEL = 'catalog_changed'

export interface PgSubscription {
  channel: string
  /** A notification's payload; undefined after a reconnection, when notifications may have been missed. */
  heard(payload: string | undefined): Promise<void>
}

export interface PgNotificationListenerOptions {
  /** Wait before reconnecting after the connection is lost; doubles up to 30 s while failures last. */
  retryDelayMs?: number
}

const MAX_RETRY_DELAY_MS = 30_000

/** Catalog changes drive the CatalogChanged port; whatever changed while nobody listened counts as a change. */
export function catalogChanges(catalogChanged: CatalogChanged): PgSubscription {
  return { channel: CATALOG_CHANNEL, heard: () => catalogChanged.notify() }
}

/**
 * LISTENs on one connection held from the pool for every subscription's channel, hands each
 * notification to its subscription, and reconnects when the connection drops. Whatever was
 * notified while nobody listened went unheard, so a reconnection tells every subscription so.
 */
export class PgNotificationListener {
  private client: pg.PoolClient | undefined
  private retry: NodeJS.Timeout | undefined
  private stopped = false
  private failures = 0

  constructor(
    private readonly pool: pg.Pool,
    private readonly subscriptions: readonly PgSubscription[],
    private readonly logger: Logger,
    private readonly options: PgNotificationListenerOptions = {},
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
    await client.query('UNLISTEN *').catch(() => undefined)
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
      connection.on('notification', (message) => void this.deliver(message.channel, message.payload ?? ''))
      connection.on('error', (error) => this.lost(connection, error))
      connection.on('end', () => this.lost(connection, new Error('connection ended')))
      for (const { channel } of this.subscriptions) await connection.query(`LISTEN ${channel}`)
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
      this.logger.info({ channels: this.subscriptions.map(({ channel }) => channel) }, 'listening for notifications again')
      for (const { channel } of this.subscriptions) await this.deliver(channel, undefined)
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
    this.logger.warn({ err: error, retryInMs: delay }, 'notification listener lost its connection')
    this.retry = setTimeout(() => void this.connect(true), delay)
    this.retry.unref()
  }

  private async deliver(channel: string, payload: string | undefined): Promise<void> {
    try {
      await this.subscriptions.find((subscription) => subscription.channel === channel)?.heard(payload)
    } catch (error) {
      this.logger.error({ err: error, channel }, 'a notification could not be handled')
    }
  }
}
