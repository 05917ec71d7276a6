import { parseArgs } from 'node:util'
import { PgBossJobQueue } from '../adapters/jobs/pg-boss.js'
import { jobsStatus, redriveDeadLetters, type JobsStatus } from '../adapters/jobs/queue-admin.js'
import { InvalidCalendarDateError, parseCalendarDate } from '../domain/shared/calendar-date.js'
import { openDatabase } from './infrastructure/database.js'
import { startPgBoss } from './infrastructure/jobs-runtime.js'
import { runProgram } from './runtime/run-program.js'

const USAGE = `Usage: npm run jobs -- <command>
  trigger daily-inventory-summary [--date YYYY-MM-DD]
            enqueue the daily inventory summary now (default date: today in UTC); a worker runs it
  status    jobs ready, deferred (retry backoff), running and failed per queue, and every job
            waiting in a dead-letter queue with its last error
  redrive   move every dead-lettered job back to its queue to run again (once the cause is fixed)
  --help    show this text`

const DEAD_LETTERS_SHOWN = 20

type Command = { name: 'trigger'; date?: string } | { name: 'status' } | { name: 'redrive' } | { name: 'help' }

class UsageError extends Error {}

function parseCommand(argv: string[]): Command {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { date: { type: 'string' }, help: { type: 'boolean', default: false } },
  })
  if (values.help) return { name: 'help' }
  const [command, job, ...rest] = positionals
  if (command === 'trigger') {
    if (job !== 'daily-inventory-summary' || rest.length > 0) {
      throw new UsageError('trigger takes one job: daily-inventory-summary (order confirmations are enqueued by their orders)')
    }
    return values.date === undefined ? { name: 'trigger' } : { name: 'trigger', date: parseCalendarDate(values.date) }
  }
  if ((command === 'status' || command === 'redrive') && job === undefined && values.date === undefined) return { name: command }
  throw new UsageError(command === undefined ? 'a command is required' : `unknown command: ${positionals.join(' ')}`)
}

function printStatus({ queues, deadLetters }: JobsStatus): void {
  const width = Math.max(...queues.map((queue) => queue.name.length))
  const row = (cells: (string | number)[]) => cells.map((cell, i) => (i === 0 ? String(cell).padEnd(width) : String(cell).padStart(9))).join(' ')
  const lines = [row(['queue', 'ready', 'deferred', 'active', 'failed'])]
  for (const queue of queues) lines.push(row([queue.name, queue.ready, queue.deferred, queue.active, queue.failed]))
  if (deadLetters.length === 0) {
    lines.push('', 'No job is waiting in a dead-letter queue.')
  } else {
    lines.push('', `Dead letters (${deadLetters.length}, newest first; each exhausted its retries):`)
    for (const dead of deadLetters.slice(0, DEAD_LETTERS_SHOWN)) {
      lines.push(`  ${dead.deadLetteredAt.toISOString()}  ${dead.queue}  ${dead.id}  ${JSON.stringify(dead.data)}  ${dead.error ?? ''}`)
    }
    if (deadLetters.length > DEAD_LETTERS_SHOWN) lines.push(`  … and ${deadLetters.length - DEAD_LETTERS_SHOWN} more`)
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}

await runProgram('aforro-jobs', async ({ config, logger, lifecycle }) => {
  let command: Command
  try {
    command = parseCommand(process.argv.slice(2))
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof InvalidCalendarDateError || error instanceof TypeError)) throw error
    process.stderr.write(`${error.message}\n\n${USAGE}\n`)
    return 2
  }
  if (command.name === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }

  const { directUrl } = await openDatabase(config, logger, lifecycle, 'aforro-jobs', 1)
  const boss = await startPgBoss(directUrl, false, logger, lifecycle)

  if (command.name === 'status') {
    printStatus(await jobsStatus(boss))
    return 0
  }
  if (command.name === 'redrive') {
    const moved = await redriveDeadLetters(boss)
    for (const [queue, count] of Object.entries(moved)) process.stdout.write(`${queue}: ${count} dead-lettered job(s) moved back\n`)
    return 0
  }
  await new PgBossJobQueue(boss).enqueue('daily-inventory-summary', command.date === undefined ? {} : { date: command.date })
  process.stdout.write(
    `Enqueued daily-inventory-summary for ${command.date ?? 'today (UTC)'}; a running worker picks it up.\n` + 'Follow it with: npm run jobs -- status\n',
  )
  return 0
})
