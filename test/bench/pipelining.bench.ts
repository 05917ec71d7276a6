import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPool } from '../../adapters/postgres/pool.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { peakResidentBytes, residentBytes, startPipeliningAttack } from '../support/pipelining-attack.js'
import { startProgram, waitUntilReady } from '../support/programs.js'
import { databaseUrl, freePort, startPostgres, withClient } from '../support/services.js'
import { percentile, runConcurrently } from './measure.js'
import type { BenchContext } from './run.js'

/**
 * The memory attack of issue 10 against a real API process: `--sockets` connections on loopback
 * each pipeline `--requests` GETs in one write (the docs bundle, the OpenAPI document, a 100-row
 * search page, a 100-row inventory page) and never read. Reports the process's RSS before, at
 * its peak during `--seconds` of attack, and 3 s after the attackers hang up, plus the latency
 * another client sees meanwhile (one request every 100 ms). First, with no attack, the throughput
 * of well-behaved keep-alive clients (20 at once, 3,000 GET /health/live): what answering one
 * request per connection at a time costs them.
 */
const SCRATCH_DATABASE = 'aforro_bench_pipelining'
const PATHS = ['/docs/static/swagger-ui-bundle.js', '/openapi.json', '/api/search/products/?page_size=100', '/stores/1/inventory/?page_size=100']

export default async function pipeliningBenchmark({ args }: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: false,
    options: { sockets: { type: 'string', default: '300' }, requests: { type: 'string', default: '40' }, seconds: { type: 'string', default: '8' } },
  })
  const sockets = Number(values.sockets)
  const requestsPerSocket = Number(values.requests)
  const attackMs = Number(values.seconds) * 1000
  const postgres = await startPostgres()
  const url = databaseUrl(postgres.url, SCRATCH_DATABASE)
  await withClient(postgres.url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${SCRATCH_DATABASE}`)
  })
  const pool = createPool({ connectionString: url, applicationName: 'bench-pipelining', max: 2 })
  const port = await freePort()
  const server = startProgram('bootstrap/server.js', [], { DATABASE_URL: url, PORT: String(port), LOG_LEVEL: 'silent' })
  try {
    await prepareSchema(pool, url)
    await runSeed(pool, { categories: 10, products: 1000, stores: 2, inventoryPerStore: 300, reset: true, seed: 1 }, process.stderr)
    await waitUntilReady(port)
    const pid = server.child.pid as number
    for (const path of PATHS) for (let round = 0; round < 20; round++) await get(port, path)
    const calm = await runConcurrently(3_000, 20, () => get(port, '/health/live'))
    const before = residentBytes(pid)
    const hangUp = await startPipeliningAttack({ port, sockets, requestsPerSocket, paths: PATHS })
    const probes: number[] = []
    let failures = 0
    const probing = (async () => {
      for (const deadline = Date.now() + attackMs; Date.now() < deadline;) {
        const started = performance.now()
        try {
          await get(port, '/health/live', AbortSignal.timeout(5_000))
          probes.push(performance.now() - started)
        } catch {
          failures++
        }
        await sleep(100)
      }
    })()
    const peak = await peakResidentBytes(pid, attackMs)
    await probing
    hangUp()
    await sleep(3_000)
    const after = residentBytes(pid)
    probes.sort((a, b) => a - b)
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0)
    const calmLatencies = calm.latencies.sort((a, b) => a - b)
    log(
      `no attack: 3,000 GET /health/live over 20 keep-alive connections: ${(3_000 / calm.seconds).toFixed(0)} req/s, median ${percentile(calmLatencies, 50).toFixed(1)} ms, p99 ${percentile(calmLatencies, 99).toFixed(1)} ms`,
    )
    log(`${sockets} sockets × ${requestsPerSocket} pipelined GETs (never read), ${attackMs / 1000} s; 1,000 products, 2 stores`)
    log('| RSS before MiB | peak during MiB | 3 s after hang-up MiB | probe median ms | probe p99 ms | probes ok / failed |')
    log('| ---: | ---: | ---: | ---: | ---: | ---: |')
    log(
      `| ${mib(before)} | ${mib(peak)} | ${mib(after)} | ${percentile(probes, 50).toFixed(1)} | ${percentile(probes, 99).toFixed(1)} | ${probes.length} / ${failures} |`,
    )
  } finally {
    server.child.kill('SIGTERM')
    await server.exited
    await pool.end()
    await withClient(postgres.url, (client) => client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`))
    await postgres.stop()
  }
}

async function get(port: number, path: string, signal?: AbortSignal): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, signal ? { signal } : {})
  await response.arrayBuffer()
  if (!response.ok) throw new Error(`${path} answered ${response.status}`)
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}
