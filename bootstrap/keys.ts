import { parseArgs } from 'node:util'
import type { ApiKeyRecord } from '../application/access/ports/api-keys.js'
import { isRole, ROLES, type Role } from '../domain/access/principal.js'
import { parseCalendarDate, type CalendarDate } from '../domain/shared/calendar-date.js'
import { DomainError } from '../domain/shared/domain-error.js'
import { buildApiKeyManagement } from './composition/container.js'
import { openDatabase } from './infrastructure/database.js'
import { runProgram } from './runtime/run-program.js'

const USAGE = `Usage: npm run keys -- <command>
  create --role admin|catalog|store [--stores 1,2] [--name TEXT] [--expires YYYY-MM-DD]
            make a key; its token is printed once, as the last line (only its hash is stored).
            --stores is required for, and only for, a store key; --expires: refused from 00:00 UTC that day
  list      every key: id, name, role, stores, created, expires, last used, revoked (no secrets)
  revoke <id>
            refuse the key from now on (every API instance within 5 s)
  --help    show this text`

type Command =
  | { name: 'create'; role: Role; storeIds: number[]; keyName?: string; expiresOn?: CalendarDate }
  | { name: 'list' }
  | { name: 'revoke'; id: number }
  | { name: 'help' }

class UsageError extends Error {}

const POSITIVE_INTEGER = /^[1-9]\d{0,14}$/

function parseCommand(argv: string[]): Command {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      stores: { type: 'string' },
      name: { type: 'string' },
      expires: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) return { name: 'help' }
  const [command, ...rest] = positionals
  const createOptions = [values.role, values.stores, values.name, values.expires].some((value) => value !== undefined)
  if (command === 'create' && rest.length === 0) {
    if (values.role === undefined || !isRole(values.role)) throw new UsageError(`create needs --role ${ROLES.join('|')}`)
    const storeIds = (values.stores ?? '').split(',').filter((part) => part.trim() !== '')
    const badStore = storeIds.find((id) => !POSITIVE_INTEGER.test(id.trim()))
    if (badStore !== undefined) throw new UsageError(`--stores takes store ids separated by commas, not "${badStore}"`)
    return {
      name: 'create',
      role: values.role,
      storeIds: storeIds.map(Number),
      ...(values.name === undefined ? {} : { keyName: values.name }),
      ...(values.expires === undefined ? {} : { expiresOn: parseCalendarDate(values.expires) }),
    }
  }
  if (createOptions) throw new UsageError('--role, --stores, --name and --expires go with create only')
  if (command === 'list' && rest.length === 0) return { name: 'list' }
  if (command === 'revoke') {
    if (rest.length !== 1 || !POSITIVE_INTEGER.test(rest[0]!)) throw new UsageError('revoke takes one key id (see keys list)')
    return { name: 'revoke', id: Number(rest[0]) }
  }
  throw new UsageError(command === undefined ? 'a command is required: create, list or revoke' : `unknown command: ${positionals.join(' ')}`)
}

const timestamp = (date: Date | null) => (date === null ? '-' : date.toISOString())

function keyTable(keys: ApiKeyRecord[]): string {
  const header = ['id', 'name', 'role', 'stores', 'created', 'expires', 'last used', 'revoked']
  const rows = keys.map((key) => [
    String(key.id),
    key.name,
    key.role,
    key.storeIds.length === 0 ? '-' : key.storeIds.join(','),
    timestamp(key.createdAt),
    timestamp(key.expiresAt),
    timestamp(key.lastUsedAt),
    timestamp(key.revokedAt),
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

await runProgram('aforro-keys', async ({ config, logger, lifecycle }) => {
  let command: Command
  try {
    command = parseCommand(process.argv.slice(2))
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof DomainError || error instanceof TypeError)) throw error
    process.stderr.write(`keys: ${error.message} (see npm run keys -- --help)\n`)
    return 2
  }
  if (command.name === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }

  const { pool } = await openDatabase(config, logger, lifecycle, 'aforro-keys', 1)
  const keys = buildApiKeyManagement(pool, logger)
  try {
    if (command.name === 'list') {
      const all = await keys.list.execute()
      process.stdout.write(all.length === 0 ? 'No API keys yet: npm run keys -- create --role admin\n' : `${keyTable(all)}\n`)
    } else if (command.name === 'revoke') {
      const key = await keys.revoke.execute(command.id)
      process.stdout.write(`Revoked key ${key.id} (${key.name}); every API instance refuses it within 5 seconds.\n`)
    } else {
      const { key, token } = await keys.create.execute({
        role: command.role,
        storeIds: command.storeIds,
        ...(command.keyName === undefined ? {} : { name: command.keyName }),
        ...(command.expiresOn === undefined ? {} : { expiresOn: command.expiresOn }),
      })
      const scope = key.storeIds.length === 0 ? '' : ` for stores ${key.storeIds.join(',')}`
      process.stdout.write(
        `Created key ${key.id} "${key.name}": ${key.role}${scope}, expires ${timestamp(key.expiresAt)}.\n` +
          'The token below is shown only this once; send it as "Authorization: Bearer <token>".\n' +
          `${token}\n`,
      )
    }
  } catch (error) {
    if (!(error instanceof DomainError)) throw error
    process.stderr.write(`keys: ${error.message}\n`)
    return 2
  }
  return 0
})
