import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { openSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { createClient } from 'redis'
import { requireBinary } from './binaries.js'
import { freePort } from './services.js'

const run = promisify(execFile)

export interface ClusterNode {
  port: number
  child: ChildProcess
}

export interface LocalRedisCluster {
  nodes: ClusterNode[]
  /** host:port of every node, as REDIS_CLUSTER_NODES takes them. */
  seedNodes: string[]
  /** The port of the master serving `key`'s slot now, and of its replica. */
  shardOf(key: string): Promise<{ master: number; replica: number | undefined }>
  /** Promotes the replica of the master serving `key` (CLUSTER FAILOVER FORCE: a master that stopped answering, without its vote) and waits until every node agrees. */
  failOver(key: string): Promise<{ from: number; to: number }>
  /** SIGKILL: the node crashes, nothing is saved. */
  kill(port: number): Promise<void>
  /** Starts a killed node again on its port with its cluster config (it rejoins, as a replica once its slots moved). */
  revive(port: number): Promise<void>
  /** SIGSTOP / SIGCONT: connected but answering nothing, not even its replication stream. */
  pause(port: number): void
  resume(port: number): void
  /** Waits until the running nodes agree on the masters and each replica is in sync. */
  settled(): Promise<void>
  stop(): Promise<void>
}

/** What a cluster node is started with: no persistence, quick failure detection, its bus on a port of our choosing. */
function clusterNodeArgs(port: number, busPort: number, dir: string, nodeTimeoutMs: number): string[] {
  return [
    '--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1',
    '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', String(nodeTimeoutMs),
    '--save', '', '--appendonly', 'no', '--dir', dir,
  ] // prettier-ignore
}

/** Two free ports per node: its own and its cluster bus (port + 10 000 may be out of range or taken). */
async function clusterPorts(count: number): Promise<{ port: number; busPort: number }[]> {
  const ports: { port: number; busPort: number }[] = []
  const taken = new Set<number>()
  while (ports.length < count) {
    const [port, busPort] = [await freePort(), await freePort()]
    if (port === busPort || taken.has(port) || taken.has(busPort)) continue
    taken.add(port).add(busPort)
    ports.push({ port, busPort })
  }
  return ports
}

/** Joins running nodes into a cluster with `replicas` replicas per master, and waits until it serves every slot and each replica is in sync. */
async function formCluster(ports: number[], replicas: number): Promise<void> {
  const cli = requireBinary('redis-cli', 'redis-tools')
  for (const port of ports) await waitUntil(`redis on ${port}`, async () => (await command(port, ['PING'])) === 'PONG')
  await run(cli, ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes'])
  await waitUntilSettled(ports)
}

/** Every node says the cluster is ok and agrees on the masters, and every replica's link to its master is up. */
async function waitUntilSettled(ports: number[]): Promise<void> {
  await waitUntil('the cluster to settle', async () => {
    const views = new Set<string>()
    for (const port of ports) {
      if (!String(await command(port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok')) return false
      const role = (await command(port, ['ROLE'])) as unknown[]
      if (role[0] === 'slave' && role[3] !== 'connected') return false
      views.add(JSON.stringify(await masterPorts(port)))
    }
    return views.size === 1
  })
}

export interface RedisClusterOptions {
  masters?: number
  /** How long a node may not answer before the others count it failed and promote its replica. */
  nodeTimeoutMs?: number
  /** Where the nodes keep their logs and cluster configs (kept); a temporary directory, removed at stop, when unset. */
  dir?: string
}

/** A cluster of masters with one replica each, private processes on free loopback ports. */
export async function startRedisCluster({ masters = 3, nodeTimeoutMs = 1_000, dir: keptDir }: RedisClusterOptions = {}): Promise<LocalRedisCluster> {
  const server = requireBinary('redis-server', 'redis-server')
  const dir = keptDir ?? (await mkdtemp(join(tmpdir(), 'aforro-redis-cluster-')))
  const nodes: ClusterNode[] = []
  const busPorts = new Map<number, number>()
  const startNode = (port: number) => {
    const log = openSync(join(dir, `redis-${port}.log`), 'a')
    return spawn(server, clusterNodeArgs(port, busPorts.get(port) as number, dir, nodeTimeoutMs), { stdio: ['ignore', log, log] })
  }
  const stop = async () => {
    await Promise.all(nodes.map((node) => killNode(node.child)))
    if (keptDir === undefined) await rm(dir, { recursive: true, force: true })
  }
  const nodeAt = (port: number) => {
    const node = nodes.find((candidate) => candidate.port === port)
    if (node === undefined) throw new Error(`no cluster node on ${port}`)
    return node
  }
  try {
    for (const { port, busPort } of await clusterPorts(masters * 2)) {
      busPorts.set(port, busPort)
      nodes.push({ port, child: startNode(port) })
    }
    await formCluster(
      nodes.map((node) => node.port),
      1,
    )
  } catch (error) {
    await stop()
    throw error
  }
  const ports = nodes.map((node) => node.port)
  const paused = new Set<number>()
  const running = () =>
    nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null && !paused.has(node.port)).map((node) => node.port)
  /** A node that answers, to ask about the cluster. */
  const anyNode = () => running()[0] as number
  const shardOf = async (key: string) => {
    const slot = Number(await command(anyNode(), ['CLUSTER', 'KEYSLOT', key]))
    const ranges = (await command(anyNode(), ['CLUSTER', 'SLOTS'])) as [number, number, [string, number], [string, number]?][]
    const range = ranges.find(([first, last]) => slot >= first && slot <= last)
    if (range === undefined) throw new Error(`no node serves slot ${slot}`)
    return { master: range[2][1], replica: range[3]?.[1] }
  }
  return {
    nodes,
    seedNodes: ports.map((port) => `127.0.0.1:${port}`),
    shardOf,
    async failOver(key) {
      const { master, replica } = await shardOf(key)
      if (replica === undefined) throw new Error(`the master on ${master} has no replica to fail over to`)
      await command(replica, ['CLUSTER', 'FAILOVER', 'FORCE'])
      await waitUntil(`${replica} to take over from ${master}`, async () => (await masterPorts(anyNode())).includes(replica))
      await waitUntilSettled(ports)
      return { from: master, to: replica }
    },
    kill: (port) => killNode(nodeAt(port).child),
    async revive(port) {
      nodeAt(port).child = startNode(port)
      await waitUntil(`redis on ${port}`, async () => (await command(port, ['PING'])) === 'PONG')
    },
    pause(port) {
      paused.add(port)
      nodeAt(port).child.kill('SIGSTOP')
    },
    resume(port) {
      paused.delete(port)
      nodeAt(port).child.kill('SIGCONT')
    },
    settled: () => waitUntilSettled(running()),
    stop,
  }
}

/** One command on one node (a connection of its own, closed at once). */
export async function command(port: number, args: string[]): Promise<unknown> {
  const client = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false, connectTimeout: 1_000 } })
  client.on('error', () => undefined)
  await client.connect()
  try {
    return await client.sendCommand(args)
  } finally {
    client.destroy()
  }
}

async function masterPorts(port: number): Promise<number[]> {
  const ranges = (await command(port, ['CLUSTER', 'SLOTS'])) as [number, number, [string, number]][]
  return [...new Set(ranges.map((range) => range[2][1]))].sort((a, b) => a - b)
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

async function killNode(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}
