import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import type { Logger } from '../logger.js'
import { isTransientDatabaseFailure } from './pg-errors.js'
import type { Reader } from './queryable.js'

export interface ReplicaReadsOptions {
  /** How long a read waits for the replica to replay the primary's position before reading the primary instead. */
  maxWaitMs?: number
  /** Pause between two looks at the replica's replay position while it catches up. */
  pollMs?: number
  /** After the replica fails to answer, reads skip it for this long rather than wait on it again. */
  cooldownMs?: number
}

const PRIMARY_POSITION = 'SELECT pg_current_wal_lsn()::text AS lsn'
// NULL (not a standby: a promoted or misconfigured server) counts as not caught up: its data may have forked.
const REPLAYED = 'SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS replayed'

export type ReadRoute = 'replica' | 'primary-lagging' | 'primary-unreachable' | 'primary-cooling-down'

/**
 * Statements for read-only adapters, run on a streaming replica when that shows nothing older
 * than the primary did when the read began, else on the primary.
 *
 * The rule it keeps: a read never shows a value older than a write whose response has returned.
 * Every such write committed (synchronous_commit on, the default: flushed, so at or before the
 * primary's current WAL position) before this read asked the primary for that position; the
 * replica answers only once it has replayed that far. The write path pays nothing; each replica
 * read pays one tiny primary round trip and one replica round trip. Caches may fill from these
 * reads: a cache entry's generations are read before the load, so an invalidation it missed came
 * after the position it waited for, and retired the entry's slot.
 */
export class ReplicaReads implements Reader {
  private skipReplicaUntil = 0
  private readonly maxWaitMs: number
  private readonly pollMs: number
  private readonly cooldownMs: number

  constructor(
    private readonly primary: Reader,
    private readonly replica: pg.Pool,
    private readonly logger: Logger,
    options: ReplicaReadsOptions = {},
    private readonly routed: (route: ReadRoute) => void = () => undefined,
  ) {
    this.maxWaitMs = options.maxWaitMs ?? 50
    this.pollMs = options.pollMs ?? 2
    this.cooldownMs = options.cooldownMs ?? 5_000
  }

  async query<R extends pg.QueryResultRow>(statement: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const route = await this.route()
    this.routed(route)
    if (route !== 'replica') return this.primary.query<R>(statement, values)
    try {
      return await this.replica.query<R>(statement, values)
    } catch (error) {
      // A read changes nothing, so the primary may answer it again: the replica dying mid-read, or
      // cancelling the read for a conflict with replay, costs the caller only time.
      if (isTransientDatabaseFailure(error)) this.coolDown(error)
      return this.primary.query<R>(statement, values)
    }
  }

  private async route(): Promise<ReadRoute> {
    if (Date.now() < this.skipReplicaUntil) return 'primary-cooling-down'
    const position = (await this.primary.query<{ lsn: string }>(PRIMARY_POSITION)).rows[0]?.lsn
    const deadline = Date.now() + this.maxWaitMs
    try {
      for (;;) {
        const replayed = (await this.replica.query<{ replayed: boolean }>(REPLAYED, [position])).rows[0]?.replayed
        if (replayed) return 'replica'
        if (Date.now() >= deadline) return 'primary-lagging'
        await sleep(this.pollMs)
      }
    } catch (error) {
      this.coolDown(error)
      return 'primary-unreachable'
    }
  }

  private coolDown(error: unknown): void {
    this.skipReplicaUntil = Date.now() + this.cooldownMs
    this.logger.warn({ err: error, retryInMs: this.cooldownMs }, 'read replica unreachable: reading the primary')
  }
}
