/**
 * Event counts for operators: subject → outcome → count. The Prometheus counter behind GET /metrics
 * reads the snapshot when scraped (so a count on a request's path is two map lookups, not a labelled
 * metric update); tests read it directly.
 */
export class Counters {
  private readonly counts = new Map<string, Map<string, number>>()

  increment(subject: string, outcome: string): void {
    let outcomes = this.counts.get(subject)
    if (outcomes === undefined) {
      outcomes = new Map()
      this.counts.set(subject, outcomes)
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
  }

  snapshot(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.counts].map(([subject, outcomes]) => [subject, Object.fromEntries(outcomes)]))
  }
}
