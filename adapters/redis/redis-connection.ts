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
  /** After a failure, commands fail at once; a background PING tries Redis again this often until it answers. */
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
 * command, and a breaker that opens on a failure: from then on commands are refused without being
 * sent, and a background PING (never a request's command) tries Redis every cooldown until it
 * answers, so an unreachable or hung Redis costs requests nothing. It reconnects forever with a
 * capped backoff, so everything recovers by itself when Redis comes back.
 */
export class RedisConnection {
  readonly client: RedisClient
  readonly keyPrefix: string
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
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      // Our own timeout (withTimeout) replaces node-redis's: its AbortSignal per command costs a timer and an exception object per call.
      commandOptions: { timeout: 0 },
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
  async run<T>(command: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.trial !== undefined) throw new RedisUnavailableError('recent failure')
    try {
      return await withTimeout(command(this.client), this.commandTimeoutMs)
    } catch (error) {
      if (error instanceof ErrorReply) throw error
      this.openBreaker()
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

  private async tryAgain(): Promise<void> {
    try {
      await withTimeout(this.client.ping(), this.commandTimeoutMs)
    } catch {
      if (!this.closed) this.trial = setTimeout(() => void this.tryAgain(), this.cooldownMs).unref()
      return
    }
    this.closeBreaker()
  }

  private closeBreaker(): void {
    clearTimeout(this.trial)
    this.trial = undefined
    for (const listener of this.availableListeners) listener()
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
