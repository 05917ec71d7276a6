import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'

/** Polls `condition` until it holds, for effects that arrive asynchronously (reconnection, notifications). */
export async function eventually(condition: () => Promise<boolean>, what: string, seconds = 10): Promise<void> {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (await condition()) return
    await sleep(100)
  }
  assert.fail(`not within ${seconds} s: ${what}`)
}
