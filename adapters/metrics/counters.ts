/**
 * Event counts for operators: subject → outcome → count. Each count is also handed to `exported`
 * (the Prometheus counter behind GET /metrics); the in-process snapshot lets tests read them directly.
 */
export class Counters {
  private readonly counts = new Map<string, Map<string, number>>()

  constructor(private readonly exported: (subject: string, outcome: string) => void = () => undefined) {}

  increment(subject: string, outcome: string): void {
    let outcomes = this.counts.get(subject)
    if (outcomes === undefined) {
      outcomes = new Map()
      this.counts.set(subject, outcomes)
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    this.exported(subject, outcome)
  }

  snapshot(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.counts].map(([subject, outcomes]) => [subject, Object.fromEntries(outcomes)]))
  }
}
