import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Polls `probe` until it returns something other than undefined, for work that happens in
 * another process or on a worker's own schedule. The bound only keeps a broken run from hanging;
 * no test asserts how fast anything is.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what} after ${timeoutMs} ms`)
    await sleep(50)
  }
}
