import { randomBytes } from 'node:crypto'

const PROCESS_TOKEN = randomBytes(9).toString('base64url')
let issued = 0

/** A string no other call returns, in this process or any other: a random prefix per process and a counter (cheaper than random bytes per call). */
export function uniqueToken(): string {
  issued++
  return `${PROCESS_TOKEN}.${issued.toString(36)}`
}
