import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Histogram, Registry } from 'prom-client'
import { RequestDurations, type RequestObservation } from '../../adapters/metrics/request-durations.js'

const BUCKETS = [0.001, 0.01, 0.1, 1]

describe('request durations', () => {
  test('expose the same text as prom-client’s own histogram fed the same requests', async () => {
    const observations: RequestObservation[] = [
      { method: 'GET', route: '/api/search/suggest', statusCode: 200, seconds: 0.0004 },
      { method: 'GET', route: '/api/search/suggest', statusCode: 200, seconds: 0.001 },
      { method: 'GET', route: '/api/search/suggest', statusCode: 429, seconds: 0.02 },
      { method: 'POST', route: '/orders', statusCode: 201, seconds: 0.3 },
      { method: 'GET', route: '/api/search/suggest', statusCode: 200, seconds: 12 },
      { method: 'GET', route: 'unmatched', statusCode: 404, seconds: 0 },
      { method: 'GET', route: '/odd "route" \\ here', statusCode: 200, seconds: 0.05 },
    ]
    const theirs = new Registry()
    const histogram = new Histogram({
      name: 'requests_seconds',
      help: 'Requests',
      labelNames: ['method', 'route', 'status_code'],
      buckets: BUCKETS,
      registers: [theirs],
    })
    const ours = new Registry()
    const durations = new RequestDurations('requests_seconds', 'Requests', BUCKETS)
    ours.registerMetric(durations as unknown as Histogram)

    for (const { method, route, statusCode, seconds } of observations) {
      histogram.observe({ method, route, status_code: statusCode }, seconds)
      durations.observe({ method, route, statusCode, seconds })
    }

    const expected = await theirs.metrics()
    assert.match(expected, /requests_seconds_bucket\{le="0.1",method="GET",route="\/api\/search\/suggest",status_code="200"\} 2/)
    assert.equal(await ours.metrics(), expected)
  })
})
