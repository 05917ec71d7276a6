/** Latency figures of one benchmark scenario, in milliseconds. */
export interface LatencySummary {
  count: number
  median: number
  p99: number
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b)
  return { count: sorted.length, median: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) }
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

/** Latency statistics of one measured operation, in milliseconds. */
export interface Stats {
  samples: number
  medianMs: number
  p99Ms: number
  maxMs: number
}

/** Nearest-rank percentile of ascending samples. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

/**
 * Runs `operation` `samples` times one after another (after a few unmeasured warm-up runs) and
 * reports wall-clock latency as the caller sees it. `operation` gets the run number, so that it
 * can cycle through inputs.
 */
export async function measure(operation: (run: number) => Promise<unknown>, samples: number, warmup = 5): Promise<Stats> {
  for (let run = 0; run < warmup; run++) await operation(run)
  const times: number[] = []
  for (let run = 0; run < samples; run++) {
    const started = performance.now()
    await operation(run)
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return { samples, medianMs: percentile(times, 50), p99Ms: percentile(times, 99), maxMs: times.at(-1) ?? Number.NaN }
}

export const STATS_HEADER = '| operation | median ms | p99 ms | max ms | samples |\n| --- | ---: | ---: | ---: | ---: |'

export function statsRow(label: string, stats: Stats): string {
  return `| ${label} | ${stats.medianMs.toFixed(2)} | ${stats.p99Ms.toFixed(2)} | ${stats.maxMs.toFixed(2)} | ${stats.samples} |`
}

/** A count given on the command line, digits grouped with underscores allowed (1_000_000). */
export function countOption(name: string, value: unknown, minimum = 1): number {
  const count = Number(String(value).replaceAll('_', ''))
  if (!Number.isInteger(count) || count < minimum) throw new Error(`--${name} must be a whole number from ${minimum}, got ${String(value)}`)
  return count
}
