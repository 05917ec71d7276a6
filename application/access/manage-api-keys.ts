import { generateApiToken, hashApiToken } from '../../domain/access/api-token.js'
import type { Role } from '../../domain/access/principal.js'
import type { CalendarDate } from '../../domain/shared/calendar-date.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import { isPositiveId } from '../../domain/shared/ids.js'
import { ValidationError } from '../../domain/shared/validation-error.js'
import type { Clock } from '../shared/clock.js'
import type { ApiKeyRecord, ApiKeys } from './ports/api-keys.js'

const MAX_NAME_LENGTH = 200

export interface CreateApiKeyCommand {
  role: Role
  storeIds: number[]
  name?: string
  /** The key stops working at 00:00 UTC of this day. */
  expiresOn?: CalendarDate
}

export interface CreatedApiKey {
  key: ApiKeyRecord
  /** Shown once: only its hash is stored. */
  token: string
}

export class CreateApiKey {
  constructor(
    private readonly keys: ApiKeys,
    private readonly clock: Clock,
  ) {}

  async execute(command: CreateApiKeyCommand): Promise<CreatedApiKey> {
    const storeIds = [...new Set(command.storeIds)]
    if (command.role === 'store' && storeIds.length === 0) throw new ValidationError('stores', 'are required for a store key')
    if (command.role !== 'store' && storeIds.length > 0) throw new ValidationError('stores', `apply only to store keys, not ${command.role}`)
    const badId = storeIds.find((id) => !isPositiveId(id))
    if (badId !== undefined) throw new ValidationError('stores', `${badId} is not a positive integer`)
    const name = command.name?.trim() || `${command.role} key`
    if (name.length > MAX_NAME_LENGTH) throw new ValidationError('name', `must be at most ${MAX_NAME_LENGTH} characters`)
    const expiresAt = command.expiresOn === undefined ? null : new Date(`${command.expiresOn}T00:00:00.000Z`)
    if (expiresAt !== null && expiresAt <= this.clock.now()) throw new ValidationError('expires', `${command.expiresOn} is not in the future`)
    const missing = await this.keys.missingStores(storeIds)
    if (missing.length > 0) throw new ValidationError('stores', `do not exist: ${missing.join(', ')}`)

    const token = generateApiToken()
    const key = await this.keys.create({ name, role: command.role, storeIds, tokenHash: hashApiToken(token), expiresAt })
    return { key, token }
  }
}

export class ListApiKeys {
  constructor(private readonly keys: ApiKeys) {}

  execute(): Promise<ApiKeyRecord[]> {
    return this.keys.list()
  }
}

/** Revoking twice keeps the first revocation; every instance refuses the key within seconds. */
export class RevokeApiKey {
  constructor(
    private readonly keys: ApiKeys,
    private readonly clock: Clock,
  ) {}

  async execute(id: number): Promise<ApiKeyRecord> {
    const key = await this.keys.revoke(id, this.clock.now())
    if (key === null) throw new NotFoundError('API key', id)
    return key
  }
}
