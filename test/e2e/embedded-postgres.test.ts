import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { appendFile, chmod, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import pino from 'pino'
import {
  EMBEDDED_APP_ROLE,
  EMBEDDED_DATABASE,
  POSTGRES_ACCOUNT,
  postgresBinary,
  startEmbeddedPostgres,
} from '../../bootstrap/infrastructure/embedded-postgres.js'
import { freePort } from '../support/services.js'

const logger = pino({ level: 'silent' })

/** Why these tests cannot run here, or undefined when they can. */
async function reasonToSkip(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root: the dedicated account and file ownership only apply when the embedded Postgres is started by root'
  const binary = await postgresBinary().catch(() => undefined)
  if (!binary) return 'the optional embedded-postgres package is not installed'
  const closed = Object.entries(await ancestorModes(dirname(binary))).find(([, mode]) => (mode & 0o001) === 0)
  if (closed) return `${closed[0]} is closed to other accounts, so ${POSTGRES_ACCOUNT} cannot reach this checkout's Postgres binary`
  return undefined
}

const skip = await reasonToSkip()
if (skip) process.stdout.write(`# embedded Postgres tests skipped: ${skip}\n`)

/** Modes of every directory from `path` up to the root. */
async function ancestorModes(path: string): Promise<Record<string, number>> {
  const modes: Record<string, number> = {}
  for (let directory = path; ; directory = dirname(directory)) {
    modes[directory] = (await stat(directory)).mode & 0o7777
    if (directory === dirname(directory)) break
  }
  return modes
}

function uidOf(pid: number, text: string): number {
  const line = /^Uid:\s+(\d+)/m.exec(text)
  if (!line?.[1]) throw new Error(`no Uid for ${pid}`)
  return Number(line[1])
}

describe('the embedded default, started by root', { skip }, () => {
  let workDir: string
  let dataDir: string
  let port: number

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'aforro-embedded-'))
    // mkdtemp makes it 0700; this test's own directory is opened for the account to traverse.
    await chmod(workDir, 0o711)
    dataDir = join(workDir, 'data')
    port = await freePort()
  })
  after(async () => {
    await rm(workDir, { recursive: true, force: true })
  })

  test('keeps passwords private, runs as its own account, connects the app as a non-superuser owner, opens nothing up', async () => {
    const binary = await postgresBinary()
    const modesBefore = { ...(await ancestorModes(workDir)), ...(await ancestorModes(dirname(binary))) }

    const handle = await startEmbeddedPostgres({ dataDir, port, logger })
    try {
      for (const file of ['postgres.password', `${EMBEDDED_APP_ROLE}.password`]) {
        assert.equal((await stat(join(dataDir, file))).mode & 0o777, 0o600, file)
      }
      assert.deepEqual(
        (await readdir(dataDir)).filter((name) => name.startsWith('initdb-')),
        [],
        'the transient initdb password file is gone',
      )
      const accountUid = Number(spawnSync('id', ['-u', POSTGRES_ACCOUNT], { encoding: 'utf8' }).stdout.trim())
      assert.notEqual(accountUid, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim() || -1))
      const cluster = await stat(join(dataDir, 'postgres'))
      assert.equal(cluster.uid, accountUid)
      assert.equal(cluster.mode & 0o777, 0o700)
      const postmasterPid = Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0])
      assert.equal(uidOf(postmasterPid, await readFile(`/proc/${postmasterPid}/status`, 'utf8')), accountUid)

      const client = new pg.Client({ connectionString: handle.url })
      await client.connect()
      try {
        const { rows } = await client.query<{ user: string; superuser: boolean; owner: string; can_create_role: boolean }>(
          `SELECT current_user AS user, r.rolsuper AS superuser, r.rolcreaterole AS can_create_role,
                  (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) AS owner
             FROM pg_roles r WHERE r.rolname = current_user`,
        )
        assert.deepEqual(rows[0], { user: EMBEDDED_APP_ROLE, superuser: false, can_create_role: false, owner: EMBEDDED_APP_ROLE })
        assert.equal((await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db, EMBEDDED_DATABASE)
        // Owning the database is enough for what migrations do: trusted extensions and new schemas.
        await client.query('CREATE EXTENSION IF NOT EXISTS unaccent')
        await client.query('CREATE SCHEMA IF NOT EXISTS probe')
      } finally {
        await client.end()
      }
    } finally {
      await handle.stop()
    }

    const modesAfter = { ...(await ancestorModes(workDir)), ...(await ancestorModes(dirname(binary))) }
    assert.deepEqual(modesAfter, modesBefore, 'no directory outside the data directory changed its permissions')
  })

  test('a data directory the account cannot reach is refused with what to do, and left closed', async () => {
    const privateDir = join(workDir, 'private')
    await mkdir(privateDir, { mode: 0o700 })

    await assert.rejects(
      startEmbeddedPostgres({ dataDir: join(privateDir, 'data'), port: await freePort(), logger }),
      new RegExp(`^StartupFailure: The embedded Postgres runs as the ${POSTGRES_ACCOUNT} account, which cannot enter ${privateDir}: .*DATABASE_URL$`),
    )
    assert.equal((await stat(privateDir)).mode & 0o777, 0o700)
  })

  test('refuses a port held by a server that is not this checkout’s', async () => {
    const squatter = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve))
    const squatted = (squatter.address() as { port: number }).port
    try {
      await assert.rejects(
        startEmbeddedPostgres({ dataDir, port: squatted, logger }),
        new RegExp(`^StartupFailure: Port ${squatted} is held by a server that is not this checkout’s embedded Postgres: .*EMBEDDED_POSTGRES_PORT`),
      )
    } finally {
      squatter.close()
    }
  })

  test('a second checkout on the same port is refused, not attached to the first one’s server', async () => {
    const first = await startEmbeddedPostgres({ dataDir, port, logger })
    try {
      await assert.rejects(startEmbeddedPostgres({ dataDir: join(workDir, 'other-checkout'), port, logger }), /Port \d+ is held by/)
      const again = await startEmbeddedPostgres({ dataDir, port, logger })
      await again.stop() // reusing this checkout's own server is fine, and leaves it running
      const client = new pg.Client({ connectionString: first.url })
      await client.connect()
      await client.end()
    } finally {
      await first.stop()
    }
  })

  test('a failed start reports Postgres’s own error', async () => {
    await appendFile(join(dataDir, 'postgres', 'postgresql.conf'), '\nbogus_setting_for_the_test = 1\n')

    await assert.rejects(startEmbeddedPostgres({ dataDir, port, logger }), /did not start: .*unrecognized configuration parameter "bogus_setting_for_the_test"/)
  })
})
