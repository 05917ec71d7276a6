import type pg from 'pg'
import type { Announcement, InvalidationRelay } from '../cache/invalidation-relay.js'
import type { PgSubscription } from './pg-notification-listener.js'

/** The channel announcements are notified on; the payload is the row's id and its scopes, separated by spaces. */
export const INVALIDATION_CHANNEL = 'cache_invalidated'

// One statement: the row and its notification commit together.
const ANNOUNCE = `
  WITH announced AS (INSERT INTO cache_invalidations (scopes) VALUES ($1) RETURNING id, scopes)
  SELECT id::int AS id, pg_notify('${INVALIDATION_CHANNEL}', id || ' ' || array_to_string(scopes, ' ')) FROM announced`

/** Invalidations Redis missed, kept in Postgres (migration 0011) and notified to every instance. */
export class PgInvalidationRelay implements InvalidationRelay {
  constructor(private readonly pool: pg.Pool) {}

  async announce(scopes: readonly string[]): Promise<Announcement> {
    const { rows } = await this.pool.query<{ id: number }>(ANNOUNCE, [scopes])
    return { id: (rows[0] as { id: number }).id, scopes }
  }

  async unsettled(): Promise<Announcement[]> {
    const { rows } = await this.pool.query<Announcement>('SELECT id::int AS id, scopes FROM cache_invalidations ORDER BY id')
    return rows
  }

  async settle(ids: readonly number[]): Promise<void> {
    await this.pool.query('DELETE FROM cache_invalidations WHERE id = ANY($1::bigint[])', [ids])
  }

  /** What the notification listener does with announcements: hands each to `heard`; after a gap, every unsettled one. */
  subscription(heard: (announcement: Announcement) => void): PgSubscription {
    return {
      channel: INVALIDATION_CHANNEL,
      heard: async (payload) => {
        if (payload === undefined) {
          for (const announcement of await this.unsettled()) heard(announcement)
          return
        }
        const [id, ...scopes] = payload.split(' ')
        heard({ id: Number(id), scopes })
      },
    }
  }
}
