import type { InvalidationFeed, InvalidationListener } from '../cache/invalidation-feed.js'
import { LuaScript, type RedisConnection, type ShardedSubscriber } from './redis-connection.js'
import { RedisKeyLayout } from './redis-key-layout.js'
import { uniqueToken } from './unique-token.js'

/**
 * A heartbeat stamped with the group's bump count as its node has it, on the same node (one
 * slot) and so in order with the group's bumps. It also registers the sender as a listener of the
 * group until its lease could run out: a heartbeat processed now confirms the sender for at most
 * the lease from now (it was sent before), so Redis's clock alone sets that bound, whatever the
 * sender's clock says. KEYS: the counter, the listeners. ARGV: channel, time sent, the sender, its lease.
 */
const HEARTBEAT = new LuaScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease = tonumber(ARGV[4])
redis.call('ZADD', KEYS[2], now + lease, ARGV[3])
if redis.call('PTTL', KEYS[2]) < lease then redis.call('PEXPIRE', KEYS[2], lease) end
redis.call('SPUBLISH', ARGV[1], (redis.call('GET', KEYS[1]) or '0') .. ' ' .. ARGV[2])
`)

export interface RedisInvalidationFeedOptions {
  /** How often this process publishes a heartbeat to itself in each slot group. */
  heartbeatMs?: number
  /** How long after a group's last heartbeat came back the feed still counts as current. */
  leaseMs?: number
}

interface GroupState {
  /** The group's bump count as of the last message heard (undefined: none since the last gap). */
  heardCount: number | undefined
  /** When the latest heartbeat heard back was sent (0: none since the last gap). */
  confirmedAt: number
  heartbeatInFlight: boolean
}

/**
 * Bumps pushed by Redis sharded pub/sub, one shard channel per slot group (RedisCacheBackend
 * publishes each bump in the script that makes it), on a subscriber connection of its own. Pub/sub
 * drops messages silently when a connection drops, a node hangs or a slot moves to another node
 * (a failover), so the feed proves it is current, group by group: it publishes a heartbeat,
 * stamped with the time it was sent and the group's bump count, on a channel of the same group
 * only it listens to. A node delivers a connection's messages in the order it processed them, so
 * a heartbeat heard back proves every bump that node acknowledged before the stamp has arrived;
 * and since each bump carries the group's count, a heartbeat (or bump) whose count is not the one
 * last heard proves a bump was missed, whichever node it went through (a promoted replica
 * included: a bump counts only once the replica had it). The feed is current while every group's
 * last heartbeat is younger than the lease; after any gap (lapse, lost connection, missed count)
 * its listeners are told to reset.
 *
 * A missed bump is only noticed at the next message, so a reader could serve a hit it made stale
 * in between. Its writer closes that window: each heartbeat registers this process as a listener
 * of the group until its lease could run out, and a bump that reached fewer subscribers than
 * there are registered listeners holds its writer's response until those leases have run out
 * (RedisCacheBackend). Moving a channel to another node (node-redis does it silently when a slot
 * changes owner) then costs writes some latency, never a stale read.
 */
export class RedisInvalidationFeed implements InvalidationFeed {
  private readonly listeners: InvalidationListener[] = []
  private readonly layout: RedisKeyLayout
  private readonly subscriberName = uniqueToken()
  private readonly heartbeatMs: number
  private readonly leaseMs: number
  private readonly groups = new Map<string, GroupState>()
  private subscriber: ShardedSubscriber | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly redis: RedisConnection,
    options: RedisInvalidationFeedOptions = {},
  ) {
    this.layout = new RedisKeyLayout(redis.keyPrefix)
    this.heartbeatMs = options.heartbeatMs ?? 150
    this.leaseMs = options.leaseMs ?? 600
    for (const group of this.layout.groups) this.groups.set(group, { heardCount: undefined, confirmedAt: 0, heartbeatInFlight: false })
  }

  listen(listener: InvalidationListener): void {
    this.listeners.push(listener)
  }

  isCurrent(): boolean {
    const oldest = Date.now() - this.leaseMs
    for (const state of this.groups.values()) if (state.confirmedAt <= oldest) return false
    return true
  }

  /** Subscribes (in the background when Redis is down: node-redis reconnects and subscribes again by itself) and starts the heartbeats. */
  start(): void {
    const subscriber = this.redis.openSubscriber(() => this.gap())
    this.subscriber = subscriber
    for (const [group, state] of this.groups) {
      const heartbeatChannel = this.layout.heartbeatChannel(group, this.subscriberName)
      subscriber.subscribe(this.layout.invalidationChannel(group), (message) => this.bumped(state, message)).catch(() => undefined)
      subscriber.subscribe(heartbeatChannel, (message) => this.heartbeat(state, message)).catch(() => undefined)
    }
    // Not through the breaker: a late heartbeat only lets the lease lapse (hits then ask Redis),
    // it must not shut Redis off for requests. One in flight per group at most, so a hung node
    // does not pile them up.
    this.timer = setInterval(() => {
      if (!this.redis.available) return
      for (const [group, state] of this.groups) {
        if (state.heartbeatInFlight) continue
        state.heartbeatInFlight = true
        this.redis
          .evalScriptInBackground(
            HEARTBEAT,
            [this.layout.bumpCounterKey(group), this.layout.listenersKey(group)],
            [this.layout.heartbeatChannel(group, this.subscriberName), String(Date.now()), this.subscriberName, String(this.leaseMs)],
          )
          .catch(() => undefined)
          .finally(() => (state.heartbeatInFlight = false))
      }
    }, this.heartbeatMs).unref()
  }

  /** Stops listening, and unregisters so that writers do not wait for this process's leases to run out. */
  async close(): Promise<void> {
    clearInterval(this.timer)
    for (const state of this.groups.values()) state.confirmedAt = 0
    await Promise.allSettled(this.layout.groups.map((group) => this.redis.run((client) => client.zRem(this.layout.listenersKey(group), this.subscriberName))))
    const subscriber = this.subscriber
    this.subscriber = undefined
    subscriber?.destroy()
  }

  private bumped(state: GroupState, message: string): void {
    const [count, ...scopes] = message.split(' ')
    for (const listener of this.listeners) listener.invalidated(scopes)
    this.expectCount(state, Number(count), Number(count) - 1)
  }

  private heartbeat(state: GroupState, message: string): void {
    const [count, sentAt] = message.split(' ').map(Number) as [number, number]
    // A lease that lapsed is a gap too: the node may have hung, or dropped what it was sending.
    if (state.confirmedAt !== 0 && state.confirmedAt <= Date.now() - this.leaseMs) this.gap()
    this.expectCount(state, count, count)
    state.confirmedAt = Math.max(state.confirmedAt, sentAt)
  }

  /** `count` is the group's count now; the one heard before should have been `previous`, else a bump went by unheard. */
  private expectCount(state: GroupState, count: number, previous: number): void {
    if (state.heardCount !== undefined && state.heardCount !== previous) this.gap()
    state.heardCount = count
  }

  private gap(): void {
    for (const state of this.groups.values()) {
      state.confirmedAt = 0
      state.heardCount = undefined
    }
    for (const listener of this.listeners) listener.reset()
  }
}
