import type { Clock } from '../shared/clock.js'
import type { IdempotencyKeys } from './ports/idempotency-keys.js'

/** API.md keeps keys at least 24 h; older ones are forgotten so the table stays small. */
export const IDEMPOTENCY_KEY_RETENTION_MS = 24 * 60 * 60 * 1000

export class PurgeIdempotencyKeys {
  constructor(
    private readonly keys: IdempotencyKeys,
    private readonly clock: Clock,
  ) {}

  execute(): Promise<number> {
    return this.keys.purgeOlderThan(new Date(this.clock.now().getTime() - IDEMPOTENCY_KEY_RETENTION_MS))
  }
}
