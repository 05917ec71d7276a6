import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { createLogger } from '../../bootstrap/runtime/logger.js'
import { createTestKey, type TestKey } from '../support/api-keys.js'
import { addStore } from '../support/fixtures.js'
import { buildTestApp } from '../support/http-app.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let app: FastifyInstance
let key: TestKey
let storeId: number
const logLines: string[] = []

before(async () => {
  db = await createTestDatabase()
  storeId = await addStore(db.pool)
  key = await createTestKey(db.pool, { role: 'store', storeIds: [storeId] })
  // The production logger, at its most talkative, writing to this test instead of stdout.
  const logger = createLogger({ logLevel: 'trace' }, 'test', { write: (line: string) => void logLines.push(line) })
  app = await buildTestApp(db, {}, { logger })
})
after(async () => {
  await app.close()
  await db.close()
})

test('no log line written during requests carries a token, wherever the client put it', async () => {
  const secret = key.token.slice(4)
  const requests = [
    { method: 'GET' as const, url: `/stores/${storeId}/orders/`, headers: key.headers },
    { method: 'GET' as const, url: `/stores/${storeId + 1}/orders/`, headers: key.headers },
    { method: 'GET' as const, url: `/stores/${storeId}/orders/?token=${key.token}`, headers: {} },
    { method: 'GET' as const, url: `/no-such-route/${key.token}`, headers: key.headers },
    {
      method: 'PUT' as const,
      url: `/stores/${storeId}/inventory/1/`,
      headers: { ...key.headers, 'content-type': 'application/json' },
      payload: '{"quantity": ',
    },
  ]

  for (const request of requests) await app.inject(request)

  assert.ok(logLines.length >= requests.length, `the requests were logged (${logLines.length} lines)`)
  assert.ok(
    logLines.some((line) => line.includes('afk_[redacted]')),
    'a token in a URL was logged, redacted',
  )
  for (const line of logLines) assert.ok(!line.includes(secret), `a log line carries the token: ${line}`)
})
