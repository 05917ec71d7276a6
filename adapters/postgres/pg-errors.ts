/**
 * SQLSTATE classes a client may simply retry: lock or statement timeouts, a server shutting
 * down or out of connections, a lost connection. Anything else is a bug and stays a 500.
 */
const TRANSIENT_SQLSTATES = new Set(['55P03', '57014', '57P01', '57P02', '57P03', '53300', '40001', '40P01'])
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'])

export function isTransientDatabaseFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && (TRANSIENT_SQLSTATES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))) return true
  const message = (error as { message?: unknown }).message
  // pg reports pool checkout and connect timeouts as plain errors without a code.
  return typeof message === 'string' && /timeout exceeded when trying to connect|Connection terminated/i.test(message)
}
