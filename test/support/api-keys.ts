import type pg from 'pg'
import { generateApiToken, hashApiToken } from '../../domain/access/api-token.js'
import type { Role } from '../../domain/access/principal.js'

export interface TestKeySpec {
  role: Role
  storeIds?: number[]
  expiresAt?: Date
  revokedAt?: Date
}

export interface TestKey {
  id: number
  token: string
  /** Headers that present the key. */
  headers: { authorization: string }
}

/** Writes a key straight to the table (expired or revoked ones too, which the CLI never makes). */
export async function createTestKey(pool: pg.Pool, spec: TestKeySpec): Promise<TestKey> {
  const token = generateApiToken()
  const { rows } = await pool.query<{ id: number }>(
    'INSERT INTO api_keys (name, role, store_ids, token_hash, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
    [`test ${spec.role} key`, spec.role, spec.storeIds ?? [], hashApiToken(token), spec.expiresAt ?? null, spec.revokedAt ?? null],
  )
  return { id: rows[0]!.id, token, headers: { authorization: `Bearer ${token}` } }
}

export function adminKey(pool: pg.Pool): Promise<TestKey> {
  return createTestKey(pool, { role: 'admin' })
}
