import { randomBytes } from 'node:crypto'
import type { Logger } from '../../adapters/logger.js'
import { RedisConnection, type RedisConnectionOptions } from '../../adapters/redis/redis-connection.js'
import { testRedisUrl } from './test-database.js'

/** A Logger that keeps what it was told, so tests can check that a warning was logged. */
export class RecordingLogger implements Logger {
  readonly lines: { level: 'info' | 'warn' | 'error'; message: string }[] = []

  info(_fields: object, message: string): void {
    this.lines.push({ level: 'info', message })
  }

  warn(_fields: object, message: string): void {
    this.lines.push({ level: 'warn', message })
  }

  error(_fields: object, message: string): void {
    this.lines.push({ level: 'error', message })
  }

  warnings(): string[] {
    return this.lines.filter((line) => line.level === 'warn').map((line) => line.message)
  }
}

export function uniqueKeyPrefix(): string {
  return `aforro-test:${randomBytes(6).toString('hex')}:`
}

/**
 * Set by test/adapters/redis-cluster.test.ts when it runs other test files again over its Redis
 * Cluster: their Redis then is that cluster.
 */
const clusterNodes = process.env.TEST_REDIS_CLUSTER_NODES?.split(',')

/** The tests' Redis as the app's configuration names it: REDIS_URL, or REDIS_CLUSTER_NODES when the tests run over a cluster. */
export function testRedisEnv(): Record<string, string> {
  return clusterNodes ? { REDIS_CLUSTER_NODES: clusterNodes.join(',') } : { REDIS_URL: testRedisUrl() }
}

/** A started connection to the tests' Redis (or the cluster, or what `options` name) with keys of its own. */
export async function connectTestRedis(options: Partial<RedisConnectionOptions> = {}): Promise<RedisConnection> {
  const location = clusterNodes ? { clusterNodes } : { url: testRedisUrl() }
  const redis = new RedisConnection({ ...location, logger: new RecordingLogger(), keyPrefix: uniqueKeyPrefix(), ...options })
  await redis.start()
  return redis
}
