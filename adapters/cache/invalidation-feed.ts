export interface InvalidationListener {
  /** Some instance (this one included) bumped these scopes in the shared backend. */
  invalidated(scopes: readonly string[]): void
  /** Pushes may have been missed (connection lost, or silent too long): forget whatever they would have corrected. */
  reset(): void
}

/**
 * Pushes of the shared backend's invalidations, as they happen, to every instance. A near cache
 * in the process may answer without asking the backend only while the feed is current.
 */
export interface InvalidationFeed {
  listen(listener: InvalidationListener): void
  /**
   * True while every invalidation the backend acknowledged to its writer more than the feed's
   * lease ago (under a second) is known to have reached this process.
   */
  isCurrent(): boolean
  start(): void
  close(): Promise<void>
}
