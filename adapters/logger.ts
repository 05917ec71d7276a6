/** The slice of a structured logger (pino-compatible) that application code may use. */
export interface Logger {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}
