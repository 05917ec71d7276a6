import { DomainError } from '../../domain/shared/domain-error.js'

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'idempotency-key-reused'

  constructor() {
    super('This Idempotency-Key was already used with a different request body')
  }
}

export class IdempotencyKeyInFlightError extends DomainError {
  readonly code = 'idempotency-key-in-flight'

  constructor() {
    super('A request with this Idempotency-Key is still being processed; retry shortly')
  }
}
