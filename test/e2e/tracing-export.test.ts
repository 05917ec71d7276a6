import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { eventually } from '../support/eventually.js'
import { DIST, startProgram } from '../support/programs.js'
import { freePort } from '../support/services.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
before(async () => {
  db = await createTestDatabase()
})
after(() => db.close())

/** A stand-in OTLP/HTTP collector: records what is posted to it. */
async function startCollector() {
  const received: { path: string; body: Buffer }[] = []
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({ path: request.url ?? '', body: Buffer.concat(chunks) })
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => server.close() }
}

test('the server started as npm start does, with OTEL_EXPORTER_OTLP_ENDPOINT set, exports its spans over OTLP, flushing them on SIGTERM', async () => {
  const collector = await startCollector()
  const port = await freePort()
  const server = startProgram(
    'bootstrap/server.js',
    [],
    { DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
    ['--import', `${DIST}bootstrap/runtime/register-tracing.js`],
  )
  try {
    await server.waitFor('Server listening')
    const response = await fetch(`http://127.0.0.1:${port}/api/search/suggest/?q=lamp`)
    assert.equal(response.status, 200)
    server.child.kill('SIGTERM')
    assert.equal(await server.exited, 0, server.output())

    const traces = await eventually('spans posted to the collector', async () => {
      const posted = collector.received.filter((entry) => entry.path === '/v1/traces')
      return posted.length > 0 ? Buffer.concat(posted.map((entry) => entry.body)).toString('latin1') : undefined
    })
    assert.match(traces, /aforro-api/, 'the service name')
    assert.match(traces, /\/api\/search\/suggest/, 'the request span')
    assert.match(traces, /postgresql/, 'its SQL')
  } finally {
    collector.close()
  }
})
