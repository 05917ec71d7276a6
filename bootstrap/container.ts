// tsyringe refuses to load without the Reflect metadata API; only this file imports it.
import 'reflect-metadata'
import type pg from 'pg'
import type { Logger } from 'pino'
import { container, instanceCachingFactory, type DependencyContainer } from 'tsyringe'
import type { HttpAppDeps } from '../adapters/http/build-http-app.js'
import { isTransientDatabaseFailure } from '../adapters/postgres/pg-errors.js'
import { PgHealthProbe } from '../adapters/postgres/pg-health-probe.js'
import { CheckReadiness } from '../application/use-cases/check-readiness.js'
import type { Config } from './config.js'
import { packageVersion } from './package-version.js'
import { TOKENS, type Token } from './tokens.js'

export interface Infrastructure {
  config: Config
  logger: Logger
  pool: pg.Pool
}

function singleton<T>(c: DependencyContainer, token: Token<T>, build: (resolve: <U>(t: Token<U>) => U) => T): void {
  c.register(token, {
    useFactory: instanceCachingFactory((r) => build(<U>(t: Token<U>) => r.resolve<U>(t))),
  })
}

/**
 * The one composition root: every adapter is chosen and every use case assembled here, with
 * factories only (no decorators, no emitted metadata). Resources opened before (pool, Postgres
 * itself) are passed in and closed by whoever opened them.
 */
export function buildContainer(infra: Infrastructure): DependencyContainer {
  const c = container.createChildContainer()
  c.register(TOKENS.config, { useValue: infra.config })
  c.register(TOKENS.logger, { useValue: infra.logger })
  c.register(TOKENS.pool, { useValue: infra.pool })
  c.register(TOKENS.clock, { useValue: { now: () => new Date() } })

  singleton(c, TOKENS.postgresProbe, (resolve) => new PgHealthProbe(resolve(TOKENS.pool)))
  singleton(c, TOKENS.redisProbe, () => ({ check: async () => 'not-configured' as const }))
  singleton(c, TOKENS.checkReadiness, (resolve) => new CheckReadiness(resolve(TOKENS.postgresProbe), resolve(TOKENS.redisProbe)))
  return c
}

export function resolve<T>(c: DependencyContainer, token: Token<T>): T {
  return c.resolve<T>(token)
}

export function httpDeps(c: DependencyContainer): HttpAppDeps {
  const config = resolve(c, TOKENS.config)
  return {
    version: packageVersion(),
    logger: resolve(c, TOKENS.logger),
    trustProxy: config.trustProxy,
    isTransientFailure: isTransientDatabaseFailure,
    checkReadiness: resolve(c, TOKENS.checkReadiness),
  }
}
