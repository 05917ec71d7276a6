import type pg from 'pg'
import type { PgBoss } from 'pg-boss'
import type { Logger } from 'pino'
import type { ReadThroughCache } from '../../adapters/cache/read-through-cache.js'
import type { Counters } from '../../adapters/metrics/counters.js'
import type { PrometheusMetrics } from '../../adapters/metrics/prometheus.js'
import type { RateLimiter } from '../../adapters/rate-limit/rate-limiter.js'
import type { HealthProbe } from '../../application/operations/ports/health-probe.js'
import type { Clock } from '../../application/shared/clock.js'
import type { Config } from '../runtime/config.js'

/** A symbol that remembers the type registered under it, so resolve() needs no casts at call sites. */
export type Token<T> = symbol & { readonly __type?: T }

const token = <T>(name: string): Token<T> => Symbol(name)

/**
 * Only what differs between processes, deployments or tests: the resources a program opened and
 * the adapters chosen by configuration (Redis or in-process). Use cases and the adapters nothing
 * swaps are plain constructor calls in use-cases.ts.
 */
export const TOKENS = {
  config: token<Config>('config'),
  logger: token<Logger>('logger'),
  pool: token<pg.Pool>('pool'),
  boss: token<PgBoss>('boss'),
  clock: token<Clock>('clock'),
  cache: token<ReadThroughCache>('cache'),
  metrics: token<PrometheusMetrics>('metrics'),
  cacheCounters: token<Counters>('cacheCounters'),
  rateLimitCounters: token<Counters>('rateLimitCounters'),
  jobCounters: token<Counters>('jobCounters'),
  suggestRateLimiter: token<RateLimiter>('suggestRateLimiter'),
  redisProbe: token<HealthProbe>('redisProbe'),
}
