import assert from 'node:assert/strict'
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Scrape {
  families: Map<string, MetricFamily>
  samples: Sample[]
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/**
 * Reads a Prometheus text exposition. The families (name, type, help) come from a Prometheus text
 * parser, which also rejects malformed lines; it merges a labelled histogram's series into one, so
 * the samples themselves are read line by line.
 */
export function parseExposition(text: string): Scrape {
  const families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]))
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = SAMPLE_LINE.exec(line)
    assert.ok(match, `a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key = '', value = ''] of (match[2] ?? '').matchAll(LABEL)) labels[key] = value
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return { families, samples }
}

export function family(scrape: Scrape, name: string): MetricFamily {
  const found = scrape.families.get(name)
  assert.ok(found, `metric family ${name} in [${[...scrape.families.keys()].join(', ')}]`)
  return found
}

/** Label values seen in a family's samples. */
export function labelValues(scrape: Scrape, name: string, label: string): Set<string | undefined> {
  family(scrape, name)
  return new Set(scrape.samples.filter((sample) => sample.name.startsWith(name)).map((sample) => sample.labels[label]))
}

/**
 * The sum of the family's samples whose labels include `labels` (for a histogram, its observation
 * counts); 0 when none matches, as for a counter not yet incremented.
 */
export function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  const sampleName = family(scrape, name).type === 'HISTOGRAM' ? `${name}_count` : name
  return scrape.samples
    .filter((sample) => sample.name === sampleName && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((total, sample) => total + sample.value, 0)
}
