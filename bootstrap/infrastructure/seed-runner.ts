import { randomInt } from 'node:crypto'
import type pg from 'pg'
import { seedDatabase, type SeedCounts, type SeedPhase, type SeedPlan } from '../../adapters/postgres/pg-seeder.js'
import { FakerSeedSource } from '../../adapters/seed/faker-seed-source.js'

export const DEFAULT_SEED_PLAN: SeedPlan = { categories: 10, products: 1_000, stores: 20, inventoryPerStore: 300, reset: false }

export interface SeedRun extends SeedPlan {
  /** Same seed, same rows; a random one is drawn (and reported) when absent. */
  seed?: number
}

export interface SeedReport {
  seed: number
  counts: SeedCounts
  /** Where the time went, in order. */
  phases: SeedPhase[]
  seconds: number
}

const PROGRESS_AFTER_MS = 2_000

/** Seeds and reports progress (then where the time went) on stderr once a run takes longer than a couple of seconds. */
export async function runSeed(pool: pg.Pool, run: SeedRun, stderr: NodeJS.WritableStream = process.stderr): Promise<SeedReport> {
  const seed = run.seed ?? randomInt(1, 2 ** 31 - 1)
  const started = performance.now()
  let lastReport = started
  const { counts, phases } = await seedDatabase(pool, run, new FakerSeedSource(seed), (stage, done, total) => {
    const now = performance.now()
    if (now - started < PROGRESS_AFTER_MS || (now - lastReport < 1_000 && done < total)) return
    lastReport = now
    stderr.write(
      `seed: ${stage} ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${Math.round((100 * done) / total)}%) ${((now - started) / 1000).toFixed(1)}s\n`,
    )
  })
  const seconds = (performance.now() - started) / 1000
  if (seconds * 1000 >= PROGRESS_AFTER_MS) {
    stderr.write(`seed: phases ${phases.map((phase) => `${phase.name} ${phase.seconds.toFixed(1)}s`).join(', ')}\n`)
  }
  return { seed, counts, phases, seconds }
}
