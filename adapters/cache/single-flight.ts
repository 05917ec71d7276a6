/** Concurrent calls for one key share a single run of the work: a cold key is loaded once, not once per caller. */
export class SingleFlight {
  private readonly running = new Map<string, Promise<unknown>>()

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.running.get(key) as Promise<T> | undefined
    if (existing !== undefined) return existing
    const started = work().finally(() => this.running.delete(key))
    this.running.set(key, started)
    return started
  }
}
