import type { FastifyInstance } from 'fastify'
import { PgApiKeys } from '../../adapters/postgres/pg-api-keys.js'
import { AuthenticateApiKey } from '../../application/access/authenticate-api-key.js'
import { createLogger } from '../../bootstrap/runtime/logger.js'
import { adminKey } from '../support/api-keys.js'
import { buildTestApp } from '../support/http-app.js'
import { withSeededDatabase } from './seeded-database.js'
import { round, runConcurrently } from './measure.js'

const REQUESTS = 500
const CONCURRENCY = 8
const ROUNDS = 21

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

/**
 * The cost of authentication on a protected read, GET /stores/1/orders/ (a page of 20 of the
 * store's 200 orders), through the whole HTTP stack (inject, no sockets), on the default data set.
 * "with a key": the real check (header, SHA-256, in-process key cache, decision). "no key check":
 * the same app whose authenticator accepts any header as admin at once, so the difference is what
 * verifying a key costs. "control": a second instance with the real check, whose ratio to the
 * first shows the noise of a shared machine. The three take turns in short rounds, the first of a
 * round rotating; medians of per-round ratios are reported. Last, the check alone:
 * AuthenticateApiKey on a cached key, in microseconds per call.
 */
export default async function accessBenchmark(): Promise<void> {
  await withSeededDatabase('aforro_bench_access', { max: CONCURRENCY }, async ({ url, pool }) => {
    await pool.query(`INSERT INTO orders (store_id, status, total_items) SELECT 1, 'CONFIRMED', 1 FROM generate_series(1, 200)`)
    const key = await adminKey(pool)
    const unchecked = { execute: async () => ({ outcome: 'authenticated', principal: { keyId: key.id, role: 'admin', storeIds: [] } }) }
    const checkedApp = await buildTestApp({ url, pool })
    const uncheckedApp = await buildTestApp({ url, pool }, {}, { useCases: { authenticateApiKey: unchecked as unknown as AuthenticateApiKey } })
    // A control: a second checked instance. Its ratio to the first shows what noise alone makes.
    const controlApp = await buildTestApp({ url, pool })
    const apps = [checkedApp, uncheckedApp, controlApp]

    const rate = async (app: FastifyInstance) => {
      const { seconds } = await runConcurrently(REQUESTS, CONCURRENCY, async () => {
        const response = await app.inject({ method: 'GET', url: '/stores/1/orders/', headers: key.headers })
        if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}: ${response.body}`)
      })
      return REQUESTS / seconds
    }
    for (const app of apps) await rate(app)
    const rates = new Map<FastifyInstance, number[]>(apps.map((app) => [app, []]))
    const ratios = { unchecked: [] as number[], control: [] as number[] }
    for (let round = 0; round < ROUNDS; round++) {
      // Each round rotates which goes first, so drift within a round favours none.
      const measured = new Map<FastifyInstance, number>()
      for (let turn = 0; turn < apps.length; turn++) {
        const app = apps[(round + turn) % apps.length]!
        measured.set(app, await rate(app))
      }
      for (const app of apps) rates.get(app)!.push(measured.get(app)!)
      ratios.unchecked.push(measured.get(checkedApp)! / measured.get(uncheckedApp)!)
      ratios.control.push(measured.get(checkedApp)! / measured.get(controlApp)!)
    }
    const reqPerSecond = (app: FastifyInstance) => round(median(rates.get(app)!), 0)
    console.log(
      `access: GET /stores/1/orders/ — with a key ${reqPerSecond(checkedApp)} req/s, no key check ${reqPerSecond(uncheckedApp)} req/s, ` +
        `control (a second keyed instance) ${reqPerSecond(controlApp)} req/s; median ratio of a round's keyed to no-check rate ` +
        `${round(median(ratios.unchecked), 3)}, keyed to control ${round(median(ratios.control), 3)} ` +
        `(${ROUNDS} rounds of ${REQUESTS} requests each, ${CONCURRENCY} in flight)`,
    )
    const authenticate = new AuthenticateApiKey(new PgApiKeys(pool, createLogger({ logLevel: 'silent' }, 'bench')), { now: () => new Date() })
    const calls = 100_000
    await authenticate.execute(key.token)
    const started = performance.now()
    for (let call = 0; call < calls; call++) await authenticate.execute(key.token)
    console.log(`access: AuthenticateApiKey on a cached key — ${round(((performance.now() - started) * 1000) / calls, 2)} µs per call (${calls} calls)`)
    for (const app of apps) await app.close()
  })
}
