import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClient, createCluster, ErrorReply } from 'redis'
import type { Logger } from '../logger.js'

export type RedisClient = ReturnType<typeof createClient>
export type RedisClusterClient = ReturnType<typeof createCluster>
/** One Redis or a Redis Cluster: node-redis sends each keyed command (and script, and MULTI) to the node owning its key's slot. */
export type RedisCommands = RedisClient | RedisClusterClient

/** Where Redis is: one server by URL, or a cluster by a few of its nodes (node-redis discovers the rest). */
export type RedisLocation = { url: string } | { clusterNodes: readonly string[] }

/** A subscriber connection of its own, for sharded pub/sub channels (one Redis or a cluster alike). */
export interface ShardedSubscriber {
  subscribe(channel: string, listener: (message: string) => void): Promise<void>
  destroy(): void
}

export type RedisConnectionOptions = RedisLocation & {
  logger: Logger
  /** Prepended to every key this service writes, so it can share a Redis (tests use one per process). */
  keyPrefix?: string
  /** A command Redis has not answered within this long counts as failed (node-redis's own default is 5 s). */
  commandTimeoutMs?: number
  /** After a failure, commands fail at once; a background PING tries Redis again this often until it answers. */
  cooldownMs?: number
  /** How long a connection attempt may take before the next one is scheduled. */
  connectTimeoutMs?: number
  /**
   * Replicas that must hold a write before it counts as durable (WAIT): with asynchronous
   * replication a master failing over may lose what its replica had not received yet. Default:
   * 1 on a cluster, 0 on one Redis.
   */
  replicaAcks?: number
}

/** Raised instead of sending a command while Redis is known to be unreachable or too slow. */
export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`Redis unavailable: ${reason}`)
    this.name = 'RedisUnavailableError'
  }
}

/** A Lua script run by its SHA1, loaded on first use and again after a Redis restart. */
export class LuaScript {
  readonly sha: string

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }
}

const MAX_RECONNECT_DELAY_MS = 1_000
/** After a node has been unreachable this long, node-redis asks the others for the topology (a failover may have promoted its replica). */
const TOPOLOGY_REFRESH_AFTER_MS = 250

/**
 * One node-redis client set up to fail fast: no offline queue (a command while disconnected is
 * refused at once instead of waiting for the reconnection), a short timeout of our own on every
 * command, and a breaker that opens on a failure: from then on commands are refused without being
 * sent, and a background PING (never a request's command) tries Redis every cooldown until it
 * answers, so an unreachable or hung Redis costs requests nothing. It reconnects forever with a
 * capped backoff, so everything recovers by itself when Redis comes back.
 *
 * On a cluster the same holds per command: a master that fails opens the breaker (reads skip the
 * cache, the limiter fails open) until every master answers the trial PING again, which is once
 * node-redis has learnt the new topology (MOVED replies, or a refresh after a node stayed
 * unreachable) and its replica has been promoted.
 */
export class RedisConnection {
  readonly client: RedisCommands
  readonly keyPrefix: string
  readonly replicaAcks: number
  private readonly logger: Logger
  private readonly commandTimeoutMs: number
  private readonly cooldownMs: number
  private readonly availableListeners: (() => void)[] = []
  private state: 'connecting' | 'up' | 'down' = 'connecting'
  /** While set, the breaker is open: commands are refused and this timer's PING tries Redis again. */
  private trial: NodeJS.Timeout | undefined
  private closed = false

  constructor(options: RedisConnectionOptions) {
    this.logger = options.logger
    this.keyPrefix = options.keyPrefix ?? 'aforro:'
    this.commandTimeoutMs = options.commandTimeoutMs ?? 100
    this.cooldownMs = options.cooldownMs ?? 1_000
    const socket = {
      connectTimeout: options.connectTimeoutMs ?? 1_000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100),
    }
    if ('url' in options) {
      this.replicaAcks = options.replicaAcks ?? 0
      this.client = createClient({
        url: options.url,
        disableOfflineQueue: true,
        // Our own timeout (withTimeout) replaces node-redis's: its AbortSignal per command costs a timer and an exception object per call.
        commandOptions: { timeout: 0 },
        socket,
      })
      // node-redis emits an error for every failed reconnection attempt; only changes of state are logged.
      this.client.on('error', (error: unknown) => this.markDown(error))
      this.client.on('ready', () => this.markUp())
    } else {
      this.replicaAcks = options.replicaAcks ?? 1
      this.client = createCluster({
        rootNodes: options.clusterNodes.map((node) => ({ url: `redis://${node}` })),
        defaults: { disableOfflineQueue: true, socket },
        commandOptions: { timeout: 0 },
        topologyRefreshOnReconnectionAttemptStrategy: TOPOLOGY_REFRESH_AFTER_MS,
      })
      // A node failing says nothing of the others: the breaker's trial (every master answering) says when the cluster is back.
      this.client.on('node-error', (error: unknown) => this.markDown(error))
      this.client.on('error', (error: unknown) => this.markDown(error))
      this.client.on('connect', () => this.markUp())
    }
  }

  /** Starts connecting and waits up to `waitMs` for it; a Redis that is down only degrades the service. */
  async start(waitMs = 2_000): Promise<void> {
    const connected = this.client.connect().then(
      () => true,
      () => false,
    )
    const ready = await Promise.race([connected, sleep(waitMs, false, { ref: false })])
    if (ready) return
    this.markDown(new RedisUnavailableError(`no connection within ${waitMs} ms`))
    // One Redis reconnects by itself; a cluster that found no node at all is connected again by the trial.
    if (this.isCluster(this.client)) this.openBreaker()
  }

  /** Runs `listener` whenever Redis answers again after being down, hung or too slow. */
  onAvailable(listener: () => void): void {
    this.availableListeners.push(listener)
  }

  /** False while the breaker is open: commands would be refused without being sent. */
  get available(): boolean {
    return this.trial === undefined
  }

  /**
   * Runs one command (or a few in a row) under the timeout and the breaker. Rejects with
   * RedisUnavailableError when Redis is down or slow, with ErrorReply when Redis refused the command.
   */
  async run<T>(command: (client: RedisCommands) => Promise<T>, timeoutMs = this.commandTimeoutMs): Promise<T> {
    if (this.trial !== undefined) throw new RedisUnavailableError('recent failure')
    try {
      return await withTimeout(command(this.client), timeoutMs)
    } catch (error) {
      if (error instanceof ErrorReply) throw error
      this.openBreaker()
      throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError(describe(error))
    }
  }

  /**
   * Runs a Lua script by SHA1, sending its source only when Redis does not know it yet. On a
   * cluster it runs on the node owning the first key's slot: every key must hash to that slot.
   */
  evalScript(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    return this.run((client) => runScript(client, script, keys, args))
  }

  /** evalScript without the timeout and the breaker: for background work whose failure must not shut Redis off for requests. */
  evalScriptInBackground(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    return runScript(this.client, script, keys, args)
  }

  /**
   * Resolves once `replicaAcks` replicas of the node owning `key` hold every write this
   * connection sent it (WAIT); rejects when they do not within the command timeout, without
   * opening the breaker (a slow replica does not make the master unusable).
   */
  async waitForReplicas(key: string): Promise<void> {
    if (this.replicaAcks === 0) return
    const args = ['WAIT', String(this.replicaAcks), String(this.commandTimeoutMs)]
    const acked = Number(
      await this.run((client) => (this.isCluster(client) ? client.sendCommand(key, false, args) : client.sendCommand(args)), 2 * this.commandTimeoutMs),
    )
    if (acked < this.replicaAcks) throw new RedisUnavailableError(`${acked} of ${this.replicaAcks} replicas acknowledged within ${this.commandTimeoutMs} ms`)
  }

  /** PING under the breaker; on a cluster, every master must answer. */
  ping(): Promise<void> {
    return this.run(() => this.pingEveryMaster())
  }

  /**
   * A connection of its own for sharded pub/sub (on a cluster, node-redis keeps one per master
   * and follows moved slots). Queued while disconnected, unlike commands: a subscription must
   * outlive outages. `interrupted` runs whenever a subscription may have lost messages.
   */
  openSubscriber(interrupted: () => void): ShardedSubscriber {
    const client = this.client
    if (this.isCluster(client)) {
      const subscriber = client.duplicate({ defaults: { ...client._options.defaults, disableOfflineQueue: false } })
      for (const event of ['error', 'node-error', 'node-ready', 'node-disconnect', 'sharded-channel-moved-error']) subscriber.on(event, interrupted)
      const connected = subscriber.connect().catch(() => undefined)
      return {
        subscribe: async (channel, listener) => {
          await connected
          await subscriber.sSubscribe(channel, listener)
        },
        destroy: () => subscriber.destroy(),
      }
    }
    const subscriber = client.duplicate({ disableOfflineQueue: false })
    subscriber.on('error', interrupted)
    subscriber.on('ready', interrupted)
    subscriber.connect().catch(() => undefined)
    return { subscribe: (channel, listener) => subscriber.sSubscribe(channel, listener), destroy: () => subscriber.destroy() }
  }

  /** Closes gracefully when Redis answers, at once when it does not. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.trial)
    try {
      await withTimeout(this.client.close(), 1_000)
    } catch {
      this.client.destroy()
    }
  }

  private markDown(error: unknown): void {
    if (this.state === 'down') return
    this.state = 'down'
    this.logger.warn({ err: error }, 'Redis unreachable: reads skip the cache and the rate limiter lets requests through until it is back')
  }

  private markUp(): void {
    const wasDown = this.state === 'down'
    this.state = 'up'
    this.logger.info({}, wasDown ? 'Redis reachable again' : 'Redis connected')
    if (wasDown || this.trial !== undefined) this.closeBreaker()
  }

  private openBreaker(): void {
    if (this.trial !== undefined || this.closed) return
    this.trial = setTimeout(() => void this.tryAgain(), this.cooldownMs).unref()
  }

  private isCluster(client: RedisCommands): client is RedisClusterClient {
    return 'masters' in client
  }

  private async pingEveryMaster(): Promise<void> {
    const client = this.client
    if (!this.isCluster(client)) {
      await client.ping()
      return
    }
    if (!client.isOpen) await client.connect()
    await Promise.all(client.masters.map(async (master) => (await client.nodeClient(master)).ping()))
  }

  private async tryAgain(): Promise<void> {
    try {
      await withTimeout(this.pingEveryMaster(), this.commandTimeoutMs * (this.isCluster(this.client) ? 10 : 1))
    } catch {
      if (!this.closed) this.trial = setTimeout(() => void this.tryAgain(), this.cooldownMs).unref()
      return
    }
    this.closeBreaker()
  }

  private closeBreaker(): void {
    clearTimeout(this.trial)
    this.trial = undefined
    if (this.state === 'down') {
      this.state = 'up'
      this.logger.info({}, 'Redis reachable again')
    }
    for (const listener of this.availableListeners) listener()
  }
}

async function runScript(client: RedisCommands, script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await client.evalSha(script.sha, { keys, arguments: args })
  } catch (error) {
    if (!(error instanceof ErrorReply && error.message.startsWith('NOSCRIPT'))) throw error
    return client.eval(script.source, { keys, arguments: args })
  }
}

/**
 * Rejects when `promise` has not settled within `ms`. The rejection waits for one setImmediate
 * so that a reply already sitting in the socket is read first: an event loop that was merely
 * blocked past the deadline (GC, a busy CPU) does not count as a slow Redis.
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      setImmediate(() => reject(new RedisUnavailableError(`no answer within ${ms} ms`)))
    }, ms)
    promise.finally(() => clearTimeout(timer)).then(resolve, reject)
  })
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
