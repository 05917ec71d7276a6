import { Counter, Gauge, Registry, collectDefaultMetrics, type Histogram } from 'prom-client'
import type { QueueCounts } from '../jobs/queue-admin.js'
import type { Logger } from '../logger.js'
import { Counters } from './counters.js'
import { RequestDurations, type RequestObservation } from './request-durations.js'

/** What a connection pool (pg.Pool) reports about itself. */
export interface PoolUsage {
  readonly totalCount: number
  readonly idleCount: number
  readonly waitingCount: number
}

const QUEUE_STATES = ['ready', 'deferred', 'active', 'failed'] as const
// Our reads answer in milliseconds from the cache and tens of milliseconds from Postgres; orders
// and cold searches can take longer under load.
const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * One process's metrics in a registry of its own: Node's defaults (event-loop delay, heap, RSS,
 * CPU, GC), HTTP requests, and gauges read when scraped. Served as the Prometheus text format.
 */
export class PrometheusMetrics {
  private readonly registry = new Registry()
  private readonly requests: RequestDurations
  /** Per cached view (suggest, search, inventory). */
  readonly cacheLookups: Counters
  /** Per Redis slot group (adapters/redis/redis-key-layout.ts). */
  readonly cacheInvalidations: Counters
  /** Per limited route. */
  readonly rateLimitDecisions: Counters
  /** Per queue, in whichever process works it. */
  readonly jobAttempts: Counters

  constructor(private readonly logger: Logger) {
    collectDefaultMetrics({ register: this.registry })
    this.requests = new RequestDurations(
      'aforro_http_request_duration_seconds',
      'HTTP requests by route template and status: latency, and (as _count) how many',
      LATENCY_BUCKETS_SECONDS,
    )
    // The registry reads any object shaped as its metrics are (name, help, type, get); its types name only its own classes.
    this.registry.registerMetric(this.requests as unknown as Histogram)
    this.cacheLookups = this.counters('aforro_cache_lookups_total', 'Cache lookups per view: hit, miss, skip (loaded without the cache)', 'view')
    this.cacheInvalidations = this.counters(
      'aforro_cache_invalidations_total',
      'Invalidations recorded in Redis per slot group: heard (every listening instance had it at once), held (the writer waited out the near-cache lease of an instance that had not)',
      'group',
    )
    this.rateLimitDecisions = this.counters(
      'aforro_rate_limit_decisions_total',
      'Rate-limit decisions per route: accepted, limited, failed_open (let through while Redis was unreachable, also counted as accepted)',
      'route',
    )
    this.jobAttempts = this.counters(
      'aforro_jobs_processed_total',
      'Job attempts per queue: completed, failed (a failed attempt is retried until its limit)',
      'queue',
    )
  }

  get contentType(): string {
    return this.registry.contentType
  }

  exposition(): Promise<string> {
    return this.registry.metrics()
  }

  observeRequest(observation: RequestObservation): void {
    this.requests.observe(observation)
  }

  /** Counters whose subject becomes the label `subjectLabel` and whose outcome the label `outcome`. */
  private counters(name: string, help: string, subjectLabel: string): Counters {
    const counts = new Counters()
    new Counter({
      name,
      help,
      labelNames: [subjectLabel, 'outcome'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [subject, outcomes] of Object.entries(counts.snapshot())) {
          for (const [outcome, count] of Object.entries(outcomes)) this.inc({ [subjectLabel]: subject, outcome }, count)
        }
      },
    })
    return counts
  }

  observePool(name: string, pool: PoolUsage): void {
    const gauge = (metric: string, help: string, read: () => number) =>
      new Gauge({
        name: `aforro_pg_pool_${metric}`,
        help,
        labelNames: ['pool'],
        registers: [this.registry],
        collect() {
          this.set({ pool: name }, read())
        },
      })
    gauge('connections', 'Connections the Postgres pool holds open (busy and idle)', () => pool.totalCount)
    gauge('idle_connections', 'Open Postgres connections not in use', () => pool.idleCount)
    gauge('waiting_clients', 'Queries waiting for a free Postgres connection', () => pool.waitingCount)
  }

  /**
   * Jobs per queue and state, read from pg-boss on each scrape. A failed read drops the series
   * (rather than repeating old numbers) and is logged; the rest of the scrape still answers.
   */
  observeQueues(read: () => Promise<QueueCounts[]>): void {
    const logger = this.logger
    new Gauge({
      name: 'aforro_job_queue_jobs',
      help: 'Jobs per queue by state: ready, deferred (waiting for a retry or a start time), active, failed (kept after exhausting retries)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset()
        let depths: QueueCounts[]
        try {
          depths = await read()
        } catch (error) {
          logger.warn({ err: error }, 'job queue depths not read for /metrics')
          return
        }
        for (const depth of depths) for (const state of QUEUE_STATES) this.set({ queue: depth.name, state }, depth[state])
      },
    })
  }
}
