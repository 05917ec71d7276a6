import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, test } from 'node:test'
import { DEFAULT_SEED_PLAN, runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { adminKey } from '../support/api-keys.js'
import { eventually } from '../support/eventually.js'
import { startProgram, type RunningProgram } from '../support/programs.js'
import { freePort } from '../support/services.js'
import { readRepoFile } from '../support/source-files.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

interface TourStep {
  command: string
  expected: unknown
}

/** The README's tour: each `sh` block (one curl command) followed by the `json` block it answers. */
function tourSteps(): TourStep[] {
  const readme = readRepoFile('README.md')
  const tour = readme.slice(readme.indexOf('<!-- tour -->'), readme.indexOf('<!-- /tour -->'))
  const blocks = [...tour.matchAll(/```(sh|json)\n([\s\S]*?)```/g)].map((match) => ({ language: match[1], text: (match[2] ?? '').trim() }))
  const steps: TourStep[] = []
  for (let index = 0; index < blocks.length; index += 2) {
    const [command, answer] = [blocks[index], blocks[index + 1]]
    assert.equal(command?.language, 'sh', `block ${index} of the tour is a command`)
    assert.equal(answer?.language, 'json', `the command "${command?.text}" is followed by its answer`)
    steps.push({ command: command.text, expected: JSON.parse(answer.text) })
  }
  return steps
}

/** The curl options the tour uses (-s, -X, -H, -d), as a fetch against `base`. */
function asFetch(command: string, base: string): { url: string; init: RequestInit } {
  const words = [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3] ?? '')
  assert.equal(words.shift(), 'curl')
  const headers: Record<string, string> = {}
  let method = 'GET'
  let body: string | undefined
  let url = ''
  while (words.length > 0) {
    const word = words.shift() as string
    if (word === '-s') continue
    else if (word === '-X') method = words.shift() as string
    else if (word === '-H') {
      const [name = '', ...value] = (words.shift() as string).split(':')
      headers[name.trim()] = value.join(':').trim().replace(ADMIN_KEY_FILE, adminToken)
    } else if (word === '-d') body = words.shift()
    else url = word.replace(/^localhost:3000/, base)
  }
  return { url, init: { method, headers, ...(body === undefined ? {} : { body }) } }
}

/**
 * `expected` is part of `actual`: its object keys with matching values, each of its array
 * elements matching some element; "(a time)" stands for any timestamp.
 */
function contains(actual: unknown, expected: unknown): boolean {
  if (expected === '(a time)') return typeof actual === 'string' && !Number.isNaN(Date.parse(actual))
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.every((item) => actual.some((candidate) => contains(candidate, item)))
  if (expected !== null && typeof expected === 'object') {
    return (
      actual !== null &&
      typeof actual === 'object' &&
      Object.entries(expected).every(([key, value]) => contains((actual as Record<string, unknown>)[key], value))
    )
  }
  return actual === expected
}

/** How the README's commands read the key the embedded default writes; here, a key made for the test. */
const ADMIN_KEY_FILE = '$(cat .data/admin.key)'
let adminToken: string
let db: TestDatabase
let server: RunningProgram
let base: string

before(async () => {
  db = await createTestDatabase()
  // The data set `npm start` seeds on its first start.
  await runSeed(db.pool, { ...DEFAULT_SEED_PLAN, seed: 1 }, new Writable({ write: (_chunk, _encoding, done) => done() }))
  adminToken = (await adminKey(db.pool)).token
  const port = await freePort()
  base = `127.0.0.1:${port}`
  // As `npm start` runs the embedded default: the API and the job worker in one process.
  server = startProgram('bootstrap/server.js', [], { DATABASE_URL: db.url, PORT: String(port), RUN_WORKER: 'true', LOG_LEVEL: 'warn' })
  await eventually('the server ready', async () => ((await fetch(`http://${base}/health/ready`).catch(() => undefined))?.ok ? true : undefined))
})
after(async () => {
  server.child.kill('SIGTERM')
  await server.exited
  await db.close()
})

test('every command of the README tour answers as the README shows, in order, on a freshly seeded server', async () => {
  const steps = tourSteps()
  assert.ok(steps.length >= 7, `${steps.length} steps`)
  for (const { command, expected } of steps) {
    const { url, init } = asFetch(command, base)
    const answer = async () => (await fetch(`http://${url}`, init)).json()
    let last = await answer()
    // A read may wait for the worker (the confirmation): reads are asked again for a while; writes once.
    if (init.method === 'GET' && !contains(last, expected)) {
      await eventually(`"${command}" to answer as the README shows`, async () => {
        last = await answer()
        return contains(last, expected) ? true : undefined
      }).catch(() => undefined)
    }
    assert.ok(contains(last, expected), `${command}\nanswered ${JSON.stringify(last)}\nexpected to contain ${JSON.stringify(expected)}`)
  }
})
