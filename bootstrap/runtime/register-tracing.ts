/**
 * Loaded before the entry point (`node --import ./dist/bootstrap/runtime/register-tracing.js …`,
 * as the npm scripts and the image do): instrumentation has to be in place before pg, redis and
 * fastify load. With no OTEL_* variable asking for tracing it loads nothing more, so an untraced
 * process starts as fast as before.
 */
import { basename } from 'node:path'
import { tracingRequested, tracingStarted } from './tracing-switch.js'

if (tracingRequested()) {
  const { startTracing } = await import('./tracing.js')
  const entry = basename(process.argv[1] ?? '', '.js')
  tracingStarted(startTracing(entry === 'worker' ? 'aforro-worker' : 'aforro-api'))
}
