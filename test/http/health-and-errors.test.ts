import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createPool } from '../../adapters/postgres/pool.js'
import { appOverTestDatabase, buildTestApp } from '../support/http-app.js'

const subject = appOverTestDatabase()

interface ProblemResponse {
  statusCode: number
  headers: Record<string, unknown>
  json(): { status: number; type: string; title: unknown; detail: unknown; instance: string }
}

function assertProblem(response: ProblemResponse, status: number, slug: string) {
  assert.equal(response.statusCode, status)
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/)
  const body = response.json()
  assert.equal(body.status, status)
  assert.equal(body.type, `https://aforro.dev/problems/${slug}`)
  assert.equal(typeof body.title, 'string')
  assert.equal(typeof body.detail, 'string')
  return body
}

describe('health', () => {
  test('GET / names the service and its version', async () => {
    const response = await subject.app.inject({ method: 'GET', url: '/' })

    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { status: 'ok', service: 'aforro-api', version: '0.1.0' })
  })

  test('liveness and readiness answer, with and without a trailing slash', async () => {
    for (const url of ['/health/live', '/health/live/', '/health/ready', '/health/ready/']) {
      const response = await subject.app.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 200, url)
    }
    const ready = await subject.app.inject({ method: 'GET', url: '/health/ready' })
    assert.deepEqual(ready.json(), { status: 'ok', checks: { postgres: 'ok', redis: 'not-configured' } })
  })

  test('readiness is 503 when Postgres is unreachable', async () => {
    const deadPool = createPool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', applicationName: 'test' })
    const deadApp = await buildTestApp({ url: subject.db.url, pool: deadPool })

    const response = await deadApp.inject({ method: 'GET', url: '/health/ready' })

    assert.equal(response.statusCode, 503)
    assert.deepEqual(response.json(), { status: 'unavailable', checks: { postgres: 'down', redis: 'not-configured' } })
    await deadApp.close()
    await deadPool.end()
  })
})

describe('errors are problem+json', () => {
  test('an unknown route is a 404 problem', async () => {
    const response = await subject.app.inject({ method: 'GET', url: '/no/such/thing?x=1' })

    const body = assertProblem(response, 404, 'not-found')
    assert.equal(body.instance, '/no/such/thing')
  })
})

describe('request ids', () => {
  test('echoes a valid incoming x-request-id and replaces an invalid one', async () => {
    const echoed = await subject.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123' } })
    const replaced = await subject.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'bad id <script>' } })
    const fresh = await subject.app.inject({ method: 'GET', url: '/nope' })

    assert.equal(echoed.headers['x-request-id'], 'abc-123')
    assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/)
    assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  })
})

describe('API documentation', () => {
  test('serves an OpenAPI 3 document and the docs page', async () => {
    const spec = await subject.app.inject({ method: 'GET', url: '/openapi.json' })
    const docs = await subject.app.inject({ method: 'GET', url: '/docs' })

    assert.equal(spec.statusCode, 200)
    const document = spec.json<{ openapi: string; paths: Record<string, unknown> }>()
    assert.match(document.openapi, /^3\./)
    assert.ok(document.paths['/health/ready'])
    assert.ok(docs.statusCode === 200 || docs.statusCode === 302, `docs answered ${docs.statusCode}`)
  })
})
