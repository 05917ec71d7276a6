import type { Logger } from 'pino'
import { RedisConnection } from '../../adapters/redis/redis-connection.js'
import type { Config } from '../runtime/config.js'

/**
 * Connects to REDIS_URL, waiting briefly: a Redis that is down at start only degrades the service
 * and is picked up once it answers. Undefined without REDIS_URL (in-process cache and rate
 * limiter). The caller closes the connection.
 */
export async function openRedis(config: Pick<Config, 'redisUrl'>, logger: Logger, keyPrefix?: string): Promise<RedisConnection | undefined> {
  if (config.redisUrl === undefined) {
    logger.info('REDIS_URL unset: in-process cache and rate limiter, not shared with other instances')
    return undefined
  }
  const redis = new RedisConnection({ url: config.redisUrl, logger, ...(keyPrefix === undefined ? {} : { keyPrefix }) })
  await redis.start()
  return redis
}
