import type { DependencyStatus, HealthProbe } from './ports/health-probe.js'

export interface ReadinessReport {
  status: 'ok' | 'degraded' | 'unavailable'
  checks: { postgres: DependencyStatus; redis: DependencyStatus }
}

/** Postgres is essential; Redis only accelerates, so losing it degrades the service instead of failing it. */
export class CheckReadiness {
  constructor(
    private readonly postgres: HealthProbe,
    private readonly redis: HealthProbe,
  ) {}

  async execute(): Promise<ReadinessReport> {
    const [postgres, redis] = await Promise.all([this.postgres.check(), this.redis.check()])
    const status = postgres !== 'ok' ? 'unavailable' : redis === 'down' ? 'degraded' : 'ok'
    return { status, checks: { postgres, redis } }
  }
}
