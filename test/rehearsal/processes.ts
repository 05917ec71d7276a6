import { spawn, type ChildProcess } from 'node:child_process'
import { openSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { stopChild } from '../support/processes.js'

/** One long-running program of the topology, its output kept in a log file under the rehearsal's directory. */
export interface Program {
  name: string
  logFile: string
  child: ChildProcess
  /** SIGKILL: a crash, nothing finishes. */
  kill(): Promise<void>
  stop(): Promise<void>
}

export interface ProgramSpec {
  name: string
  command: string
  args: string[]
  env?: Record<string, string>
  dir: string
  uid?: number
  gid?: number
}

/**
 * The caller's environment without its own databases and Redis: the topology names its own, and a
 * REDIS_URL left in the shell beside the cluster's REDIS_CLUSTER_NODES would stop every program.
 */
export function inheritedEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(DATABASE_|REDIS_)/.test(name)))
}

export function startProgram({ name, command, args, env, dir, uid, gid }: ProgramSpec): Program {
  const logFile = join(dir, `${name}.log`)
  const out = openSync(logFile, 'a')
  const child = spawn(command, args, {
    env: { ...inheritedEnvironment(), ...env },
    stdio: ['ignore', out, out],
    ...(uid === undefined ? {} : { uid }),
    ...(gid === undefined ? {} : { gid }),
  })
  return {
    name,
    logFile,
    child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    },
    stop: () => stopChild(child, 20_000),
  }
}

/** Polls `check` until it returns true, or fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(100)
  }
}

export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
  await response.arrayBuffer()
  return response.ok
}
