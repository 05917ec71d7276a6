import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { PgUnitOfWork } from '../../adapters/postgres/pg-unit-of-work.js'
import { StoreInventory } from '../../domain/inventory/store-inventory.js'
import { draftOrder, placeOrder, type OrderDraft } from '../../domain/ordering/order.js'
import type { ProductId, StoreId } from '../../domain/shared/ids.js'
import { addProducts, addStore, countOf, levelsOf, stock } from '../support/fixtures.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
before(async () => {
  db = await createTestDatabase()
})
after(() => db.close())

/** A small deterministic generator (mulberry32), so that a failing case can be replayed. */
function generator(seed: number): (below: number) => number {
  let state = seed
  return (below) => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * below)
  }
}

describe('confirmIfStocked: the database confirms exactly the orders placeOrder confirms', () => {
  test('on 300 generated orders: missing store, unknown, archived and uncarried products, levels at, above and below the request', async () => {
    const storeId = await addStore(db.pool)
    const missingStore = storeId + 1_000
    const [empty, few, many, archived, uncarried] = (await addProducts(db.pool, [
      { title: 'Empty shelf' },
      { title: 'A few' },
      { title: "Plenty o' them" },
      { title: 'Archived' },
      { title: 'Not carried' },
    ])) as [number, number, number, number, number]
    const unknown = uncarried + 1_000
    await db.pool.query('UPDATE products SET archived_at = now() WHERE id = $1', [archived])
    const base = { [empty]: 0, [few]: 3, [many]: 10, [archived]: 5 }
    await stock(db.pool, storeId, base)
    const uow = new PgUnitOfWork(db.pool)
    const random = generator(11)
    const candidates = [many, many, many, few, few, empty, archived, uncarried, unknown]
    let confirmedCount = 0

    for (let run = 0; run < 300; run++) {
      const lines = Array.from({ length: 1 + random(3) }, () => ({
        productId: candidates[random(candidates.length)] as number,
        quantity: 1 + random(random(2) === 0 ? 4 : 12),
      }))
      const draft: OrderDraft = draftOrder(random(10) === 0 ? missingStore : storeId, lines)
      const levels = await levelsOf(db.pool, storeId)

      const { found, confirmed } = await uow.run((tx) => tx.commitWith(() => tx.orders.confirmIfStocked(draft)))

      const known = new Set([empty, few, many, uncarried])
      const expected =
        draft.storeId !== storeId
          ? 'no store'
          : draft.lines.some((line) => !known.has(line.productId))
            ? 'unknown product'
            : placeOrder(
                draft,
                new StoreInventory(
                  storeId as StoreId,
                  Object.entries(levels).map(([id, quantity]) => ({ productId: Number(id) as ProductId, quantity })),
                ),
              ).status
      const context = `run ${run}: ${JSON.stringify(draft)} over ${JSON.stringify(levels)}`
      assert.equal(confirmed === null ? 'not confirmed' : 'CONFIRMED', expected === 'CONFIRMED' ? 'CONFIRMED' : 'not confirmed', context)
      // What it found is what the domain decides on: the same decision, from the same rows.
      assert.equal(found.storeExists, draft.storeId === storeId, context)
      assert.deepEqual(
        [...found.titles.keys()].sort(),
        draft.lines
          .map((line) => line.productId)
          .filter((id) => known.has(id))
          .sort(),
        context,
      )
      for (const line of draft.lines)
        assert.equal(found.stock.available(line.productId), draft.storeId === storeId ? (levels[line.productId] ?? 0) : 0, context)

      const after = await levelsOf(db.pool, storeId)
      const taken = confirmed === null ? [] : draft.lines
      assert.deepEqual(
        after,
        { ...levels, ...Object.fromEntries(taken.map((line) => [line.productId, (levels[line.productId] ?? 0) - line.quantity])) },
        context,
      )
      if (confirmed !== null) {
        confirmedCount++
        assert.equal(
          await countOf(db.pool, "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'order-confirmation' AND (data->>'orderId')::bigint = $1", [
            confirmed.id,
          ]),
          1,
        )
        assert.equal(
          await countOf(db.pool, 'SELECT count(*)::int AS n FROM stock_movements WHERE reference = $1', [`order:${confirmed.id}`]),
          draft.lines.length,
        )
        assert.equal(await countOf(db.pool, 'SELECT count(*)::int AS n FROM order_items WHERE order_id = $1', [confirmed.id]), draft.lines.length)
      }
      if (run % 5 === 4)
        await db.pool.query(
          'UPDATE inventory SET quantity = v.quantity::int FROM jsonb_each_text($2) AS v(id, quantity) WHERE store_id = $1 AND product_id = v.id::bigint',
          [storeId, JSON.stringify(base)],
        )
    }
    // Both outcomes were exercised, not only one of them.
    assert.ok(confirmedCount >= 30 && confirmedCount <= 270, `${confirmedCount} of 300 confirmed`)
  })
})
