/** An invalidation the shared backend could not take when it was made, kept until it has. */
export interface Announcement {
  id: number
  scopes: readonly string[]
}

/**
 * The second way an invalidation reaches the other instances when the shared backend (Redis) is
 * unreachable from its writer: a durable record that every instance hears of at once, and that
 * instances started later still find.
 */
export interface InvalidationRelay {
  /** Records the scopes and tells every listening instance (this one included). */
  announce(scopes: readonly string[]): Promise<Announcement>
  /** Announcements no instance has yet recorded in the backend. */
  unsettled(): Promise<Announcement[]>
  /** These announcements are in the backend now: no instance needs to act on them again. */
  settle(ids: readonly number[]): Promise<void>
}
