import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type pg from 'pg'
import { createPool } from '../../adapters/postgres/pool.js'
import { eventually } from '../support/eventually.js'
import { addStore, countOf } from '../support/fixtures.js'
import { buildTestApp } from '../support/http-app.js'
import { runProgram } from '../support/programs.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let secondPool: pg.Pool
let first: FastifyInstance
let second: FastifyInstance
let storeId: number

/** Two API instances on one database, each with its own pool and key cache, as two processes would be. */
before(async () => {
  db = await createTestDatabase()
  storeId = await addStore(db.pool, 'Keyed')
  secondPool = createPool({ connectionString: db.url, applicationName: 'second instance' })
  first = await buildTestApp(db)
  second = await buildTestApp({ url: db.url, pool: secondPool })
})
after(async () => {
  await first.close()
  await second.close()
  await secondPool.end()
  await db.close()
})

const keys = (...args: string[]) => runProgram('bootstrap/keys.js', args, { DATABASE_URL: db.url, LOG_LEVEL: 'warn' })
const lines = (output: string) => output.trimEnd().split('\n')
const ordersOf = (app: FastifyInstance, token: string) =>
  app.inject({ method: 'GET', url: `/stores/${storeId}/orders/`, headers: { authorization: `Bearer ${token}` } })

describe('npm run keys', () => {
  test('create → use on two instances → list without secrets → revoke, refused by both within 5 s', async () => {
    const created = await keys('create', '--role', 'store', '--stores', String(storeId), '--name', 'Till 1')
    assert.equal(created.code, 0, created.output)
    const token = lines(created.output).at(-1)!
    assert.match(token, /^afk_[0-9A-Za-z]{43}$/)

    assert.equal((await ordersOf(first, token)).statusCode, 200)
    assert.equal((await ordersOf(second, token)).statusCode, 200)
    const used = await eventually('the last use to be recorded', async () => {
      const { rows } = await db.pool.query<{ last_used_at: Date | null }>("SELECT last_used_at FROM api_keys WHERE name = 'Till 1'")
      return rows[0]?.last_used_at ?? undefined
    })

    const listed = await keys('list')
    assert.equal(listed.code, 0, listed.output)
    assert.ok(!listed.output.includes(token.slice(4)), 'list shows no token')
    const [header, row] = lines(listed.output)
    assert.match(header!, /^id\s+name\s+role\s+stores\s+created\s+expires\s+last used\s+revoked$/)
    assert.match(row!, new RegExp(`^1\\s+Till 1\\s+store\\s+${storeId}\\s+\\S+Z\\s+-\\s+${used.toISOString()}\\s+-$`))

    const revoked = await keys('revoke', '1')
    const revokedAt = Date.now()
    assert.equal(revoked.code, 0, revoked.output)
    assert.match(revoked.output, /Revoked key 1 \(Till 1\)/)
    // The contract's bound on a revocation reaching every instance.
    await eventually(
      'both instances to refuse the revoked key',
      async () => ((await ordersOf(first, token)).statusCode === 401 && (await ordersOf(second, token)).statusCode === 401 ? true : undefined),
      5_000 - (Date.now() - revokedAt),
    )
    assert.match(lines((await keys('list')).output)[1]!, /\d{4}-\d{2}-\d{2}T\S+Z$/, 'list shows when it was revoked')
  })

  test('bad arguments exit 2 with one line naming the problem, and write nothing', async () => {
    const cases: [string[], RegExp][] = [
      [[], /a command is required/],
      [['frobnicate'], /unknown command: frobnicate/],
      [['create'], /create needs --role admin\|catalog\|store/],
      [['create', '--role', 'boss'], /create needs --role/],
      [['create', '--role', 'store'], /stores are required for a store key/],
      [['create', '--role', 'admin', '--stores', '1'], /stores apply only to store keys/],
      [['create', '--role', 'store', '--stores', '1,x'], /--stores takes store ids separated by commas, not "x"/],
      [['create', '--role', 'store', '--stores', '424242'], /stores do not exist: 424242/],
      [['create', '--role', 'admin', '--expires', '2020-01-01'], /2020-01-01 is not in the future/],
      [['create', '--role', 'admin', '--expires', 'tomorrow'], /"tomorrow" is not a calendar date/],
      [['create', '--role', 'admin', '--colour', 'red'], /Unknown option '--colour'/],
      [['revoke'], /revoke takes one key id/],
      [['revoke', 'abc'], /revoke takes one key id/],
      [['revoke', '999'], /API key 999 does not exist/],
      [['list', '--role', 'admin'], /go with create only/],
    ]
    const before = await countOf(db.pool, 'SELECT count(*)::int AS n FROM api_keys')

    for (const [args, message] of cases) {
      const { code, output } = await keys(...args)

      assert.equal(code, 2, `${args.join(' ')}: ${output}`)
      assert.equal(lines(output).length, 1, `${args.join(' ')}: ${output}`)
      assert.match(output, /^keys: /)
      assert.match(output, message)
    }
    assert.equal(await countOf(db.pool, 'SELECT count(*)::int AS n FROM api_keys'), before)
  })
})
