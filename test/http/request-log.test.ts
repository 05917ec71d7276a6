import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { SuggestProducts } from '../../application/catalog/suggest-products.js'
import { buildTestApp } from '../support/http-app.js'
import { captureLogs } from '../support/log-capture.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let app: FastifyInstance
const { logger, lines } = captureLogs('info')

before(async () => {
  db = await createTestDatabase()
  app = await buildTestApp(db, {}, { logger })
})
after(async () => {
  await app.close()
  await db.close()
})

test('a request is logged once, when answered, with its request id, status, time and level name', async () => {
  for (const url of ['/products/424242/', '/no-such-route']) {
    lines.length = 0
    await app.inject({ method: 'GET', url, headers: { 'x-request-id': 'log-once-1' } })

    const logged = lines.filter((line) => line.reqId === 'log-once-1')
    assert.equal(logged.length, 1, JSON.stringify(logged))
    const [line] = logged as [Record<string, unknown>]
    assert.equal(line.level, 'info')
    assert.equal(line.msg, 'request completed')
    assert.deepEqual(line.res, { statusCode: 404 })
    assert.equal((line.req as { url: string }).url, url)
    assert.equal(typeof line.responseTime, 'number')
  }
})

test('health probes and metrics scrapes are not logged at info', async () => {
  lines.length = 0
  for (const url of ['/health/live', '/health/ready', '/metrics']) await app.inject({ method: 'GET', url, headers: { 'x-request-id': `probe-${url.length}` } })

  assert.deepEqual(
    lines.filter((line) => String(line.reqId).startsWith('probe-')),
    [],
  )
})

test('below info, a request logs nothing when it succeeds, and its error line still carries its request id', async () => {
  const quiet = captureLogs('warn')
  const failing = await buildTestApp(
    db,
    {},
    {
      logger: quiet.logger,
      useCases: { suggestProducts: { execute: () => Promise.reject(new Error('suggestions broke')) } as unknown as SuggestProducts },
    },
  )
  try {
    await failing.inject({ method: 'GET', url: '/products/', headers: { 'x-request-id': 'quiet-ok' } })
    const failed = await failing.inject({ method: 'GET', url: '/api/search/suggest/?q=lamp', headers: { 'x-request-id': 'quiet-error' } })

    assert.equal(failed.statusCode, 500)
    assert.deepEqual(
      quiet.lines.map((line) => [line.reqId, line.level, line.msg]),
      [['quiet-error', 'error', 'unhandled error']],
    )
  } finally {
    await failing.close()
  }
})
