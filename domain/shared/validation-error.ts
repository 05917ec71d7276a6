import { DomainError } from './domain-error.js'

/**
 * Input that is well-formed but breaks a rule no schema can state (a range upside down, a query
 * too short once trimmed). `field` names the input as the client sent it.
 */
export class ValidationError extends DomainError {
  readonly code = 'validation-error'

  constructor(field: string, message: string) {
    super(`${field} ${message}`, { errors: [{ path: `/${field}`, message }] })
  }
}
