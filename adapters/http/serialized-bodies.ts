import type { FastifyReply } from 'fastify'

/** Variants kept per value: the same cached page asked for with its query parameters in another order, say. */
const MAX_VARIANTS = 8
/**
 * A body shorter than this stays text: Node then sends it and the headers in one write instead
 * of two, which saves more than encoding it on every request costs (~0.5 µs for a 270-byte
 * autocomplete answer). A longer one is encoded to bytes once it is sent again (~1 µs for a 5 kB
 * page): a page read past the cache, or never asked for twice, is sent as text and never encoded
 * twice.
 */
const MAX_TEXT_BODY_CHARS = 1_024

/**
 * Response bodies serialised once per value and sent as they are. A value served from the near
 * cache is the same (frozen) object on every hit, so its body (built by the route's own response
 * serializer, and encoded to bytes when long) is reused instead of being mapped, serialised and encoded
 * again; a `variant` names whatever else of the request the body shows (the URL, for page links).
 * Keys are weak: bodies go when their value leaves the cache.
 */
export class SerializedBodies {
  private readonly bodies = new WeakMap<object, Map<string, Buffer | string>>()

  send(reply: FastifyReply, value: object, variant: string, render: () => unknown): FastifyReply {
    let variants = this.bodies.get(value)
    let body = variants?.get(variant)
    if (body === undefined) {
      const serialized = reply.serialize(render())
      body = typeof serialized === 'string' ? serialized : Buffer.from(serialized as ArrayBuffer)
      if (variants === undefined) {
        variants = new Map()
        this.bodies.set(value, variants)
      }
      if (variants.size >= MAX_VARIANTS) variants.clear()
      variants.set(variant, body)
    } else if (typeof body === 'string' && body.length >= MAX_TEXT_BODY_CHARS) {
      body = Buffer.from(body)
      variants?.set(variant, body)
    }
    return reply.type('application/json; charset=utf-8').send(body)
  }
}
