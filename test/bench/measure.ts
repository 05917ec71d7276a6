/** Latency figures of one benchmark scenario, in milliseconds. */
export interface LatencySummary {
  count: number
  median: number
  p99: number
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0
  return { count: sorted.length, median: round(at(0.5)), p99: round(at(0.99)) }
}

export function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits))
}

/** Runs `task` `total` times with at most `concurrency` in flight; returns each latency and the wall time. */
export async function runConcurrently(total: number, concurrency: number, task: (index: number) => Promise<void>) {
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const index = next++
        const begin = performance.now()
        await task(index)
        latencies.push(performance.now() - begin)
      }
    }),
  )
  return { latencies, seconds: (performance.now() - started) / 1000 }
}
