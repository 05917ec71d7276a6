import Fastify from 'fastify'

/**
 * The ceiling the throughput benchmark compares the app with: Fastify answering one small JSON
 * object, no logger, no hooks, no I/O. Run as its own process: `node bare-fastify-server.js <port>`.
 */
const port = Number(process.argv[2])
const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))
await app.listen({ port, host: '127.0.0.1' })
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
