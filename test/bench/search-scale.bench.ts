import { Agent, request } from 'node:http'
import { parseArgs } from 'node:util'
import type pg from 'pg'
import { createPool } from '../../adapters/postgres/pool.js'
import { SEARCH_COUNT_CAP } from '../../application/catalog/ports/product-search.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { startProgram, type RunningProgram } from '../support/programs.js'
import { databaseUrl, freePort, startPostgres, startRedisServer, withClient } from '../support/services.js'
import { countOption, percentile } from './measure.js'
import type { BenchContext } from './run.js'

/**
 * Search and autocomplete at scale, over HTTP, every request a cache miss.
 *
 * Seeds (or reuses) 1,000,000 products / 200 stores in the database `aforro_bench` of DATABASE_URL's
 * server (nothing else there is touched), starts the real API process over it (with a private
 * redis-server, so the cache miss path is the production one), and sends each query shape with
 * many distinct queries built from the words the catalog holds (broad and rare, whole words and
 * prefixes), at one connection and at ten. No URL is sent twice in a run, so no request can be a
 * cache hit; the cache's own counters (GET /metrics) are printed to prove it. Then checks counts
 * and pages at this scale (checkAtScale), and fails the run when one is wrong.
 *
 * Options: --products N (1000000), --stores N (200), --reseed, --requests N (per cell at one
 * connection; twice that at ten), --seconds N (a cell stops sending after this long), --only text
 * (shapes whose label contains it), --database name (aforro_bench; another build's catalog can
 * live beside it, to compare the two).
 */
const DEFAULT_DATABASE = 'aforro_bench'
const SEED = 42
const CATEGORIES = 10
const INVENTORY_PER_STORE = 300

interface Vocabulary {
  /** Title words, commonest first. */
  titleWords: string[]
  /** Words found in descriptions and in no title or category name. */
  descriptionWords: string[]
  /** Three-letter starts shared by several words (con, com, ele, gra…). */
  shortPrefixes: string[]
  /** Starts of category names that are words or prefixes of their own (electronic, book…). */
  categoryPrefixes: string[]
  categories: string[]
  /** Pairs of words that occur together in some title. */
  titlePairs: string[]
  stores: number
}

interface Shape {
  label: string
  target: string
  /** The i-th distinct URL of this shape (i counts from 0; never repeats for different i). */
  url: (i: number) => string
}

const search = (params: Record<string, string | number>) =>
  `/api/search/products/?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString()}`

/** Picks the i-th item of a list, cycling, and a page size that makes repeats distinct URLs of equal work. */
const cycle = <T>(items: T[], i: number): [T, number] => [items[i % items.length] as T, 20 + (Math.floor(i / items.length) % 80)]

function shapes(v: Vocabulary): Shape[] {
  const broad = v.titleWords.slice(0, Math.max(20, Math.ceil(v.titleWords.length / 3)))
  const allWords = [...v.titleWords, ...v.shortPrefixes, ...v.categoryPrefixes, ...v.descriptionWords.slice(0, 40)]
  const prices = [
    ['10', '200'],
    ['50', '500'],
    ['100', '1000'],
    ['500', '1500'],
    ['1', '100'],
  ]
  // Fragments of title words (prefixes and infixes of 3 to 6 letters) and starts of word pairs.
  const suggestInputs = [
    ...new Set([
      ...v.shortPrefixes,
      ...v.titleWords.flatMap((word) =>
        [3, 4, 5, 6].flatMap((length) => Array.from({ length: Math.max(0, word.length - length + 1) }, (_, at) => word.slice(at, at + length))),
      ),
      ...v.titlePairs.map((pair) => pair.slice(0, pair.indexOf(' ') + 3)),
    ]),
  ]
  return [
    {
      label: 'suggest',
      target: 'p99 ≤ 10 ms',
      url: (i) => {
        const q = suggestInputs[i % suggestInputs.length] as string
        return `/api/search/suggest/?q=${encodeURIComponent(q)}`
      },
    },
    {
      label: 'one word (all title words, prefixes, category prefixes, description words)',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q, size] = cycle(allWords, i)
        return search({ q, page_size: size })
      },
    },
    {
      label: 'one broad word',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q, size] = cycle(broad, i)
        return search({ q, page_size: size })
      },
    },
    {
      label: 'short prefix (con, com, ele, gra…)',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q, size] = cycle(v.shortPrefixes, i)
        return search({ q, page_size: size })
      },
    },
    {
      label: 'category-name prefix as a word',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q, size] = cycle(v.categoryPrefixes, i)
        return search({ q, page_size: size })
      },
    },
    {
      label: 'description-only word',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q, size] = cycle(v.descriptionWords, i)
        return search({ q, page_size: size })
      },
    },
    {
      label: 'two words',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q, size] = cycle(v.titlePairs, i)
        return search({ q, page_size: size })
      },
    },
    {
      label: 'word + category + price',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q, size] = cycle(broad, i)
        const [min, max] = prices[i % prices.length] as string[]
        return search({
          q,
          category: v.categories[(i * 7) % v.categories.length] as string,
          min_price: min as string,
          max_price: max as string,
          page_size: size,
        })
      },
    },
    {
      label: 'sort=price, broad word',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q, size] = cycle(broad, i)
        return search({ q, sort: i % 2 ? '-price' : 'price', page_size: size })
      },
    },
    {
      label: 'sort=newest, broad word',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q, size] = cycle(broad, i)
        return search({ q, sort: 'newest', page_size: size })
      },
    },
    {
      label: 'page 50 of a broad word',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q] = cycle(broad, i)
        return search({ q, page: 50 + Math.floor(i / broad.length), page_size: 20 })
      },
    },
    {
      label: 'store + in_stock (+ word)',
      target: 'p99 ≤ 50 ms',
      url: (i) => {
        const [q, size] = cycle(allWords, i)
        return search({ store_id: 1 + ((i * 37) % v.stores), in_stock: 'true', ...(i % 4 === 0 ? {} : { q }), page_size: size })
      },
    },
  ]
}

export default async function searchScale({ args }: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      products: { type: 'string', default: '1000000' },
      stores: { type: 'string', default: '200' },
      reseed: { type: 'boolean', default: false },
      requests: { type: 'string', default: '300' },
      seconds: { type: 'string', default: '20' },
      only: { type: 'string' },
      database: { type: 'string', default: DEFAULT_DATABASE },
    },
  })
  const database = String(values.database)
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`--database must be a plain lower-case name, got ${database}`)
  const products = countOption('products', values.products)
  const stores = Number(values.stores)
  const requests = Number(values.requests)
  const seconds = Number(values.seconds)
  const postgres = await startPostgres()
  const redis = await startRedisServer(await freePort())
  const url = databaseUrl(postgres.url, database)
  let api: RunningProgram | undefined
  let pool: pg.Pool | undefined
  // GET /metrics needs an admin key: one made for this run in the bench database, deleted at the end.
  let admin: TestKey | undefined
  try {
    pool = await openBenchCatalog(postgres.url, database, { reseed: values.reseed === true, products, stores })
    const vocabulary = await vocabularyOf(pool)
    admin = await adminKey(pool)
    log(
      `Vocabulary: ${vocabulary.titleWords.length} title words, ${vocabulary.descriptionWords.length} description-only words, ` +
        `${vocabulary.shortPrefixes.length} short prefixes (${vocabulary.shortPrefixes.slice(0, 8).join(', ')}…), ` +
        `${vocabulary.categoryPrefixes.length} category prefixes (${vocabulary.categoryPrefixes.slice(0, 6).join(', ')}…), ${vocabulary.titlePairs.length} word pairs`,
    )

    const port = await freePort()
    api = startProgram('bootstrap/server.js', [], {
      DATABASE_URL: url,
      REDIS_URL: redis.url,
      PORT: String(port),
      RUN_WORKER: 'false',
      RATE_LIMIT_SUGGEST: '1000000',
      LOG_LEVEL: 'warn',
    })
    const base = `http://127.0.0.1:${port}`
    await waitForHealth(base, api)
    const before = await metrics(base, admin)

    const rows: string[] = []
    const errors: string[] = []
    const selected = shapes(vocabulary).filter((shape) => values.only === undefined || shape.label.includes(String(values.only)))
    for (const shape of selected) {
      // Distinct URLs across both cells: the ten-connection run continues where the first stopped.
      const one = await load(base, shape.url, 0, requests, 1, seconds)
      const ten = await load(base, shape.url, requests, requests * 2, 10, seconds)
      errors.push(...one.errors, ...ten.errors)
      rows.push(
        `| ${shape.label} | ${fmt(one.p50)} | ${fmt(one.p99)} | ${one.rps.toFixed(0)} | ${fmt(ten.p50)} | ${fmt(ten.p99)} | ${ten.rps.toFixed(0)} | ${one.sent + ten.sent} | ${shape.target} |`,
      )
      log(rows.at(-1) as string)
    }
    const after = await metrics(base, admin)
    const hits = (after.hit ?? 0) - (before.hit ?? 0)
    const misses = (after.miss ?? 0) - (before.miss ?? 0)
    const checked = await checkAtScale(base, pool, selected, requests * 3)
    log(
      `\n${products.toLocaleString('en')} products, ${stores} stores; HTTP to the API process (Redis cache in front); latency in ms; ` +
        `each cell ≤ ${requests} (1 connection) / ${requests * 2} (10 connections) distinct URLs, ≤ ${seconds} s\n\n` +
        `| shape | 1 conn p50 | 1 conn p99 | 1 conn req/s | 10 conn p50 | 10 conn p99 | 10 conn req/s | requests | target |\n` +
        `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n${rows.join('\n')}\n\n` +
        `Cache: ${hits} hits, ${misses} misses (hit ratio ${(hits / Math.max(1, hits + misses)).toFixed(4)}); non-200 answers: ${errors.length}` +
        (errors.length > 0 ? `\n${[...new Set(errors)].slice(0, 10).join('\n')}` : '') +
        `\n${checked.summary}` +
        (checked.wrong.length > 0 ? `\n${checked.wrong.join('\n')}` : ''),
    )
    if (errors.length > 0 || checked.wrong.length > 0) process.exitCode = 1
  } finally {
    if (api !== undefined) {
      api.child.kill('SIGTERM')
      await api.exited
    }
    if (admin !== undefined) await pool?.query('DELETE FROM api_keys WHERE id = $1', [admin.id])
    await pool?.end()
    await redis.stop()
    await postgres.stop()
  }
}

/**
 * The benchmark catalog in `database` on the server of `serverUrl`, created and seeded unless it
 * already holds the same seeded catalog (search-plans reads it too); the caller ends the pool.
 */
export async function openBenchCatalog(
  serverUrl: string,
  database: string,
  { reseed, products, stores }: { reseed: boolean; products: number; stores: number },
): Promise<pg.Pool> {
  await withClient(serverUrl, async (client) => {
    if (reseed) await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (rowCount === 0) await client.query(`CREATE DATABASE ${database}`)
  })
  const url = databaseUrl(serverUrl, database)
  const pool = createPool({ connectionString: url, applicationName: 'bench-search', max: 2, statementTimeoutMs: 600_000 })
  await prepareSchema(pool, url)
  const { rows } = await pool.query<{ products: number | null; stores: number | null; seed: number | null }>(
    `SELECT (counts->>'products')::int AS products, (counts->>'stores')::int AS stores, seed FROM seed_runs ORDER BY id DESC LIMIT 1`,
  )
  if (rows[0]?.products === products && rows[0].stores === stores && rows[0].seed === SEED) {
    log(`Reusing the seeded catalog of ${products.toLocaleString('en')} products, ${stores} stores in ${database} (--reseed to start over)`)
    return pool
  }
  log(`Seeding ${products.toLocaleString('en')} products, ${stores} stores (seed ${SEED}) into ${database}…`)
  const { seconds, counts } = await runSeed(pool, { categories: CATEGORIES, products, stores, inventoryPerStore: INVENTORY_PER_STORE, reset: true, seed: SEED })
  log(`Seeded, search ready, in ${seconds.toFixed(1)} s (${counts.inventory.toLocaleString('en')} inventory rows)`)
  return pool
}

/** Words as the catalog holds them, from a 2 % sample of products (the vocabulary is the same, far cheaper). */
async function vocabularyOf(pool: pg.Pool): Promise<Vocabulary> {
  const words = async (column: string) =>
    (
      await pool.query<{ word: string; ndoc: number }>(
        `SELECT word, ndoc FROM ts_stat($$SELECT to_tsvector('aforro_search', immutable_unaccent(${column})) FROM products TABLESAMPLE SYSTEM (2) REPEATABLE (1)$$)
          WHERE word ~ '^[a-z]{3,}$' ORDER BY ndoc DESC, word`,
      )
    ).rows
  const title = await words('title')
  const description = await words(`coalesce(description, '')`)
  const categories = (await pool.query<{ name: string }>('SELECT name FROM categories ORDER BY id')).rows.map((row) => row.name)
  const categoryWords = new Set(categories.flatMap((name) => name.toLowerCase().split(/[^a-z]+/)))
  const titleWords = title.map((row) => row.word)
  const inTitles = new Set(titleWords)
  const all = [...new Set([...titleWords, ...description.map((row) => row.word)])]
  const starts = new Map<string, number>()
  for (const word of all) starts.set(word.slice(0, 3), (starts.get(word.slice(0, 3)) ?? 0) + 1)
  const pairs = await pool.query<{ pair: string }>(
    `SELECT DISTINCT lower(split_part(title, ' ', 2) || ' ' || split_part(title, ' ', 3)) AS pair FROM products TABLESAMPLE SYSTEM (1) REPEATABLE (1)
      WHERE split_part(title, ' ', 3) <> '' LIMIT 400`,
  )
  const stores = (await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM stores')).rows[0]?.count ?? 1
  return {
    titleWords,
    descriptionWords: description.map((row) => row.word).filter((word) => !inTitles.has(word) && !categoryWords.has(word)),
    shortPrefixes: [...starts].filter(([, count]) => count >= 3).map(([prefix]) => prefix),
    categoryPrefixes: [...new Set([...categoryWords].filter((word) => word.length >= 4).flatMap((word) => [word.slice(0, 4), word.slice(0, -1), word]))],
    categories,
    titlePairs: pairs.rows.map((row) => row.pair),
    stores,
  }
}

/** What a search answers that the scale check reads. */
interface SearchPage {
  count: number
  count_exact: boolean
  results: { id: number }[]
}

/**
 * The count and pages of each shape at scale, after the timed runs (their cache counters are read
 * already): for CHECKED_PER_SHAPE more URLs of each shape, the count against a plain count(*)
 * over product_search and inventory (exact below the cap; at the cap, flagged, only above it), and
 * pages 1 and 2 of 10 against page 1 of 20 (the same products in the same order).
 */
const CHECKED_PER_SHAPE = 4

async function checkAtScale(base: string, pool: pg.Pool, shapes: Shape[], from: number): Promise<{ summary: string; wrong: string[] }> {
  const wrong: string[] = []
  let exact = 0
  let flagged = 0
  let paged = 0
  const page = async (path: string, params: Record<string, string>): Promise<SearchPage> => {
    const url = new URL(path, base)
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
    const response = await fetch(url)
    if (!response.ok) throw new Error(`GET ${url.pathname}${url.search} answered ${response.status}`)
    return (await response.json()) as SearchPage
  }
  for (const shape of shapes.filter((candidate) => candidate.url(0).startsWith('/api/search/products/'))) {
    for (let i = from; i < from + CHECKED_PER_SHAPE; i++) {
      const path = shape.url(i)
      const answered = await page(path, {})
      const expected = await plainCount(pool, new URL(path, base).searchParams)
      if (answered.count_exact ? answered.count === expected : answered.count === SEARCH_COUNT_CAP && expected > SEARCH_COUNT_CAP) {
        if (answered.count_exact) exact++
        else flagged++
      } else wrong.push(`count of ${path}: ${answered.count} (exact: ${answered.count_exact}), count(*) says ${expected}`)
    }
    const path = shape.url(from + CHECKED_PER_SHAPE)
    const [first, second, both] = await Promise.all([
      page(path, { page: '1', page_size: '10' }),
      page(path, { page: '2', page_size: '10' }),
      page(path, { page: '1', page_size: '20' }),
    ])
    const ids = (answer: SearchPage) => answer.results.map((hit) => hit.id).join(',')
    if (`${ids(first)},${ids(second)}`.replace(/^,|,$/g, '') === ids(both)) paged++
    else wrong.push(`pages of ${path}: ${ids(first)} | ${ids(second)} against ${ids(both)}`)
  }
  return {
    summary: `Checked against count(*): ${exact} counts exact, ${flagged} flagged at the cap (each above it), ${wrong.length} wrong; pages 1-2 of 10 = page 1 of 20 for ${paged} shapes`,
    wrong,
  }
}

/** count(*) of what a search URL asks, read from product_search and inventory, not from the counts search keeps. */
async function plainCount(pool: pg.Pool, params: URLSearchParams): Promise<number> {
  const q = params.get('q')
  const words = q === null ? null : q.split(/\s+/).filter((word) => word !== '')
  const inStock = params.get('in_stock')
  const { rows } = await pool.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM product_search s
      WHERE ($1::text[] IS NULL OR s.document @@ search_words_query($1, $2, ''))
        AND ($3::text IS NULL OR s.category_id = (SELECT id FROM categories WHERE lower(name) = lower($3)))
        AND ($4::numeric IS NULL OR s.price >= $4)
        AND ($5::numeric IS NULL OR s.price <= $5)
        AND ($6::bigint IS NULL OR EXISTS (SELECT 1 FROM inventory i WHERE i.product_id = s.product_id AND i.store_id = $6 AND ($7::boolean IS NULL OR (i.quantity > 0) = $7)))
        AND ($6::bigint IS NOT NULL OR $7::boolean IS NULL OR EXISTS (SELECT 1 FROM inventory i WHERE i.product_id = s.product_id AND i.quantity > 0) = $7)`,
    [
      words,
      words !== null && [...(words.at(-1) ?? '')].length >= 3,
      params.get('category'),
      params.get('min_price'),
      params.get('max_price'),
      params.get('store_id'),
      inStock === null ? null : inStock === 'true',
    ],
  )
  return rows[0]?.count ?? Number.NaN
}

interface CellResult {
  sent: number
  p50: number
  p99: number
  rps: number
  errors: string[]
}

/** Sends URLs first..last-1 with `connections` requests in flight, stopping early after `seconds`. */
/** Every URL sent in this run: none is sent twice, so none can be served from the cache. */
const sent = new Set<string>()

async function load(base: string, url: (i: number) => string, first: number, last: number, connections: number, seconds: number): Promise<CellResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const latencies: number[] = []
  const errors: string[] = []
  let next = first
  const started = performance.now()
  const deadline = started + seconds * 1000
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < last && performance.now() < deadline) {
        let path = url(next++)
        // Shapes can build the same URL (a word that is also a prefix…): each is sent once per run.
        while (sent.has(path)) path = url(next++)
        sent.add(path)
        const begin = performance.now()
        const status = await get(agent, `${base}${path}`)
        latencies.push(performance.now() - begin)
        if (status !== 200) errors.push(`${status} ${path}`)
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return { sent: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps: latencies.length / elapsed, errors }
}

function get(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Cache lookups by outcome (hit, miss, skip), from the Prometheus text of /metrics. */
async function metrics(base: string, admin: TestKey): Promise<Record<string, number>> {
  const response = await fetch(`${base}/metrics`, { headers: admin.headers })
  const text = await response.text()
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}: ${text}`)
  const totals: Record<string, number> = {}
  const add = (outcome: string, count: number) => (totals[outcome] = (totals[outcome] ?? 0) + count)
  for (const match of text.matchAll(/^aforro_cache_lookups_total\{[^}]*outcome="(\w+)"[^}]*\} (\d+)/gm)) add(match[1] as string, Number(match[2]))
  return totals
}

async function waitForHealth(base: string, api: RunningProgram): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (api.child.exitCode !== null) throw new Error(`the API exited: ${api.output()}`)
    try {
      if ((await fetch(`${base}/health/live`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the API did not become healthy: ${api.output()}`)
}

const fmt = (ms: number) => ms.toFixed(1)

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}
