import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { DEFAULT_CONNECTION_LIMITS } from '../../adapters/http/bounded-server.js'
import { buildTestApp } from '../support/http-app.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let app: FastifyInstance
let port: number

before(async () => {
  db = await createTestDatabase()
  // Short timeouts and a small queue, so that the tests see each limit act within a second.
  app = await buildTestApp(
    db,
    {},
    {
      connectionLimits: { ...DEFAULT_CONNECTION_LIMITS, requestTimeoutMs: 400, headersTimeoutMs: 400, maxQueuedPerConnection: 4 },
    },
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  port = (app.server.address() as { port: number }).port
})
after(async () => {
  await app.close()
  await db.close()
})

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** Sends raw bytes on a new connection and reads until the server closes it or `idleMs` passes quietly. */
async function exchange(bytes: string | string[], idleMs = 1_500): Promise<{ responses: RawResponse[]; closedByServer: boolean }> {
  const socket = connect({ port, host: '127.0.0.1' })
  let received = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])))
  const closed = new Promise<boolean>((resolve) => {
    let timer = setTimeout(() => resolve(false), idleMs)
    socket.on('data', () => {
      clearTimeout(timer)
      timer = setTimeout(() => resolve(false), idleMs)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(true)
    })
    socket.on('error', () => undefined)
  })
  for (const part of ([] as string[]).concat(bytes)) socket.write(part)
  const closedByServer = await closed
  socket.destroy()
  return { responses: parseResponses(received.toString('utf8')), closedByServer }
}

function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = []
  let rest = text
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n')
    const [statusLine = '', ...lines] = rest.slice(0, headEnd).split('\r\n')
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
    const length = Number(headers['content-length'] ?? 0)
    const bodyStart = headEnd + 4
    const body = Buffer.from(rest.slice(bodyStart), 'utf8').subarray(0, length).toString('utf8')
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body })
    rest = rest.slice(bodyStart + body.length)
  }
  return responses
}

function assertProblem(response: RawResponse | undefined, status: number, slug: string): void {
  assert.ok(response, 'an answer came back')
  assert.equal(response.status, status)
  assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/)
  assert.match(response.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/)
  const body = JSON.parse(response.body) as { type: string; status: number }
  assert.equal(body.type, `https://aforro.dev/problems/${slug}`)
  assert.equal(body.status, status)
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`

describe('errors raised before the app sees a request are problem documents with x-request-id', () => {
  test('headers over the 16 KiB limit: 431 headers-too-large', async () => {
    const { responses } = await exchange(get('/health/live', `x-padding: ${'a'.repeat(20_000)}\r\n`))

    assertProblem(responses[0], 431, 'headers-too-large')
  })

  test('a URL over 4 KiB: 414 uri-too-long, whether Node or the app notices it', async () => {
    const overApp = await exchange(get(`/api/search/products/?q=${'a'.repeat(5_000)}`))
    const overParser = await exchange(get(`/api/search/products/?q=${'a'.repeat(20_000)}`))

    assertProblem(overApp.responses[0], 414, 'uri-too-long')
    assertProblem(overParser.responses[0], 414, 'uri-too-long')
  })

  test('bytes that are not HTTP: 400', async () => {
    const { responses, closedByServer } = await exchange('HELLO THERE\r\n\r\n')

    assertProblem(responses[0], 400, 'validation-error')
    assert.ok(closedByServer)
  })

  test('headers that do not arrive in time: 408 request-timeout, connection closed', async () => {
    const { responses, closedByServer } = await exchange('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n', 3_000)

    assertProblem(responses[0], 408, 'request-timeout')
    assert.ok(closedByServer)
  })

  test('a body trickled slower than the request timeout is cut with 408', async () => {
    const socket = connect({ port, host: '127.0.0.1' })
    let received = ''
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
    socket.write('POST /orders/ HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{')
    const trickle = setInterval(() => socket.write(' '), 100)
    const closed = await new Promise<boolean>((resolve) => {
      socket.on('close', () => resolve(true))
      socket.on('error', () => undefined)
      setTimeout(() => resolve(false), 5_000)
    })
    clearInterval(trickle)
    socket.destroy()

    assert.ok(closed, 'the server closed the connection')
    assertProblem(parseResponses(received)[0], 408, 'request-timeout')
  })
})

describe('pipelining', () => {
  test('a client that reads gets every pipelined answer, in order', async () => {
    const paths = ['/health/live', '/openapi.json', '/health/live', '/nowhere', '/health/live']

    const { responses } = await exchange(paths.map((path) => get(path)).join(''))

    assert.deepEqual(
      responses.map((response) => response.status),
      [200, 200, 200, 404, 200],
    )
  })

  test('a request that says Connection: close is answered, then the connection closes, whatever follows it', async () => {
    const { responses, closedByServer } = await exchange(get('/health/live', 'connection: close\r\n') + get('/health/live') + get('/health/live'))

    assert.deepEqual(
      responses.map((response) => [response.status, response.headers.connection]),
      [[200, 'close']],
    )
    assert.ok(closedByServer)
  })

  test('more requests queued on one connection than the limit closes it', async () => {
    const { responses, closedByServer } = await exchange(Array.from({ length: 20 }, () => get('/health/live')).join(''))

    assert.ok(closedByServer)
    assert.ok(responses.length < 20, `${responses.length} answered`)
  })
})

test('a request that arrives while the server drains is told to retry elsewhere: 503 problem, connection closed', async () => {
  const draining = await buildTestApp(db)
  await draining.listen({ port: 0, host: '127.0.0.1' })
  const drainingPort = (draining.server.address() as { port: number }).port
  const socket = connect({ port: drainingPort, host: '127.0.0.1' })
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
  const closed = new Promise((resolve) => socket.on('close', resolve))
  await new Promise((resolve) => socket.once('connect', resolve))
  // Half a request: the connection is busy, so closing the server does not drop it.
  socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n')
  await new Promise((resolve) => setTimeout(resolve, 100))

  const closing = draining.close()
  await new Promise((resolve) => setTimeout(resolve, 100))
  socket.write('\r\n')
  await closed
  await closing

  const [response] = parseResponses(received)
  assertProblem(response, 503, 'service-unavailable')
  assert.equal(response?.headers['retry-after'], '1')
  assert.equal(response?.headers.connection, 'close')
})

test('the docs page and its bundle are served (from memory)', async () => {
  const bundle = readFileSync(join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static', 'swagger-ui-bundle.js'))

  const page = await fetch(`http://127.0.0.1:${port}/docs`)
  const script = await fetch(`http://127.0.0.1:${port}/docs/static/swagger-ui-bundle.js`)
  const initializer = await fetch(`http://127.0.0.1:${port}/docs/static/swagger-initializer.js`)

  assert.equal(page.status, 200)
  assert.match(await page.text(), /swagger-ui-bundle\.js/)
  assert.equal(script.status, 200)
  assert.ok(Buffer.from(await script.arrayBuffer()).equals(bundle))
  assert.match(await initializer.text(), /\/openapi\.json/)
})
