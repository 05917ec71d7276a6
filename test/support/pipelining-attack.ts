import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** The resident set size of a process, in bytes, from /proc (Linux). */
export function residentBytes(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!line?.[1]) throw new Error(`no VmRSS for process ${pid}`)
  return Number(line[1]) * 1024
}

export interface PipeliningAttack {
  port: number
  sockets: number
  /** Requests each socket writes at once, cycling through `paths`. */
  requestsPerSocket: number
  paths: string[]
}

/**
 * Hostile clients on loopback: each opens a connection, writes all its GET requests in one write
 * (HTTP/1.1 pipelining) and never reads a byte of the answers. Returns a function that hangs up
 * every socket. Connections the server refuses or closes are simply counted as gone.
 */
export async function startPipeliningAttack({ port, sockets, requestsPerSocket, paths }: PipeliningAttack): Promise<() => void> {
  const requests = Array.from({ length: requestsPerSocket }, (_, index) => `GET ${paths[index % paths.length]} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join('')
  const open: Socket[] = []
  await Promise.all(
    Array.from(
      { length: sockets },
      () =>
        new Promise<void>((resolve) => {
          const socket = connect({ port, host: '127.0.0.1' }, () => {
            socket.write(requests)
            resolve()
          })
          socket.pause() // never read: answers pile up in the server's (and then the kernel's) buffers
          socket.on('error', () => resolve())
          socket.on('close', () => resolve())
          open.push(socket)
        }),
    ),
  )
  return () => {
    for (const socket of open) socket.destroy()
  }
}

/** Samples a process's RSS every `everyMs` for `forMs`; returns the largest value seen. */
export async function peakResidentBytes(pid: number, forMs: number, everyMs = 100): Promise<number> {
  let peak = residentBytes(pid)
  for (const deadline = Date.now() + forMs; Date.now() < deadline;) {
    await sleep(everyMs)
    peak = Math.max(peak, residentBytes(pid))
  }
  return peak
}
