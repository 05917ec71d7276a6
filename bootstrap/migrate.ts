import { migrationStatus, type MigrationState } from '../adapters/postgres/migrator.js'
import { connectDatabase, openDatabase } from './infrastructure/database.js'
import { runProgram } from './runtime/run-program.js'

const USAGE = `Usage: npm run migrate [-- status]
  (no command)  apply every pending migration, then exit
  status        list every migration: applied (when), pending, edited since applied, or applied
                but missing here; exits 1 if any is edited or missing`

await runProgram('aforro-migrate', async ({ config, logger, lifecycle }) => {
  const command = process.argv.slice(2)
  if (command.length === 0) {
    await openDatabase(config, logger, lifecycle, 'aforro-migrate')
    logger.info('schema is up to date')
    return 0
  }
  if (command.length > 1 || command[0] !== 'status') {
    process.stderr.write(`${command.includes('--help') ? '' : `unknown command: ${command.join(' ')}\n`}${USAGE}\n`)
    return command.includes('--help') ? 0 : 2
  }
  const { pool } = await connectDatabase(config, logger, lifecycle, 'aforro-migrate', 1)
  const states = await migrationStatus(pool)
  process.stdout.write(`${formatStatus(states)}\n`)
  return states.some((migration) => migration.state === 'edited' || migration.state === 'missing') ? 1 : 0
})

function formatStatus(states: MigrationState[]): string {
  const width = Math.max(...states.map((migration) => migration.version.length))
  const lines = states.map((migration) =>
    [
      migration.version.padEnd(width),
      migration.state.padEnd(7),
      migration.appliedAt?.toISOString() ?? ''.padEnd(24),
      migration.inTransaction ? '' : 'no transaction',
    ]
      .join('  ')
      .trimEnd(),
  )
  const count = (state: MigrationState['state']) => states.filter((migration) => migration.state === state).length
  const summary = `${count('applied')} applied, ${count('pending')} pending${count('edited') ? `, ${count('edited')} edited since applied` : ''}${count('missing') ? `, ${count('missing')} applied but missing here` : ''}`
  return [...lines, '', summary].join('\n')
}
