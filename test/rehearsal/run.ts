import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { summarize } from '../bench/measure.js'
import { stockScope } from '../../adapters/cache/cache-scopes.js'
import { RedisKeyLayout } from '../../adapters/redis/redis-key-layout.js'
import { MissingBinaryError } from '../support/binaries.js'
import { confirmationFindings, stockFindings } from './checks.js'
import { clientAddress, RehearsalClient, type Sample } from './client.js'
import { buildTopology, SCALE_OUT, type Topology } from './topology.js'
import { waitFor } from './processes.js'
import { parseExposition, valueOf } from '../support/prometheus.js'
import { chooseFixtures, runWorkload, spendSuggestBudget, stockTheRace, throughput, type Fixtures } from './workload.js'

const USAGE = `Usage: npm run rehearse -- scale-out [--duration SECONDS] [--no-measure]
  Builds Postgres primary + streaming replica, PgBouncer, a Redis Cluster (3 masters, 3 replicas), HAProxy, 3 API instances and
  2 workers on loopback, runs a mixed workload with faults through the balancer, tears it all
  down and prints the report. Exits 1 if any invariant was violated, 2 on a usage or setup error.
  --duration S   seconds of mixed workload (default 40)
  --no-measure   skip the 1-vs-3-instance throughput measurement
  --keep-logs    keep every program's log (they are kept anyway when the rehearsal fails)`

const { apiInstances: API_INSTANCES, workers: WORKERS } = SCALE_OUT
const SUGGEST_BUDGET = 40
const ORDERERS = 6
const SEARCHERS = 4

/** No answer, or the balancer's answer for a request its server dropped: what a killed instance can cost. */
const LOST = [0, 502, 504]
const MEASURE_WINDOW_MS = 3_000

interface FaultEvent {
  name: string
  atMs: number
  endMs: number
}

function parse(argv: string[]): { durationMs: number; measure: boolean; keepLogs: boolean } | undefined {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      duration: { type: 'string' },
      'no-measure': { type: 'boolean', default: false },
      'keep-logs': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help || positionals.length !== 1 || positionals[0] !== 'scale-out') return undefined
  const seconds = Number(values.duration ?? 40)
  if (!Number.isInteger(seconds) || seconds < 10 || seconds > 600) return undefined
  return { durationMs: seconds * 1000, measure: !values['no-measure'], keepLogs: values['keep-logs'] }
}

const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`)

/** SIGSTOP every process of the primary for `ms`: it neither answers nor fails, as a stalled disk or a VM pause. */
async function pausePrimary(topology: Topology, ms: number): Promise<void> {
  const pids = await topology.primary.processIds()
  try {
    for (const pid of pids) process.kill(pid, 'SIGSTOP')
    await sleep(ms)
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT')
  }
}

/** The faults, spread over the workload: each is recorded with the window it was in effect. */
async function injectFaults(topology: Topology, hotStoreId: number, durationMs: number, started: number): Promise<FaultEvent[]> {
  const events: FaultEvent[] = []
  const at = async (fraction: number) => sleep(Math.max(0, started + durationMs * fraction - Date.now()))
  const fault = async (name: string, work: () => Promise<void>) => {
    const begin = Date.now() - started
    log(`fault: ${name}`)
    await work()
    events.push({ name, atMs: begin, endMs: Date.now() - started })
  }
  const victim = topology.apis[1]!
  await at(0.15)
  await fault(`kill -9 ${victim.name}`, () => victim.program.kill())
  await at(0.3)
  await fault(`restart ${victim.name}`, () => topology.restartApi(victim))
  await at(0.45)
  // The master holding the first hot store's stock views and generations: the busiest shard.
  const layout = new RedisKeyLayout('')
  const hotShard = layout.bumpCounterKey(layout.homeOf([stockScope(hotStoreId)]))
  await fault('kill -9 the Redis master of the hot store, its replica promoted, the dead node back as the replica', async () => {
    const { from, to, promotedAfterMs } = await topology.failOverRedisMaster(hotShard)
    log(`redis master ${from} failed over to ${to}, promoted ${(promotedAfterMs / 1000).toFixed(1)} s after the kill`)
  })
  await at(0.6)
  await fault('restart the streaming replica', async () => {
    await topology.replica.stop('fast')
    await sleep(1_000)
    await topology.replica.start()
  })
  await at(0.8)
  await fault('pause the primary for 2 s (SIGSTOP)', () => pausePrimary(topology, 2_000))
  return events
}

const EXPECTED: Record<string, number[]> = {
  order: [201],
  cancel: [200],
  restock: [200],
  search: [200],
  inventory: [200],
  suggest: [200, 429],
  setup: [200],
  'suggest-budget': [200, 429],
}

function statusTable(samples: Sample[]): string[] {
  const kinds = [...new Set(samples.map((sample) => sample.kind))].sort()
  return kinds.map((kind) => {
    const ofKind = samples.filter((sample) => sample.kind === kind)
    const byStatus = new Map<number, number>()
    for (const { status } of ofKind) byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
    const statuses = [...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status === 0 ? 'no answer' : status}: ${count}`)
      .join(', ')
    const { median, p99 } = summarize(ofKind.map((sample) => sample.ms))
    return `  ${kind.padEnd(15)} ${String(ofKind.length).padStart(6)} requests  p50 ${median.toFixed(1).padStart(7)} ms  p99 ${p99.toFixed(1).padStart(8)} ms   ${statuses}`
  })
}

async function measureScaling(topology: Topology, fixtures: Fixtures): Promise<string[]> {
  const all = topology.apis.map((api) => api.name)
  const useInstances = async (count: number) => {
    for (const [index, name] of all.entries()) await topology.balancer.setServerState(name, index < count ? 'ready' : 'maint')
    await waitFor(`${count} instance(s) in rotation`, async () => (await topology.balancer.serversUp()).length === count, 15_000)
  }
  const stores = fixtures.storeIds.slice(4)
  const products = await topology.primaryPool.query<{ store_id: number; product_id: number }>(
    'SELECT store_id, product_id FROM inventory WHERE store_id = ANY($1::bigint[]) ORDER BY store_id, product_id LIMIT 400',
    [stores],
  )
  const lines = products.rows
  const word = fixtures.words[0] ?? 'steel'
  const results: Record<string, Record<number, number[]>> = { orders: { 1: [], 3: [] }, cached: { 1: [], 3: [] } }
  const measuring = new RehearsalClient(topology.balancer.port)
  const orders = () =>
    throughput(8, MEASURE_WINDOW_MS, async (worker, round) => {
      const line = lines[(worker * 50 + round) % lines.length]!
      const answer = await measuring.send('measure-order', clientAddress(7, worker), 'POST', '/orders/', {
        store_id: Number(line.store_id),
        items: [{ product_id: Number(line.product_id), quantity_requested: 1 }],
      })
      return answer.status === 201
    })
  const cachedReads = () =>
    throughput(8, MEASURE_WINDOW_MS, async (worker) => {
      const answer = await measuring.send('measure-read', clientAddress(8, worker), 'GET', `/api/search/products/?q=${encodeURIComponent(word)}`)
      return answer.status === 200
    })
  // Unmeasured first: JIT, pools and the cache warm up on every instance.
  await orders()
  await cachedReads()
  // ABBA order, so that a drift in the machine's load weighs on both sides alike.
  for (const count of [3, 1, 1, 3, 3, 1]) {
    await useInstances(count)
    results.orders![count]!.push(await orders())
    results.cached![count]!.push(await cachedReads())
  }
  measuring.close()
  await useInstances(all.length)
  const median = (values: number[]) => summarize(values).median
  const row = (name: string, key: string) => {
    const windows = (count: number) => results[key]![count]!.map((value) => value.toFixed(0)).join(', ')
    const one = median(results[key]![1]!)
    const three = median(results[key]![3]!)
    return `  ${name.padEnd(30)} 1 instance ${one.toFixed(0).padStart(5)}/s (${windows(1)})   3 instances ${three.toFixed(0).padStart(5)}/s (${windows(3)})   ratio ${(three / one).toFixed(2)}`
  }
  return [row('orders (1 line, 8 in flight)', 'orders'), row('cached search (8 in flight)', 'cached')]
}

async function rehearse({ durationMs, measure, keepLogs }: { durationMs: number; measure: boolean; keepLogs: boolean }): Promise<number> {
  const topology = await buildTopology({ apiInstances: API_INSTANCES, workers: WORKERS, rateLimitSuggest: SUGGEST_BUDGET }, log)
  let failed = true
  try {
    // Once API keys exist (the keys CLI), restocks need one: the rehearsal makes an admin key for itself.
    let authorization: Record<string, string> = {}
    if (existsSync(fileURLToPath(new URL('../../bootstrap/keys.js', import.meta.url)))) {
      const token = (await topology.cli('keys', ['create', '--role', 'admin', '--name', 'rehearsal'])).trim().split('\n').at(-1) ?? ''
      authorization = { authorization: `Bearer ${token}` }
    }
    const client = new RehearsalClient(topology.balancer.port, () => authorization)
    const fixtures = await chooseFixtures(topology.primaryPool)
    await stockTheRace(client, fixtures)
    const replicaReadsBefore = await replicaTransactions(topology)

    log(`mixed workload for ${durationMs / 1000} s: ${ORDERERS} orderers, ${SEARCHERS} searchers, a restocker, ${fixtures.probes.length} probe writers`)
    const started = Date.now()
    const [outcome, faults] = await Promise.all([
      runWorkload(client, fixtures, { durationMs, orderers: ORDERERS, searchers: SEARCHERS, suggestBudgetPerAddress: SUGGEST_BUDGET - 5 }),
      injectFaults(topology, fixtures.hot[0]!.storeId, durationMs, started),
    ])
    const workloadSamples = [...client.samples]
    const replicaReads = (await replicaTransactions(topology)) - replicaReadsBefore
    const invalidations = await invalidationOutcomes(topology, authorization)
    await waitFor('every API instance back in rotation', async () => (await topology.balancer.serversUp()).length === API_INSTANCES, 60_000)

    log(`rate limit: one address asks for ${SUGGEST_BUDGET * 2} suggestions across ${API_INSTANCES} instances (budget ${SUGGEST_BUDGET}/min)`)
    const budget = await spendSuggestBudget(client, SUGGEST_BUDGET, fixtures.words[1] ?? 'steel')
    log('waiting for the workers to send every confirmation')
    const confirmations = await confirmationFindings(topology.primaryPool, 90_000)
    const stock = await stockFindings(topology.primaryPool, outcome)
    const audit = await topology.cli('audit', []).then(
      (stdout) => ({ passed: true, summary: stdout.trim().split('\n').at(-1) ?? '' }),
      (error: Error & { stdout?: string }) => ({ passed: false, summary: (error.stdout ?? error.message).trim().split('\n').slice(-3).join(' | ') }),
    )
    const scaling = measure ? await measureScaling(topology, fixtures) : []
    client.close()

    const serverErrors = workloadSamples.filter((sample) => sample.status === 500).length
    const unexpected = workloadSamples.filter((sample) => !(EXPECTED[sample.kind] ?? []).includes(sample.status))
    const kill = faults.find((event) => event.name.startsWith('kill -9'))
    const killWindowEnd = faults.find((event) => event.name.startsWith('restart api'))?.atMs ?? kill?.endMs ?? 0
    const inFlight = ORDERERS + SEARCHERS + 1 + fixtures.probes.length
    // Until HAProxy's health checks (2 × 500 ms) take the killed instance out, plus the requests it was running.
    const unansweredAtKill = kill
      ? workloadSamples.filter((sample) => LOST.includes(sample.status) && sample.at >= started + kill.atMs && sample.at <= started + killWindowEnd).length
      : 0

    const unexpectedDuring = (fault: string) => {
      const event = faults.find((candidate) => candidate.name.includes(fault))
      return event ? unexpected.filter((sample) => sample.at >= started + event.atMs && sample.at <= started + event.endMs).length : 0
    }

    const violations: string[] = []
    if (stock.oversoldUnits !== 0) violations.push(`${stock.oversoldUnits} units oversold`)
    if (stock.ordersMisreported !== 0) violations.push(`${stock.ordersMisreported} orders answered with a status the database does not hold`)
    if (stock.deductionsMismatched !== 0) violations.push(`${stock.deductionsMismatched} order lines without exactly their deduction in the ledger`)
    if (stock.returnsMismatched !== 0) violations.push(`${stock.returnsMismatched} cancelled order lines without exactly their return in the ledger`)
    if (!audit.passed) violations.push('the ledger audit failed')
    if (confirmations.unsent !== 0 || confirmations.wrong !== 0)
      violations.push(`confirmations: ${confirmations.unsent} unsent, ${confirmations.wrong} wrong or repeated`)
    if (outcome.staleReads.length !== 0) violations.push(`${outcome.staleReads.length} stale reads after a write had returned`)
    if (budget.accepted > SUGGEST_BUDGET) violations.push(`rate limit exceeded: ${budget.accepted} accepted, budget ${SUGGEST_BUDGET}`)
    if (serverErrors !== 0) violations.push(`${serverErrors} responses were 500 (a bug, not a fault)`)
    if (unansweredAtKill > inFlight) violations.push(`${unansweredAtKill} requests lost around the kill, more than the ${inFlight} that can be in flight`)

    const report = [
      '',
      '=== scale-out rehearsal report ===',
      `topology: postgres primary + streaming replica, pgbouncer (transaction mode), redis cluster (${SCALE_OUT.redisMasters} masters + ${SCALE_OUT.redisMasters * SCALE_OUT.redisReplicasPerMaster} replicas), haproxy, ${API_INSTANCES} API instances, ${WORKERS} workers`,
      `workload: ${durationMs / 1000} s, ${workloadSamples.length} requests through the balancer from ${new Set(workloadSamples.map((sample) => sample.from)).size} client addresses`,
      '',
      'requests by kind (status: count):',
      ...statusTable([...workloadSamples, ...client.samples.filter((sample) => sample.kind === 'suggest-budget')]),
      '',
      'faults (seconds into the workload):',
      ...faults.map((event) => `  ${(event.atMs / 1000).toFixed(1).padStart(5)}–${(event.endMs / 1000).toFixed(1).padEnd(5)} ${event.name}`),
      `  requests lost (no answer, 502, 504) while ${kill ? 'the killed instance was out' : '-'}: ${unansweredAtKill} (at most ${inFlight} can be in flight)`,
      `  requests outside the expected statuses: ${unexpected.length}, of them ${unexpectedDuring('Redis master')} while the Redis master was failing over`,
      '',
      'invariants:',
      `  oversold units:                         ${stock.oversoldUnits}`,
      `  orders answered ≠ stored:               ${stock.ordersMisreported} (of ${outcome.ordersSeen.size} orders answered)`,
      `  order lines ≠ ledger deductions:        ${stock.deductionsMismatched}`,
      `  cancelled lines ≠ ledger returns:       ${stock.returnsMismatched} (${outcome.cancelled} orders cancelled, ${outcome.cancelledTwice} of them twice, answered the same)`,
      `  ledger audit:                           ${audit.passed ? 'passed' : 'FAILED'} — ${audit.summary}`,
      `  confirmations:                          ${confirmations.confirmed} confirmed orders, ${confirmations.sent} sent (${confirmations.cancelledAfterSending} for orders cancelled after), ${confirmations.unsent} unsent, ${confirmations.wrong} wrong/repeated`,
      `  stale reads after a write returned:     ${outcome.staleReads.length} (of ${outcome.freshReadsChecked} read-after-write checks)`,
      ...outcome.staleReads
        .slice(0, 8)
        .map((stale) => `    at ${((stale.at - started) / 1000).toFixed(1)} s, ${stale.what}: expected ${stale.expected}, shown ${stale.shown}`),
      `  rate limit across ${API_INSTANCES} instances:          ${budget.accepted} accepted, ${budget.limited} limited, ${budget.other} other (budget ${SUGGEST_BUDGET})`,
      `  500 responses:                          ${serverErrors}`,
      `  reads served by the replica:            ${replicaReads} transactions on the replica during the workload`,
      `  invalidations held for an unheard one:  ${invalidations.held} of ${invalidations.held + invalidations.heard} (the writer waited out the near-cache lease of an instance that had not heard it; the killed instance's counts from before its restart are lost)`,
      ...(scaling.length
        ? [
            '',
            'throughput through the balancer (median of 3 windows of 3 s each, taken in ABBA order after a warm-up; a 2-core box shared by every process):',
            ...scaling,
          ]
        : []),
      '',
      violations.length === 0 ? 'RESULT: every invariant held' : `RESULT: ${violations.length} violation(s):\n${violations.map((v) => `  - ${v}`).join('\n')}`,
    ]
    process.stdout.write(`${report.join('\n')}\n`)
    failed = violations.length !== 0
    if (failed || keepLogs) log(`logs kept in ${topology.dir}`)
    return failed ? 1 : 0
  } finally {
    log('tearing down')
    await topology.teardown({ keepLogs: failed || keepLogs })
  }
}

/** Each API instance's invalidations by outcome (aforro_cache_invalidations_total), summed over the instances and slot groups. */
async function invalidationOutcomes(topology: Topology, authorization: Record<string, string>): Promise<{ heard: number; held: number }> {
  const totals = { heard: 0, held: 0 }
  for (const api of topology.apis) {
    const response = await fetch(`http://127.0.0.1:${api.port}/metrics`, { headers: authorization }).catch(() => undefined)
    if (!response?.ok) continue
    const scrape = parseExposition(await response.text())
    for (const outcome of ['heard', 'held'] as const) totals[outcome] += valueOf(scrape, 'aforro_cache_invalidations_total', { outcome })
  }
  return totals
}

async function replicaTransactions(topology: Topology): Promise<number> {
  const { rows } = await topology.replicaPool
    .query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()')
    .catch(() => ({ rows: [{ n: '0' }] }))
  return Number(rows[0]?.n ?? 0)
}

const options = parse(process.argv.slice(2))
if (options === undefined) {
  process.stderr.write(`${USAGE}\n`)
  process.exit(2)
}
try {
  process.exitCode = await rehearse(options)
} catch (error) {
  process.stderr.write(`${error instanceof MissingBinaryError ? error.message : (error as Error).stack}\n`)
  process.exitCode = 2
}
