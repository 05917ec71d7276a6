import type { PgBoss } from 'pg-boss'

export interface ScheduleSettings {
  dailySummaryCron: string
}

export const SCHEDULE_TIMEZONE = 'UTC'

/**
 * Registers every recurring job, or updates its cron; each worker does it at start, and pg-boss
 * sends one job per occurrence however many workers run the clock.
 */
export async function registerSchedules(boss: PgBoss, { dailySummaryCron }: ScheduleSettings): Promise<void> {
  // The job's date defaults to the day it runs; after an outage over the due time, one late
  // summary beats a missing day.
  await boss.schedule('daily-inventory-summary', dailySummaryCron, {}, { tz: SCHEDULE_TIMEZONE, missed: 'once' })
}
