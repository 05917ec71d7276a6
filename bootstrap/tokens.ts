import type pg from 'pg'
import type { Logger } from 'pino'
import type { Counters } from '../adapters/metrics/counters.js'
import type { Cache } from '../application/ports/cache.js'
import type { CatalogChanged } from '../application/ports/catalog-changed.js'
import type { Clock } from '../application/ports/clock.js'
import type { HealthProbe } from '../application/ports/health-probe.js'
import type { RateLimiter } from '../application/ports/rate-limiter.js'
import type { StockChanged } from '../application/ports/stock-changed.js'
import type { CheckReadiness } from '../application/use-cases/check-readiness.js'
import type { Config } from './config.js'

/** A symbol that remembers the type registered under it, so resolve() needs no casts at call sites. */
export type Token<T> = symbol & { readonly __type?: T }

const token = <T>(name: string): Token<T> => Symbol(name) as Token<T>

export const TOKENS = {
  config: token<Config>('config'),
  logger: token<Logger>('logger'),
  pool: token<pg.Pool>('pool'),
  clock: token<Clock>('clock'),
  postgresProbe: token<HealthProbe>('postgresProbe'),
  redisProbe: token<HealthProbe>('redisProbe'),
  checkReadiness: token<CheckReadiness>('checkReadiness'),
  cache: token<Cache>('cache'),
  cacheCounters: token<Counters>('cacheCounters'),
  rateLimitCounters: token<Counters>('rateLimitCounters'),
  suggestRateLimiter: token<RateLimiter>('suggestRateLimiter'),
  stockChanged: token<StockChanged>('stockChanged'),
  catalogChanged: token<CatalogChanged>('catalogChanged'),
}
