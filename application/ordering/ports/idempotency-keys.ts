import type { OrderId } from '../../../domain/shared/ids.js'

export type IdempotencyClaim = { kind: 'new' } | { kind: 'in-flight' } | { kind: 'seen'; orderId: OrderId; sameRequest: boolean }

/** Idempotency keys of order requests, inside the order's unit of work. */
export interface IdempotencyKeys {
  /**
   * Claims the key for this transaction. 'seen' when a committed request used it (with whether
   * its fingerprint matches), 'in-flight' while another transaction holds it, else 'new'. A new
   * key's outcome is recorded with the order (OrderRepository.insert).
   */
  claim(key: string, fingerprint: string): Promise<IdempotencyClaim>
  /** Forgets keys first used before `cutoff`; returns how many. */
  purgeOlderThan(cutoff: Date): Promise<number>
}
