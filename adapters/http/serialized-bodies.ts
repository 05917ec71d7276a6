import type { FastifyReply } from 'fastify'

/** Variants kept per value: the same cached page asked for with its query parameters in another order, say. */
const MAX_VARIANTS = 8

/**
 * Response bodies serialised once per value and sent as they are. A value served from the near
 * cache is the same (frozen) object on every hit, so its body (built by the route's own response
 * serializer, then encoded to bytes) is reused instead of being mapped, serialised and encoded
 * again; a `variant` names whatever else of the request the body shows (the URL, for page links).
 * Keys are weak: bodies go when their value leaves the cache.
 */
export class SerializedBodies {
  private readonly bodies = new WeakMap<object, Map<string, Buffer>>()

  send(reply: FastifyReply, value: object, variant: string, render: () => unknown): FastifyReply {
    let variants = this.bodies.get(value)
    let body = variants?.get(variant)
    if (body === undefined) {
      const serialized = reply.serialize(render())
      body = typeof serialized === 'string' ? Buffer.from(serialized) : Buffer.from(serialized as ArrayBuffer)
      if (variants === undefined) {
        variants = new Map()
        this.bodies.set(value, variants)
      }
      if (variants.size >= MAX_VARIANTS) variants.clear()
      variants.set(variant, body)
    }
    return reply.type('application/json; charset=utf-8').send(body)
  }
}
