/** In-process event counts for operators (served by GET /metrics): subject → outcome → count. */
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
