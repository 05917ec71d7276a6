import type { Logger } from 'pino'
import { RedisConnection } from '../../adapters/redis/redis-connection.js'
import type { Config } from '../runtime/config.js'

/**
 * Connects to REDIS_URL or to the cluster REDIS_CLUSTER_NODES names, waiting briefly: a Redis
 * that is down at start only degrades the service and is picked up once it answers. Undefined
 * without either (in-process cache and rate limiter). The caller closes the connection.
 */
export async function openRedis(
  config: Pick<Config, 'redisUrl' | 'redisClusterNodes'>,
  logger: Logger,
  keyPrefix?: string,
): Promise<RedisConnection | undefined> {
  const location = config.redisClusterNodes ? { clusterNodes: config.redisClusterNodes } : config.redisUrl ? { url: config.redisUrl } : undefined
  if (location === undefined) {
    logger.info('REDIS_URL unset: in-process cache and rate limiter, not shared with other instances')
    return undefined
  }
  const redis = new RedisConnection({ ...location, logger, ...(keyPrefix === undefined ? {} : { keyPrefix }) })
  await redis.start()
  return redis
}
