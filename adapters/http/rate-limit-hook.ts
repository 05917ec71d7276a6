import { isIPv6 } from 'node:net'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import type { RateLimitDecision, RateLimiter } from '../rate-limit/rate-limiter.js'
import type { Counters } from '../metrics/counters.js'
import { replyWithProblem } from './problem-details.js'

/**
 * An onRequest hook that counts every request to a route against its client's budget (before
 * validation: malformed requests count too), sets the x-ratelimit-* headers on every response and
 * answers 429 rate-limited with Retry-After over the limit. The client is request.ip, which is the
 * socket address unless TRUST_PROXY names the proxies whose X-Forwarded-For is believed.
 * A callback hook, not an async one: a decision made at once (a lease held here) costs no promise.
 */
export function rateLimitHook(limiter: RateLimiter, counters: Counters, name: string): onRequestHookHandler {
  return (request, reply, done) => {
    const client = clientOf(request.ip)
    const decision = limiter.consumeNow?.(client)
    if (decision !== undefined) apply(decision, request, reply, done)
    else limiter.consume(client).then((decided) => apply(decided, request, reply, done), done)
  }

  function apply(decision: RateLimitDecision, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    reply.header('x-ratelimit-limit', decision.limit)
    reply.header('x-ratelimit-remaining', decision.remaining)
    reply.header('x-ratelimit-reset', decision.resetSeconds)
    counters.increment(name, decision.allowed ? 'accepted' : 'limited')
    if (decision.allowed) {
      done()
      return
    }
    reply.header('retry-after', decision.retryAfterSeconds)
    replyWithProblem(request, reply, 'rate-limited', `At most ${decision.limit} requests per minute; retry in ${decision.retryAfterSeconds} s`)
  }
}

/**
 * The budget's owner: an IPv4 address, or an IPv6 /64, since one IPv6 client usually holds a whole
 * /64 and could otherwise rotate addresses for a fresh budget. IPv4-mapped IPv6 counts as IPv4.
 */
export function clientOf(ip: string): string {
  if (!ip.includes(':')) return ip
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
  if (mapped?.[1] !== undefined) return mapped[1]
  if (!isIPv6(ip)) return ip
  return `${ipv6Groups(ip).slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address, expanded ("::" filled, zone id dropped). */
function ipv6Groups(ip: string): string[] {
  const [head = '', tail] = (ip.split('%')[0] ?? ip).split('::')
  const split = (part: string | undefined) => (part ? part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])) : [])
  const front = split(head)
  const back = split(tail)
  const filler = tail === undefined ? [] : Array<string>(8 - front.length - back.length).fill('0')
  return [...front, ...filler, ...back].map((group) => group.toLowerCase().padStart(4, '0'))
}
