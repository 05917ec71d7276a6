import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'

/** The Swagger UI assets shipped with @fastify/swagger-ui, and the type each is served as. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

const INITIALIZER = `window.onload = () => {
  // validatorUrl: null — the page never calls the public validator; everything it loads is ours.
  // persistAuthorization — a key pasted into Authorize survives a reload of the page.
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null, persistAuthorization: true })
}
`

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Aforro retail API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-initializer.js"></script>
</body>
</html>
`

/**
 * GET /docs: the interactive page over /openapi.json (also at /docs/json). Its assets (2 MB) are read from disk once,
 * at start, and every request is answered from the same buffers: no file opened, no stream or
 * copy held per request, however many clients ask at once.
 */
export async function docsRoutes(app: FastifyInstance): Promise<void> {
  const assetsDir = join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static')
  const files = new Map<string, { body: Buffer; type: string }>(
    Object.entries(ASSETS).map(([name, type]) => [name, { body: readFileSync(join(assetsDir, name)), type }]),
  )
  files.set('swagger-initializer.js', { body: Buffer.from(INITIALIZER), type: 'application/javascript; charset=utf-8' })
  const page = Buffer.from(PAGE)

  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page))
  // Where @fastify/swagger-ui served the document, kept for clients that know that address.
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger())
  for (const [name, { body, type }] of files) {
    app.get(`/docs/static/${name}`, { schema: { hide: true } }, async (_request, reply) =>
      reply.type(type).header('cache-control', 'public, max-age=86400').send(body),
    )
  }
}
