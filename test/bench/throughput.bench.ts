import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPool } from '../../adapters/postgres/pool.js'
import { DEFAULT_DATABASE_POOL_SIZE } from '../../bootstrap/runtime/config.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { requireBinary } from '../support/binaries.js'
import { databaseUrl, freePort, startPostgres, startRedisServer, withClient } from '../support/services.js'
import { appOver } from './cache.bench.js'
import type { BenchContext } from './run.js'

/**
 * Requests per second over real sockets (wrk, 10 connections, one thread) against the ceiling of
 * this machine at that moment: a bare Fastify route in its own process, measured in the same run,
 * alternating with the others round by round. The app is the real server process
 * (bootstrap/server.js) over a scratch database and a private redis-server, with request logs off
 * (LOG_LEVEL=warn) and the autocomplete budget raised so that the limiter counts every request
 * (leasing tokens in batches, as for any busy client) but never refuses. The uncached inventory page is the same HTTP stack over the bare Postgres
 * adapter, served from this process. `--seconds N --rounds N --products N`; `--profile DIR` writes
 * a CPU profile of the server process there; `--only TEXT` measures only the targets whose label
 * contains TEXT (and the bare route), so a profile shows one path.
 */
const SCRATCH_DATABASE = 'aforro_bench_throughput'
const CONNECTIONS = 10
/** Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100
const DIST = fileURLToPath(new URL('../../', import.meta.url))

type Server = 'app' | 'bare' | 'uncached'

interface Target {
  label: string
  server: Server
  url: (ports: Record<Server, number>) => string
}

const TARGETS: Target[] = [
  { label: 'bare Fastify route (ceiling)', server: 'bare', url: ({ bare }) => `http://127.0.0.1:${bare}/` },
  { label: 'the app without I/O (GET /health/live)', server: 'app', url: ({ app }) => `http://127.0.0.1:${app}/health/live` },
  { label: 'cached autocomplete (q=keyboard)', server: 'app', url: ({ app }) => `http://127.0.0.1:${app}/api/search/suggest/?q=keyboard` },
  { label: 'cached search page (q=keyboard)', server: 'app', url: ({ app }) => `http://127.0.0.1:${app}/api/search/products/?q=keyboard` },
  { label: 'uncached inventory page, 100 rows', server: 'uncached', url: ({ uncached }) => `http://127.0.0.1:${uncached}/stores/1/inventory/?page_size=100` },
]

interface WrkResult {
  requests: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
}

/** A run's result and the CPU time its server process and the app's redis-server spent on it. */
interface Measured extends WrkResult {
  serverCpuUsPerRequest: number
  redisCpuUsPerRequest: number
}

export default async function throughputBenchmark({ args }: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      products: { type: 'string', default: '1000' },
      profile: { type: 'string' },
      only: { type: 'string' },
    },
  })
  const seconds = Number(values.seconds)
  const rounds = Number(values.rounds)
  const products = Number(values.products)
  const only = values.only
  const targets = TARGETS.filter((target, index) => index === 0 || typeof only !== 'string' || target.label.includes(only))
  // Checked before anything starts: a missing wrk found after the servers are up left them running.
  requireBinary('wrk', 'wrk')
  const postgres = await startPostgres()
  const redis = await startRedisServer(await freePort())
  const url = databaseUrl(postgres.url, SCRATCH_DATABASE)
  await withClient(postgres.url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${SCRATCH_DATABASE}`)
  })
  const pool = createPool({ connectionString: url, applicationName: 'bench-throughput', max: CONNECTIONS })
  const children: ChildProcess[] = []
  let servingPool: ReturnType<typeof createPool> | undefined
  try {
    await prepareSchema(pool, url)
    await runSeed(pool, { categories: 10, products, stores: 20, inventoryPerStore: 300, reset: true, seed: 1 }, process.stderr)
    await pool.query('VACUUM ANALYZE')
    const ports = { app: await freePort(), bare: await freePort(), uncached: await freePort() }
    const profile = typeof values.profile === 'string' ? [`--cpu-prof`, `--cpu-prof-dir=${values.profile}`] : []
    children.push(
      startNode([...profile, `${DIST}bootstrap/server.js`], {
        DATABASE_URL: url,
        REDIS_URL: redis.url,
        PORT: String(ports.app),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_SUGGEST: '1000000',
      }),
      startNode([`${DIST}test/bench/bare-fastify-server.js`, String(ports.bare)], {}),
    )
    // Served as the server process would serve it: over a pool of the default size, with the
    // catalog listener's connection held elsewhere (here, the seeding pool).
    servingPool = createPool({ connectionString: url, applicationName: 'bench-throughput-serving', max: DEFAULT_DATABASE_POOL_SIZE })
    const uncached = await appOver(servingPool, url, {}, true, pool)
    await uncached.app.listen({ port: ports.uncached, host: '127.0.0.1' })
    for (const target of TARGETS) await waitFor200(target.url(ports))

    log(`${products.toLocaleString('en')} products, 20 stores; wrk, ${CONNECTIONS} connections, 1 thread, ${seconds} s per cell, ${rounds} rounds\n`)
    const pids: Record<Server, number | undefined> = { app: children[0]?.pid, bare: children[1]?.pid, uncached: process.pid }
    const results = new Map<string, Measured[]>(targets.map((target) => [target.label, []]))
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        const cpuBefore = [await cpuMs(pids[target.server]), await cpuMs(redis.process.pid)]
        const result = await wrk(target.url(ports), seconds)
        const cpuAfter = [await cpuMs(pids[target.server]), await cpuMs(redis.process.pid)]
        const usPerRequest = (index: number) => (1000 * ((cpuAfter[index] ?? 0) - (cpuBefore[index] ?? 0))) / result.requests
        results.get(target.label)?.push({ ...result, serverCpuUsPerRequest: usPerRequest(0), redisCpuUsPerRequest: usPerRequest(1) })
      }
    }
    const bareRuns = results.get(TARGETS[0]?.label ?? '') ?? []
    const ceiling = median(bareRuns.map((result) => result.requestsPerSecond))
    const ceilingCpu = median(bareRuns.map((result) => result.serverCpuUsPerRequest))
    // "By CPU" is the bare route's CPU per request over the target's (app and Redis): the ratio of
    // req/s each would reach with a core to itself, which other processes' load hardly moves. Not
    // for the uncached page, whose Postgres time is in processes this does not measure.
    log('| target | req/s (median) | vs bare route | by CPU | p50 ms | p99 ms | server CPU µs/req | Redis CPU µs/req | req/s per round |')
    log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
    for (const target of targets) {
      const runs = results.get(target.label) ?? []
      const rate = median(runs.map((run) => run.requestsPerSecond))
      const cpu = median(runs.map((run) => run.serverCpuUsPerRequest))
      const redisCpu = median(runs.map((run) => run.redisCpuUsPerRequest))
      const byCpu = target.server === 'uncached' ? '–' : `${((100 * ceilingCpu) / (cpu + redisCpu)).toFixed(0)} %`
      log(
        `| ${target.label} | ${Math.round(rate)} | ${((100 * rate) / ceiling).toFixed(0)} % | ${byCpu} | ` +
          `${median(runs.map((run) => run.p50Ms)).toFixed(2)} | ${median(runs.map((run) => run.p99Ms)).toFixed(2)} | ${cpu.toFixed(1)} | ` +
          `${redisCpu.toFixed(1)} | ${runs.map((run) => Math.round(run.requestsPerSecond)).join(', ')} |`,
      )
    }
    await uncached.app.close()
  } finally {
    for (const child of children) {
      if (child.exitCode !== null) continue
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(12_000)])
    }
    await servingPool?.end()
    await pool.end()
    await withClient(postgres.url, (client) => client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`))
    await Promise.all([postgres.stop(), redis.stop()])
  }
}

function startNode(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--enable-source-maps', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
}

async function waitFor200(url: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      const response = await fetch(url)
      if (response.status === 200) return
      throw new Error(`${url} answered ${response.status}: ${await response.text()}`)
    } catch (error) {
      if (error instanceof Error && error.message.includes('answered')) throw error
      await sleep(100)
    }
  }
  throw new Error(`${url} never answered`)
}

async function wrk(url: string, seconds: number): Promise<WrkResult> {
  const { stdout } = await promisify(execFile)('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url], { timeout: (seconds + 30) * 1000 })
  const failures = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)
  if (failures) throw new Error(`${url}: ${failures[1]} responses were not 2xx\n${stdout}`)
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout)
  const requests = /(\d+) requests in/.exec(stdout)
  if (!rate || !requests) throw new Error(`wrk printed no rate for ${url}:\n${stdout}`)
  return { requests: Number(requests[1]), requestsPerSecond: Number(rate[1]), p50Ms: latencyMs(stdout, '50%'), p99Ms: latencyMs(stdout, '99%') }
}

/**
 * CPU time (user + system, ms) a process has used, from /proc: unlike req/s, CPU per request
 * hardly moves when other processes load the machine. NaN where /proc is missing.
 */
async function cpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND
  } catch {
    return Number.NaN
  }
}

/** A percentile line of wrk's --latency distribution ("  50%  812.00us"), in milliseconds. */
function latencyMs(output: string, percentile: string): number {
  const match = new RegExp(`^\\s+${percentile}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output)
  if (!match) return Number.NaN
  const scale = { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's']
  return Number(match[1]) * scale
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}
