import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { startTracing } from '../../bootstrap/runtime/tracing.js'
import { tracingRequested } from '../../bootstrap/runtime/tracing-switch.js'

// Tracing starts before anything it instruments is loaded, as `node --import register-tracing.js`
// does for the entry points: this file imports the app and its drivers only afterwards.
const exporter = new InMemorySpanExporter()
const tracing = startTracing('aforro-test', [new SimpleSpanProcessor({ exporter })])
const { buildTestApp } = await import('../support/http-app.js')
const { addProducts, addStore, stock } = await import('../support/fixtures.js')
const { createTestDatabase, testRedisUrl } = await import('../support/test-database.js')
const { captureLogs } = await import('../support/log-capture.js')

type App = Awaited<ReturnType<typeof buildTestApp>>
let db: Awaited<ReturnType<typeof createTestDatabase>>
let app: App
let storeId: number
const { logger, lines: logLines } = captureLogs()

before(async () => {
  db = await createTestDatabase()
  const [lamp] = (await addProducts(db.pool, [{ title: 'Steel Lamp' }])) as [number]
  storeId = await addStore(db.pool)
  await stock(db.pool, storeId, { [lamp]: 5 })
  app = await buildTestApp(db, { REDIS_URL: testRedisUrl() }, { logger })
})
after(async () => {
  await app.close()
  await db.close()
  await tracing.shutdown()
})

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId)
const system = (span: ReadableSpan) => span.attributes['db.system.name'] ?? span.attributes['db.system']

describe('tracing', () => {
  test("a request's trace holds its SQL and Redis calls, and its log lines carry the trace id beside the request id", async () => {
    exporter.reset()
    const response = await app.inject({ method: 'GET', url: `/stores/${storeId}/inventory/`, headers: { 'x-request-id': 'trace-me-1' } })
    assert.equal(response.statusCode, 200, response.body)

    const root = exporter.getFinishedSpans().find((span) => span.attributes['http.route'] === '/stores/:store_id/inventory')
    assert.ok(
      root,
      `a span for the route in ${exporter
        .getFinishedSpans()
        .map((span) => span.name)
        .join(', ')}`,
    )
    const spans = spansOf(root.spanContext().traceId)
    const sql = spans.filter((span) => system(span) === 'postgresql')
    const redis = spans.filter((span) => system(span) === 'redis')
    assert.ok(sql.length > 0, `SQL spans among ${spans.map((span) => span.name).join(', ')}`)
    assert.ok(redis.length > 0, `Redis spans among ${spans.map((span) => span.name).join(', ')}`)
    assert.ok(sql.some((span) => String(span.attributes['db.query.text'] ?? span.attributes['db.statement']).includes('inventory')))

    const requestLines = logLines.filter((line) => line.reqId === 'trace-me-1')
    assert.ok(requestLines.length > 0, JSON.stringify(logLines.slice(-3)))
    for (const line of requestLines) assert.equal(line.trace_id, root.spanContext().traceId, JSON.stringify(line))
  })

  test('is off unless an OTEL_* variable asks for it', () => {
    assert.equal(tracingRequested({}), false)
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true)
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }), true)
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' }), true)
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), false)
    assert.equal(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }), false)
  })
})
