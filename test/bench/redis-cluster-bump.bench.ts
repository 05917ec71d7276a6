import { ANY_STOCK_SCOPE, CATALOG_SCOPE, stockScope } from '../../adapters/cache/cache-scopes.js'
import { RedisCacheBackend } from '../../adapters/redis/redis-cache-backend.js'
import { RedisConnection } from '../../adapters/redis/redis-connection.js'
import { startRedisCluster } from '../support/redis-cluster.js'
import { RecordingLogger, uniqueKeyPrefix } from '../support/redis.js'
import { runConcurrently, summarize } from './measure.js'

const ROUNDS = 6
const BUMPS_PER_ROUND = 300

/**
 * What the WAIT after each bump costs an invalidation on a Redis Cluster (3 masters, a replica
 * each, private processes on loopback): a store's stock invalidation (two slot groups, as every
 * order and restock makes) and a catalog one (every group), with `replicaAcks` 1 (WAIT 1) and 0,
 * in alternating rounds so that the shared machine's drift weighs on both alike.
 */
export default async function bench(): Promise<void> {
  const cluster = await startRedisCluster()
  const connect = async (replicaAcks: number) => {
    const redis = new RedisConnection({
      clusterNodes: cluster.seedNodes,
      logger: new RecordingLogger(),
      keyPrefix: uniqueKeyPrefix(),
      replicaAcks,
      commandTimeoutMs: 1_000,
    })
    await redis.start()
    return redis
  }
  const variants = { 'WAIT 1': await connect(1), 'no WAIT': await connect(0) }
  try {
    for (const [label, scopesOf] of [
      ['stock invalidation (2 groups)', (n: number) => [stockScope(1 + (n % 6)), ANY_STOCK_SCOPE]],
      ['catalog invalidation (9 groups)', () => [CATALOG_SCOPE]],
    ] as const) {
      for (const concurrency of [1, 8]) {
        const latencies: Record<string, number[]> = { 'WAIT 1': [], 'no WAIT': [] }
        for (let round = 0; round < ROUNDS; round++) {
          // ABBA: the order of the two alternates every round.
          const order = round % 2 === 0 ? (['WAIT 1', 'no WAIT'] as const) : (['no WAIT', 'WAIT 1'] as const)
          for (const variant of order) {
            const backend = new RedisCacheBackend(variants[variant], 300)
            const { latencies: measured } = await runConcurrently(BUMPS_PER_ROUND, concurrency, (n) => backend.bump(scopesOf(n)))
            latencies[variant]!.push(...measured)
          }
        }
        const withWait = summarize(latencies['WAIT 1']!)
        const without = summarize(latencies['no WAIT']!)
        process.stdout.write(
          `${label}, ${concurrency} in flight, ${withWait.count} bumps each: WAIT 1 median ${withWait.median} ms p99 ${withWait.p99} ms; ` +
            `no WAIT median ${without.median} ms p99 ${without.p99} ms; median +${(withWait.median - without.median).toFixed(2)} ms (×${(withWait.median / without.median).toFixed(2)})\n`,
        )
      }
    }
  } finally {
    for (const redis of Object.values(variants)) await redis.close()
    await cluster.stop()
  }
}
