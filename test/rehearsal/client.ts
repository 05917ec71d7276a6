import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

const UNAVAILABLE_BACKOFF_MS = 100

/** One answer as the client saw it; status 0 means no HTTP answer at all (connection refused or reset). */
export interface Answer {
  status: number
  body: unknown
  ms: number
}

export interface Sample {
  kind: string
  /** The client's source address. */
  from: string
  status: number
  /** When it was sent (epoch ms) and how long the answer took. */
  at: number
  ms: number
}

/**
 * HTTP through the balancer from a chosen loopback source address (127.x.y.z), so HAProxy's
 * X-Forwarded-For names as many clients as the workload wants. Every answer is recorded.
 */
export class RehearsalClient {
  readonly samples: Sample[] = []
  private readonly agents = new Map<string, http.Agent>()

  constructor(
    private readonly port: number,
    private readonly headers: () => Record<string, string> = () => ({}),
  ) {}

  async send(kind: string, from: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const at = Date.now()
    const started = performance.now()
    const answer = await this.exchange(from, method, path, body, headers).catch(() => ({ status: 0, body: undefined }))
    const ms = performance.now() - started
    this.samples.push({ kind, from, status: answer.status, at, ms })
    // As a real client would: no answer, or the service unavailable, is retried only after a pause.
    if (answer.status === 0 || answer.status >= 502) await sleep(UNAVAILABLE_BACKOFF_MS)
    return { ...answer, ms }
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy()
  }

  private agentFor(from: string): http.Agent {
    let agent = this.agents.get(from)
    if (agent === undefined) {
      agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
      this.agents.set(from, agent)
    }
    return agent
  }

  private exchange(from: string, method: string, path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          localAddress: from,
          agent: this.agentFor(from),
          timeout: 30_000,
          headers: { ...this.headers(), ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        },
        (response) => {
          let text = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => (text += chunk))
          response.on('end', () => {
            let parsed: unknown = text
            try {
              parsed = JSON.parse(text)
            } catch {
              // Not JSON (an HAProxy error page): kept as text.
            }
            resolve({ status: response.statusCode ?? 0, body: parsed })
          })
          response.on('error', reject)
        },
      )
      request.on('timeout', () => request.destroy(new Error('timed out')))
      request.on('error', reject)
      request.end(payload)
    })
  }
}

/** The nth client address: 127.0.<block>.<n>, never 127.0.0.1, the balancer's own. */
export function clientAddress(block: number, n: number): string {
  return `127.0.${block}.${(n % 250) + 2}`
}
