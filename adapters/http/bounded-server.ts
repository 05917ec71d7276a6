import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'

/** What one client may hold of the server: time, connections, queued requests. */
export interface ConnectionLimits {
  /** A request's headers and body must have arrived within this (slow or trickled bodies are cut: 408). */
  requestTimeoutMs: number
  /** The headers must have arrived within this. */
  headersTimeoutMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number
  /** A connection with no traffic either way (a client that stopped reading its answers) is closed after this. */
  inactiveSocketTimeoutMs: number
  /** Connections beyond this are refused by the server. */
  maxConnections: number
  /** Pipelined requests waiting behind the one being answered on a connection; one more closes it. */
  maxQueuedPerConnection: number
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  inactiveSocketTimeoutMs: 30_000,
  maxConnections: 10_000,
  maxQueuedPerConnection: 64,
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void

interface ConnectionQueue {
  answering: boolean
  waiting: [IncomingMessage, ServerResponse][]
}

/**
 * An HTTP/1.1 server that answers one request per connection at a time, and the next only once
 * the client has read enough of the previous answers that the connection's write buffer is below
 * its high-water mark. A client that pipelines many requests and never reads therefore holds one
 * answer in memory, not one per request; Node's parser stops reading from a connection whose write
 * buffer is full, and a connection with too many requests queued is closed.
 */
export function createBoundedServer(handler: Handler, limits: ConnectionLimits): Server {
  const queues = new WeakMap<Socket, ConnectionQueue>()

  const answer = (socket: Socket, queue: ConnectionQueue): void => {
    const next = queue.waiting.shift()
    // A connection ending (the last answer said Connection: close) takes no more requests, as in Node.
    if (next === undefined || !socket.writable) {
      queue.waiting.length = 0
      queue.answering = false
      return
    }
    if (socket.writableNeedDrain) {
      queue.waiting.unshift(next)
      socket.once('drain', () => answer(socket, queue))
      return
    }
    const [request, response] = next
    response.once('close', () => answer(socket, queue))
    handler(request, response)
  }

  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    (request, response) => {
      const socket = request.socket
      let queue = queues.get(socket)
      if (queue === undefined) {
        queue = { answering: false, waiting: [] }
        queues.set(socket, queue)
      }
      if (queue.waiting.length >= limits.maxQueuedPerConnection) {
        socket.destroy()
        return
      }
      queue.waiting.push([request, response])
      if (!queue.answering) {
        queue.answering = true
        answer(socket, queue)
      }
    },
  )
  server.maxConnections = limits.maxConnections
  server.setTimeout(limits.inactiveSocketTimeoutMs)
  return server
}

/**
 * Stops accepting connections and closes idle ones at once; requests in flight may finish until
 * `deadlineMs`, after which every connection still open (a stuck handler, a body still being
 * trickled in) is cut, so that what closes after the HTTP server is never kept waiting.
 */
export async function closeWithin(app: FastifyInstance, deadlineMs: number): Promise<void> {
  const cut = setTimeout(() => app.server.closeAllConnections(), deadlineMs)
  try {
    await app.close()
  } finally {
    clearTimeout(cut)
  }
}
