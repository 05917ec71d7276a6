import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { eventually } from './eventually.js'

/** dist/, where the compiled entry points sit beside the compiled tests. */
export const DIST = fileURLToPath(new URL('../../', import.meta.url))

export interface RunningProgram {
  child: ChildProcess
  /** Everything written to stdout and stderr so far. */
  output(): string
  /** Resolves once a line of output contains `text`. */
  waitFor(text: string): Promise<void>
  /** The exit code, or the signal's name when a signal ended it. */
  exited: Promise<number | string>
}

/**
 * Starts a compiled entry point (`bootstrap/worker.js`…) as `npm run …` would, on the Node that
 * runs the tests, with only the environment given (plus PATH), and `nodeArgs` before the entry.
 */
export function startProgram(entry: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []): RunningProgram {
  const child = spawn(process.execPath, [...nodeArgs, `${DIST}${entry}`, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  return {
    child,
    output: () => output,
    waitFor: async (text) => {
      await eventually(`"${text}" from ${entry}`, async () => (output.includes(text) ? true : undefined))
    },
    exited,
  }
}

/** Runs an entry point to completion. */
export async function runProgram(entry: string, args: string[], env: Record<string, string>): Promise<{ code: number | string; output: string }> {
  const program = startProgram(entry, args, env)
  const code = await program.exited
  return { code, output: program.output() }
}

/**
 * Waits until an API process on `port` answers /health/ready with 200: 30 s at most, which a
 * primary forking workers needs on a machine busy with other test files.
 */
export async function waitUntilReady(port: number): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  throw new Error('the server never became ready')
}
