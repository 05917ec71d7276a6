import { parseArgs } from 'node:util'
import { DatabaseNotEmptyError } from '../adapters/postgres/pg-seeder.js'
import { openDatabase } from './infrastructure/database.js'
import { runProgram } from './runtime/run-program.js'
import { DEFAULT_SEED_PLAN, runSeed, type SeedRun } from './infrastructure/seed-runner.js'

const USAGE = `Usage: npm run seed -- [options]
  --categories N           categories to create (default ${DEFAULT_SEED_PLAN.categories})
  --products N             products to create (default ${DEFAULT_SEED_PLAN.products})
  --stores N               stores to create (default ${DEFAULT_SEED_PLAN.stores})
  --inventory-per-store N  minimum products each store carries (default ${DEFAULT_SEED_PLAN.inventoryPerStore})
  --seed N                 random seed: the same seed gives identical rows on every run
  --reset                  empty the catalog, stores, inventory and orders first
  --help                   show this text`

const LIMITS = {
  categories: [1, 10_000],
  products: [1, 10_000_000],
  stores: [1, 100_000],
  'inventory-per-store': [1, 1_000_000],
  seed: [1, 2 ** 31 - 1],
} satisfies Record<string, [number, number]>

class UsageError extends Error {}

function parseSeedRun(argv: string[]): SeedRun | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      categories: { type: 'string' },
      products: { type: 'string' },
      stores: { type: 'string' },
      'inventory-per-store': { type: 'string' },
      seed: { type: 'string' },
      reset: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) return 'help'
  const count = (name: keyof typeof LIMITS): number | undefined => {
    const raw = values[name]
    if (raw === undefined) return undefined
    const [min, max] = LIMITS[name]
    const value = Number(String(raw).replaceAll('_', ''))
    if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`)
    return value
  }
  const seed = count('seed')
  return {
    categories: count('categories') ?? DEFAULT_SEED_PLAN.categories,
    products: count('products') ?? DEFAULT_SEED_PLAN.products,
    stores: count('stores') ?? DEFAULT_SEED_PLAN.stores,
    inventoryPerStore: count('inventory-per-store') ?? DEFAULT_SEED_PLAN.inventoryPerStore,
    reset: values.reset === true,
    ...(seed === undefined ? {} : { seed }),
  }
}

await runProgram('aforro-seed', async ({ config, logger, lifecycle }) => {
  let run: SeedRun | 'help'
  try {
    run = parseSeedRun(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  if (run === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const { pool } = await openDatabase(config, logger, lifecycle, 'aforro-seed', 2)
  try {
    const { seed, counts, seconds } = await runSeed(pool, run)
    process.stdout.write(
      `Seeded ${counts.categories} categories, ${counts.products} products, ${counts.stores} stores, ` +
        `${counts.inventory} inventory rows and ${counts.stockMovements} ledger movements in ${seconds.toFixed(1)}s (seed ${seed})\n`,
    )
    return 0
  } catch (error) {
    if (!(error instanceof DatabaseNotEmptyError)) throw error
    process.stderr.write(`${error.message}\n`)
    return 3
  }
})
