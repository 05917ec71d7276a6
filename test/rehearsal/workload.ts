import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import { clientAddress, type RehearsalClient } from './client.js'

export interface Fixtures {
  /** Store → the few products every orderer races for. */
  hot: { storeId: number; productIds: number[] }[]
  /** Products no order touches: one writer sets their level, and every read must show the last level set. */
  probes: { storeId: number; productId: number }[]
  words: string[]
  storeIds: number[]
}

export interface WorkloadOutcome {
  /** Orders whose response reached the client, by id: status and units per product. */
  ordersSeen: Map<number, { status: string; lines: { productId: number; quantity: number }[] }>
  staleReads: { what: string; expected: number; shown: number | string; at: number }[]
  freshReadsChecked: number
  /** Orders cancelled (answered 200 CANCELLED), and how many of those were cancelled a second time and answered the same. */
  cancelled: number
  cancelledTwice: number
}

const HOT_LEVEL = 20

/** Products for the race and the probes, chosen from the seeded data, and a word list for searches. */
export async function chooseFixtures(primary: pg.Pool): Promise<Fixtures> {
  const storeIds = (await primary.query<{ id: number }>('SELECT id FROM stores ORDER BY id')).rows.map((row) => Number(row.id))
  const [hotA, hotB, probeA, probeB] = storeIds as [number, number, number, number]
  const hot = await Promise.all(
    [hotA, hotB].map(async (storeId) => ({
      storeId,
      productIds: (
        await primary.query<{ product_id: number }>('SELECT product_id FROM inventory WHERE store_id = $1 ORDER BY product_id LIMIT 4', [storeId])
      ).rows.map((row) => Number(row.product_id)),
    })),
  )
  const category = (await primary.query<{ id: number }>('SELECT id FROM categories ORDER BY id LIMIT 1')).rows[0]!.id
  // "Aaaa…" sorts first in a store's inventory pages, so page 1 always shows it.
  const probes = await Promise.all(
    [probeA, probeB].map(async (storeId, n) => {
      const { rows } = await primary.query<{ id: number }>(
        `INSERT INTO products (title, description, price, category_id) VALUES ($1, 'rehearsal probe', 1.00, $2) RETURNING id`,
        [`Aaaa rehearsal probe ${['alpha', 'beta'][n]}`, category],
      )
      return { storeId, productId: Number(rows[0]!.id) }
    }),
  )
  const words = (
    await primary.query<{ word: string }>(
      `SELECT DISTINCT lower(w) AS word FROM (SELECT regexp_split_to_table(title, '\\s+') AS w FROM products ORDER BY id LIMIT 300) t
        WHERE length(w) >= 4 ORDER BY 1 LIMIT 60`,
    )
  ).rows.map((row) => row.word)
  return { hot, probes, words, storeIds }
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T

/** Sets every hot product's level through the API, so the ledger records it as a restock. */
export async function stockTheRace(client: RehearsalClient, fixtures: Fixtures): Promise<void> {
  for (const { storeId, productIds } of fixtures.hot) {
    for (const productId of productIds) {
      const answer = await client.send('setup', clientAddress(250, 0), 'PUT', `/stores/${storeId}/inventory/${productId}/`, { quantity: HOT_LEVEL })
      if (answer.status !== 200) throw new Error(`setting up the race failed: ${answer.status} ${JSON.stringify(answer.body)}`)
    }
  }
}

export interface WorkloadOptions {
  durationMs: number
  orderers: number
  searchers: number
  suggestBudgetPerAddress: number
}

/**
 * The mixed workload, all through the balancer until the deadline: orderers race for the hot
 * units (some retrying with their idempotency key), a canceller cancels some of the confirmed
 * orders (their units go back), a restocker resets hot levels, probe writers
 * set a level and read it straight back through other client addresses (stale-read check), and
 * searchers search, autocomplete and page inventories from many addresses.
 */
export async function runWorkload(client: RehearsalClient, fixtures: Fixtures, options: WorkloadOptions): Promise<WorkloadOutcome> {
  const deadline = Date.now() + options.durationMs
  const running = () => Date.now() < deadline
  const outcome: WorkloadOutcome = { ordersSeen: new Map(), staleReads: [], freshReadsChecked: 0, cancelled: 0, cancelledTwice: 0 }
  /** Confirmed orders whose orderer is done with them (no retry with their key still to come). */
  const cancellable: number[] = []

  const orderer = async (n: number) => {
    for (let round = 0; running(); round++) {
      const { storeId, productIds } = pick(fixtures.hot)
      const lines = [{ productId: pick(productIds), quantity: 1 + (round % 2) }]
      const key = randomUUID()
      let placed: number | undefined
      // One order in five is sent twice with its key, as a client retrying after a timeout would.
      for (let attempt = 0; attempt < (round % 5 === 0 ? 2 : 1); attempt++) {
        const answer = await client.send(
          'order',
          clientAddress(1, n),
          'POST',
          '/orders/',
          { store_id: storeId, items: lines.map((line) => ({ product_id: line.productId, quantity_requested: line.quantity })) },
          { 'idempotency-key': key },
        )
        const body = answer.body as { id?: number; status?: string }
        if (answer.status === 201 && body.id !== undefined) {
          outcome.ordersSeen.set(body.id, { status: body.status ?? '', lines })
          if (body.status === 'CONFIRMED') placed = body.id
        }
      }
      if (placed !== undefined) cancellable.push(placed)
    }
  }

  // Cancels a confirmed order now and then (its units go back to the race), one in three twice: the second answer must be the same.
  const canceller = async () => {
    for (let round = 0; running(); round++) {
      await sleep(250)
      const id = cancellable.splice(Math.floor(Math.random() * cancellable.length), 1)[0]
      if (id === undefined) continue
      for (let attempt = 0; attempt < (round % 3 === 0 ? 2 : 1); attempt++) {
        const answer = await client.send('cancel', clientAddress(9, 0), 'POST', `/orders/${id}/cancel/`, {})
        // No answer: whether it was cancelled is unknown, so its status is not checked.
        if ([0, 502, 504].includes(answer.status)) outcome.ordersSeen.delete(id)
        if (answer.status !== 200 || (answer.body as { status?: string }).status !== 'CANCELLED') break
        const seen = outcome.ordersSeen.get(id)
        if (seen) seen.status = 'CANCELLED'
        if (attempt === 0) outcome.cancelled++
        else outcome.cancelledTwice++
      }
    }
  }

  const restocker = async () => {
    while (running()) {
      const { storeId, productIds } = pick(fixtures.hot)
      await client.send('restock', clientAddress(3, 0), 'PUT', `/stores/${storeId}/inventory/${pick(productIds)}/`, {
        quantity: 5 + Math.floor(Math.random() * 10),
      })
      await sleep(500)
    }
  }

  const probeWriter = async ({ storeId, productId }: Fixtures['probes'][number], n: number) => {
    for (let step = 1; running(); step++) {
      // Odd steps stock the probe, even ones empty it: the in-stock search flips with it.
      const level = step % 2 === 1 ? step : 0
      let written = false
      while (!written && running()) {
        const answer = await client.send('restock', clientAddress(4, n), 'PUT', `/stores/${storeId}/inventory/${productId}/`, { quantity: level })
        written = answer.status === 200
        if (!written) await sleep(100)
      }
      if (!written) return
      // Read back from other addresses, so the balancer may pick any instance.
      const page = await client.send('inventory', clientAddress(5, step), 'GET', `/stores/${storeId}/inventory/?page_size=100`)
      if (page.status === 200) {
        const item = (page.body as { results: { product_id: number; quantity: number }[] }).results.find((row) => row.product_id === productId)
        outcome.freshReadsChecked++
        if (item?.quantity !== level)
          outcome.staleReads.push({ what: `inventory of store ${storeId}`, expected: level, shown: item?.quantity ?? 'missing', at: Date.now() })
      }
      const search = await client.send(
        'search',
        clientAddress(6, step),
        'GET',
        `/api/search/products/?q=${encodeURIComponent(`rehearsal probe ${['alpha', 'beta'][n]}`)}&store_id=${storeId}&in_stock=true`,
      )
      if (search.status === 200) {
        const hit = (search.body as { results: { id: number; quantity?: number }[] }).results.find((result) => result.id === productId)
        outcome.freshReadsChecked++
        // Listed only while in stock, and then with the level just set.
        if ((hit?.quantity ?? 0) !== level)
          outcome.staleReads.push({
            what: `in-stock search in store ${storeId}`,
            expected: level,
            shown: hit ? `listed with ${hit.quantity}` : 'not listed',
            at: Date.now(),
          })
      }
    }
  }

  const suggestsByAddress = new Map<string, number>()
  const searcher = async (n: number) => {
    for (let round = 0; running(); round++) {
      const from = clientAddress(2, n * 16 + (round % 16))
      const word = pick(fixtures.words)
      const choice = round % 4
      if (choice === 0 || choice === 1) {
        const filters = choice === 1 ? `&store_id=${pick(fixtures.storeIds)}&in_stock=true` : ''
        await client.send('search', from, 'GET', `/api/search/products/?q=${encodeURIComponent(word)}${filters}`)
      } else if (choice === 2 && (suggestsByAddress.get(from) ?? 0) < options.suggestBudgetPerAddress) {
        suggestsByAddress.set(from, (suggestsByAddress.get(from) ?? 0) + 1)
        await client.send('suggest', from, 'GET', `/api/search/suggest/?q=${encodeURIComponent(word.slice(0, 3))}`)
      } else {
        await client.send('inventory', from, 'GET', `/stores/${pick(fixtures.storeIds)}/inventory/?page=${1 + (round % 3)}`)
      }
    }
  }

  await Promise.all([
    ...Array.from({ length: options.orderers }, (_, n) => orderer(n)),
    restocker(),
    canceller(),
    ...fixtures.probes.map((probe, n) => probeWriter(probe, n)),
    ...Array.from({ length: options.searchers }, (_, n) => searcher(n)),
  ])
  return outcome
}

/** One address asks for twice its autocomplete budget, spread over every instance by the balancer. */
export async function spendSuggestBudget(client: RehearsalClient, budget: number, word: string): Promise<{ accepted: number; limited: number; other: number }> {
  const from = clientAddress(200, 0)
  const statuses: number[] = []
  for (let n = 0; n < budget * 2; n++) {
    statuses.push((await client.send('suggest-budget', from, 'GET', `/api/search/suggest/?q=${encodeURIComponent(word.slice(0, 3 + (n % 2)))}`)).status)
  }
  return {
    accepted: statuses.filter((status) => status === 200).length,
    limited: statuses.filter((status) => status === 429).length,
    other: statuses.filter((status) => status !== 200 && status !== 429).length,
  }
}

/** Requests per second for `durationMs`, with `concurrency` in flight. */
export async function throughput(concurrency: number, durationMs: number, task: (worker: number, round: number) => Promise<boolean>): Promise<number> {
  const deadline = Date.now() + durationMs
  let done = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let round = 0; Date.now() < deadline; round++) if (await task(worker, round)) done++
    }),
  )
  return done / ((performance.now() - started) / 1000)
}
