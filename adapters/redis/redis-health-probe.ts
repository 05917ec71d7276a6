import type { DependencyStatus, HealthProbe } from '../../application/operations/ports/health-probe.js'
import type { RedisConnection } from './redis-connection.js'

export class RedisHealthProbe implements HealthProbe {
  constructor(private readonly redis: RedisConnection) {}

  async check(): Promise<DependencyStatus> {
    try {
      await this.redis.ping()
      return 'ok'
    } catch {
      return 'down'
    }
  }
}
