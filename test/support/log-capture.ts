import { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { loadConfig } from '../../bootstrap/runtime/config.js'
import { createLogger } from '../../bootstrap/runtime/logger.js'

/** The production logger at `level`, writing its JSON lines into `lines` instead of stdout. */
export function captureLogs(level = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  return { logger: createLogger(loadConfig({ LOG_LEVEL: level }), 'test', sink), lines }
}
