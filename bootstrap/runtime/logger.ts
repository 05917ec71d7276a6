import { pino, type DestinationStream, type Logger } from 'pino'
import type { Config } from './config.js'

/** API tokens anywhere in a line (a URL's query, an error message): never written out. */
const API_TOKEN_TEXT = /afk_[0-9A-Za-z]{8,}/g

export function createLogger(config: Pick<Config, 'logLevel'>, name: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level: config.logLevel,
    // Fastify logs no headers by default; these keep an Authorization header out should anyone log one.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.headers.authorization', 'authorization'], censor: '[redacted]' },
    hooks: { streamWrite: (line: string) => line.replace(API_TOKEN_TEXT, 'afk_[redacted]') },
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}
