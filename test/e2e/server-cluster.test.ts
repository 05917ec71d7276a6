import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, afterEach, before, describe, test } from 'node:test'
import { eventually } from '../support/eventually.js'
import { startProgram, waitUntilReady, type RunningProgram } from '../support/programs.js'
import { freePort } from '../support/services.js'
import { createTestDatabase, testRedisUrl, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
before(async () => {
  db = await createTestDatabase()
})
after(() => db.close())

/** One request on its own connection, so the kernel hands each to whichever worker accepts next. */
function getOnFreshConnection(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    })
    sent.on('error', reject)
    sent.end()
  })
}

/** The pids in the request log lines (probes are logged at debug): the processes that answered. */
function answeringPids(output: string): Set<number> {
  const pids = new Set<number>()
  for (const line of output.split('\n')) {
    if (!line.includes('"request completed"')) continue
    pids.add((JSON.parse(line) as { pid: number }).pid)
  }
  return pids
}

/** The parent pid, from /proc (Linux): the field after the parenthesised command name. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
}

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number)
}

/**
 * Sends requests until both workers answered one; returns the pids that answered. The second
 * worker may start listening seconds after the first on a busy machine, so this waits up to 30 s
 * (and 600 requests) for it, pausing between requests once one worker answers.
 */
async function untilTwoAnswered(server: RunningProgram, port: number): Promise<Set<number>> {
  await waitUntilReady(port)
  const deadline = Date.now() + 30_000
  let pids = new Set<number>()
  for (let attempt = 0; attempt < 600 && pids.size < 2 && Date.now() < deadline; attempt++) {
    assert.equal(await getOnFreshConnection(port, '/health/live'), 200)
    pids = answeringPids(server.output())
    if (pids.size < 2) await sleep(50)
  }
  return pids
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The programs a test started and has not seen exit: a failed test must not leave them serving, or the file never ends. */
const running = new Set<RunningProgram>()
afterEach(async () => {
  for (const server of running) {
    const primary = server.child.pid
    if (primary !== undefined && isAlive(primary)) {
      for (const worker of childrenOf(primary)) process.kill(worker, 'SIGKILL')
      server.child.kill('SIGKILL')
    }
    await server.exited
  }
  running.clear()
})

/** The API as a primary with two workers; debug logs name the pid that answered each request. */
async function startTwoWorkers(): Promise<{ port: number; server: RunningProgram }> {
  const port = await freePort()
  const server = startProgram('bootstrap/server.js', [], {
    DATABASE_URL: db.url,
    PORT: String(port),
    WEB_CONCURRENCY: '2',
    REDIS_URL: testRedisUrl(),
    LOG_LEVEL: 'debug',
  })
  running.add(server)
  return { port, server }
}

describe('the server with WEB_CONCURRENCY', () => {
  test('WEB_CONCURRENCY=2 answers from two worker processes, and on SIGTERM all of them exit 0 within 10 s', async () => {
    const { port, server } = await startTwoWorkers()
    const pids = await untilTwoAnswered(server, port)

    assert.equal(pids.size, 2, 'two processes answered')
    for (const pid of pids) assert.equal(parentOf(pid), server.child.pid, `${pid} is a worker the primary forked`)
    const signalledAt = Date.now()
    server.child.kill('SIGTERM')
    const code = await server.exited
    assert.equal(code, 0)
    assert.ok(Date.now() - signalledAt < 10_000, 'exited within the contract')
    for (const pid of pids) assert.ok(!isAlive(pid), `worker ${pid} is gone`)
  })

  test('a worker that dies is replaced, and the port keeps answering', async () => {
    const { port, server } = await startTwoWorkers()
    const primary = server.child.pid ?? -1
    const [killed, survivor] = [...(await untilTwoAnswered(server, port))] as [number, number]

    process.kill(killed, 'SIGKILL')
    const replacement = await eventually('a replacement worker', async () => childrenOf(primary).find((pid) => pid !== killed && pid !== survivor))
    await waitUntilReady(port)

    assert.ok(isAlive(replacement))
    assert.equal(await getOnFreshConnection(port, '/health/live'), 200)
    server.child.kill('SIGTERM')
    assert.equal(await server.exited, 0)
  })

  for (const value of ['0', 'abc']) {
    test(`WEB_CONCURRENCY=${value} is refused with one line naming it`, async () => {
      const server = startProgram('bootstrap/server.js', [], { DATABASE_URL: db.url, PORT: String(await freePort()), WEB_CONCURRENCY: value })

      const code = await server.exited

      assert.notEqual(code, 0)
      assert.equal(server.output().trim().split('\n').length, 1)
      assert.match(server.output(), /WEB_CONCURRENCY/)
    })
  }
})
