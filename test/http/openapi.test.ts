import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, beforeEach, describe, test } from 'node:test'
import openapiTS, { type OpenAPI3 } from 'openapi-typescript'
import { SEEDED_EXAMPLES, type OpenApiDocument } from '../../adapters/http/openapi.js'
import { PgInventorySummaries } from '../../adapters/postgres/pg-inventory-summaries.js'
import { BuildDailyInventorySummary } from '../../application/inventory/build-daily-inventory-summary.js'
import { DEFAULT_SEED_PLAN, runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { appOverTestDatabase } from '../support/http-app.js'
import { REPO_ROOT } from '../support/source-files.js'

// The default data set, as the first `npm start` seeds it: the documented examples must work on it.
// The daily summary is built as `npm run jobs -- trigger daily-inventory-summary` would.
let admin: TestKey
const subject = appOverTestDatabase({
  prepare: async ({ pool }) => {
    admin = await adminKey(pool)
    await runSeed(pool, { ...DEFAULT_SEED_PLAN, seed: 1 }, new Writable({ write: (_chunk, _encoding, done) => done() }))
    await new BuildDailyInventorySummary(new PgInventorySummaries(pool), { now: () => new Date() }, 5).execute({})
  },
})

const workDir = mkdtempSync(join(tmpdir(), 'aforro-openapi-'))
after(() => rmSync(workDir, { recursive: true, force: true }))

// Read in the tests, not in a root hook of its own: that one could run before the app exists.
let document: OpenApiDocument
async function served(): Promise<OpenApiDocument> {
  document ??= (await subject.app.inject({ method: 'GET', url: '/openapi.json' })).json()
  return document
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const
function operations() {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item[method] ? [{ path, method, operation: item[method] }] : [])),
  )
}

/** A project-installed tool run on the project's Node, offline and quiet. */
function runTool(script: string, args: string[]) {
  return spawnSync(process.execPath, [join(REPO_ROOT, script), ...args], {
    cwd: workDir,
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  })
}

beforeEach(() => served())

describe('the served OpenAPI document', () => {
  test('passes `redocly lint` with the recommended rules without an error', () => {
    writeFileSync(join(workDir, 'openapi.json'), JSON.stringify(document))

    const lint = runTool('node_modules/@redocly/cli/bin/cli.js', ['lint', '--extends=recommended', '--format=json', 'openapi.json'])
    const report = JSON.parse(lint.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string }[] }

    const errors = report.problems.filter((problem) => problem.severity === 'error').map((problem) => problem.ruleId)
    assert.deepEqual(errors, [])
    assert.equal(report.totals.errors, 0)
  })

  test('every operation has a unique operationId, and every error is application/problem+json with the shared Problem schema', () => {
    const ids = operations().map(({ operation }) => operation.operationId)
    assert.ok(ids.every((id) => typeof id === 'string'))
    assert.equal(new Set(ids).size, ids.length)
    for (const { path, method, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) < 400 || (path === '/health/ready' && status === '503')) continue
        assert.deepEqual(response.content, { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }, `${method} ${path} ${status}`)
      }
      assert.ok(operation.responses?.['500'], `${method} ${path} documents 500`)
      assert.ok(operation.tags?.includes('health') || operation.responses?.['503'], `${method} ${path} documents 503`)
    }
  })

  test('names its schemas as components and documents the response headers', () => {
    const names = Object.keys(document.components?.schemas ?? {})
    for (const name of ['Problem', 'Order', 'CreatedOrder', 'PlaceOrderRequest', 'ProductHit', 'SearchPage', 'InventoryPage', 'StoreOrdersPage']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`)
    }
    const placeOrder = document.paths?.['/orders']?.post
    assert.deepEqual(Object.keys(placeOrder?.responses?.['201']?.headers ?? {}).sort(), ['Idempotent-Replayed', 'Location', 'x-request-id'])
    const suggest = document.paths?.['/api/search/suggest']?.get
    assert.deepEqual(Object.keys(suggest?.responses?.['429']?.headers ?? {}).sort(), [
      'Retry-After',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
      'x-request-id',
    ])
  })

  test('a typed client generated from it (openapi-typescript) compiles a call to every operation without any optional parameter', async () => {
    writeFileSync(join(workDir, 'api.ts'), await openapiTS(document as unknown as OpenAPI3, { silent: true }))
    // Genuinely required query parameters; every other query and header parameter must be optional.
    const requiredQuery: Record<string, Record<string, unknown>> = { suggestProducts: { q: 'cha' } }
    const calls = operations().map(({ path, operation }) => {
      const id = operation.operationId as string
      const pathParameters = [...path.matchAll(/\{(\w+)\}/g)].map((match) => `${match[1]}: 1`)
      const input = [
        pathParameters.length > 0 ? `path: { ${pathParameters.join(', ')} }` : '',
        requiredQuery[id] ? `query: ${JSON.stringify(requiredQuery[id])}` : '',
        operation.requestBody ? `body: ${JSON.stringify(SEEDED_EXAMPLES[id]?.body)}` : '',
      ].filter(Boolean)
      return `  await call('${id}', { ${input.join(', ')} })`
    })
    const client = (body: string) => `import type { components, operations } from './api.js'
type Op = keyof operations
type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never
type Input<K extends Op> = (operations[K] extends { parameters: infer P } ? P : {}) &
  (operations[K] extends { requestBody: { content: { 'application/json': infer B } } } ? { body: B } : {})
type Output<K extends Op> = Json<operations[K]['responses'][keyof operations[K]['responses'] & (200 | 201)]>
declare function call<K extends Op>(operation: K, input: Input<K>): Promise<Output<K>>
export async function everyOperation(): Promise<void> {
${body}
}
export const sentAt: Promise<string | null> = call('getOrder', { path: { order_id: 1 } }).then((order) => order.confirmation_sent_at)
export type ProblemFields = keyof components['schemas']['Problem']
`
    const compile = (source: string) => {
      writeFileSync(join(workDir, 'client.ts'), source)
      writeFileSync(
        join(workDir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', types: [] },
          files: ['client.ts'],
        }),
      )
      return runTool('node_modules/typescript/bin/tsc', ['-p', 'tsconfig.json'])
    }

    const everyCall = compile(client(calls.join('\n')))
    assert.equal(everyCall.status, 0, everyCall.stdout + everyCall.stderr)
    assert.equal(calls.length, operations().length)
    // The check can fail: leaving out a required path parameter does not compile.
    const missingPath = compile(client("  await call('getOrder', {})"))
    assert.notEqual(missingPath.status, 0)
    assert.match(missingPath.stdout, /path/)
  })
})

describe('the documented examples work on the default data set', () => {
  /** Protected operations are tried with an admin key, as a reader of /docs pastes one. */
  function requestFor(path: string, method: string, operationId: string, secured: boolean) {
    const example = SEEDED_EXAMPLES[operationId] ?? {}
    const parameters = example.parameters ?? {}
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => String(parameters[name]))
    const pathNames = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1])
    const query = new URLSearchParams(
      Object.entries(parameters)
        .filter(([name]) => !pathNames.includes(name))
        .map(([name, value]): [string, string] => [name, String(value)]),
    )
    return {
      method: method.toUpperCase() as 'GET',
      url: `${url}${query.size > 0 ? `?${query.toString()}` : ''}`,
      ...(example.body ? { payload: example.body } : {}),
      ...(secured ? { headers: admin.headers } : {}),
    }
  }

  test('every example request answers 2xx; the order confirms, the search and autocomplete find something', async () => {
    // The order first: getOrder's example reads the order it creates.
    const ordered = operations().sort((a, b) => Number(b.operation.operationId === 'placeOrder') - Number(a.operation.operationId === 'placeOrder'))
    const answers: Record<string, { statusCode: number; json: () => unknown }> = {}
    for (const { path, method, operation } of ordered) {
      const response = await subject.app.inject(requestFor(path, method, operation.operationId as string, (operation.security?.length ?? 0) > 0))
      answers[operation.operationId as string] = response
      assert.ok(response.statusCode < 300, `${operation.operationId}: ${response.statusCode} ${response.body}`)
    }

    assert.equal((answers.placeOrder?.json() as { status: string }).status, 'CONFIRMED')
    assert.ok((answers.searchProducts?.json() as { count: number }).count > 0)
    assert.ok((answers.suggestProducts?.json() as { suggestions: string[] }).suggestions.length > 0)
  })
})

test('/docs serves its page and every asset it loads from this server, with no network', async () => {
  for (const page of ['/docs', '/docs/']) {
    const html = await subject.app.inject({ method: 'GET', url: page })
    assert.equal(html.statusCode, 200)
    const assets = [...html.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string)
    assert.ok(assets.length >= 4, html.body)
    for (const asset of assets) {
      assert.doesNotMatch(asset, /^(https?:)?\/\//, `${asset} is fetched from elsewhere`)
      const served = await subject.app.inject({ method: 'GET', url: new URL(asset, `http://localhost${page}`).pathname })
      assert.equal(served.statusCode, 200, asset)
      assert.ok(served.rawPayload.length > 0, asset)
      // Stylesheets pull in nothing from elsewhere either (fonts, images).
      if (asset.endsWith('.css')) assert.doesNotMatch(served.body, /url\(\s*['"]?(https?:)?\/\//, asset)
    }
  }
  const initializer = (await subject.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' })).body
  assert.match(initializer, /validatorUrl: null/, 'no call to the public validator')
  const spec = await subject.app.inject({ method: 'GET', url: '/docs/json' })
  assert.equal(spec.json<{ openapi: string }>().openapi, '3.1.0')
})
