import type pg from 'pg'
import type { ApiKeyRecord, ApiKeys, NewApiKey, StoredApiKey } from '../../application/access/ports/api-keys.js'
import type { OrderOwnership } from '../../application/access/ports/order-ownership.js'
import type { Role } from '../../domain/access/principal.js'
import type { Logger } from '../logger.js'

interface KeyRow {
  id: number
  name: string
  role: Role
  store_ids: number[]
  created_at: Date
  expires_at: Date | null
  revoked_at: Date | null
  last_used_at: Date | null
}

const RECORD_COLUMNS = 'id, name, role, store_ids, created_at, expires_at, revoked_at, last_used_at'

// The guard makes "once a minute per key" hold across instances, not only within one.
const RECORD_USE = `
  UPDATE api_keys SET last_used_at = $2
   WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`

function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    storeIds: row.store_ids.map(Number),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  }
}

export class PgApiKeys implements ApiKeys {
  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  async findByTokenHash(tokenHash: Uint8Array): Promise<StoredApiKey | null> {
    const { rows } = await this.pool.query<KeyRow & { token_hash: Buffer }>(`SELECT ${RECORD_COLUMNS}, token_hash FROM api_keys WHERE token_hash = $1`, [
      Buffer.from(tokenHash),
    ])
    const row = rows[0]
    return row === undefined ? null : { ...toRecord(row), tokenHash: row.token_hash }
  }

  recordUse(id: number, at: Date): void {
    this.pool.query(RECORD_USE, [id, at]).catch((error: unknown) => this.logger.warn({ err: error, keyId: id }, 'could not record an API key use'))
  }

  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    const { rows } = await this.pool.query<KeyRow>(
      `INSERT INTO api_keys (name, role, store_ids, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${RECORD_COLUMNS}`,
      [key.name, key.role, key.storeIds, Buffer.from(key.tokenHash), key.expiresAt],
    )
    return toRecord(rows[0]!)
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<KeyRow>(`SELECT ${RECORD_COLUMNS} FROM api_keys ORDER BY id`)
    return rows.map(toRecord)
  }

  async revoke(id: number, at: Date): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<KeyRow>(`UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING ${RECORD_COLUMNS}`, [
      id,
      at,
    ])
    return rows[0] === undefined ? null : toRecord(rows[0])
  }

  async missingStores(storeIds: number[]): Promise<number[]> {
    const { rows } = await this.pool.query<{ id: number }>(
      'SELECT wanted.id FROM unnest($1::bigint[]) AS wanted(id) WHERE NOT EXISTS (SELECT 1 FROM stores s WHERE s.id = wanted.id) ORDER BY wanted.id',
      [storeIds],
    )
    return rows.map((row) => row.id)
  }
}

export class PgOrderOwnership implements OrderOwnership {
  constructor(private readonly pool: pg.Pool) {}

  async storeOf(orderId: number): Promise<number | null> {
    const { rows } = await this.pool.query<{ store_id: number }>('SELECT store_id FROM orders WHERE id = $1', [orderId])
    return rows[0]?.store_id ?? null
  }
}
