import type pg from 'pg'
import type { DependencyStatus, HealthProbe } from '../../application/operations/ports/health-probe.js'

export class PgHealthProbe implements HealthProbe {
  constructor(private readonly pool: pg.Pool) {}

  async check(): Promise<DependencyStatus> {
    try {
      await this.pool.query({ text: 'SELECT 1', query_timeout: 2_000 } as pg.QueryConfig)
      return 'ok'
    } catch {
      return 'down'
    }
  }
}
