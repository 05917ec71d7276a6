import type pg from 'pg'
import { execFile, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { INSERT_ORDER, LOCK_FOR_PLACEMENT } from '../../adapters/postgres/pg-order-repository.js'
import { createPool } from '../../adapters/postgres/pool.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { requireBinary } from '../support/binaries.js'
import { startProgram, waitUntilReady } from '../support/programs.js'
import { databaseUrl, freePort, startPostgres, withClient } from '../support/services.js'
import { countOption, round } from './measure.js'
import type { BenchContext } from './run.js'

/**
 * POST /orders/ against `pgbench` running the same all-or-nothing transaction on the same database,
 * in the same run, for one hot product and for 3-line orders spread over 1,000 products.
 *
 * Fair by construction, and saying where it is not:
 * - The service is the real server process (bootstrap/server.js, request logs off, the in-process
 *   cache: no REDIS_URL), loaded by wrk (1 thread, C); pgbench is also one C thread. Both get
 *   CONNECTIONS connections: wrk's HTTP connections with the server's pool of as many Postgres
 *   connections, pgbench's clients.
 * - pgbench runs the service's own statements (LOCK_FOR_PLACEMENT, INSERT_ORDER, imported): the
 *   store and product look-ups with the stock row locks, then the order, its lines, the stock
 *   update, the ledger movements and the confirmation job (pg-boss's columns, from its queue row)
 *   in one statement; the titles and new levels come from the locked read (\gset), as the service
 *   computes them from it. Each statement is its own round trip (pgbench does not pipeline), so
 *   its locks are held for a round trip plus the commit; the service's path is its own.
 * - pgbench runs twice a round: with prepared statements (-M prepared: planned once per
 *   connection, as the service's placement statements are: the ratio that compares like with
 *   like) and with the simple protocol (planned every time: pgbench's default, issue 11's baseline).
 * - Same picks on both sides: the hot product, or 3 distinct products drawn at random from 1..N.
 * - Each shape starts with an unmeasured warm-up of every side; then `--rounds` rounds of
 *   `--seconds` each, the sides taking turns at going first, so drift weighs on all alike.
 *   Medians, ranges and each round's paired ratios are printed, with the server's CPU per order
 *   and how busy the whole machine was (2 cores shared by Postgres, the server and the load).
 * `--seconds N --rounds N --warmup N --only hot|spread --profile DIR` (CPU profile of the server)
 * `--products N` (the catalog's size, every product stocked in store 1; 1,000 unless given: at a
 * million, the planner's choices for the placement statements are those of a full catalog).
 */
const SCRATCH_DATABASE = 'aforro_bench_orders_pgbench'
const CONNECTIONS = 10
const LINES_WHEN_SPREAD = 3
const HOT_PRODUCT = 1
const STOCK = 100_000_000
/** Linux's USER_HZ, the unit of /proc's CPU times. */
const CLOCK_TICKS_PER_SECOND = 100

interface Shape {
  label: 'hot' | 'spread'
  /** wrk's Lua script: the request each connection sends. */
  lua: string
  /** pgbench's script, the transaction each client runs, for each of its protocols. */
  pgbench: Record<PgbenchMode, string>
}

type PgbenchMode = 'prepared' | 'simple'
const PGBENCH_MODES: PgbenchMode[] = ['prepared', 'simple']

interface Round {
  perSecond: number
  /** Share of both cores busy (any process) during the round, in %. */
  machineBusy: number
  /** The server process's CPU per order, in µs (service rounds only). */
  serverCpuUs: number
}

export default async function ordersVsPgbench({ args }: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '3' },
      only: { type: 'string' },
      profile: { type: 'string' },
      products: { type: 'string', default: '1000' },
    },
  })
  const seconds = Number(values.seconds)
  const rounds = Number(values.rounds)
  const warmup = Number(values.warmup)
  const products = countOption('products', values.products, 1000)
  requireBinary('wrk', 'wrk')
  requireBinary('pgbench', 'postgresql-client')
  const shapes = [hotShape(), spreadShape(products)].filter((shape) => typeof values.only !== 'string' || shape.label === values.only)

  const postgres = await startPostgres()
  const url = databaseUrl(postgres.url, SCRATCH_DATABASE)
  await withClient(postgres.url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${SCRATCH_DATABASE}`)
  })
  const pool = createPool({ connectionString: url, applicationName: 'bench-orders-pgbench', max: 2, statementTimeoutMs: 600_000 })
  const scratch = await mkdtemp(join(tmpdir(), 'aforro-pgbench-'))
  let server: ChildProcess | undefined
  try {
    await prepareSchema(pool, url)
    await runSeed(pool, { categories: 10, products, stores: 20, inventoryPerStore: 300, reset: true, seed: 1 }, process.stderr)
    await stockEveryProduct(pool, products)
    const port = await freePort()
    const profile = typeof values.profile === 'string' ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []
    const program = startProgram('bootstrap/server.js', [], { DATABASE_URL: url, PORT: String(port), LOG_LEVEL: 'warn' }, profile)
    server = program.child
    await waitUntilReady(port)
    const pid = server.pid

    log(
      `${products} products stocked in store 1; ${CONNECTIONS} connections each side; ${warmup} s warm-up, then ${rounds} rounds of ${seconds} s, alternating; load average before: ${loadAverage()}`,
    )
    log('pgbench: LOCK_FOR_PLACEMENT (titles and new levels kept with \\gset), then INSERT_ORDER, each its own round trip, between BEGIN and COMMIT')
    log('service: POST /orders/ with no Idempotency-Key (none on the pgbench side either), HTTP/1.1 keep-alive, in-process cache\n')
    log('each cell: median [min–max], then every round; ratios paired round by round')
    log(
      '| shape | service orders/s | pgbench tps, prepared | pgbench tps, simple | service / prepared | service / simple | server CPU µs/order | machine busy % (service / prepared / simple) |',
    )
    log('| --- | --- | --- | --- | --- | --- | ---: | --- |')
    for (const shape of shapes) {
      const lua = join(scratch, `${shape.label}.lua`)
      await writeFile(lua, shape.lua)
      const sides: { run: (seconds: number) => Promise<number>; pid: number | undefined }[] = [{ run: (duration) => wrkRate(port, lua, duration), pid }]
      for (const mode of PGBENCH_MODES) {
        const script = join(scratch, `${shape.label}-${mode}.sql`)
        await writeFile(script, shape.pgbench[mode])
        sides.push({ run: (duration) => pgbenchRate(url, script, mode, duration), pid: undefined })
      }
      // Every stock update is a new row version with new index entries (no HOT update: the partial
      // index inventory_in_stock_product_idx reads quantity), and the hot row's piles up dead ones
      // that slow whoever runs next: each run starts from a vacuumed table instead.
      const vacuumed = async <T>(run: () => Promise<T>): Promise<T> => {
        await pool.query('VACUUM inventory')
        return run()
      }
      for (const side of sides) await vacuumed(() => side.run(warmup))
      const results = sides.map((): Round[] => [])
      for (let index = 0; index < rounds; index++) {
        // Round r starts with side r (mod the sides): each goes first, in the middle and last alike.
        for (let turn = 0; turn < sides.length; turn++) {
          const which = (index + turn) % sides.length
          const side = sides[which]
          if (side) results[which]?.push(await vacuumed(() => measured(() => side.run(seconds), side.pid)))
        }
      }
      const [served = [], ...benched] = results
      const rate = (runs: Round[]) => runs.map((run) => run.perSecond)
      const ratios = (against: Round[]) => served.map((run, index) => (100 * run.perSecond) / (against[index]?.perSecond ?? Number.NaN))
      const cell = (values: number[], digits = 0) => `${spread(values, digits)}: ${values.map((value) => round(value, digits)).join(', ')}`
      log(
        `| ${shape.label} | ${cell(rate(served))} | ${benched.map((runs) => cell(rate(runs))).join(' | ')} | ` +
          `${benched.map((runs) => `${cell(ratios(runs), 1)} %`).join(' | ')} | ${round(median(served.map((run) => run.serverCpuUs)), 0)} | ` +
          `${results.map((runs) => round(median(runs.map((run) => run.machineBusy)), 0)).join(' / ')} |`,
      )
    }
    log(`\nload average after: ${loadAverage()}`)
    await assertEveryOrderConfirmed(pool)
  } finally {
    if (server && server.exitCode === null) {
      const exited = once(server, 'exit')
      server.kill('SIGTERM')
      await Promise.race([exited, sleep(12_000)])
    }
    await pool.end()
    await rm(scratch, { recursive: true, force: true })
    await withClient(postgres.url, (client) => client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`))
    await postgres.stop()
  }
}

/** Every product, ids 1..products, carried by store 1 with more stock than any run takes: every order confirms. */
async function stockEveryProduct(pool: pg.Pool, products: number): Promise<void> {
  const { rows } = await pool.query<{ count: number; max: number }>('SELECT count(*)::int AS count, max(id)::int AS max FROM products')
  if (rows[0]?.count !== products || rows[0].max !== products) throw new Error(`expected products 1..${products}, found ${JSON.stringify(rows[0])}`)
  await pool.query('UPDATE products SET archived_at = NULL WHERE archived_at IS NOT NULL')
  await pool.query(
    `INSERT INTO inventory (store_id, product_id, quantity) SELECT 1, id, ${STOCK} FROM products
     ON CONFLICT (store_id, product_id) DO UPDATE SET quantity = excluded.quantity`,
  )
  await pool.query('VACUUM ANALYZE')
}

async function assertEveryOrderConfirmed(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ other: number; negative: number }>(
    "SELECT (SELECT count(*)::int FROM orders WHERE status <> 'CONFIRMED') AS other, (SELECT count(*)::int FROM inventory WHERE quantity < 0) AS negative",
  )
  if (rows[0]?.other !== 0 || rows[0].negative !== 0) throw new Error(`orders not all confirmed or stock negative: ${JSON.stringify(rows[0])}`)
}

function hotShape(): Shape {
  const body = JSON.stringify({ store_id: 1, items: [{ product_id: HOT_PRODUCT, quantity_requested: 1 }] })
  return {
    label: 'hot',
    lua: `wrk.method = "POST"\nwrk.path = "/orders/"\nwrk.headers["content-type"] = "application/json"\nwrk.body = '${body}'\n`,
    pgbench: pgbenchScripts([], `ARRAY[${HOT_PRODUCT}]`, 1),
  }
}

/** Lines i·7, i·7+101, i·7+202 (mod N) for a random i: distinct products, in ascending order on both sides. */
function spreadShape(products: number): Shape {
  const offsets = Array.from({ length: LINES_WHEN_SPREAD }, (_, line) => line * 101)
  const lua = [
    `local n = ${products}`,
    'math.randomseed(os.time())',
    'request = function()',
    '  local i = math.random(0, n - 1)',
    `  local ids = { ${offsets.map((offset) => `(i * 7 + ${offset}) % n + 1`).join(', ')} }`,
    '  table.sort(ids)',
    '  local items = {}',
    '  for k, id in ipairs(ids) do items[k] = string.format(\'{"product_id":%d,"quantity_requested":1}\', id) end',
    `  return wrk.format("POST", "/orders/", { ["content-type"] = "application/json" }, '{"store_id":1,"items":[' .. table.concat(items, ",") .. ']}')`,
    'end',
    '',
  ].join('\n')
  const picks = [
    `\\set i random(0, ${products - 1})`,
    ...offsets.map((offset, line) => `\\set p${line} (:i * 7 + ${offset}) % ${products} + 1`),
    '\\set lo least(:p0, :p1, :p2)',
    '\\set hi greatest(:p0, :p1, :p2)',
    '\\set mid :p0 + :p1 + :p2 - :lo - :hi',
  ]
  return { label: 'spread', lua, pgbench: pgbenchScripts(picks, 'ARRAY[:lo, :mid, :hi]', LINES_WHEN_SPREAD) }
}

/**
 * The service's placement transaction as pgbench scripts: `products` is an SQL array of the
 * order's product ids, ascending, each line 1 unit. The locked read's titles and new levels are
 * kept with \gset, as the service keeps them, and passed on: as parameters where statements are
 * prepared; pasted into literals (single quotes doubled) where pgbench sends their text.
 */
function pgbenchScripts(variables: string[], products: string, lines: number): Record<PgbenchMode, string> {
  const ids = `${products}::bigint[]`
  const each = (value: number) => `ARRAY[${Array.from({ length: lines }, () => value).join(', ')}]::int[]`
  const lock = oneLine(bind(LOCK_FOR_PLACEMENT, { 1: '1', 2: ids }))
  const script = (titles: string, kept: (variable: string) => string) => {
    const insert = bind(INSERT_ORDER, {
      1: '1',
      2: "'CONFIRMED'",
      3: 'NULL',
      4: String(lines),
      5: ids,
      6: each(1),
      7: `ARRAY(SELECT product->>1 FROM json_array_elements(${kept('titles')}::json) AS product)`,
      8: ids,
      9: `${kept('levels')}::int[]`,
      10: each(-1),
      11: 'NULL',
      12: 'NULL',
    })
    return [
      ...variables,
      'BEGIN;',
      `SELECT ${titles} AS titles, ARRAY(SELECT (level->>1)::int - 1 FROM json_array_elements(stock) AS level) AS levels FROM (${lock}) AS placement \\gset`,
      `${oneLine(insert)};`,
      'COMMIT;',
      '',
    ].join('\n')
  }
  return {
    prepared: script('products::text', (variable) => `:${variable}`),
    simple: script("replace(products::text, '''', '''''')", (variable) => `':${variable}'`),
  }
}

/** A statement with its $n parameters replaced by SQL expressions. */
function bind(statement: string, values: Record<number, string>): string {
  return statement.replace(/\$(\d+)/g, (_, n: string) => {
    const value = values[Number(n)]
    if (value === undefined) throw new Error(`no value for $${n}`)
    return `(${value})`
  })
}

/** pgbench reads a statement up to its line's end: comments dropped, lines joined. */
function oneLine(statement: string): string {
  return statement
    .split('\n')
    .map((line) => line.replace(/--.*$/, '').trim())
    .filter((line) => line !== '')
    .join(' ')
}

async function measured(run: () => Promise<number>, serverPid: number | undefined): Promise<Round> {
  const [machineBefore, serverBefore] = [await machineTicks(), await processCpuMs(serverPid)]
  const started = performance.now()
  const count = await run()
  const elapsed = (performance.now() - started) / 1000
  const [machineAfter, serverAfter] = [await machineTicks(), await processCpuMs(serverPid)]
  return {
    perSecond: count,
    machineBusy: (100 * (machineAfter.busy - machineBefore.busy)) / Math.max(1, machineAfter.total - machineBefore.total),
    serverCpuUs: (1000 * (serverAfter - serverBefore)) / (count * elapsed),
  }
}

async function wrkRate(port: number, lua: string, seconds: number): Promise<number> {
  const { stdout } = await promisify(execFile)('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '-s', lua, `http://127.0.0.1:${port}/orders/`], {
    timeout: (seconds + 30) * 1000,
  })
  const failures = /Non-2xx or 3xx responses: (\d+)/.exec(stdout) ?? /Socket errors: (.*)/.exec(stdout)
  if (failures) throw new Error(`wrk: ${failures[0]}\n${stdout}`)
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout)
  if (!rate) throw new Error(`wrk printed no rate:\n${stdout}`)
  return Number(rate[1])
}

async function pgbenchRate(url: string, script: string, mode: PgbenchMode, seconds: number): Promise<number> {
  const { stdout } = await promisify(execFile)('pgbench', ['-n', `-M${mode}`, `-c${CONNECTIONS}`, '-j1', `-T${seconds}`, '-f', script, url], {
    timeout: (seconds + 30) * 1000,
  })
  if (!stdout.includes('number of failed transactions: 0')) throw new Error(`pgbench transactions failed:\n${stdout}`)
  const match = /tps = ([\d.]+)/.exec(stdout)
  if (!match?.[1]) throw new Error(`pgbench printed no tps:\n${stdout}`)
  return Number(match[1])
}

/** Busy and total CPU ticks of the whole machine, from /proc/stat. */
async function machineTicks(): Promise<{ busy: number; total: number }> {
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = (await readFile('/proc/stat', 'utf8'))
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  const busy = user + nice + system + irq + softirq + steal
  return { busy, total: busy + idle + iowait }
}

/** CPU time (user + system, ms) a process has used; 0 without a process. */
async function processCpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND
}

/** "median [min–max]". */
function spread(values: number[], digits = 0): string {
  return `${round(median(values), digits)} [${round(Math.min(...values), digits)}–${round(Math.max(...values), digits)}]`
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** The 1, 5 and 15 minute load averages: how busy the shared machine was besides this run. */
function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}
