import type { Role } from '../../../domain/access/principal.js'

/** What may be shown about a key: everything but its token hash. */
export interface ApiKeyRecord {
  id: number
  name: string
  role: Role
  storeIds: number[]
  createdAt: Date
  expiresAt: Date | null
  revokedAt: Date | null
  lastUsedAt: Date | null
}

export interface StoredApiKey extends ApiKeyRecord {
  tokenHash: Uint8Array
}

export interface NewApiKey {
  name: string
  role: Role
  storeIds: number[]
  tokenHash: Uint8Array
  expiresAt: Date | null
}

export interface ApiKeys {
  findByTokenHash(tokenHash: Uint8Array): Promise<StoredApiKey | null>
  /**
   * Best effort, never throws (a failure is logged): records that the key was used at `at`,
   * unless some instance recorded a use within the minute before.
   */
  recordUse(id: number, at: Date): void
  create(key: NewApiKey): Promise<ApiKeyRecord>
  list(): Promise<ApiKeyRecord[]>
  /** Marks the key revoked (keeping the first revocation time); null when no such key. */
  revoke(id: number, at: Date): Promise<ApiKeyRecord | null>
  /** The ids among `storeIds` that name no store. */
  missingStores(storeIds: number[]): Promise<number[]>
}
