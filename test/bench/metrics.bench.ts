import { parseArgs } from 'node:util'
import type { AddressInfo } from 'node:net'
import { buildHttpApp, type HttpAppDeps } from '../../adapters/http/build-http-app.js'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import { createPool } from '../../adapters/postgres/pool.js'
import { compose, httpDeps } from '../../bootstrap/composition/container.js'
import { loadConfig } from '../../bootstrap/runtime/config.js'
import { createLogger } from '../../bootstrap/runtime/logger.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { databaseUrl, startPostgres, withClient } from '../support/services.js'
import { percentile, runConcurrently } from './measure.js'
import type { BenchContext } from './run.js'

/**
 * What request metrics cost on the cheapest read we serve: a warm (in-process) cached
 * autocomplete over real sockets on 127.0.0.1, with the request histogram and GET /metrics
 * against the same app with request metrics switched off (a no-op observer; the cache's own
 * counters still count in both). Rounds alternate between the two so that noise from other work
 * on the machine falls on both alike; reported are the median req/s of each and their ratio.
 */
const SCRATCH_DATABASE = 'aforro_bench_metrics'
const URL_PATH = '/api/search/suggest/?q=ste'

export default async function metricsBenchmark({ args }: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: false,
    options: { requests: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '8' }, concurrency: { type: 'string', default: '8' } },
  })
  const requests = Number(values.requests)
  const rounds = Number(values.rounds)
  const concurrency = Number(values.concurrency)
  const postgres = await startPostgres()
  const url = databaseUrl(postgres.url, SCRATCH_DATABASE)
  await withClient(postgres.url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${SCRATCH_DATABASE}`)
  })
  const pool = createPool({ connectionString: url, applicationName: 'bench-metrics', max: 4 })
  const boss = createPgBoss({ connectionString: url, worker: false, max: 1 })
  try {
    await prepareSchema(pool, url)
    await runSeed(pool, { categories: 10, products: 1000, stores: 20, inventoryPerStore: 300, reset: true, seed: 1 }, process.stderr)
    await boss.start()
    const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' })
    const deps = httpDeps(compose({ config, logger: createLogger(config, 'bench'), pool, boss }))
    const switchedOff: HttpAppDeps['metrics'] = { observeRequest: () => undefined, contentType: 'text/plain', exposition: async () => '' }
    const variants = [
      { label: 'with request metrics', base: await listening({ ...deps, suggestGuard: undefined }), rates: [] as number[] },
      { label: 'without', base: await listening({ ...deps, metrics: switchedOff, suggestGuard: undefined }), rates: [] as number[] },
    ]
    const hit = async (base: string) => {
      const response = await fetch(`${base}${URL_PATH}`)
      await response.arrayBuffer()
      if (response.status !== 200) throw new Error(`${URL_PATH} answered ${response.status}`)
    }
    for (const { base } of variants) await runConcurrently(200, concurrency, () => hit(base))
    for (let round = 0; round < rounds; round++) {
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
        const { seconds } = await runConcurrently(requests, concurrency, () => hit(variant.base))
        variant.rates.push(requests / seconds)
      }
    }
    const medians = variants.map((variant) => median(variant.rates))
    log(`1,000 products; warm in-process cache; ${rounds} alternating rounds of ${requests} GET ${URL_PATH} at concurrency ${concurrency}`)
    log('| variant | median req/s | rounds (req/s) |\n| --- | ---: | --- |')
    variants.forEach((variant, index) =>
      log(`| ${variant.label} | ${medians[index]?.toFixed(0)} | ${variant.rates.map((rate) => rate.toFixed(0)).join(', ')} |`),
    )
    log(`\nwith / without: ${((medians[0] ?? Number.NaN) / (medians[1] ?? Number.NaN)).toFixed(3)}`)
    for (const { base } of variants) await closers.get(base)?.()
  } finally {
    await boss.stop({ graceful: false })
    await pool.end()
    await withClient(postgres.url, (client) => client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`))
    await postgres.stop()
  }
}

const closers = new Map<string, () => Promise<void>>()

async function listening(deps: HttpAppDeps): Promise<string> {
  const app = await buildHttpApp(deps)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  closers.set(base, () => app.close())
  return base
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  )
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}
