import type { InvalidationFeed, InvalidationListener } from '../cache/invalidation-feed.js'
import { invalidationChannel } from './redis-cache-backend.js'
import type { RedisClient, RedisConnection } from './redis-connection.js'
import { uniqueToken } from './unique-token.js'

export interface RedisInvalidationFeedOptions {
  /** How often this process publishes a heartbeat to itself through Redis. */
  heartbeatMs?: number
  /** How long after its last heartbeat came back the feed still counts as current. */
  leaseMs?: number
}

/**
 * Bumps pushed by Redis pub/sub (RedisCacheBackend publishes each one in its bump transaction) on
 * a subscriber connection of its own. Pub/sub drops messages silently when a connection drops or
 * Redis hangs, so the feed proves it is current: it publishes a heartbeat stamped with the time it
 * was sent on a channel only it listens to. Redis delivers a connection's messages in the order it
 * processed them, so a heartbeat heard back proves that every bump Redis acknowledged before that
 * stamp has arrived. The feed is current while the last heartbeat heard back is younger than the
 * lease; after any gap (lapse, lost connection) its listeners are told to reset.
 */
export class RedisInvalidationFeed implements InvalidationFeed {
  private readonly listeners: InvalidationListener[] = []
  private readonly heartbeatChannel: string
  private readonly heartbeatMs: number
  private readonly leaseMs: number
  private subscriber: RedisClient | undefined
  private timer: NodeJS.Timeout | undefined
  /** When the latest heartbeat heard back was sent (0: none since the last gap). */
  private confirmedAt = 0

  constructor(
    private readonly redis: RedisConnection,
    options: RedisInvalidationFeedOptions = {},
  ) {
    this.heartbeatChannel = `${redis.keyPrefix}heartbeat:${uniqueToken()}`
    this.heartbeatMs = options.heartbeatMs ?? 150
    this.leaseMs = options.leaseMs ?? 600
  }

  listen(listener: InvalidationListener): void {
    this.listeners.push(listener)
  }

  isCurrent(): boolean {
    return Date.now() - this.confirmedAt < this.leaseMs
  }

  /** Subscribes (in the background when Redis is down: node-redis reconnects and subscribes again by itself) and starts the heartbeat. */
  start(): void {
    // Queued while disconnected (unlike the main connection's commands): the subscription must outlive outages.
    const subscriber = this.redis.client.duplicate({ disableOfflineQueue: false })
    this.subscriber = subscriber
    subscriber.on('error', () => this.gap())
    subscriber.on('ready', () => this.gap())
    subscriber.connect().catch(() => undefined)
    subscriber
      .subscribe([invalidationChannel(this.redis), this.heartbeatChannel], (message, channel) =>
        channel === this.heartbeatChannel ? this.heartbeat(Number(message)) : this.invalidated(message.split(' ')),
      )
      .catch(() => undefined)
    // Straight on the client, not through the breaker: a late heartbeat only lets the lease lapse
    // (hits then ask Redis), it must not shut Redis off for requests. One in flight at most, so a
    // hung Redis does not pile them up.
    let inFlight = false
    this.timer = setInterval(() => {
      if (inFlight || !this.redis.available) return
      inFlight = true
      this.redis.client
        .publish(this.heartbeatChannel, String(Date.now()))
        .catch(() => undefined)
        .finally(() => (inFlight = false))
    }, this.heartbeatMs).unref()
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    this.confirmedAt = 0
    const subscriber = this.subscriber
    this.subscriber = undefined
    if (subscriber === undefined) return
    subscriber.destroy()
  }

  private heartbeat(sentAt: number): void {
    if (!this.isCurrent()) this.gap()
    this.confirmedAt = Math.max(this.confirmedAt, sentAt)
  }

  private invalidated(scopes: readonly string[]): void {
    for (const listener of this.listeners) listener.invalidated(scopes)
  }

  private gap(): void {
    this.confirmedAt = 0
    for (const listener of this.listeners) listener.reset()
  }
}
