import { trace } from '@opentelemetry/api'
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { Config } from './config.js'

/**
 * JSON lines with level names (`"level":"info"`) and, while a span is active (tracing on), its
 * trace and span ids, so a request's log line (its x-request-id is reqId) leads to its trace. In
 * a terminal, readable lines through pino-pretty instead; `destination` (tests) gets JSON.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, name: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = { name, level: config.logLevel, mixin: activeTraceIds, redact: AUTHORIZATION_HEADERS, hooks: { streamWrite: withoutTokens } }
  if (destination) return pino({ ...options, formatters: { level: levelName } }, destination)
  if (process.stdout.isTTY)
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } })
  return pino({ ...options, formatters: { level: levelName } })
}

const levelName = (label: string) => ({ level: label })

/** Nothing logs request headers today; this keeps an Authorization header out should anything log one. */
const AUTHORIZATION_HEADERS = {
  paths: ['req.headers.authorization', 'headers.authorization', '*.headers.authorization', 'authorization'],
  censor: '[redacted]',
}

/** API tokens anywhere in a line (a URL's query, an error message) are never written out. */
const API_TOKEN_TEXT = /afk_[0-9A-Za-z]{8,}/g
const withoutTokens = (line: string) => line.replace(API_TOKEN_TEXT, 'afk_[redacted]')

function activeTraceIds(): object {
  const span = trace.getActiveSpan()?.spanContext()
  return span ? { trace_id: span.traceId, span_id: span.spanId } : {}
}
