import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClient, ErrorReply } from 'redis'
import type { Logger } from '../logger.js'

export type RedisClient = ReturnType<typeof createClient>

export interface RedisConnectionOptions {
  url: string
  logger: Logger
  /** Prepended to every key this service writes, so it can share a Redis (tests use one per process). */
  keyPrefix?: string
  /** A command Redis has not answered within this long counts as failed (node-redis's own default is 5 s). */
  commandTimeoutMs?: number
  /** After a failure, commands fail at once for this long, then one trial command goes through. */
  cooldownMs?: number
  /** How long a connection attempt may take before the next one is scheduled. */
  connectTimeoutMs?: number
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

/**
 * One node-redis client set up to fail fast: no offline queue (a command while disconnected is
 * refused at once instead of waiting for the reconnection), a short timeout of our own on every
 * command, and a breaker that stops sending for a cooldown after a failure, so an unreachable or
 * hung Redis costs requests nothing but the occasional trial. It reconnects forever with a capped
 * backoff, so everything recovers by itself when Redis comes back.
 */
export class RedisConnection {
  readonly client: RedisClient
  readonly keyPrefix: string
  private readonly logger: Logger
  private readonly commandTimeoutMs: number
  private readonly cooldownMs: number
  private readonly reconnectedListeners: (() => void)[] = []
  private state: 'connecting' | 'up' | 'down' = 'connecting'
  /** 0 while Redis answers; else the time before which commands are refused without trying. */
  private closedUntil = 0

  constructor(options: RedisConnectionOptions) {
    this.logger = options.logger
    this.keyPrefix = options.keyPrefix ?? 'aforro:'
    this.commandTimeoutMs = options.commandTimeoutMs ?? 100
    this.cooldownMs = options.cooldownMs ?? 1_000
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.connectTimeoutMs ?? 1_000,
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100),
      },
    })
    // node-redis emits an error for every failed reconnection attempt; only changes of state are logged.
    this.client.on('error', (error: unknown) => this.markDown(error))
    this.client.on('ready', () => this.markUp())
  }

  /** Starts connecting and waits up to `waitMs` for it; a Redis that is down only degrades the service. */
  async start(waitMs = 2_000): Promise<void> {
    const connected = this.client.connect().then(
      () => true,
      () => false,
    )
    const ready = await Promise.race([connected, sleep(waitMs, false, { ref: false })])
    if (!ready) this.markDown(new RedisUnavailableError(`no connection within ${waitMs} ms`))
  }

  /** Runs `listener` whenever the connection becomes ready again after being down. */
  onReconnected(listener: () => void): void {
    this.reconnectedListeners.push(listener)
  }

  /**
   * Runs one command (or a few in a row) under the timeout and the breaker. Rejects with
   * RedisUnavailableError when Redis is down or slow, with ErrorReply when Redis refused the command.
   */
  async run<T>(command: (client: RedisClient) => Promise<T>): Promise<T> {
    const now = Date.now()
    if (now < this.closedUntil) throw new RedisUnavailableError('recent failure')
    // After the cooldown this call is the one trial; concurrent calls keep failing fast meanwhile.
    if (this.closedUntil !== 0) this.closedUntil = now + this.cooldownMs
    try {
      const result = await withTimeout(command(this.client), this.commandTimeoutMs)
      this.closedUntil = 0
      return result
    } catch (error) {
      if (error instanceof ErrorReply) {
        this.closedUntil = 0
        throw error
      }
      this.closedUntil = Date.now() + this.cooldownMs
      throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError(describe(error))
    }
  }

  /** Runs a Lua script by SHA1, sending its source only when Redis does not know it yet. */
  evalScript(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    return this.run(async (client) => {
      try {
        return await client.evalSha(script.sha, { keys, arguments: args })
      } catch (error) {
        if (!(error instanceof ErrorReply && error.message.startsWith('NOSCRIPT'))) throw error
        return client.eval(script.source, { keys, arguments: args })
      }
    })
  }

  /** Closes gracefully when Redis answers, at once when it does not. */
  async close(): Promise<void> {
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
    this.closedUntil = 0
    this.logger.info({}, wasDown ? 'Redis reachable again' : 'Redis connected')
    if (wasDown) for (const listener of this.reconnectedListeners) listener()
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
