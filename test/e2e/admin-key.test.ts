import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { hashApiToken } from '../../domain/access/api-token.js'
import { ensureEmbeddedAdminKey } from '../../bootstrap/infrastructure/admin-key.js'
import { createLogger } from '../../bootstrap/runtime/logger.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let dataDir: string

before(async () => {
  db = await createTestDatabase()
  dataDir = await mkdtemp(join(tmpdir(), 'aforro-admin-key-'))
})
after(async () => {
  await db.close()
  await rm(dataDir, { recursive: true, force: true })
})

test('the first start writes an admin key to <dataDir>/admin.key (0600), logs the path only, and later starts make none', async () => {
  const lines: string[] = []
  const logger = createLogger({ logLevel: 'info' }, 'test', { write: (line: string) => void lines.push(line) })

  await ensureEmbeddedAdminKey(db.pool, join(dataDir, 'nested'), logger)
  await ensureEmbeddedAdminKey(db.pool, join(dataDir, 'nested'), logger)

  const path = join(dataDir, 'nested', 'admin.key')
  const token = (await readFile(path, 'utf8')).trim()
  assert.equal((await stat(path)).mode & 0o777, 0o600)
  const { rows } = await db.pool.query<{ role: string; token_hash: Buffer }>('SELECT role, token_hash FROM api_keys')
  assert.equal(rows.length, 1)
  assert.equal(rows[0]?.role, 'admin')
  assert.deepEqual(rows[0]?.token_hash, hashApiToken(token))
  assert.equal(lines.length, 1)
  assert.ok(lines[0]!.includes(path))
  assert.ok(!lines[0]!.includes(token.slice(4)))
})
