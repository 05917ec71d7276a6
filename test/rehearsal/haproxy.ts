import { connect } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { requireBinary } from '../support/binaries.js'
import { startProgram, waitFor, type Program } from './processes.js'

export interface Balancer {
  port: number
  program: Program
  /** Takes a server out of rotation (maintenance) or puts it back, through HAProxy's admin socket. */
  setServerState(server: string, state: 'ready' | 'maint'): Promise<void>
  /** Servers HAProxy's health checks currently consider up. */
  serversUp(): Promise<string[]>
}

/**
 * HAProxy in front of the API instances: health checks on /health/ready take a dead or unready
 * instance out within a second; X-Forwarded-For carries each client's source address (the API
 * trusts it from the balancer only, TRUST_PROXY); a request whose connection fails before it was
 * sent goes to another instance, so a killed instance costs only the requests it was running.
 */
export function haproxyConfig(options: { port: number; socket: string; servers: { name: string; port: number }[] }): string {
  return `global
  maxconn 4000
  stats socket ${options.socket} mode 600 level admin

defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  retry-on conn-failure
  option redispatch

frontend api
  bind 127.0.0.1:${options.port}
  http-request del-header X-Forwarded-For
  option forwardfor
  default_backend api

backend api
  balance roundrobin
  option httpchk GET /health/ready
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
${options.servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port} check`).join('\n')}
`
}

export async function startBalancer(dir: string, port: number, servers: { name: string; port: number }[]): Promise<Balancer> {
  const binary = requireBinary('haproxy', 'haproxy')
  const socket = join(dir, 'haproxy.sock')
  const file = join(dir, 'haproxy.cfg')
  await writeFile(file, haproxyConfig({ port, socket, servers }))
  const program = startProgram({ name: 'haproxy', command: binary, args: ['-f', file, '-db'], dir })
  const command = (line: string) =>
    new Promise<string>((resolve, reject) => {
      const client = connect(socket)
      let output = ''
      client.on('data', (chunk) => (output += chunk.toString()))
      client.on('end', () => resolve(output))
      client.on('error', reject)
      client.end(`${line}\n`)
    })
  const serversUp = async () =>
    (await command('show stat'))
      .split('\n')
      .map((line) => line.split(','))
      .filter((fields) => fields[0] === 'api' && fields[1] !== 'BACKEND' && fields[1] !== 'FRONTEND' && fields[17] === 'UP')
      .map((fields) => fields[1] as string)
  await waitFor('haproxy to accept commands', async () => (await command('show info')).includes('Name: HAProxy'), 15_000)
  return {
    port,
    program,
    serversUp,
    setServerState: async (server, state) => void (await command(`set server api/${server} state ${state}`)),
  }
}
