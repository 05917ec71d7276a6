import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import type { PrometheusMetrics } from '../../adapters/metrics/prometheus.js'
import type { Lifecycle } from '../runtime/shutdown.js'

/**
 * A worker has no HTTP API, so its metrics get a listener of their own: GET /metrics and nothing
 * else. Closed with the lifecycle; resolves with the port it listens on.
 */
export async function serveMetrics(
  metrics: PrometheusMetrics,
  { host, port }: { host: string; port: number },
  logger: Logger,
  lifecycle: Lifecycle,
): Promise<number> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here\n')
      return
    }
    metrics.exposition().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (error: unknown) => {
        logger.error({ err: error }, 'metrics not rendered')
        response.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics could not be rendered\n')
      },
    )
  })
  server.listen(port, host)
  await once(server, 'listening')
  lifecycle.add('metrics server', () => new Promise<void>((resolve) => server.close(() => resolve())))
  const listening = (server.address() as AddressInfo).port
  logger.info({ host, port: listening }, 'worker metrics served at /metrics')
  return listening
}
