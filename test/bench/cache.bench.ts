import { parseArgs } from 'node:util'
import type { FastifyInstance } from 'fastify'
import type pg from 'pg'
import { buildHttpApp } from '../../adapters/http/build-http-app.js'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import { PgInventoryQueries } from '../../adapters/postgres/pg-inventory-queries.js'
import { PgProductSearch } from '../../adapters/postgres/pg-product-search.js'
import { createPool } from '../../adapters/postgres/pool.js'
import type { Cache } from '../../adapters/cache/cache.js'
import { ListStoreInventory } from '../../application/inventory/list-store-inventory.js'
import { SearchProducts } from '../../application/catalog/search-products.js'
import { SuggestProducts } from '../../application/catalog/suggest-products.js'
import { loadConfig } from '../../bootstrap/runtime/config.js'
import { compose, httpDeps, startCache } from '../../bootstrap/composition/container.js'
import { createLogger } from '../../bootstrap/runtime/logger.js'
import { openRedis } from '../../bootstrap/infrastructure/redis.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { databaseUrl, startPostgres, startRedis, withClient } from '../support/services.js'
import { percentile, STATS_HEADER, statsRow, type Stats } from './measure.js'
import type { BenchContext } from './run.js'

/**
 * Warm against cold for every cached endpoint, through the whole HTTP stack (inject, no sockets):
 * "no cache" is the same route over the bare Postgres adapters; "cold" a cache miss (the cache is
 * invalidated, untimed, before each request: generation read + Postgres + write); "warm" a hit.
 * Each variant cycles through the same inputs. Services: DATABASE_URL / REDIS_URL when set, else
 * an embedded Postgres and a private redis-server. `--products N --stores N` set the scale.
 */
const SCRATCH_DATABASE = 'aforro_bench_cache'

const SUGGEST_INPUTS = ['ste', 'cha', 'gra', 'rus', 'woo', 'bam', 'ele', 'sma', 'tas', 'ing', 'ton', 'café', 'keyboard', 'fish', 'frozen', 'zzz']
const SEARCH_WORDS = ['steel', 'chair', 'cotton', 'bamboo chair', 'rustic gra', 'keyb', 'soft', 'table']

interface Endpoint {
  label: string
  urls: (stores: number) => string[]
}

const ENDPOINTS: Endpoint[] = [
  { label: 'autocomplete', urls: () => SUGGEST_INPUTS.map((q) => `/api/search/suggest/?q=${encodeURIComponent(q)}`) },
  { label: 'search: words, relevance', urls: () => SEARCH_WORDS.map((q) => `/api/search/products/?q=${encodeURIComponent(q)}`) },
  {
    label: 'search: store + in stock + word',
    urls: (stores) => SEARCH_WORDS.map((q, i) => `/api/search/products/?q=${encodeURIComponent(q)}&store_id=${1 + (i % stores)}&in_stock=true`),
  },
  { label: 'search: browse newest', urls: () => [1, 2, 3, 4].map((page) => `/api/search/products/?page=${page}`) },
  { label: 'store inventory, 20 a page', urls: (stores) => Array.from({ length: stores }, (_, i) => `/stores/${i + 1}/inventory/`) },
  { label: 'store inventory, 100 a page', urls: (stores) => Array.from({ length: stores }, (_, i) => `/stores/${i + 1}/inventory/?page_size=100`) },
]

export default async function cacheBenchmark({ args }: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: false,
    options: { products: { type: 'string', default: '1000' }, stores: { type: 'string', default: '20' }, samples: { type: 'string', default: '300' } },
  })
  const products = Number(values.products)
  const stores = Number(values.stores)
  const samples = Number(values.samples)
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()])
  if (redis === undefined) throw new Error('No Redis: set REDIS_URL or install redis-server')
  const url = databaseUrl(postgres.url, SCRATCH_DATABASE)
  await withClient(postgres.url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${SCRATCH_DATABASE}`)
  })
  const pool = createPool({ connectionString: url, applicationName: 'bench-cache', max: 4 })
  try {
    await prepareSchema(pool, url)
    await runSeed(pool, { categories: 10, products, stores, inventoryPerStore: 300, reset: true, seed: 1 }, process.stderr)
    await pool.query('VACUUM ANALYZE')
    log(`${products.toLocaleString('en')} products, ${stores} stores, ≥300 stocked products each; ${samples} requests per cell, one at a time\n`)
    const redisApp = await appOver(pool, url, { REDIS_URL: redis.url })
    const memoryApp = await appOver(pool, url, {})
    const bareApp = await appOver(pool, url, {}, true)
    const rows: string[] = []
    for (const endpoint of ENDPOINTS) {
      const urls = endpoint.urls(stores)
      const bare = await time(bareApp.app, urls, samples)
      const redisCold = await time(redisApp.app, urls, samples, () => redisApp.cache.invalidate(['catalog']))
      const redisWarm = await time(redisApp.app, urls, samples)
      const memoryCold = await time(memoryApp.app, urls, samples, () => memoryApp.cache.invalidate(['catalog']))
      const memoryWarm = await time(memoryApp.app, urls, samples)
      rows.push(
        statsRow(`${endpoint.label} — no cache`, bare),
        statsRow(`${endpoint.label} — Redis cold (miss)`, redisCold),
        statsRow(`${endpoint.label} — Redis warm (hit)`, redisWarm),
        statsRow(`${endpoint.label} — in-process cold (miss)`, memoryCold),
        statsRow(`${endpoint.label} — in-process warm (hit)`, memoryWarm),
      )
    }
    log(`${STATS_HEADER}\n${rows.join('\n')}`)
    for (const { app } of [redisApp, memoryApp, bareApp]) await app.close()
  } finally {
    await pool.end()
    await withClient(postgres.url, (client) => client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`))
    await Promise.all([postgres.stop(), redis.stop()])
  }
}

/**
 * The real composition; `bare` swaps the read routes' ports for the uncached Postgres adapters.
 * `sessionPool` holds the catalog listener's connection, as the server's session pool does;
 * without it the listener keeps one of `pool`'s.
 */
export async function appOver(
  pool: pg.Pool,
  url: string,
  env: Record<string, string>,
  bare = false,
  sessionPool?: pg.Pool,
): Promise<{ app: FastifyInstance; cache: Cache }> {
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent', ...env })
  const logger = createLogger(config, 'bench')
  const boss = createPgBoss({ connectionString: url, worker: false, max: 1 })
  await boss.start()
  const redis = await openRedis(config, logger, `aforro-bench:${process.pid}:`)
  const composition = compose({ config, logger, pool, sessionPool, boss, redis })
  const search = new PgProductSearch(pool)
  const uncached = bare
    ? {
        searchProducts: new SearchProducts(search),
        suggestProducts: new SuggestProducts(search),
        listStoreInventory: new ListStoreInventory(new PgInventoryQueries(pool)),
      }
    : {}
  const stopCache = await startCache(composition)
  const deps = httpDeps(composition)
  const app = await buildHttpApp({ ...deps, useCases: { ...deps.useCases, ...uncached }, suggestGuard: undefined })
  app.addHook('onClose', async () => {
    await stopCache()
    await boss.stop({ graceful: false })
    await redis?.close()
  })
  return { app, cache: composition.cache }
}

/** Latency of `samples` requests cycling through `urls`, each after an untimed `before`; a warm-up round first. */
async function time(app: FastifyInstance, urls: string[], samples: number, before?: () => Promise<void>): Promise<Stats> {
  const request = async (url: string) => {
    const response = await app.inject({ method: 'GET', url })
    if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${response.body}`)
  }
  for (const url of urls) await request(url)
  const times: number[] = []
  for (let run = 0; run < samples; run++) {
    await before?.()
    const started = performance.now()
    await request(urls[run % urls.length] as string)
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return { samples, medianMs: percentile(times, 50), p99Ms: percentile(times, 99), maxMs: times.at(-1) ?? Number.NaN }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}
