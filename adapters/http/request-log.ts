import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Bindings, ChildLoggerOptions, LogFn } from 'pino'

/** Probed every few seconds by orchestrators and scrapers: logged at debug, not info, and not traced. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/metrics'])

/** pino's level numbers; a level not named here (a custom one) lets every line through. */
const LEVEL_RANK: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }

function isEnabled(level: string, threshold: string): boolean {
  return (LEVEL_RANK[level] ?? 0) >= (LEVEL_RANK[threshold] ?? 0)
}

/**
 * One log line per request, written when it is answered (Fastify's default writes one on arrival,
 * one on completion, and a third for an unknown route). The line carries the request id (reqId)
 * and, with tracing on, the trace id.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const threshold = request.log.level
    // Probes log at debug, every other success at info: when info is off, both are, and the
    // line's fields (the route among them) are not even gathered.
    if (!error && !isEnabled('info', threshold)) return
    const level = error ? 'error' : PROBE_ROUTES.has(request.routeOptions.url ?? '') ? 'debug' : 'info'
    if (!isEnabled(level, threshold)) return
    const fields = {
      req: { method: request.method, url: request.url, remoteAddress: request.ip },
      res: { statusCode: reply.statusCode },
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
      ...(error ? { err: error } : {}),
    }
    request.log[level](fields, error ? 'request errored' : 'request completed')
  }
}

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
const LEVEL_NAMES: readonly LevelName[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace']

/**
 * A request's logger (Fastify's childLoggerFactory), made a pino child binding its reqId only
 * when a line is written at an enabled level. Building a child serialises its bindings through
 * the redaction rules (~3 % of a cached hit's CPU), and most requests write nothing but their
 * one completion line, which is off below info.
 */
export function lazyRequestLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyRequestLogger(parent, bindings, options)
}

class LazyRequestLogger implements FastifyBaseLogger {
  // One method per level, shared on the prototype (below): a request's logger is one small object.
  declare fatal: LogFn
  declare error: LogFn
  declare warn: LogFn
  declare info: LogFn
  declare debug: LogFn
  declare trace: LogFn
  private pinoChild: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.pinoChild?.level ?? this.options.level ?? this.parent.level
  }

  set level(level: string) {
    this.made().level = level
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.made().child(bindings, options)
  }

  write(level: LevelName, args: unknown[]): void {
    if (!isEnabled(level, this.level)) return
    const logger = this.made()
    Reflect.apply(logger[level], logger, args)
  }

  private made(): FastifyBaseLogger {
    this.pinoChild ??= this.parent.child(this.bindings, this.options)
    return this.pinoChild
  }
}

for (const level of LEVEL_NAMES) {
  LazyRequestLogger.prototype[level] = function (this: LazyRequestLogger, ...args: unknown[]) {
    this.write(level, args)
  }
}
