import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type pg from 'pg'
import type { Logger } from 'pino'
import { buildApiKeyManagement } from '../composition/container.js'

/**
 * The embedded default's first start (no key exists yet) makes an admin key, so that a local
 * checkout can call protected routes at once: the token goes to `<dataDir>/admin.key`, readable by
 * its owner only, and only the path is logged.
 */
export async function ensureEmbeddedAdminKey(pool: pg.Pool, dataDir: string, logger: Logger): Promise<void> {
  const keys = buildApiKeyManagement(pool, logger)
  if ((await keys.list.execute()).length > 0) return
  const { key, token } = await keys.create.execute({ role: 'admin', storeIds: [], name: 'embedded default admin' })
  const path = join(dataDir, 'admin.key')
  await mkdir(dataDir, { recursive: true })
  await writeFile(path, `${token}\n`, { mode: 0o600 })
  await chmod(path, 0o600)
  logger.info({ path, keyId: key.id }, `first start: an admin API key was written to ${path} (use: -H "authorization: Bearer $(cat ${path})")`)
}
