/**
 * Every code a DomainError may carry, named as API.md names its problem types. The HTTP edge's
 * problem table must map each one (the compiler checks), so a new code cannot fall to a 500.
 */
export type ErrorCode =
  | 'validation-error'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'unknown-products'
  | 'unknown-category'
  | 'idempotency-key-reused'
  | 'idempotency-key-in-flight'

/**
 * A rule of the business was broken. `code` is stable: the HTTP edge maps it to a status and
 * problem type, so renaming a code is a contract change. `details` are facts a client may act on
 * (for example the ids that do not exist), published as they are named here.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode

  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not-found'

  constructor(entity: string, id: number) {
    super(`${entity} ${id} does not exist`)
  }
}
